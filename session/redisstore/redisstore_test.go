package redisstore_test

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
	e, ok, err := b.Get(ctx, "u-1", "s1", time.Minute, time.Minute, nil)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, []byte("x"), e.Data)
	ok, err = b.Delete(ctx, "u-1", "s1")
	require.NoError(t, err)
	require.True(t, ok)
	_, ok, err = a.Get(ctx, "u-1", "s1", time.Minute, time.Minute, nil)
	require.NoError(t, err)
	require.False(t, ok, "logout on one instance is logout on all")
}

func TestKeysAreHashTagged(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	s := testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(prefix)))
	require.NoError(t, s.Create(t.Context(), "u-1", "abc", []byte("x"), time.Minute, time.Hour))
	keys, err := testenv.Keys(t.Context(), rdb, prefix)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{prefix + "{u-1}:s:abc", prefix + "{u-1}:idx"}, keys)
	ttl, err := rdb.PTTL(t.Context(), prefix+"{u-1}:s:abc").Result()
	require.NoError(t, err)
	require.InDelta(t, float64(time.Minute), float64(ttl), float64(2*time.Second), "the key expires with the idle timeout")
	ttl, err = rdb.PTTL(t.Context(), prefix+"{u-1}:idx").Result()
	require.NoError(t, err)
	require.InDelta(t, float64(time.Hour), float64(ttl), float64(2*time.Second), "the index expires with its last session")
}

// TestCreateOverExistingID: a Create over a live session's id replaces
// the session whole (its last use goes) and publishes "<uid> <id>" for the
// instances' caches; a Create of a new id publishes nothing.
func TestCreateOverExistingID(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	s := testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(prefix)))
	ctx := t.Context()
	sub := rdb.Subscribe(ctx, prefix+"invalidate")
	t.Cleanup(func() { _ = sub.Close() })
	_, err := sub.Receive(ctx) // the subscription's confirmation
	require.NoError(t, err)
	next := func() string {
		t.Helper()
		select {
		case m := <-sub.Channel():
			return m.Payload
		case <-time.After(5 * time.Second):
			t.Fatal("no invalidation message")
			return ""
		}
	}

	key := prefix + "{u-1}:s:a"
	require.NoError(t, s.Create(ctx, "u-1", "a", []byte("v1"), time.Minute, time.Hour))
	_, ok, err := s.Get(ctx, "u-1", "a", time.Minute, 0, func() []byte { return []byte("use") })
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "use", rdb.HGet(ctx, key, "l").Val())
	require.NoError(t, s.Create(ctx, "u-1", "a", []byte("v2"), 2*time.Minute, time.Hour))
	require.Equal(t, "u-1 a", next())
	h, err := rdb.HGetAll(ctx, key).Result()
	require.NoError(t, err)
	require.Equal(t, "v2", h["d"])
	require.ElementsMatch(t, []string{"d", "a", "r"}, slices.Collect(maps.Keys(h)), "the replaced session's last use is gone")
	ttl := rdb.PTTL(ctx, key).Val()
	require.InDelta(t, float64(2*time.Minute), float64(ttl), float64(2*time.Second), "the replacement's idle deadline")

	require.NoError(t, s.Create(ctx, "u-1", "b", []byte("x"), time.Minute, time.Hour))
	ok, err = s.Delete(ctx, "u-1", "b")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "u-1 b", next(), "the Create of a new id published nothing")
}

// TestIndexBounded: Create prunes the dead entries of the index each time
// it reaches a multiple of 64 entries, so the index never holds more than
// 63 entries besides the sessions live at its last pruning; and the index
// expires with its last session, whatever the order of their lifetimes.
func TestIndexBounded(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	s := testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(prefix)))
	ctx := t.Context()
	idx := prefix + "{u-1}:idx"

	require.NoError(t, s.Create(ctx, "u-1", "live", []byte("x"), 0, 2*time.Hour))
	require.NoError(t, s.Create(ctx, "u-1", "dead", []byte("x"), 0, time.Millisecond))
	time.Sleep(5 * time.Millisecond)
	for i := range 61 {
		require.NoError(t, s.Create(ctx, "u-1", "live"+strconv.Itoa(i), []byte("x"), 0, 2*time.Hour))
	}
	require.EqualValues(t, 63, rdb.ZCard(ctx, idx).Val())
	require.NoError(t, s.Create(ctx, "u-1", "live62", []byte("x"), 0, time.Hour))
	require.EqualValues(t, 63, rdb.ZCard(ctx, idx).Val(), "pruned at 64 entries")
	require.Equal(t, redis.Nil, rdb.ZScore(ctx, idx, "dead").Err())
	ttl := rdb.PTTL(ctx, idx).Val()
	require.InDelta(t, float64(2*time.Hour), float64(ttl), float64(2*time.Second), "a shorter session does not lower the index's expiry")
	require.NoError(t, s.Create(ctx, "u-1", "longer", []byte("x"), 0, 3*time.Hour))
	ttl = rdb.PTTL(ctx, idx).Val()
	require.InDelta(t, float64(3*time.Hour), float64(ttl), float64(2*time.Second), "a longer session raises it")

	require.NoError(t, s.Create(ctx, "u-2", "long", []byte("x"), 0, time.Hour))
	for i := range 200 { // 1 live session: at most 64 entries
		require.NoError(t, s.Create(ctx, "u-2", "short"+strconv.Itoa(i), []byte("x"), 0, time.Millisecond))
		require.LessOrEqual(t, rdb.ZCard(ctx, prefix+"{u-2}:idx").Val(), int64(64))
		time.Sleep(2 * time.Millisecond)
	}
}

