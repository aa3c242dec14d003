package login_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
	loginredis "github.com/apicrud-go/apicrud/session/login/redisstore"
)

func TestLogin(t *testing.T) {
	e := newEnv(t)
	alice := e.user(t, "alice", false)
	root := e.user(t, "root", true)
	e.members.set(alice.UID, "list-x-1-invitee", "list-x-1-member")
	ctx := from(t.Context(), "192.0.2.1")

	for _, name := range []string{"alice", "ALICE ", "alice@example.com", "Alice@Example.COM"} {
		s, tok, err := e.m.Login(ctx, name, goodPassword, "")
		require.NoError(t, err, name)
		require.Equal(t, alice.UID, s.UID)
		require.Equal(t, []string{"user", "list-x-1-invitee", "list-x-1-member"}, s.Roles)
		require.Equal(t, login.MethodPassword, s.Method)
		require.Equal(t, "alice", s.Values["username"])
		v, err := e.m.Validate(t.Context(), string(tok))
		require.NoError(t, err)
		require.Equal(t, s.ID, v.ID)
	}
	s, _, err := e.m.Login(ctx, "root", goodPassword, "")
	require.NoError(t, err)
	require.Equal(t, root.UID, s.UID)
	require.Equal(t, []string{"admin", "user"}, s.Roles)
}

func TestLoginSameErrorForUnknownAndWrong(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice", false)
	disabled := e.user(t, "dora", false)
	require.NoError(t, e.m.SetStatus(t.Context(), disabled.UID, login.StatusDisabled))
	require.NoError(t, e.accounts.Create(t.Context(), login.Account{UID: "u-nopw", Username: "nopw", Status: login.StatusActive}))
	ctx := from(t.Context(), "192.0.2.1")
	var msgs []string
	for _, tc := range []struct{ name, user, password string }{
		{"wrong password", "alice", "wrong password!"},
		{"unknown user", "mallory", goodPassword},
		{"unknown e-mail", "mallory@example.com", goodPassword},
		{"disabled account", "dora", goodPassword},
		{"account without password", "nopw", ""},
		{"malformed username", "a b{c}", goodPassword},
		{"empty password", "alice", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, tok, err := e.m.Login(ctx, tc.user, tc.password, "")
			require.ErrorIs(t, err, login.ErrInvalidCredentials)
			require.Empty(t, tok)
			msgs = append(msgs, err.Error())
		})
	}
	for _, m := range msgs {
		require.Equal(t, msgs[0], m, "the error text must not tell the cases apart")
	}
}

// TestLoginTiming checks that an unknown account costs what a wrong
// password costs (both run one argon2id verification of the same cost).
// The bound is loose: the machine is shared.
func TestLoginTiming(t *testing.T) {
	e := newEnv(t, login.WithArgon2(login.Argon2Params{Memory: 8 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}),
		login.WithThrottle(login.Throttles{
			Account: login.Ladder{Free: 1000, Window: time.Hour},
			IP:      login.Ladder{Free: 1000, Window: time.Hour},
			OTP:     login.Ladder{Free: 1000, Window: time.Hour},
		}))
	e.user(t, "alice", false)
	ctx := from(t.Context(), "192.0.2.1")
	measure := func(user string) time.Duration {
		start := time.Now()
		_, _, err := e.m.Login(ctx, user, "wrong password!", "")
		require.ErrorIs(t, err, login.ErrInvalidCredentials)
		return time.Since(start)
	}
	// The fastest of 15 interleaved tries of each: the intrinsic cost of a
	// path, which other work on a loaded machine can only add to (a
	// median of 9 moved by 1.8× under load).
	var known, unknown []time.Duration
	for range 15 {
		known = append(known, measure("alice"))
		unknown = append(unknown, measure("mallory"))
	}
	k, u := slices.Min(known), slices.Min(unknown)
	ratio := float64(u) / float64(k)
	t.Logf("fastest wrong password %v, unknown account %v (ratio %.2f)", k, u, ratio)
	require.InDelta(t, 1, ratio, 0.6, "an unknown account must take as long as a wrong password")
}

// lockStep is one step of a lockout ladder: wait, then try to log in.
type lockStep struct {
	wait     time.Duration
	ip       string
	login    string
	password string
	want     error         // nil: success
	retry    time.Duration // for ErrLocked: the Retry-After to expect
}

