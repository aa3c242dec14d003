package passkey_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/passkey"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef-test-secret")

const testPassword = "correct horse battery staple"

type fixture struct {
	sessions *session.Manager
	logins   *login.Manager
	store    *passkey.MemoryStore
	pk       *passkey.Manager
}

// newFixture builds a session.Manager, a login.Manager whose password
// logins wait for a passkey as second factor, and a passkey.Manager, all
// in memory, closed when the test ends.
func newFixture(t testing.TB, opts ...passkey.Option) *fixture {
	t.Helper()
	sessions, err := session.New(testenv.NewSealer(t), testSecret)
	require.NoError(t, err)
	store := passkey.NewMemoryStore()
	logins, err := login.New(sessions, login.NewMemoryAccounts(),
		login.WithArgon2(login.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}),
		login.WithFactors(passkey.Factors(store)))
	require.NoError(t, err)
	pk, err := passkey.New(logins, store, passkey.RelyingParty{ID: testRPID, Name: "Test", Origins: []string{testOrigin}}, opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = logins.Close(context.Background())
		_ = sessions.Close(context.Background())
	})
	return &fixture{sessions: sessions, logins: logins, store: store, pk: pk}
}

func testCtx(t testing.TB) context.Context {
	return login.NewClientContext(t.Context(), login.Client{IP: netip.MustParseAddr("192.0.2.7")})
}

// account creates an active account and returns its uid.
func (f *fixture) account(t testing.TB, name string) string {
	t.Helper()
	acc, err := f.logins.CreateAccount(testCtx(t), login.NewAccount{Username: name, Identity: name + "@example.com", Password: testPassword})
	require.NoError(t, err)
	return acc.UID
}

// enrol registers a new software passkey for uid.
func (f *fixture) enrol(t testing.TB, uid string) *authenticator {
	t.Helper()
	a := newAuthenticator(t)
	ch, err := f.pk.BeginRegistration(testCtx(t), uid)
	require.NoError(t, err)
	c, err := f.pk.FinishRegistration(testCtx(t), uid, ch.State, a.create(t, ch.Options), "laptop")
	require.NoError(t, err)
	require.Equal(t, a.id, c.ID)
	return a
}

// loginWith runs a passwordless login with a.
func (f *fixture) loginWith(t testing.TB, a *authenticator) (*session.Session, error) {
	t.Helper()
	ch, err := f.pk.BeginLogin(testCtx(t))
	require.NoError(t, err)
	s, _, err := f.pk.FinishLogin(testCtx(t), ch.State, a.get(t, ch.Options))
	return s, err
}

func TestRegisterAndLogin(t *testing.T) {
	f := newFixture(t)
	uid := f.account(t, "alice")
	a := f.enrol(t, uid)
	require.Equal(t, []byte(uid), a.userHandle, "the user handle is the uid")

	s, err := f.loginWith(t, a)
	require.NoError(t, err)
	require.Equal(t, uid, s.UID)
	require.Equal(t, passkey.MethodPasskey, s.Method)
	require.Equal(t, []string{passkey.AMRHardwareKey, login.AMRMFA}, s.AMR, "a key unlocked by the user: two factors")
	require.Equal(t, []string{login.RoleUser}, s.Roles)

	list, err := f.pk.List(testCtx(t), uid)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "laptop", list[0].Name)
	require.Equal(t, a.count, list[0].SignCount)
	require.False(t, list[0].LastUsed.IsZero())

	// A second passkey, named and removed; the first keeps working.
	b := f.enrol(t, uid)
	require.NoError(t, f.pk.Rename(testCtx(t), uid, b.id, "phone"))
	list, err = f.pk.List(testCtx(t), uid)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "phone", list[1].Name)
	_, err = f.loginWith(t, b)
	require.NoError(t, err)
	require.NoError(t, f.pk.Remove(testCtx(t), uid, b.id))
	_, err = f.loginWith(t, b)
	require.ErrorIs(t, err, passkey.ErrInvalidPasskey, "a removed passkey no longer logs in")
	require.ErrorIs(t, f.pk.Remove(testCtx(t), uid, b.id), passkey.ErrNotFound)
	_, err = f.loginWith(t, a)
	require.NoError(t, err)
}

