package redisstore_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/session"
	sessionredis "github.com/apicrud-go/apicrud/session/redisstore"
	"github.com/apicrud-go/apicrud/session/storetest"
)

func TestRedisStore(t *testing.T) {
	t.Parallel()
	testenv.EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
		rdb := connect(t)
		storetest.Run(t, func(t *testing.T) session.Store {
			return testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(testenv.Prefix(t, rdb))))
		})
	})
}

func TestRedisStoreRefresh(t *testing.T) {
	t.Parallel()
	testenv.EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
		rdb := connect(t)
		storetest.RunRefresh(t, func(t *testing.T) session.Store {
			return testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(testenv.Prefix(t, rdb))))
		})
	})
}

// twoInstances returns two stores on two clients sharing one prefix: two
// instances of a service.
func twoInstances(t *testing.T, connect func(testing.TB) redis.UniversalClient) (*sessionredis.Store, *sessionredis.Store) {
	t.Helper()
	a, b := connect(t), connect(t)
	prefix := testenv.Prefix(t, a)
	return testenv.Must(sessionredis.New(a, sessionredis.WithPrefix(prefix))), testenv.Must(sessionredis.New(b, sessionredis.WithPrefix(prefix)))
}

func TestTwoInstancesShareState(t *testing.T) {
	t.Parallel()
	testenv.EachRedis(t, testTwoInstancesShareState)
}

func testTwoInstancesShareState(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
	a, b := twoInstances(t, connect)
	ctx := t.Context()
	require.NoError(t, a.Create(ctx, "u-1", "s1", []byte("x"), time.Minute, time.Hour))
	e, ok, err := b.Get(ctx, "u-1", "s1", time.Minute, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, []byte("x"), e.Data)
	ok, err = b.Delete(ctx, "u-1", "s1")
	require.NoError(t, err)
	require.True(t, ok)
	_, ok, err = a.Get(ctx, "u-1", "s1", time.Minute, time.Minute)
	require.NoError(t, err)
	require.False(t, ok, "logout on one instance is logout on all")

	l := session.Ladder{Free: 1, Delays: []time.Duration{time.Hour}, Window: time.Hour}
	for i, s := range []*sessionredis.Store{a, b} {
		w, err := s.Attempt(ctx, "ip:192.0.2.1", l)
		require.NoError(t, err)
		require.Zero(t, w, "attempt %d", i)
	}
	w, err := a.Attempt(ctx, "ip:192.0.2.1", l)
	require.NoError(t, err)
	require.Positive(t, w, "throttling counts attempts on every instance")

	ok, err = a.AdvanceStep(ctx, "totp:u-1", 100, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = b.AdvanceStep(ctx, "totp:u-1", 100, time.Minute)
	require.NoError(t, err)
	require.False(t, ok, "a TOTP step accepted on one instance is refused on the other")

	require.NoError(t, a.PutToken(ctx, "link:reset:u-1", []byte("d"), time.Hour))
	ok, err = b.TakeToken(ctx, "link:reset:u-1", []byte("d"))
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = a.TakeToken(ctx, "link:reset:u-1", []byte("d"))
	require.NoError(t, err)
	require.False(t, ok)
}

func TestKeysAreHashTagged(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	s := testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(prefix)))
	require.NoError(t, s.Create(t.Context(), "u-1", "abc", []byte("x"), time.Minute, time.Hour))
	_, err := s.Attempt(t.Context(), "ip:192.0.2.1", session.Ladder{Window: time.Minute})
	require.NoError(t, err)
	keys, err := testenv.Keys(t.Context(), rdb, prefix)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{prefix + "{u-1}:s:abc", prefix + "{u-1}:idx", prefix + "{ip:192.0.2.1}:try"}, keys)
	ttl, err := rdb.PTTL(t.Context(), prefix+"{u-1}:s:abc").Result()
	require.NoError(t, err)
	require.InDelta(t, float64(time.Minute), float64(ttl), float64(2*time.Second), "the key expires with the idle timeout")
	ttl, err = rdb.PTTL(t.Context(), prefix+"{u-1}:idx").Result()
	require.NoError(t, err)
	require.InDelta(t, float64(time.Hour), float64(ttl), float64(2*time.Second), "the index expires with its last session")
}