func runLockSteps(t *testing.T, steps []lockStep, opts ...any) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, opts...)
		e.user(t, "alice", false)
		for i, st := range steps {
			time.Sleep(st.wait)
			_, _, err := e.m.Login(from(t.Context(), st.ip), st.login, st.password, "")
			if st.want == nil {
				require.NoError(t, err, "step %d", i)
				continue
			}
			require.ErrorIs(t, err, st.want, "step %d", i)
			if errors.Is(st.want, login.ErrLocked) {
				var le *login.LockedError
				require.ErrorAs(t, err, &le)
				require.Equal(t, st.retry, le.RetryAfter, "step %d: Retry-After", i)
			}
		}
	})
}

const (
	attacker = "203.0.113.66"
	victim   = "198.51.100.7"
	bad      = "not the password"
)

func repeat(n int, st lockStep) []lockStep {
	out := make([]lockStep, n)
	for i := range out {
		out[i] = st
	}
	return out
}

func TestLockoutLadder(t *testing.T) {
	wrong := lockStep{ip: attacker, login: "alice", password: bad, want: login.ErrInvalidCredentials}
	locked := func(retry time.Duration) lockStep {
		return lockStep{ip: attacker, login: "alice", password: bad, want: login.ErrLocked, retry: retry}
	}
	var steps []lockStep
	steps = append(steps, repeat(5, wrong)...) // 5 free failures
	steps = append(steps, wrong, locked(time.Second))
	steps = append(steps,
		lockStep{wait: 500 * time.Millisecond, ip: attacker, login: "alice", password: bad, want: login.ErrLocked, retry: 500 * time.Millisecond},
		lockStep{wait: 500 * time.Millisecond, ip: attacker, login: "alice", password: bad, want: login.ErrInvalidCredentials},
		// While waiting, even the right password is refused: nothing is checked.
		lockStep{ip: attacker, login: "alice", password: goodPassword, want: login.ErrLocked, retry: 2 * time.Second},
	)
	// Climb the ladder: each failure doubles the wait, up to the 15-minute lockout.
	for _, d := range []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 15 * time.Minute} {
		w := wrong
		w.wait = d
		steps = append(steps, w)
	}
	steps = append(steps, locked(15*time.Minute))
	w := wrong
	w.wait = 15 * time.Minute
	steps = append(steps, w, locked(15*time.Minute)) // the last step repeats
	// The owner, from elsewhere, is not locked out.
	steps = append(steps, lockStep{ip: victim, login: "alice", password: goodPassword})
	// After the wait the right password works and clears the ladder.
	steps = append(steps, lockStep{wait: 15 * time.Minute, ip: attacker, login: "alice", password: goodPassword})
	steps = append(steps, repeat(5, wrong)...)
	steps = append(steps, wrong, locked(time.Second))
	// An hour after the last failure the state is forgotten.
	steps = append(steps, lockStep{wait: time.Hour + time.Second, ip: attacker, login: "alice", password: bad, want: login.ErrInvalidCredentials})
	runLockSteps(t, steps)
}

func TestLockoutNotDodgedByEmail(t *testing.T) {
	var steps []lockStep
	for i := range 6 {
		name := "alice"
		if i%2 == 1 {
			name = "ALICE@example.com"
		}
		steps = append(steps, lockStep{ip: attacker, login: name, password: bad, want: login.ErrInvalidCredentials})
	}
	steps = append(steps,
		lockStep{ip: attacker, login: "alice@example.com", password: bad, want: login.ErrLocked, retry: time.Second},
		lockStep{ip: attacker, login: "alice", password: bad, want: login.ErrLocked, retry: time.Second},
	)
	runLockSteps(t, steps)
}

func TestLockoutPerIPBudget(t *testing.T) {
	// Spraying: one address tries one password against many accounts.
	var steps []lockStep
	for i := range 10 {
		steps = append(steps, lockStep{ip: attacker, login: fmt.Sprintf("user%d", i), password: bad, want: login.ErrInvalidCredentials})
	}
	steps = append(steps,
		lockStep{ip: attacker, login: "user99", password: bad, want: login.ErrInvalidCredentials},
		lockStep{ip: attacker, login: "user100", password: bad, want: login.ErrLocked, retry: time.Minute},
		// IPv6 addresses are bucketed by /64.
		lockStep{ip: "2001:db8::1", login: "alice", password: goodPassword},
		// Other clients and the account owner are unaffected.
		lockStep{ip: victim, login: "alice", password: goodPassword},
	)
	th := login.DefaultThrottles()
	th.IP = login.Ladder{Free: 10, Delays: []time.Duration{time.Minute}, Window: time.Hour}
	runLockSteps(t, steps, login.WithThrottle(th))
}