func TestSecondFactor(t *testing.T) {
	f := newFixture(t)
	ctx := testCtx(t)
	uid := f.account(t, "bob")

	// Without a passkey, a password logs in at once.
	s, _, err := f.logins.Login(ctx, "bob", testPassword, "")
	require.NoError(t, err)
	require.Equal(t, []string{login.RoleUser}, s.Roles)
	_, err = f.pk.BeginFactor(ctx, s)
	require.ErrorIs(t, err, login.ErrNotPendingTOTP, "a full session is not waiting for a factor")

	a := f.enrol(t, uid)
	pending, _, err := f.logins.Login(ctx, "bob", testPassword, "")
	require.NoError(t, err)
	require.Equal(t, []string{login.RolePendingTOTP}, pending.Roles, "a passkey is now the second factor")

	a.uv = false // presence is enough after a password
	ch, err := f.pk.BeginFactor(ctx, pending)
	require.NoError(t, err)
	full, _, err := f.pk.FinishFactor(ctx, pending, ch.State, a.get(t, ch.Options))
	require.NoError(t, err)
	require.Equal(t, uid, full.UID)
	require.Equal(t, passkey.MethodPasskeyFactor, full.Method)
	require.Equal(t, []string{login.AMRPassword, passkey.AMRHardwareKey, login.AMRMFA}, full.AMR)
	require.Equal(t, []string{login.RoleUser}, full.Roles)
	_, _, err = f.sessions.Load(ctx, pending)
	require.ErrorIs(t, err, session.ErrNoSession, "the pending session ended")

	// The same passkey without user verification cannot log in alone.
	_, err = f.loginWith(t, a)
	require.ErrorIs(t, err, passkey.ErrInvalidPasskey)
}

func TestNoPasskeyForFactor(t *testing.T) {
	f := newFixture(t)
	ctx := testCtx(t)
	uid := f.account(t, "carol")
	a := f.enrol(t, uid)
	pending, _, err := f.logins.Login(ctx, "carol", testPassword, "")
	require.NoError(t, err)
	require.NoError(t, f.pk.Remove(ctx, uid, a.id))
	_, err = f.pk.BeginFactor(ctx, pending)
	require.ErrorIs(t, err, passkey.ErrNoPasskey)
}

// The hostile cases: each must fail, and fail for its own reason.

func TestReplayedAssertion(t *testing.T) {
	f := newFixture(t)
	a := f.enrol(t, f.account(t, "dave"))
	ctx := testCtx(t)
	ch, err := f.pk.BeginLogin(ctx)
	require.NoError(t, err)
	resp := a.get(t, ch.Options)
	_, _, err = f.pk.FinishLogin(ctx, ch.State, resp)
	require.NoError(t, err)

	_, _, err = f.pk.FinishLogin(ctx, ch.State, resp)
	require.ErrorIs(t, err, passkey.ErrCeremony, "the same state and assertion again")

	ch2, err := f.pk.BeginLogin(ctx)
	require.NoError(t, err)
	_, _, err = f.pk.FinishLogin(ctx, ch2.State, resp)
	require.ErrorIs(t, err, passkey.ErrInvalidPasskey, "an old assertion answering a new challenge")
	require.NotErrorIs(t, err, passkey.ErrCeremony)
}

func TestFailedAttemptUsesUpChallenge(t *testing.T) {
	f := newFixture(t)
	a := f.enrol(t, f.account(t, "erin"))
	ctx := testCtx(t)
	ch, err := f.pk.BeginLogin(ctx)
	require.NoError(t, err)
	good := a.get(t, ch.Options)
	a.origin = "https://evil.example"
	_, _, err = f.pk.FinishLogin(ctx, ch.State, a.get(t, ch.Options))
	require.ErrorIs(t, err, passkey.ErrInvalidPasskey)
	_, _, err = f.pk.FinishLogin(ctx, ch.State, good)
	require.ErrorIs(t, err, passkey.ErrCeremony, "a challenge works once, even after a failure")
}

