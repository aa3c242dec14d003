package session_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
)

// gcmSealer is a minimal AES-256-GCM Sealer for tests (the crypto
// package's Cipher is tested against the interface in crypto_test.go).
type gcmSealer struct{ aead cipher.AEAD }

func newSealer(t testing.TB) *gcmSealer {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	block, err := aes.NewCipher(key)
	require.NoError(t, err)
	aead, err := cipher.NewGCM(block)
	require.NoError(t, err)
	return &gcmSealer{aead: aead}
}

func (s *gcmSealer) Seal(pt, ad []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, pt, ad), nil
}

func (s *gcmSealer) Open(ct, ad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(ct) < n+s.aead.Overhead() {
		return nil, errors.New("short ciphertext")
	}
	return s.aead.Open(nil, ct[:n], ct[n:], ad)
}

var testSecret = []byte("0123456789abcdef0123456789abcdef-test-secret")

// fastArgon keeps tests quick; production uses DefaultArgon2Params.
func fastArgon() session.Argon2Params {
	return session.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// notifier records notices.
type notifier struct {
	mu      sync.Mutex
	notices []session.Notice
	err     error
}

func (n *notifier) Notify(_ context.Context, x session.Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return n.err
	}
	n.notices = append(n.notices, x)
	return nil
}

func (n *notifier) all() []session.Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]session.Notice(nil), n.notices...)
}

func (n *notifier) last(t testing.TB, purpose string) session.Notice {
	t.Helper()
	all := n.all()
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Purpose == purpose {
			return all[i]
		}
	}
	t.Fatalf("no %s notice among %d", purpose, len(all))
	return session.Notice{}
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

// env is a Manager with in-memory accounts, store and notifier.
type env struct {
	m        *session.Manager
	sealer   *gcmSealer
	accounts *session.MemoryAccounts
	store    *session.MemoryStore
	notes    *notifier
	members  *members
}

// newEnv builds an env. Inside a synctest bubble it must be built inside
// the bubble (its store's sweepers belong to the bubble).
func newEnv(t testing.TB, opts ...session.Option) *env {
	t.Helper()
	e := &env{
		accounts: session.NewMemoryAccounts(),
		store:    session.NewMemoryStore(),
		notes:    &notifier{},
		members:  &members{roles: map[string][]string{}},
		sealer:   newSealer(t),
	}
	t.Cleanup(func() { require.NoError(t, e.store.Close(context.Background())) })
	base := []session.Option{
		session.WithStore(e.store), session.WithAccounts(e.accounts), session.WithNotifier(e.notes),
		session.WithMemberships(e.members), session.WithArgon2(fastArgon()),
		session.WithNotifyQueue(0), // the notices are there when the call returns
	}
	m, err := session.New(e.sealer, testSecret, append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, m.Close(context.Background())) })
	e.m = m
	return e
}

const goodPassword = "correct horse battery staple"

// user creates an active account.
func (e *env) user(t testing.TB, username string, admin bool) session.Account {
	t.Helper()
	a, err := e.m.CreateAccount(t.Context(), session.NewAccount{
		Username: username, Identity: username + "@example.com", Name: username, Password: goodPassword, Admin: admin,
	})
	require.NoError(t, err)
	return a
}

// from returns a context whose client comes from ip.
func from(ctx context.Context, ip string) context.Context {
	return session.NewClientContext(ctx, session.Client{IP: netip.MustParseAddr(ip)})
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
	id  session.Identity
	err error
}

func (p provider) Exchange(_ context.Context, params url.Values) (session.Identity, error) {
	if params.Get("code") != "good" {
		return session.Identity{}, errors.New("bad code")
	}
	return p.id, p.err
}

// failingStore is a Store whose every method fails, as Redis does when it
// is down.
type failingStore struct{}

var errDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

func (failingStore) Create(context.Context, string, string, []byte, time.Duration, time.Duration) error {
	return errDown
}

func (failingStore) Get(context.Context, string, string, time.Duration, time.Duration) (session.Entry, bool, error) {
	return session.Entry{}, false, errDown
}

func (failingStore) Replace(context.Context, string, string, []byte, []byte) (bool, error) {
	return false, errDown
}
func (failingStore) Delete(context.Context, string, string) (bool, error) { return false, errDown }
func (failingStore) DeleteAll(context.Context, string) (int, error)       { return 0, errDown }
func (failingStore) List(context.Context, string) ([]session.Entry, error) {
	return nil, errDown
}

func (failingStore) Attempt(context.Context, string, session.Ladder) (time.Duration, error) {
	return 0, errDown
}
func (failingStore) Reserve(context.Context, string, string, session.Ladder, time.Duration) (session.Admission, error) {
	return session.Admission{}, errDown
}

func (failingStore) Settle(context.Context, string, string, session.Ladder, session.Outcome) error {
	return errDown
}
func (failingStore) AdvanceStep(context.Context, string, int64, time.Duration) (bool, error) {
	return false, errDown
}

func (failingStore) PutToken(context.Context, string, []byte, time.Duration) error {
	return errDown
}
func (failingStore) TakeToken(context.Context, string, []byte) (bool, error) { return false, errDown }

// countingStore counts the refreshes (store writes) of Get.
type countingStore struct {
	session.Store
	mu              sync.Mutex
	gets, refreshes int
}

func (c *countingStore) Get(ctx context.Context, uid, id string, idle, after time.Duration) (session.Entry, bool, error) {
	e, ok, err := c.Store.Get(ctx, uid, id, idle, after)
	c.mu.Lock()
	c.gets++
	if e.Refreshed {
		c.refreshes++
	}
	c.mu.Unlock()
	return e, ok, err
}

func http0(name string) http.Cookie { return http.Cookie{Name: name} }

// logged returns what log/slog writes for v.
func logged(v any) string {
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "v", v)
	return b.String()
}