func TestLockoutIPv6Prefix(t *testing.T) {
	th := login.DefaultThrottles()
	th.Account = login.Ladder{Free: 1, Delays: []time.Duration{time.Minute}, Window: time.Hour}
	runLockSteps(t, []lockStep{
		{ip: "2001:db8:1:2::1", login: "alice", password: bad, want: login.ErrInvalidCredentials},
		{ip: "2001:db8:1:2::ffff", login: "alice", password: bad, want: login.ErrInvalidCredentials},
		{ip: "2001:db8:1:2:aaaa::3", login: "alice", password: bad, want: login.ErrLocked, retry: time.Minute},
		{ip: "2001:db8:1:3::1", login: "alice", password: goodPassword},
	}, login.WithThrottle(th))
}

func TestSuccessfulLoginsDoNotExhaustIPBudget(t *testing.T) {
	th := login.DefaultThrottles()
	th.IP = login.Ladder{Free: 3, Delays: []time.Duration{time.Hour}, Window: time.Hour}
	runLockSteps(t, repeat(10, lockStep{ip: victim, login: "alice", password: goodPassword}), login.WithThrottle(th))
}

func TestLoginConcurrentGuessesAreCounted(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice", false)
	ctx := from(t.Context(), attacker)
	errs := make(chan error, 20)
	for range 20 {
		go func() {
			_, _, err := e.m.Login(ctx, "alice", bad, "")
			errs <- err
		}()
	}
	checked := 0
	for range 20 {
		if err := <-errs; errors.Is(err, login.ErrInvalidCredentials) {
			checked++
		}
	}
	require.Equal(t, 6, checked, "only 5 free attempts and the one that sets the first wait may reach the password check")
}

func TestRefreshRoles(t *testing.T) {
	e := newEnv(t)
	alice := e.user(t, "alice", false)
	ctx := from(t.Context(), "192.0.2.1")
	_, tok1, err := e.m.Login(ctx, "alice", goodPassword, "")
	require.NoError(t, err)
	_, tok2, err := e.m.Login(ctx, "alice@example.com", goodPassword, "")
	require.NoError(t, err)

	e.members.set(alice.UID, "list-x-9-invitee", "list-x-9-member")
	require.NoError(t, e.m.RefreshRoles(t.Context(), alice.UID))
	for _, tok := range []session.Token{tok1, tok2} {
		s, err := e.m.Validate(t.Context(), string(tok))
		require.NoError(t, err)
		require.Equal(t, []string{"user", "list-x-9-invitee", "list-x-9-member"}, s.Roles)
	}
	e.members.set(alice.UID)
	require.NoError(t, e.m.RefreshRoles(t.Context(), alice.UID))
	s, err := e.m.Validate(t.Context(), string(tok1))
	require.NoError(t, err)
	require.Equal(t, []string{"user"}, s.Roles, "downgrades apply too")

	a, _, _ := e.accounts.Get(t.Context(), alice.UID)
	a.Status = login.StatusDisabled
	ok, err := e.accounts.Update(t.Context(), a)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, e.m.RefreshRoles(t.Context(), alice.UID))
	_, err = e.m.Validate(t.Context(), string(tok1))
	require.ErrorIs(t, err, session.ErrInvalidToken, "a disabled account's sessions end")
}

func TestStatusChangeEndsSessions(t *testing.T) {
	e := newEnv(t)
	alice := e.user(t, "alice", false)
	ctx := from(t.Context(), "192.0.2.1")
	_, tok, err := e.m.Login(ctx, "alice", goodPassword, "")
	require.NoError(t, err)
	require.NoError(t, e.m.SetStatus(t.Context(), alice.UID, login.StatusDisabled))
	_, err = e.m.Validate(t.Context(), string(tok))
	require.ErrorIs(t, err, session.ErrInvalidToken)
	_, _, err = e.m.Login(ctx, "alice", goodPassword, "")
	require.ErrorIs(t, err, login.ErrInvalidCredentials)
	require.NoError(t, e.m.SetStatus(t.Context(), alice.UID, login.StatusActive))
	_, _, err = e.m.Login(ctx, "alice", goodPassword, "")
	require.NoError(t, err)
	require.ErrorIs(t, e.m.SetStatus(t.Context(), alice.UID, "gone"), session.ErrInvalidValue)
	require.ErrorIs(t, e.m.SetStatus(t.Context(), "u-none", login.StatusActive), login.ErrAccountNotFound)
}