func TestWrongOriginOrRPID(t *testing.T) {
	f := newFixture(t)
	uid := f.account(t, "frank")
	a := f.enrol(t, uid)
	for _, c := range []struct {
		name   string
		origin string
		rpID   string
	}{
		{"origin of another site", "https://evil.example", testRPID},
		{"lookalike origin", "https://example.com.evil.example", testRPID},
		{"http origin", "http://example.com", testRPID},
		{"origin with port", "https://example.com:8443", testRPID},
		{"another relying party id", testOrigin, "evil.example"},
		{"parent of the relying party id", testOrigin, "com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a.origin, a.rpID = c.origin, c.rpID
			_, err := f.loginWith(t, a)
			require.ErrorIs(t, err, passkey.ErrInvalidPasskey)

			// Registration checks them too.
			b := newAuthenticator(t)
			b.origin, b.rpID = c.origin, c.rpID
			ch, err := f.pk.BeginRegistration(testCtx(t), uid)
			require.NoError(t, err)
			_, err = f.pk.FinishRegistration(testCtx(t), uid, ch.State, b.create(t, ch.Options), "x")
			require.ErrorIs(t, err, passkey.ErrInvalidPasskey)
		})
	}
	a.origin, a.rpID = testOrigin, testRPID
	_, err := f.loginWith(t, a)
	require.NoError(t, err, "the right origin still works")
	list, err := f.pk.List(testCtx(t), uid)
	require.NoError(t, err)
	require.Len(t, list, 1, "no refused registration was stored")
}

func TestCredentialOfAnotherAccount(t *testing.T) {
	f := newFixture(t)
	ctx := testCtx(t)
	alice := f.account(t, "alice")
	mallory := f.account(t, "mallory")
	a := f.enrol(t, alice)
	m := f.enrol(t, mallory)

	// Mallory's passkey presented as Alice's (user handle rewritten).
	m.userHandle = []byte(alice)
	_, err := f.loginWith(t, m)
	require.ErrorIs(t, err, passkey.ErrInvalidPasskey)

	// Alice's credential id with Mallory's key.
	forged := newAuthenticator(t)
	forged.id, forged.userHandle = a.id, []byte(alice)
	_, err = f.loginWith(t, forged)
	require.ErrorIs(t, err, passkey.ErrInvalidPasskey)

	// Mallory's passkey as the second factor of Alice's password login.
	m.userHandle = []byte(mallory)
	pending, _, err := f.logins.Login(ctx, "alice", testPassword, "")
	require.NoError(t, err)
	ch, err := f.pk.BeginFactor(ctx, pending)
	require.NoError(t, err)
	_, _, err = f.pk.FinishFactor(ctx, pending, ch.State, m.get(t, ch.Options))
	require.ErrorIs(t, err, passkey.ErrInvalidPasskey)

	// Mallory's second-factor state used for Alice's pending login.
	mp, _, err := f.logins.Login(ctx, "mallory", testPassword, "")
	require.NoError(t, err)
	mch, err := f.pk.BeginFactor(ctx, mp)
	require.NoError(t, err)
	_, _, err = f.pk.FinishFactor(ctx, pending, mch.State, m.get(t, mch.Options))
	require.ErrorIs(t, err, passkey.ErrCeremony)

	// Alice's credential id enrolled again for Mallory.
	ch, err = f.pk.BeginRegistration(ctx, mallory)
	require.NoError(t, err)
	_, err = f.pk.FinishRegistration(ctx, mallory, ch.State, forged.create(t, ch.Options), "x")
	require.ErrorIs(t, err, passkey.ErrExists)

	// A registration state of Alice finished for Mallory.
	ch, err = f.pk.BeginRegistration(ctx, alice)
	require.NoError(t, err)
	_, err = f.pk.FinishRegistration(ctx, mallory, ch.State, newAuthenticator(t).create(t, ch.Options), "x")
	require.ErrorIs(t, err, passkey.ErrCeremony)

	// Mallory cannot rename or remove Alice's passkey.
	require.ErrorIs(t, f.pk.Rename(ctx, mallory, a.id, "mine"), passkey.ErrNotFound)
	require.ErrorIs(t, f.pk.Remove(ctx, mallory, a.id), passkey.ErrNotFound)
	_, err = f.loginWith(t, a)
	require.NoError(t, err)
}

