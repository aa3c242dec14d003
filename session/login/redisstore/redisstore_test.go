package redisstore_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
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
	"github.com/apicrud-go/apicrud/session/login"
	loginredis "github.com/apicrud-go/apicrud/session/login/redisstore"
	"github.com/apicrud-go/apicrud/session/login/storetest"
	sessionredis "github.com/apicrud-go/apicrud/session/redisstore"
)

func TestRedisStore(t *testing.T) {
	t.Parallel()
	testenv.EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
		rdb := connect(t)
		storetest.Run(t, func(t *testing.T) login.Store {
			return testenv.Must(loginredis.New(rdb, loginredis.WithPrefix(testenv.Prefix(t, rdb))))
		})
	})
}

func TestTwoStoresShareState(t *testing.T) {
	t.Parallel()
	testenv.EachRedis(t, testTwoStoresShareState)
}

func testTwoStoresShareState(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
	ra, rb := connect(t), connect(t)
	prefix := testenv.Prefix(t, ra)
	a := testenv.Must(loginredis.New(ra, loginredis.WithPrefix(prefix)))
	b := testenv.Must(loginredis.New(rb, loginredis.WithPrefix(prefix)))
	ctx := t.Context()

	l := login.Ladder{Free: 1, Delays: []time.Duration{time.Hour}, Window: time.Hour}
	for i, s := range []*loginredis.Store{a, b} {
		w, err := s.Attempt(ctx, "ip:192.0.2.1", l)
		require.NoError(t, err)
		require.Zero(t, w, "attempt %d", i)
	}
	w, err := a.Attempt(ctx, "ip:192.0.2.1", l)
	require.NoError(t, err)
	require.Positive(t, w, "throttling counts attempts on every instance")

	ok, err := a.AdvanceStep(ctx, "totp:u-1", 100, time.Minute)
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

// TestKeyLayout: the login store keeps the keys the single session store
// wrote before the split, beside the session store's own on the same
// default prefix, so that a deployment keeps its lockouts, TOTP steps and
// outstanding links across the upgrade.
func TestKeyLayout(t *testing.T) {
	t.Parallel()
	require.Equal(t, sessionredis.DefaultPrefix, loginredis.DefaultPrefix)
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	ss := testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(prefix)))
	ls := testenv.Must(loginredis.New(rdb, loginredis.WithPrefix(prefix)))
	ctx := t.Context()
	require.NoError(t, ss.Create(ctx, "u-1", "abc", []byte("x"), time.Minute, time.Hour))
	_, err := ls.Attempt(ctx, "ip:192.0.2.1", login.Ladder{Window: time.Minute})
	require.NoError(t, err)
	_, err = ls.Reserve(ctx, "acct:0123", "r1", login.Ladder{Window: time.Minute}, time.Minute)
	require.NoError(t, err)
	_, err = ls.AdvanceStep(ctx, "totp:u-1", 7, time.Minute)
	require.NoError(t, err)
	require.NoError(t, ls.PutToken(ctx, "link:reset:u-1", []byte("d"), time.Minute))
	keys, err := testenv.Keys(ctx, rdb, prefix)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{
		prefix + "{u-1}:s:abc", prefix + "{u-1}:idx",
		prefix + "{ip:192.0.2.1}:try", prefix + "{acct:0123}:try",
		prefix + "{totp:u-1}:step", prefix + "{link:reset:u-1}:tok",
	}, keys)
}

// newSealer is the tests' AES-256-GCM Sealer.
func newSealer(t *testing.T) *testenv.Sealer { return testenv.NewSealer(t) }

var secret = []byte("0123456789abcdef0123456789abcdef")

const password = "correct horse battery staple"

var cheapArgon = login.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// managers is one instance of a service: its session and login Managers
// on one Redis prefix.
type managers struct {
	*logins
	*sessions
}

type (
	logins   = login.Manager
	sessions = session.Manager
)

func newManagers(t *testing.T, rdb redis.Scripter, prefix string, sl session.Sealer, accounts login.AccountStore) managers {
	t.Helper()
	sm, err := session.New(sl, secret, session.WithStore(testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(prefix)))))
	require.NoError(t, err)
	t.Cleanup(func() { _ = sm.Close(context.Background()) })
	lm, err := login.New(sm, accounts, login.WithStore(testenv.Must(loginredis.New(rdb, loginredis.WithPrefix(prefix)))), login.WithArgon2(cheapArgon))
	require.NoError(t, err)
	t.Cleanup(func() { _ = lm.Close(context.Background()) })
	return managers{lm, sm}
}