func TestDeleteAccountEndsSessions(t *testing.T) {
	e := newEnv(t)
	alice := e.user(t, "alice", false)
	_, tok, err := e.m.Login(from(t.Context(), "192.0.2.1"), "alice", goodPassword, "")
	require.NoError(t, err)
	require.NoError(t, e.m.DeleteAccount(t.Context(), alice.UID))
	_, err = e.m.Validate(t.Context(), string(tok))
	require.ErrorIs(t, err, session.ErrInvalidToken)
	require.ErrorIs(t, e.m.DeleteAccount(t.Context(), alice.UID), login.ErrAccountNotFound)
}

func TestNoAccountStore(t *testing.T) {
	m, err := newLogin(t, nil)
	require.ErrorIs(t, err, login.ErrOption, "a login.Manager needs its AccountStore")
	require.Nil(t, m)
	m, err = login.New(nil, login.NewMemoryAccounts())
	require.ErrorIs(t, err, login.ErrOption, "and its session.Manager")
	require.Nil(t, m)
}

func TestLoginWith(t *testing.T) {
	e := newEnv(t)
	ctx := from(t.Context(), "192.0.2.1")
	good := url.Values{"code": {"good"}}
	p := provider{id: login.Identity{Provider: "Google", Subject: "123", Email: "Zoe.Smith@Example.com", EmailVerified: true, Name: "Zoé"}}

	s, tok, err := e.m.LoginWith(ctx, p, good)
	require.NoError(t, err)
	require.Equal(t, []string{"user"}, s.Roles)
	require.Equal(t, "external:google", s.Method)
	_, err = e.m.Validate(t.Context(), string(tok))
	require.NoError(t, err)
	acc, found, err := e.accounts.Lookup(t.Context(), "zoe.smith@example.com")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, login.StatusActive, acc.Status)
	require.Empty(t, acc.PasswordHash, "delegated accounts have no password")
	require.True(t, strings.HasPrefix(acc.Username, "zoe.smith-"), acc.Username)

	s2, _, err := e.m.LoginWith(ctx, p, good)
	require.NoError(t, err)
	require.Equal(t, s.UID, s2.UID, "the second login finds the same account")

	_, _, err = e.m.LoginWith(ctx, p, url.Values{"code": {"forged"}})
	require.ErrorIs(t, err, login.ErrInvalidCredentials)
	unverified := p
	unverified.id.EmailVerified = false
	_, _, err = e.m.LoginWith(ctx, unverified, good)
	require.ErrorIs(t, err, login.ErrUnverifiedIdentity)

	// A registered but unconfirmed account is activated by a provider
	// that verified its address, without the password set before the
	// address was proven.
	uid, err := e.m.Register(t.Context(), login.NewAccount{Username: "yann", Identity: "yann@example.com", Password: goodPassword})
	require.NoError(t, err)
	py := provider{id: login.Identity{Provider: "gitlab", Email: "yann@example.com", EmailVerified: true}}
	s3, _, err := e.m.LoginWith(ctx, py, good)
	require.NoError(t, err)
	require.Equal(t, uid, s3.UID)
	require.Equal(t, []string{"user"}, s3.Roles)
	acc, _, err = e.accounts.Get(t.Context(), uid)
	require.NoError(t, err)
	require.Equal(t, login.StatusActive, acc.Status)
	require.Empty(t, acc.PasswordHash, "the registrant's password is discarded")
	_, _, err = e.m.Login(ctx, "yann", goodPassword, "")
	require.ErrorIs(t, err, login.ErrInvalidCredentials)

	// A disabled account stays out.
	require.NoError(t, e.m.SetStatus(t.Context(), uid, login.StatusDisabled))
	_, _, err = e.m.LoginWith(ctx, py, good)
	require.ErrorIs(t, err, login.ErrInvalidCredentials)
}