func TestCounterGoesBackwards(t *testing.T) {
	f := newFixture(t)
	a := f.enrol(t, f.account(t, "grace"))
	a.step = 10
	_, err := f.loginWith(t, a) // counter 10
	require.NoError(t, err)

	clone := *a
	clone.count, clone.step = 3, 1 // a clone that signed fewer times
	_, err = f.loginWith(t, &clone)
	require.ErrorIs(t, err, passkey.ErrCounter)
	require.ErrorIs(t, err, passkey.ErrInvalidPasskey)

	a.step = 0 // the same counter again
	_, err = f.loginWith(t, a)
	require.ErrorIs(t, err, passkey.ErrCounter)

	a.step = 1
	_, err = f.loginWith(t, a)
	require.NoError(t, err, "the genuine authenticator goes on")
}

func TestCounterlessAuthenticator(t *testing.T) {
	f := newFixture(t)
	a := f.enrol(t, f.account(t, "heidi"))
	a.step = 0 // counter stays 0, as synced passkeys do
	for range 3 {
		_, err := f.loginWith(t, a)
		require.NoError(t, err)
	}
	a.count = 5 // once counting, it may not go back to 0
	_, err := f.loginWith(t, a)
	require.NoError(t, err)
	a.count = 0
	_, err = f.loginWith(t, a)
	require.ErrorIs(t, err, passkey.ErrCounter)
}

func TestTamperedAssertion(t *testing.T) {
	f := newFixture(t)
	a := f.enrol(t, f.account(t, "ivan"))
	ctx := testCtx(t)

	for _, c := range []struct {
		name   string
		mutate func(m map[string]any)
	}{
		{"signature", func(m map[string]any) {
			r := m["response"].(map[string]any)
			sig, _ := b64.DecodeString(r["signature"].(string))
			sig[len(sig)-1] ^= 1
			r["signature"] = b64.EncodeToString(sig)
		}},
		{"authenticator data", func(m map[string]any) {
			r := m["response"].(map[string]any)
			ad, _ := b64.DecodeString(r["authenticatorData"].(string))
			ad[36] ^= 1 // the counter
			r["authenticatorData"] = b64.EncodeToString(ad)
		}},
		{"type", func(m map[string]any) { m["type"] = "password" }},
		{"no user handle", func(m map[string]any) { delete(m["response"].(map[string]any), "userHandle") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			ch, err := f.pk.BeginLogin(ctx)
			require.NoError(t, err)
			var m map[string]any
			require.NoError(t, json.Unmarshal(a.get(t, ch.Options), &m))
			c.mutate(m)
			resp, _ := json.Marshal(m)
			_, _, err = f.pk.FinishLogin(ctx, ch.State, resp)
			require.ErrorIs(t, err, passkey.ErrInvalidPasskey)
		})
	}
	// The assertion of a registration ceremony does not log in, nor the
	// state of one ceremony serve another.
	ch, err := f.pk.BeginRegistration(ctx, a.userHandleUID())
	require.NoError(t, err)
	_, _, err = f.pk.FinishLogin(ctx, ch.State, a.get(t, ch.Options))
	require.ErrorIs(t, err, passkey.ErrCeremony)
	for _, state := range []string{"", "x", "!!!", ch.State[:len(ch.State)-2], string(make([]byte, 9000))} {
		lch, err := f.pk.BeginLogin(ctx)
		require.NoError(t, err)
		_, _, err = f.pk.FinishLogin(ctx, state, a.get(t, lch.Options))
		require.ErrorIs(t, err, passkey.ErrCeremony)
	}
}

func (a *authenticator) userHandleUID() string { return string(a.userHandle) }

func TestChallengeExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, passkey.WithChallengeTTL(time.Minute))
		a := f.enrol(t, f.account(t, "judy"))
		ctx := testCtx(t)
		ch, err := f.pk.BeginLogin(ctx)
		require.NoError(t, err)
		time.Sleep(time.Minute + time.Millisecond)
		_, _, err = f.pk.FinishLogin(ctx, ch.State, a.get(t, ch.Options))
		require.ErrorIs(t, err, passkey.ErrCeremony)

		ch, err = f.pk.BeginLogin(ctx)
		require.NoError(t, err)
		time.Sleep(59 * time.Second)
		_, _, err = f.pk.FinishLogin(ctx, ch.State, a.get(t, ch.Options))
		require.NoError(t, err, "within its time to live")
	})
}