// twoInstances returns two instances of a service on two clients sharing
// one prefix.
func twoInstances(t *testing.T, connect func(testing.TB) redis.UniversalClient, sl session.Sealer, accounts login.AccountStore) (managers, managers) {
	t.Helper()
	a, b := connect(t), connect(t)
	prefix := testenv.Prefix(t, a)
	return newManagers(t, a, prefix, sl, accounts), newManagers(t, b, prefix, sl, accounts)
}

// TestRedisDownFailsClosed: with Redis unreachable, login fails with
// ErrUnavailable (WriteError: 503), with no fallback to local state.
func TestRedisDownFailsClosed(t *testing.T) {
	t.Parallel()
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = dead.Close() })
	sm, err := session.New(newSealer(t), secret)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sm.Close(context.Background()) })
	m, err := login.New(sm, login.NewMemoryAccounts(), login.WithStore(testenv.Must(loginredis.New(dead))))
	require.NoError(t, err)
	_, _, err = m.Login(t.Context(), "alice", password, "")
	require.ErrorIs(t, err, session.ErrUnavailable)
}

// TestManagersOnRedis runs two Managers (two instances) on one Redis:
// logout, log-out-everywhere, lockout and TOTP replay are shared.
func TestManagersOnRedis(t *testing.T) {
	t.Parallel()
	testenv.EachRedis(t, testManagersOnRedis)
}

func testManagersOnRedis(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
	sl := newSealer(t)
	accounts := login.NewMemoryAccounts() // in production: sqlaccounts on a shared database
	m1, m2 := twoInstances(t, connect, sl, accounts)
	alice, err := m1.CreateAccount(t.Context(), login.NewAccount{Username: "alice", Identity: "alice@example.com", Password: password})
	require.NoError(t, err)
	ctx := login.NewClientContext(t.Context(), login.Client{IP: netip.MustParseAddr("192.0.2.1")})

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
	require.ErrorIs(t, err, login.ErrInvalidOTP, "replay on another instance")

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

// TestLoginRoundTrips counts the Redis round trips of a login: a
// successful password login (no TOTP) is five (two Reserve, two Settle,
// Create), a failed one four (two Reserve, two Settle).
func TestLoginRoundTrips(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t) // a client of its own: the hook counts only this test
	var cmds atomic.Int64
	rdb.AddHook(commandCounter{&cmds})
	m := newManagers(t, rdb, testenv.Prefix(t, rdb), newSealer(t), login.NewMemoryAccounts())
	_, err := m.CreateAccount(t.Context(), login.NewAccount{Username: "alice", Password: password})
	require.NoError(t, err)
	ctx := login.NewClientContext(t.Context(), login.Client{IP: netip.MustParseAddr("192.0.2.9")})
	for range 2 { // load the scripts (EVAL after NOSCRIPT)
		_, _, err = m.Login(ctx, "alice", password, "")
		require.NoError(t, err)
		_, _, err = m.Login(ctx, "alice", "wrong password", "")
		require.ErrorIs(t, err, login.ErrInvalidCredentials)
	}
	cmds.Store(0)
	_, _, err = m.Login(ctx, "alice", password, "")
	require.NoError(t, err)
	require.Equal(t, int64(5), cmds.Load(), "a successful login")
	cmds.Store(0)
	_, _, err = m.Login(ctx, "alice", "wrong password", "")
	require.ErrorIs(t, err, login.ErrInvalidCredentials)
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

// TestNoTokenAtRest reads back everything a login leaves in Redis, in the
// session store and the login store on one prefix (every key under the
// prefix, every field of every hash, every member of every
// set): neither the token, nor its jti (the session secret), nor the
// password appears. A leaked dump holds nothing a client could present.
func TestNoTokenAtRest(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	ctx := t.Context()
	m := newManagers(t, rdb, prefix, newSealer(t), login.NewMemoryAccounts())
	_, err := m.CreateAccount(ctx, login.NewAccount{Username: "alice", Password: password})
	require.NoError(t, err)
	cctx := login.NewClientContext(ctx, login.Client{IP: netip.MustParseAddr("192.0.2.1")})
	_, _, err = m.Login(cctx, "alice", "wrong password, counted", "")
	require.ErrorIs(t, err, login.ErrInvalidCredentials)
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