// An attacker registers the victim's address with a password of their own
// and waits; the victim later signs in through an identity provider that
// proves the address. Nothing the attacker set may survive the
// activation: not the password, not a TOTP enrolment or backup codes, not
// a live session, and the host is told to end its own credentials (API
// keys).
func TestLoginWithVoidsPendingCredentials(t *testing.T) {
	var mu sync.Mutex
	var reasons []string
	e := newEnv(t, login.WithCredentialsChanged(func(_ context.Context, uid, reason string) error {
		mu.Lock()
		defer mu.Unlock()
		reasons = append(reasons, uid+" "+reason)
		return nil
	}))
	attackerCtx := from(t.Context(), attacker)
	const attackerPassword = "attacker's own long password"
	uid, err := e.m.Register(t.Context(), login.NewAccount{Username: "victim", Identity: "victim@example.com", Password: attackerPassword})
	require.NoError(t, err)
	pending, pendingTok, err := e.m.Login(attackerCtx, "victim@example.com", attackerPassword, "")
	require.NoError(t, err)
	require.Equal(t, []string{login.RolePending}, pending.Roles)
	// A second factor and backup codes the attacker could have set up (for
	// example on an account an administrator put back to pending).
	acc, _, err := e.accounts.Get(t.Context(), uid)
	require.NoError(t, err)
	acc.TOTPSecret, acc.BackupCodes = "sealed-totp-secret-of-the-attacker", []string{"digest-1", "digest-2"}
	ok, err := e.accounts.Update(t.Context(), acc)
	require.NoError(t, err)
	require.True(t, ok)

	p := provider{id: login.Identity{Provider: "google", Subject: "v-1", Email: "Victim@Example.com", EmailVerified: true}}
	s, tok, err := e.m.LoginWith(from(t.Context(), victim), p, url.Values{"code": {"good"}})
	require.NoError(t, err)
	require.Equal(t, uid, s.UID)
	require.Equal(t, []string{login.RoleUser}, s.Roles, "a full session: the attacker's second factor is gone")
	_, err = e.m.Validate(t.Context(), string(tok))
	require.NoError(t, err)

	acc, _, err = e.accounts.Get(t.Context(), uid)
	require.NoError(t, err)
	require.Equal(t, login.StatusActive, acc.Status)
	require.Empty(t, acc.PasswordHash, "password set before the address was proven")
	require.Empty(t, acc.TOTPSecret, "TOTP enrolment set before the address was proven")
	require.Empty(t, acc.BackupCodes, "backup codes set before the address was proven")
	_, _, err = e.m.Login(attackerCtx, "victim", attackerPassword, "")
	require.ErrorIs(t, err, login.ErrInvalidCredentials, "the attacker's password does not log in")
	_, _, err = e.m.Login(attackerCtx, "victim@example.com", attackerPassword, "")
	require.ErrorIs(t, err, login.ErrInvalidCredentials)
	_, err = e.m.Validate(t.Context(), string(pendingTok))
	require.ErrorIs(t, err, session.ErrInvalidToken, "the attacker's pending session ends")
	mu.Lock()
	require.Equal(t, []string{uid + " " + login.ReasonDelegatedActivation}, reasons, "the host ends its own credentials (API keys)")
	mu.Unlock()

	// A later delegated login of the active account changes nothing more.
	_, _, err = e.m.LoginWith(from(t.Context(), victim), p, url.Values{"code": {"good"}})
	require.NoError(t, err)
	mu.Lock()
	require.Len(t, reasons, 1)
	mu.Unlock()
}

// loginStores are the stores the concurrency tests run on: memory, and
// Redis when it answers.
func loginStores() map[string]func(t *testing.T) login.Store {
	return map[string]func(t *testing.T) login.Store{
		"memory": func(t *testing.T) login.Store {
			s := login.NewMemoryStore()
			t.Cleanup(func() { _ = s.Close(context.Background()) })
			return s
		},
		"redis": func(t *testing.T) login.Store {
			rdb := testenv.Redis(t)
			return testenv.Must(loginredis.New(rdb, loginredis.WithPrefix(testenv.Prefix(t, rdb))))
		},
	}
}

// concurrently runs n logins at once and counts their outcomes by error
// ("" for success).
func concurrently(n int, login func(i int) error) map[string]int {
	var mu sync.Mutex
	out := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := login(i)
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			mu.Lock()
			out[msg]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return out
}

