package redisstore_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
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

const staleness = 100 * time.Millisecond

// cached returns a Store with a cache on rdb, closed when the test ends.
func cached(t testing.TB, rdb redis.UniversalClient, sub sessionredis.Subscriber, prefix string) *sessionredis.Store {
	return cachedStale(t, rdb, sub, prefix, staleness)
}

func cachedStale(t testing.TB, rdb redis.UniversalClient, sub sessionredis.Subscriber, prefix string, stale time.Duration) *sessionredis.Store {
	t.Helper()
	s := testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(prefix), sessionredis.WithCache(sub, stale, 0)))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, s.Close(ctx))
	})
	return s
}

// TestCachedStore: a Store with a cache passes the conformance suites, on
// a single node, a cluster and Sentinel.
func TestCachedStore(t *testing.T) {
	t.Parallel()
	testenv.EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
		rdb := connect(t)
		storetest.Run(t, func(t *testing.T) session.Store { return cached(t, rdb, rdb, testenv.Prefix(t, rdb)) })
		storetest.RunRefresh(t, func(t *testing.T) session.Store { return cached(t, rdb, rdb, testenv.Prefix(t, rdb)) })
	})
}

// counted returns a client whose commands (EVALSHA, EVAL, …) are counted.
func counted(t *testing.T) (*redis.Client, *atomic.Int64) {
	rdb := testenv.Redis(t)
	var n atomic.Int64
	rdb.AddHook(commandCounter{&n})
	return rdb, &n
}

// instance is one instance of a service: a Manager on a cached Store.
type instance struct {
	m     *session.Manager
	store *sessionredis.Store
	cmds  *atomic.Int64
}

func newInstance(t *testing.T, sl session.Sealer, prefix string, sub sessionredis.Subscriber) *instance {
	rdb, n := counted(t)
	if sub == nil {
		sub = rdb
	}
	st := cached(t, rdb, sub, prefix)
	m, err := session.New(sl, secret, session.WithStore(st))
	require.NoError(t, err)
	return &instance{m: m, store: st, cmds: n}
}

// warm validates tok until the instance answers from its cache (no
// command sent), which needs the subscription's first ping back.
func (in *instance) warm(t *testing.T, tok session.Token) {
	t.Helper()
	require.Eventually(t, func() bool {
		before := in.cmds.Load()
		_, err := in.m.Validate(context.Background(), string(tok))
		return err == nil && in.cmds.Load() == before
	}, 5*time.Second, 5*time.Millisecond, "the cache never answered")
}

// TestCacheValidateWithoutRoundTrip: once cached, Validate sends nothing
// to Redis; the idle refresh still reaches Redis when due, and a session
// idle past its timeout is gone, cached or not. (A staleness bound of 5 s
// keeps a loaded machine's scheduling delays out of the count.)
func TestCacheValidateWithoutRoundTrip(t *testing.T) {
	t.Parallel()
	rdb, n := counted(t)
	prefix := testenv.Prefix(t, rdb)
	st := cachedStale(t, rdb, rdb, prefix, 5*time.Second)
	sl := newSealer(t)
	m, err := session.New(sl, secret, session.WithStore(st), session.WithIdleTimeout(time.Hour, 0.5))
	require.NoError(t, err)
	_, tok, err := m.Create(t.Context(), "u-1", []string{"user"}, session.Extra{})
	require.NoError(t, err)
	in := &instance{m: m, store: st, cmds: n}
	in.warm(t, tok)
	n.Store(0)
	for range 100 {
		_, err := m.Validate(t.Context(), string(tok))
		require.NoError(t, err)
	}
	require.Zero(t, n.Load(), "100 Validate calls of a cached session: no round trip")

	// Keep a session of a 2 s idle timeout in use for 3 s: the refreshes
	// (due every 0.5 s) reach Redis, so the session stays alive there.
	short, err := session.New(sl, secret, session.WithStore(st), session.WithIdleTimeout(2*time.Second, 0.25))
	require.NoError(t, err)
	s, tok, err := short.Create(t.Context(), "u-2", []string{"user"}, session.Extra{})
	require.NoError(t, err)
	n.Store(0)
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		_, err := short.Validate(t.Context(), string(tok))
		require.NoError(t, err)
	}
	require.GreaterOrEqual(t, n.Load(), int64(4), "refreshes went to Redis")
	require.Less(t, n.Load(), int64(100), "most Validate calls answered from the cache")
	ttl, err := rdb.PTTL(t.Context(), prefix+"{u-2}:s:"+s.ID).Result()
	require.NoError(t, err)
	require.Greater(t, ttl, time.Second, "Redis's idle deadline was pushed")

	// Idle past the timeout: the session is gone, cached or not, for
	// Validate and for Load (which reads without refreshing).
	time.Sleep(2100 * time.Millisecond)
	_, _, err = short.Load(t.Context(), s)
	require.ErrorIs(t, err, session.ErrNoSession)
	_, err = short.Validate(t.Context(), string(tok))
	require.ErrorIs(t, err, session.ErrNoSession)
}