type sealer struct{ aead cipher.AEAD }

func newSealer(t *testing.T) sealer {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	b, err := aes.NewCipher(key)
	require.NoError(t, err)
	g, err := cipher.NewGCM(b)
	require.NoError(t, err)
	return sealer{g}
}

func (s sealer) Seal(p, ad []byte) ([]byte, error) {
	n := make([]byte, 12)
	_, _ = rand.Read(n)
	return s.aead.Seal(n, n, p, ad), nil
}

func (s sealer) Open(c, ad []byte) ([]byte, error) {
	if len(c) < 28 {
		return nil, errors.New("short")
	}
	return s.aead.Open(nil, c[:12], c[12:], ad)
}

var secret = []byte("0123456789abcdef0123456789abcdef")

const password = "correct horse battery staple"

// TestManagersOnRedis runs two Managers (two instances) on one Redis:
// logout, log-out-everywhere, lockout and TOTP replay are shared.
func TestManagersOnRedis(t *testing.T) {
	t.Parallel()
	testenv.EachRedis(t, testManagersOnRedis)
}

func testManagersOnRedis(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
	a, b := twoInstances(t, connect)
	sl := newSealer(t)
	accounts := session.NewMemoryAccounts() // in production: sqlaccounts on a shared database
	cheap := session.WithArgon2(session.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	m1, err := session.New(sl, secret, session.WithStore(a), session.WithAccounts(accounts), cheap)
	require.NoError(t, err)
	m2, err := session.New(sl, secret, session.WithStore(b), session.WithAccounts(accounts), cheap)
	require.NoError(t, err)
	alice, err := m1.CreateAccount(t.Context(), session.NewAccount{Username: "alice", Identity: "alice@example.com", Password: password})
	require.NoError(t, err)
	ctx := session.NewClientContext(t.Context(), session.Client{IP: netip.MustParseAddr("192.0.2.1")})

	s, tok, err := m1.Login(ctx, "alice", password, "")
	require.NoError(t, err)
	_, err = m2.Validate(t.Context(), string(tok))
	require.NoError(t, err)
	require.NoError(t, m2.Delete(t.Context(), s))
	_, err = m1.Validate(t.Context(), string(tok))
	require.ErrorIs(t, err, session.ErrNoSession)

	// TOTP: enrol on one instance; a code used on one is refused on the other.
	s, _, err = m1.Login(ctx, "alice", password, "")
	require.NoError(t, err)
	enr, err := m2.EnrollTOTP(t.Context(), s)
	require.NoError(t, err)
	codeAt := func(at time.Time) string {
		c, err := totp.GenerateCodeCustom(enr.Secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		require.NoError(t, err)
		return c
	}
	_, err = m1.ConfirmTOTP(t.Context(), s, codeAt(time.Now()))
	require.NoError(t, err)
	next := codeAt(time.Now().Add(30 * time.Second)) // within the skew window, a later step
	_, _, err = m2.Login(ctx, "alice", password, next)
	require.NoError(t, err)
	_, _, err = m1.Login(ctx, "alice", password, next)
	require.ErrorIs(t, err, session.ErrInvalidOTP, "replay on another instance")

	// Log out everywhere.
	require.NoError(t, m1.ResetTOTP(t.Context(), alice.UID))
	_, t1, err := m1.Login(ctx, "alice", password, "")
	require.NoError(t, err)
	n, err := m2.DeleteAll(t.Context(), alice.UID)
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 1)
	_, err = m1.Validate(t.Context(), string(t1))
	require.ErrorIs(t, err, session.ErrInvalidToken)
}

// TestRedisDownFailsClosed: with Redis unreachable, validation and login
// fail with ErrUnavailable and the middleware answers 503.
func TestRedisDownFailsClosed(t *testing.T) {
	t.Parallel()
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = dead.Close() })
	sl := newSealer(t)
	good := session.NewMemoryStore()
	t.Cleanup(func() { _ = good.Close(context.Background()) })
	issuer, err := session.New(sl, secret, session.WithStore(good))
	require.NoError(t, err)
	_, tok, err := issuer.Create(t.Context(), "u-1", nil, session.Extra{})
	require.NoError(t, err)

	m, err := session.New(sl, secret, session.WithStore(testenv.Must(sessionredis.New(dead))), session.WithAccounts(session.NewMemoryAccounts()))
	require.NoError(t, err)
	_, err = m.Validate(t.Context(), string(tok))
	require.ErrorIs(t, err, session.ErrUnavailable)
	_, _, err = m.Login(t.Context(), "alice", password, "")
	require.ErrorIs(t, err, session.ErrUnavailable)

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+string(tok))
	w := httptest.NewRecorder()
	called := false
	m.Authenticate(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })).ServeHTTP(w, r)
	require.False(t, called)
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	require.False(t, strings.Contains(w.Body.String(), "127.0.0.1"), "no internal error text")
}