// Correct logins arriving together must never lock anyone out: only
// failures count toward a lock (issue 15.2). Before, attempts reserved
// before the password check stayed counted on the client address, and the
// reservations of concurrent correct logins set waits that success never
// lifted.
func TestConcurrentCorrectLoginsNeverLock(t *testing.T) {
	for name, newStore := range loginStores() {
		t.Run(name+"/200 accounts from one address", func(t *testing.T) {
			e := newEnv(t, login.WithStore(newStore(t)), login.WithHashConcurrency(0, time.Minute)) // the hashing bound is not under test
			names := make([]string, 200)
			for i := range names {
				names[i] = fmt.Sprintf("nat%03d", i)
				e.user(t, names[i], false)
			}
			ctx := from(t.Context(), attacker)
			got := concurrently(200, func(i int) error {
				_, _, err := e.m.Login(ctx, names[i], goodPassword, "")
				return err
			})
			require.Equal(t, map[string]int{"": 200}, got)
			// No lock: the address still logs in, and a wrong password is
			// checked (not refused unchecked).
			_, _, err := e.m.Login(ctx, names[0], goodPassword, "")
			require.NoError(t, err)
			_, _, err = e.m.Login(ctx, names[1], bad, "")
			require.ErrorIs(t, err, login.ErrInvalidCredentials)
		})
		t.Run(name+"/10 at once to one account", func(t *testing.T) {
			e := newEnv(t, login.WithStore(newStore(t)), login.WithHashConcurrency(0, time.Minute)) // the hashing bound is not under test
			e.user(t, "alice", false)
			ctx := from(t.Context(), victim)
			got := concurrently(10, func(int) error {
				_, _, err := e.m.Login(ctx, "alice", goodPassword, "")
				return err
			})
			require.Equal(t, map[string]int{"": 10}, got)
			_, _, err := e.m.Login(ctx, "alice", bad, "")
			require.ErrorIs(t, err, login.ErrInvalidCredentials)
		})
	}
}

// A login that read a pending account just before a delegated login
// activated it can still create a "pending" session after the activation
// ended the others. RefreshRoles must end such a session, not give it the
// roles of the address owner.
func TestRefreshRolesEndsStalePendingSessions(t *testing.T) {
	e := newEnv(t)
	uid, err := e.m.Register(t.Context(), login.NewAccount{Username: "victim", Identity: "victim@example.com", Password: "attacker's own long password"})
	require.NoError(t, err)
	p := provider{id: login.Identity{Provider: "google", Email: "victim@example.com", EmailVerified: true}}
	_, owner, err := e.m.LoginWith(from(t.Context(), victim), p, url.Values{"code": {"good"}})
	require.NoError(t, err)
	// What the racing login creates: a session with the stale role.
	_, stale, err := e.m.Create(t.Context(), uid, []string{login.RolePending}, session.Extra{Method: login.MethodPassword})
	require.NoError(t, err)
	require.NoError(t, e.m.RefreshRoles(t.Context(), uid))
	_, err = e.m.Validate(t.Context(), string(stale))
	require.ErrorIs(t, err, session.ErrInvalidToken, "the stale pending session ends")
	s, err := e.m.Validate(t.Context(), string(owner))
	require.NoError(t, err)
	require.Equal(t, []string{login.RoleUser}, s.Roles)
}

func TestStoreDownFailsClosed(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice", false)
	m := newManagers(t, newSealer(t), e.accounts, login.WithStore(failingStore{}), login.WithArgon2(fastArgon()), login.WithNotifier(e.notes))
	_, _, err := m.Login(t.Context(), "alice", goodPassword, "")
	require.ErrorIs(t, err, session.ErrUnavailable, "login throttling must fail closed")
	require.ErrorIs(t, m.RequestPasswordReset(t.Context(), "alice"), session.ErrUnavailable)
	rec := httptest.NewRecorder()
	login.WriteError(rec, err)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
}

func TestNewValidates(t *testing.T) {
	for name, opt := range map[string]login.Option{
		"nil store":        login.WithStore(nil),
		"empty issuer":     login.WithIssuer(""),
		"weak policy":      login.WithPasswordPolicy(login.PasswordPolicy{MinLength: 4, MaxLength: 64}),
		"argon time 0":     login.WithArgon2(login.Argon2Params{Memory: 64, Threads: 1, SaltLen: 16, KeyLen: 32}),
		"ladder window":    login.WithThrottle(login.Throttles{}),
		"link ttl":         login.WithLinkTTL(time.Second, time.Hour),
		"pending ttl":      login.WithPendingTTL(time.Second),
		"device cookie":    login.WithRememberDevice("bad name", time.Hour),
		"nil notifier":     login.WithNotifier(nil),
		"nil memberships":  login.WithMemberships(nil),
		"nil client IP":    login.WithClientIP(nil),
		"notify queue < 0": login.WithNotifyQueue(-1),
	} {
		t.Run(name, func(t *testing.T) {
			m, err := newLogin(t, login.NewMemoryAccounts(), opt)
			require.ErrorIs(t, err, login.ErrOption)
			require.Nil(t, m)
		})
	}
}