func TestInactiveAccount(t *testing.T) {
	f := newFixture(t)
	ctx := testCtx(t)
	uid := f.account(t, "karl")
	a := f.enrol(t, uid)
	require.NoError(t, f.logins.SetStatus(ctx, uid, login.StatusDisabled))
	_, err := f.loginWith(t, a)
	require.ErrorIs(t, err, login.ErrInvalidCredentials)
	_, err = f.pk.BeginRegistration(ctx, uid)
	require.ErrorIs(t, err, login.ErrInvalidCredentials)
	_, err = f.pk.BeginRegistration(ctx, "u-nobody")
	require.ErrorIs(t, err, login.ErrInvalidCredentials)
}

func TestNamesAndLimits(t *testing.T) {
	f := newFixture(t, passkey.WithMaxPasskeys(2))
	ctx := testCtx(t)
	uid := f.account(t, "leo")
	a := f.enrol(t, uid)
	for _, name := range []string{" ", "a\nb", "\x00", string(make([]byte, passkey.MaxNameLen+1)), "\xff"} {
		require.ErrorIs(t, f.pk.Rename(ctx, uid, a.id, name), passkey.ErrInvalidName, "%q", name)
	}
	require.NoError(t, f.pk.Rename(ctx, uid, a.id, "Clé de sécurité 🔑"))
	f.enrol(t, uid)
	_, err := f.pk.BeginRegistration(ctx, uid)
	require.ErrorIs(t, err, passkey.ErrTooMany)
	n, err := f.pk.RemoveAll(ctx, uid)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	_, err = f.loginWith(t, a)
	require.ErrorIs(t, err, passkey.ErrInvalidPasskey)
}

func TestNewValidates(t *testing.T) {
	f := newFixture(t)
	rp := passkey.RelyingParty{ID: testRPID, Origins: []string{testOrigin}}
	for _, c := range []struct {
		name string
		fn   func() error
	}{
		{"nil login", func() error { _, err := passkey.New(nil, f.store, rp); return err }},
		{"nil store", func() error { _, err := passkey.New(f.logins, nil, rp); return err }},
		{"no rp id", func() error {
			_, err := passkey.New(f.logins, f.store, passkey.RelyingParty{Origins: []string{testOrigin}})
			return err
		}},
		{"no origin", func() error { _, err := passkey.New(f.logins, f.store, passkey.RelyingParty{ID: testRPID}); return err }},
		{"bad origin", func() error {
			_, err := passkey.New(f.logins, f.store, passkey.RelyingParty{ID: testRPID, Origins: []string{"::"}})
			return err
		}},
		{"ttl", func() error {
			_, err := passkey.New(f.logins, f.store, rp, passkey.WithChallengeTTL(time.Second))
			return err
		}},
		{"max", func() error { _, err := passkey.New(f.logins, f.store, rp, passkey.WithMaxPasskeys(0)); return err }},
		{"logger", func() error { _, err := passkey.New(f.logins, f.store, rp, passkey.WithLogger(nil)); return err }},
	} {
		require.ErrorIs(t, c.fn(), passkey.ErrOption, c.name)
	}
}

// A synced passkey (backup eligible) is a software key; without user
// verification (allowed by WithUserVerification) it is one factor.
func TestSyncedPasskeyAMR(t *testing.T) {
	f := newFixture(t, passkey.WithUserVerification(false, false))
	uid := f.account(t, "mia")
	a := newAuthenticator(t)
	a.be = true
	ch, err := f.pk.BeginRegistration(testCtx(t), uid)
	require.NoError(t, err)
	c, err := f.pk.FinishRegistration(testCtx(t), uid, ch.State, a.create(t, ch.Options), "")
	require.NoError(t, err)
	require.True(t, c.BackupEligible)
	require.Equal(t, "Passkey", c.Name, "the default name")
	a.uv = false
	s, err := f.loginWith(t, a)
	require.NoError(t, err)
	require.Equal(t, []string{passkey.AMRSoftwareKey}, s.AMR)

	// The backup-eligible flag may not change after enrolment.
	a.be = false
	_, err = f.loginWith(t, a)
	require.ErrorIs(t, err, passkey.ErrInvalidPasskey)
}