// TestRedisIdleExpiry checks the idle timeout end to end with short TTLs.
func TestRedisIdleExpiry(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	m, err := session.New(newSealer(t), secret,
		session.WithStore(testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(testenv.Prefix(t, rdb))))),
		session.WithIdleTimeout(time.Second, 0.5))
	require.NoError(t, err)
	_, tok, err := m.Create(t.Context(), "u-1", nil, session.Extra{})
	require.NoError(t, err)
	_, err = m.Validate(t.Context(), string(tok))
	require.NoError(t, err)
	// List does not refresh (Validate would keep the session alive).
	require.Eventually(t, func() bool {
		list, err := m.List(context.Background(), "u-1")
		return err == nil && len(list) == 0
	}, 5*time.Second, 100*time.Millisecond)
	_, err = m.Validate(t.Context(), string(tok))
	require.ErrorIs(t, err, session.ErrNoSession)
}

// TestValidateIsOneRoundTrip counts the commands the client sends:
// Validate is one EVALSHA, whether or not it refreshes the idle deadline,
// and so are Create and Delete.
func TestValidateIsOneRoundTrip(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t) // a client of its own: the hook counts only this test
	var cmds atomic.Int64
	rdb.AddHook(commandCounter{&cmds})
	store := testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(testenv.Prefix(t, rdb))))
	ctx := t.Context()
	for _, tc := range []struct {
		name     string
		fraction float64 // 0: every Validate refreshes (writes)
	}{{"refresh due on every request", 0}, {"refresh rarely due", 0.5}} {
		m, err := session.New(newSealer(t), secret, session.WithStore(store), session.WithIdleTimeout(time.Hour, tc.fraction))
		require.NoError(t, err)
		s, tok, err := m.Create(ctx, "u-1", []string{"user"}, session.Extra{}) // may EVAL once after NOSCRIPT
		require.NoError(t, err)
		_, err = m.Validate(ctx, string(tok))
		require.NoError(t, err)

		cmds.Store(0)
		for range 20 {
			_, err := m.Validate(ctx, string(tok))
			require.NoError(t, err)
		}
		require.Equal(t, int64(20), cmds.Load(), "%s: one round trip per Validate", tc.name)

		cmds.Store(0)
		_, _, err = m.Create(ctx, "u-1", nil, session.Extra{})
		require.NoError(t, err)
		require.Equal(t, int64(1), cmds.Load(), "%s: one round trip per Create", tc.name)
		cmds.Store(0)
		require.NoError(t, m.Delete(ctx, s))
		require.LessOrEqual(t, cmds.Load(), int64(2), "%s: Delete is one EVALSHA (EVAL on first use)", tc.name)
	}
}