// TestCacheRevocationBound measures how long a session revoked on one
// instance is still served by another, which has it cached: over 50
// revocations, no Validate that started later than the staleness bound
// after Delete returned succeeded. The delays are logged.
func TestCacheRevocationBound(t *testing.T) {
	t.Parallel()
	sl := newSealer(t)
	prefix := testenv.Prefix(t, testenv.Redis(t))
	a, b := newInstance(t, sl, prefix, nil), newInstance(t, sl, prefix, nil)
	var delays []time.Duration
	for i := range 50 {
		s, tok, err := a.m.Create(t.Context(), fmt.Sprintf("u-%d", i%5), nil, session.Extra{})
		require.NoError(t, err)
		b.warm(t, tok)
		if i%10 == 9 { // now and then everything of the user
			_, err = a.m.DeleteAll(t.Context(), s.UID)
		} else {
			err = a.m.Delete(t.Context(), s)
		}
		require.NoError(t, err)
		deleted := time.Now()
		for {
			start := time.Now()
			_, err := b.m.Validate(t.Context(), string(tok))
			if err != nil {
				require.ErrorIs(t, err, session.ErrNoSession)
				delays = append(delays, start.Sub(deleted))
				break
			}
			require.Less(t, start.Sub(deleted), staleness, "revoked session served past the bound")
		}
	}
	slices.Sort(delays)
	t.Logf("revocation seen by the other instance after: median %v, p90 %v, max %v (bound %v)",
		delays[len(delays)/2], delays[len(delays)*9/10], delays[len(delays)-1], staleness)
}

// TestCacheSubscriptionKilled: the other instance's subscription is
// killed (CLIENT KILL on its connection alone, the server is shared), a
// session is revoked at once, while its invalidation can be lost: it is
// never served past the bound, and the cache works again afterwards.
func TestCacheSubscriptionKilled(t *testing.T) {
	t.Parallel()
	sl := newSealer(t)
	admin := testenv.Redis(t)
	prefix := testenv.Prefix(t, admin)
	name := "apicrud-test-sub-" + strings.ToLower(testenv.RandomID(8))
	sub := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr(), ClientName: name})
	t.Cleanup(func() { _ = sub.Close() })
	a, b := newInstance(t, sl, prefix, nil), newInstance(t, sl, prefix, sub)
	for round := range 5 {
		s, tok, err := a.m.Create(t.Context(), "u-1", nil, session.Extra{})
		require.NoError(t, err)
		b.warm(t, tok)
		require.NoError(t, killClients(t.Context(), admin, name), "round %d", round)
		require.NoError(t, a.m.Delete(t.Context(), s))
		deleted := time.Now()
		served, last := 0, time.Duration(0)
		for time.Since(deleted) < 3*staleness {
			start := time.Now()
			if _, err := b.m.Validate(t.Context(), string(tok)); err == nil {
				served, last = served+1, start.Sub(deleted)
				require.Less(t, last, staleness, "revoked session served past the bound")
			} else {
				require.ErrorIs(t, err, session.ErrNoSession)
			}
		}
		t.Logf("round %d: revoked session served %d times, the last %v after Delete returned (bound %v)", round, served, last, staleness)
	}
	// The subscription comes back and the cache with it.
	_, tok, err := a.m.Create(t.Context(), "u-1", nil, session.Extra{})
	require.NoError(t, err)
	b.warm(t, tok)
}