// newSealer is the tests' AES-256-GCM Sealer.
func newSealer(t *testing.T) *testenv.Sealer { return testenv.NewSealer(t) }

var secret = []byte("0123456789abcdef0123456789abcdef")

// TestRedisDownFailsClosed: with Redis unreachable, validation fails
// with ErrUnavailable and the middleware answers 503.
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

	m, err := session.New(sl, secret, session.WithStore(testenv.Must(sessionredis.New(dead))))
	require.NoError(t, err)
	_, err = m.Validate(t.Context(), string(tok))
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

// TestDevicesOnRedis follows the devices feature on Redis: the last use
// is written by the Validate round trip that refreshes (no extra round
// trip), List, Revoke and DeleteOthers are one round trip each, and the
// address appears nowhere in Redis in clear.
func TestDevicesOnRedis(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t) // a client of its own: the hook counts only this test
	var cmds atomic.Int64
	rdb.AddHook(commandCounter{&cmds})
	prefix := testenv.Prefix(t, rdb)
	store := testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(prefix)))
	m, err := session.New(newSealer(t), secret, session.WithStore(store), session.WithLastUse(time.Second))
	require.NoError(t, err)
	ctx := t.Context()
	laptop := session.Client{IP: netip.MustParseAddr("192.0.2.10"), UserAgent: "Firefox/140.0"}
	phone := session.Client{IP: netip.MustParseAddr("2001:db8::7"), UserAgent: "Safari/604.1"}
	s, tok, err := m.Create(session.NewClientContext(ctx, laptop), "u-1", nil, session.Extra{})
	require.NoError(t, err)
	other, otok, err := m.Create(ctx, "u-1", nil, session.Extra{})
	require.NoError(t, err)
	_, err = m.Validate(session.NewClientContext(ctx, phone), string(tok)) // loads the script
	require.NoError(t, err)

	time.Sleep(1100 * time.Millisecond)
	cmds.Store(0)
	_, err = m.Validate(session.NewClientContext(ctx, phone), string(tok))
	require.NoError(t, err)
	require.Equal(t, int64(1), cmds.Load(), "a Validate that records the last use is one round trip")

	list, err := m.List(ctx, "u-1") // may EVAL once after NOSCRIPT
	require.NoError(t, err)
	require.Len(t, list, 2)
	for _, l := range list {
		if l.ID == s.ID {
			require.Equal(t, laptop, l.Client)
			require.Equal(t, phone, l.LastClient)
			require.WithinDuration(t, time.Now(), l.LastUsed, 2*time.Second)
		} else {
			require.Equal(t, l.Created, l.LastUsed, "never used: the last use is the login")
		}
	}
	cmds.Store(0)
	_, err = m.List(ctx, "u-1")
	require.NoError(t, err)
	require.Equal(t, int64(1), cmds.Load(), "List is one round trip")

	keys, err := rdb.Keys(ctx, prefix+"*").Result()
	require.NoError(t, err)
	for _, k := range keys {
		if typ := rdb.Type(ctx, k).Val(); typ == "hash" {
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				for _, clear := range []string{"192.0.2.10", "2001:db8::7", "Firefox", "Safari", string(netip.MustParseAddr("192.0.2.10").AsSlice())} {
					require.NotContains(t, v, clear, "%s %s holds client data in clear", k, f)
				}
			}
		}
	}

	found, err := m.Revoke(ctx, "u-2", other.ID)
	require.NoError(t, err)
	require.False(t, found, "another user's session cannot be revoked")
	_, err = m.Validate(ctx, string(otok))
	require.NoError(t, err)
	cmds.Store(0)
	n, err := m.DeleteOthers(ctx, s) // may EVAL once after NOSCRIPT
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.LessOrEqual(t, cmds.Load(), int64(2), "DeleteOthers is one EVALSHA (EVAL on first use)")
	_, err = m.Validate(ctx, string(otok))
	require.ErrorIs(t, err, session.ErrNoSession)
	_, err = m.Validate(ctx, string(tok))
	require.NoError(t, err, "the current session stays")
	cmds.Store(0)
	found, err = m.Revoke(ctx, "u-1", s.ID)
	require.NoError(t, err)
	require.True(t, found)
	require.LessOrEqual(t, cmds.Load(), int64(2), "Revoke is one EVALSHA (EVAL on first use)")
	list, err = m.List(ctx, "u-1")
	require.NoError(t, err)
	require.Empty(t, list)
}
