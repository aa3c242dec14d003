package login_test

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

// newSealer is the tests' AES-256-GCM Sealer.
func newSealer(t testing.TB) *testenv.Sealer { return testenv.NewSealer(t) }

var testSecret = []byte("0123456789abcdef0123456789abcdef-test-secret")

// fastArgon keeps tests quick; production uses DefaultArgon2Params.
func fastArgon() login.Argon2Params {
	return login.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// notifier records notices.
type notifier struct {
	mu      sync.Mutex
	notices []login.Notice
	err     error
}

func (n *notifier) Notify(_ context.Context, x login.Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return n.err
	}
	n.notices = append(n.notices, x)
	return nil
}

func (n *notifier) all() []login.Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]login.Notice(nil), n.notices...)
}

func (n *notifier) last(t testing.TB, purpose string) login.Notice {
	t.Helper()
	all := n.all()
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Purpose == purpose {
			return all[i]
		}
	}
	t.Fatalf("no %s notice among %d", purpose, len(all))
	return login.Notice{}
}

// members is a MembershipSource backed by a map.
type members struct {
	mu    sync.Mutex
	roles map[string][]string
}

func (ms *members) MembershipRoles(_ context.Context, uid string) ([]string, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]string(nil), ms.roles[uid]...), nil
}

func (ms *members) set(uid string, roles ...string) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	ms.roles[uid] = roles
}

// managers is a login.Manager and the session.Manager under it: the
// tests call the methods of both on one value.
type managers struct {
	*logins
	*sessions
}

type (
	logins   = login.Manager
	sessions = session.Manager
)

// env is a pair of Managers with in-memory accounts, stores and notifier.
type env struct {
	m        managers
	sealer   *testenv.Sealer
	accounts *login.MemoryAccounts
	sstore   *session.MemoryStore
	store    *login.MemoryStore
	notes    *notifier
	members  *members
}

// newManagers builds a session.Manager from the session.Options and a
// login.Manager on it from the login.Options among opts.
func newManagers(t testing.TB, sealer session.Sealer, accounts login.AccountStore, opts ...any) managers {
	t.Helper()
	var so []session.Option
	var lo []login.Option
	for _, o := range opts {
		switch o := o.(type) {
		case session.Option:
			so = append(so, o)
		case login.Option:
			lo = append(lo, o)
		default:
			t.Fatalf("option of type %T", o)
		}
	}
	sm, err := session.New(sealer, testSecret, so...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sm.Close(context.Background())) })
	lm, err := login.New(sm, accounts, lo...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, lm.Close(context.Background())) })
	return managers{lm, sm}
}

// newEnv builds an env. Inside a synctest bubble it must be built inside
// the bubble (its stores' sweepers belong to the bubble).
func newEnv(t testing.TB, opts ...any) *env {
	t.Helper()
	e := &env{
		accounts: login.NewMemoryAccounts(),
		sstore:   session.NewMemoryStore(),
		store:    login.NewMemoryStore(),
		notes:    &notifier{},
		members:  &members{roles: map[string][]string{}},
		sealer:   newSealer(t),
	}
	t.Cleanup(func() {
		require.NoError(t, e.sstore.Close(context.Background()))
		require.NoError(t, e.store.Close(context.Background()))
	})
	base := []any{
		session.WithStore(e.sstore), login.WithStore(e.store), login.WithNotifier(e.notes),
		login.WithMemberships(e.members), login.WithArgon2(fastArgon()),
		login.WithNotifyQueue(0), // the notices are there when the call returns
	}
	e.m = newManagers(t, e.sealer, e.accounts, append(base, opts...)...)
	return e
}

const goodPassword = "correct horse battery staple"

// user creates an active account.
func (e *env) user(t testing.TB, username string, admin bool) login.Account {
	t.Helper()
	a, err := e.m.CreateAccount(t.Context(), login.NewAccount{
		Username: username, Identity: username + "@example.com", Name: username, Password: goodPassword, Admin: admin,
	})
	require.NoError(t, err)
	return a
}

// from returns a context whose client comes from ip.
func from(ctx context.Context, ip string) context.Context {
	return login.NewClientContext(ctx, login.Client{IP: netip.MustParseAddr(ip)})
}

// code returns the TOTP code of secret at time at.
func code(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	require.NoError(t, err)
	return c
}

// enrolTOTP enrols TOTP for username (logging in first) and returns the
// secret and the backup codes.
func (e *env) enrolTOTP(t testing.TB, username string) (string, []string) {
	t.Helper()
	s, _, err := e.m.Login(from(t.Context(), "192.0.2.1"), username, goodPassword, "")
	require.NoError(t, err)
	enr, err := e.m.EnrollTOTP(t.Context(), s)
	require.NoError(t, err)
	codes, err := e.m.ConfirmTOTP(t.Context(), s, code(t, enr.Secret, time.Now()))
	require.NoError(t, err)
	return enr.Secret, codes
}

// provider is an IdentityProvider that returns a fixed identity.
type provider struct {
	id  login.Identity
	err error
}

func (p provider) Exchange(_ context.Context, params url.Values) (login.Identity, error) {
	if params.Get("code") != "good" {
		return login.Identity{}, errors.New("bad code")
	}
	return p.id, p.err
}

// failingStore is a login.Store whose every method fails, as Redis does
// when it is down.
type failingStore struct{}

var errDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

func (failingStore) Attempt(context.Context, string, login.Ladder) (time.Duration, error) {
	return 0, errDown
}
func (failingStore) Reserve(context.Context, string, string, login.Ladder, time.Duration) (login.Admission, error) {
	return login.Admission{}, errDown
}

func (failingStore) Settle(context.Context, string, string, login.Ladder, login.Outcome) error {
	return errDown
}
func (failingStore) AdvanceStep(context.Context, string, int64, time.Duration) (bool, error) {
	return false, errDown
}

func (failingStore) PutToken(context.Context, string, []byte, time.Duration) error {
	return errDown
}
func (failingStore) TakeToken(context.Context, string, []byte) (bool, error) { return false, errDown }

// logged returns what log/slog writes for v.
func logged(v any) string {
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "v", v)
	return b.String()
}

// newLogin builds a login.Manager with opts on a fresh session.Manager,
// and closes both at the end of the test.
func newLogin(t testing.TB, accounts login.AccountStore, opts ...login.Option) (*login.Manager, error) {
	t.Helper()
	sm, err := session.New(newSealer(t), testSecret)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sm.Close(context.Background())) })
	m, err := login.New(sm, accounts, opts...)
	if err == nil {
		t.Cleanup(func() { require.NoError(t, m.Close(context.Background())) })
	}
	return m, err
}