// killClients kills the connections named name.
func killClients(ctx context.Context, rdb *redis.Client, name string) error {
	list, err := rdb.ClientList(ctx).Result()
	if err != nil {
		return err
	}
	killed := 0
	for line := range strings.Lines(list) {
		var id, n string
		for f := range strings.FieldsSeq(line) {
			if v, ok := strings.CutPrefix(f, "id="); ok {
				id = v
			} else if v, ok := strings.CutPrefix(f, "name="); ok {
				n = v
			}
		}
		if n == name {
			if err := rdb.Do(ctx, "CLIENT", "KILL", "ID", id).Err(); err != nil {
				return err
			}
			killed++
		}
	}
	if killed == 0 {
		return fmt.Errorf("no connection named %s", name)
	}
	return nil
}

// blackhole wraps the subscriber's connections: while it is on, nothing
// is delivered either way and nothing reports an error, as in a network
// partition.
type blackhole struct {
	on   atomic.Bool
	mu   sync.Mutex
	wake chan struct{}
}

func (h *blackhole) set(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.on.Store(on)
	if !on && h.wake != nil {
		close(h.wake)
		h.wake = nil
	}
}

func (h *blackhole) wait() {
	h.mu.Lock()
	if !h.on.Load() {
		h.mu.Unlock()
		return
	}
	if h.wake == nil {
		h.wake = make(chan struct{})
	}
	w := h.wake
	h.mu.Unlock()
	<-w
}

type holeConn struct {
	net.Conn
	h *blackhole
}

func (c holeConn) Read(p []byte) (int, error) {
	for {
		c.h.wait()
		n, err := c.Conn.Read(p)
		if !c.h.on.Load() {
			return n, err
		}
		// Arrived while partitioned: lost.
		if err != nil {
			return n, err
		}
	}
}

func (c holeConn) Write(p []byte) (int, error) {
	if c.h.on.Load() {
		return len(p), nil // swallowed
	}
	return c.Conn.Write(p)
}

// TestCachePartition: the other instance's subscription silently stops
// delivering (no error, no reset); a session revoked then is not served
// past the bound, because no ping comes back.
func TestCachePartition(t *testing.T) {
	t.Parallel()
	sl := newSealer(t)
	prefix := testenv.Prefix(t, testenv.Redis(t))
	h := &blackhole{}
	sub := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr(), Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return holeConn{c, h}, nil
	}})
	t.Cleanup(func() { _ = sub.Close() })
	a, b := newInstance(t, sl, prefix, nil), newInstance(t, sl, prefix, sub)
	t.Cleanup(func() { h.set(false) }) // before the stores close
	s, tok, err := a.m.Create(t.Context(), "u-1", nil, session.Extra{})
	require.NoError(t, err)
	b.warm(t, tok)
	h.set(true)
	require.NoError(t, a.m.Delete(t.Context(), s))
	deleted := time.Now()
	served, last := 0, time.Duration(0)
	for time.Since(deleted) < 3*staleness {
		start := time.Now()
		if _, err := b.m.Validate(t.Context(), string(tok)); err == nil {
			served, last = served+1, start.Sub(deleted)
			require.Less(t, last, staleness, "revoked session served past the bound")
		}
	}
	t.Logf("partitioned: revoked session served %d times, the last %v after Delete returned (bound %v)", served, last, staleness)
	// While partitioned, another session is validated through Redis.
	_, tok2, err := a.m.Create(t.Context(), "u-2", nil, session.Extra{})
	require.NoError(t, err)
	before := b.cmds.Load()
	_, err = b.m.Validate(t.Context(), string(tok2))
	require.NoError(t, err)
	_, err = b.m.Validate(t.Context(), string(tok2))
	require.NoError(t, err)
	require.Equal(t, before+2, b.cmds.Load(), "the cache is bypassed while partitioned")
	h.set(false)
	b.warm(t, tok2)
}