// TestLoginRoundTrips counts the Redis round trips of a login: a
// successful password login (no TOTP) is five (two Reserve, two Settle,
// Create), a failed one four (two Reserve, two Settle).
func TestLoginRoundTrips(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t) // a client of its own: the hook counts only this test
	var cmds atomic.Int64
	rdb.AddHook(commandCounter{&cmds})
	store := testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(testenv.Prefix(t, rdb))))
	m, err := session.New(newSealer(t), secret, session.WithStore(store), session.WithAccounts(session.NewMemoryAccounts()),
		session.WithArgon2(session.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
	require.NoError(t, err)
	_, err = m.CreateAccount(t.Context(), session.NewAccount{Username: "alice", Password: password})
	require.NoError(t, err)
	ctx := session.NewClientContext(t.Context(), session.Client{IP: netip.MustParseAddr("192.0.2.9")})
	for range 2 { // load the scripts (EVAL after NOSCRIPT)
		_, _, err = m.Login(ctx, "alice", password, "")
		require.NoError(t, err)
		_, _, err = m.Login(ctx, "alice", "wrong password", "")
		require.ErrorIs(t, err, session.ErrInvalidCredentials)
	}
	cmds.Store(0)
	_, _, err = m.Login(ctx, "alice", password, "")
	require.NoError(t, err)
	require.Equal(t, int64(5), cmds.Load(), "a successful login")
	cmds.Store(0)
	_, _, err = m.Login(ctx, "alice", "wrong password", "")
	require.ErrorIs(t, err, session.ErrInvalidCredentials)
	require.Equal(t, int64(4), cmds.Load(), "a failed login")
}

type commandCounter struct{ n *atomic.Int64 }

func (c commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestNoTokenAtRest reads back everything a login leaves in Redis (every
// key under the prefix, every field of every hash, every member of every
// set): neither the token, nor its jti (the session secret), nor the
// password appears. A leaked dump holds nothing a client could present.
func TestNoTokenAtRest(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	ctx := t.Context()
	accounts := session.NewMemoryAccounts()
	m, err := session.New(newSealer(t), secret, session.WithStore(testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(prefix)))),
		session.WithAccounts(accounts), session.WithArgon2(session.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
	require.NoError(t, err)
	_, err = m.CreateAccount(ctx, session.NewAccount{Username: "alice", Password: password})
	require.NoError(t, err)
	cctx := session.NewClientContext(ctx, session.Client{IP: netip.MustParseAddr("192.0.2.1")})
	_, _, err = m.Login(cctx, "alice", "wrong password, counted", "")
	require.ErrorIs(t, err, session.ErrInvalidCredentials)
	var secrets []string
	for range 3 {
		_, tok, err := m.Login(cctx, "alice", password, "")
		require.NoError(t, err)
		parts := strings.Split(string(tok), ".")
		require.Len(t, parts, 3)
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		require.NoError(t, err)
		var claims struct {
			JTI string `json:"jti"`
		}
		require.NoError(t, json.Unmarshal(payload, &claims))
		require.NotEmpty(t, claims.JTI)
		secrets = append(secrets, string(tok), claims.JTI, parts[2])
	}

	keys, err := testenv.Keys(ctx, rdb, prefix)
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	var dump []string
	for _, k := range keys {
		dump = append(dump, k)
		typ, err := rdb.Type(ctx, k).Result()
		require.NoError(t, err)
		switch typ {
		case "string":
			v, err := rdb.Get(ctx, k).Result()
			require.NoError(t, err)
			dump = append(dump, v)
		case "hash":
			v, err := rdb.HGetAll(ctx, k).Result()
			require.NoError(t, err)
			for f, x := range v {
				dump = append(dump, f, x)
			}
		case "set":
			v, err := rdb.SMembers(ctx, k).Result()
			require.NoError(t, err)
			dump = append(dump, v...)
		case "zset":
			v, err := rdb.ZRange(ctx, k, 0, -1).Result()
			require.NoError(t, err)
			dump = append(dump, v...)
		default:
			t.Fatalf("key %s of unexpected type %s", k, typ)
		}
	}
	all := strings.Join(dump, "\n")
	for _, s := range secrets {
		require.NotContains(t, all, s)
	}
	require.NotContains(t, all, password)
	require.NotContains(t, all, "alice", "the session data is sealed")
}
