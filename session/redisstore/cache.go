package redisstore

import (
	"context"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/session"
)

// Subscriber is what WithCache needs of a Redis client: Subscribe.
// *redis.Client, *redis.ClusterClient, *redis.Ring and the Sentinel
// failover client implement it (any redis.UniversalClient).
type Subscriber interface {
	Subscribe(ctx context.Context, channels ...string) *redis.PubSub
}

// Bounds of WithCache.
const (
	// DefaultCacheStaleness is WithCache's bound on how long a revoked
	// session can still be served when maxStale is 0.
	DefaultCacheStaleness = 100 * time.Millisecond
	minCacheStaleness     = 10 * time.Millisecond
	maxCacheStaleness     = 10 * time.Second
	// DefaultCacheSize is WithCache's number of sessions kept when size
	// is 0.
	DefaultCacheSize = 100_000
	cacheShards      = 32
	// resubscribeAfter: with pings every maxStale/4, a subscription silent
	// for this long is dropped and subscribed again.
	resubscribeAfter = 2 * time.Second
)

// WithCache makes Get answer from process memory for sessions this
// instance read recently, so that validating a live session costs no
// round trip. Every write that changes or ends a session (Replace, Delete,
// DeleteAll, on any instance sharing the prefix) publishes the session on
// the Redis channel "<prefix>invalidate" from inside its script; sub
// subscribes to it, and each instance drops what it receives.
//
// Revocation bound: the subscription is pinged every maxStale/4 and a
// cached session is only served while a ping sent at most maxStale ago
// has come back on it. Redis delivers a channel's messages in order, so a
// session revoked before that ping was sent has been dropped already: a
// session deleted anywhere is never served by any instance after maxStale
// has passed since its Delete returned, whatever happens to the network.
// While the subscription is down, slow or being re-established, no ping
// comes back and Get goes to Redis (the cache is bypassed, never trusted);
// when it is re-established the cache starts empty.
//
// The idle timeout and the last-use record still hold: a cached session
// is served only until refreshAfter has passed since it was last
// refreshed, as Redis reports it, and never past its key's expiry; then
// Get goes to Redis, which refreshes it when due. maxStale is 10 ms to 10 s
// (0: DefaultCacheStaleness, 100 ms); size, the number of sessions kept,
// at least 1 (0: DefaultCacheSize). Close stops the subscription.
//
// Redis must not evict session keys (maxmemory-policy noeviction, or
// memory enough): an evicted key is not published, and an instance that
// cached it serves it until refreshAfter has passed.
func WithCache(sub Subscriber, maxStale time.Duration, size int) Option {
	return func(s *Store) error {
		switch {
		case sub == nil:
			return fmt.Errorf("%w: nil Subscriber", ErrOption)
		case maxStale != 0 && (maxStale < minCacheStaleness || maxStale > maxCacheStaleness):
			return fmt.Errorf("%w: cache staleness %v outside [%v, %v]", ErrOption, maxStale, minCacheStaleness, maxCacheStaleness)
		case size < 0:
			return fmt.Errorf("%w: cache size %d", ErrOption, size)
		}
		if maxStale == 0 {
			maxStale = DefaultCacheStaleness
		}
		if size == 0 {
			size = DefaultCacheSize
		}
		s.cacheSub, s.cacheStale, s.cacheSize = sub, maxStale, size
		return nil
	}
}

// cache holds sessions read from Redis, dropped on invalidation messages.
type cache struct {
	maxStale  time.Duration
	perShard  int
	seed      maphash.Seed
	start     time.Time     // monotonic origin of the int64 times below
	epoch     atomic.Uint64 // bumped by every drop: a read older than a drop is not kept
	confirmed atomic.Int64  // send time of the latest ping that came back (0: none)
	flushedAt atomic.Int64  // time of the latest flush; older pings confirm nothing
	shards    [cacheShards]cacheShard

	pubsub atomic.Pointer[redis.PubSub] // replaced by receive when it subscribes again
	cancel context.CancelFunc
	done   sync.WaitGroup
}

type cacheShard struct {
	mu    sync.RWMutex
	users map[string]map[string]*cached // uid → id → session; guarded by mu
	n     int                           // sessions held; guarded by mu
}

type cached struct {
	data      []byte
	expires   time.Time // the absolute deadline
	refreshed int64     // when the idle deadline was last pushed (cache time)
	gone      int64     // when the key expires in Redis at the latest (cache time)
}

func newCache(sub Subscriber, channel string, maxStale time.Duration, size int) *cache {
	ctx, cancel := context.WithCancel(context.Background())
	c := &cache{
		maxStale: maxStale, perShard: max(1, size/cacheShards), seed: maphash.MakeSeed(),
		start: time.Now(), cancel: cancel,
	}
	c.pubsub.Store(sub.Subscribe(ctx, channel))
	for i := range c.shards {
		c.shards[i].users = map[string]map[string]*cached{}
	}
	c.flushedAt.Store(c.now())
	c.done.Add(2)
	go c.receive(ctx, sub, channel)
	go c.ping(ctx)
	return c
}

// now is the cache's monotonic clock, in ns since start (at least 1).
func (c *cache) now() int64 { return int64(time.Since(c.start)) + 1 }

func (c *cache) shard(uid string) *cacheShard {
	return &c.shards[maphash.String(c.seed, uid)%cacheShards]
}

// live reports whether a ping sent at most maxStale ago came back.
func (c *cache) live(now int64) bool {
	conf := c.confirmed.Load()
	return conf != 0 && now-conf <= int64(c.maxStale)
}

// get returns the cached session when it may be served: the subscription
// is live, the session's key has not expired in Redis (idle or absolute
// deadline), and its idle deadline needs no refresh yet.
func (c *cache) get(uid, id string, refreshes bool, refreshAfter time.Duration) (session.Entry, bool) {
	now := c.now()
	if !c.live(now) {
		return session.Entry{}, false
	}
	sh := c.shard(uid)
	sh.mu.RLock()
	e := sh.users[uid][id]
	sh.mu.RUnlock()
	if e == nil || now >= e.gone || !time.Now().Before(e.expires) {
		return session.Entry{}, false
	}
	if refreshes && now-e.refreshed >= int64(refreshAfter) {
		return session.Entry{}, false
	}
	return session.Entry{ID: id, Data: append([]byte(nil), e.data...), Expires: e.expires}, true
}

// put keeps a session read from Redis, unless something was dropped since
// epoch (the read may predate a revocation).
func (c *cache) put(uid, id string, e *cached, epoch uint64) {
	sh := c.shard(uid)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if c.epoch.Load() != epoch {
		return
	}
	if sh.n >= c.perShard {
		for u, ss := range sh.users { // drop one user's sessions, any
			sh.n -= len(ss)
			delete(sh.users, u)
			break
		}
	}
	ss := sh.users[uid]
	if ss == nil {
		ss = map[string]*cached{}
		sh.users[uid] = ss
	}
	if _, ok := ss[id]; !ok {
		sh.n++
	}
	ss[id] = e
}

// drop forgets session id of uid, or every session of uid when id is "".
func (c *cache) drop(uid, id string) {
	sh := c.shard(uid)
	sh.mu.Lock()
	if ss, ok := sh.users[uid]; ok {
		if id == "" {
			sh.n -= len(ss)
			delete(sh.users, uid)
		} else if _, ok := ss[id]; ok {
			sh.n--
			delete(ss, id)
			if len(ss) == 0 {
				delete(sh.users, uid)
			}
		}
	}
	c.epoch.Add(1)
	sh.mu.Unlock()
}

// flush forgets everything and every confirmation so far: messages may
// have been lost.
func (c *cache) flush() {
	c.confirmed.Store(0)
	c.flushedAt.Store(c.now())
	c.epoch.Add(1)
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		clear(sh.users)
		sh.n = 0
		sh.mu.Unlock()
	}
}

// receive applies invalidation messages and ping replies in the order
// Redis sent them.
func (c *cache) receive(ctx context.Context, sub Subscriber, channel string) {
	defer c.done.Done()
	defer func() { _ = c.pubsub.Load().Close() }()
	for ctx.Err() == nil {
		msg, err := c.pubsub.Load().ReceiveTimeout(ctx, resubscribeAfter)
		if err != nil {
			c.flush()
			if ctx.Err() != nil {
				return
			}
			// A reply that never came may be a dead connection no error
			// reports: subscribe again on a new one.
			_ = c.pubsub.Load().Close()
			c.pubsub.Store(sub.Subscribe(ctx, channel))
			select {
			case <-ctx.Done():
			case <-time.After(c.maxStale / 4):
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Message:
			uid, id, _ := strings.Cut(m.Payload, " ")
			c.drop(uid, id)
		case *redis.Pong:
			sent, err := strconv.ParseInt(m.Payload, 10, 64)
			if err == nil && sent >= c.flushedAt.Load() && sent > c.confirmed.Load() {
				c.confirmed.Store(sent)
			}
		case *redis.Subscription:
			c.flush() // a new connection: what was published before it is lost
		}
	}
}

// ping sends a ping carrying its send time every maxStale/4.
func (c *cache) ping(ctx context.Context) {
	defer c.done.Done()
	t := time.NewTicker(c.maxStale / 4)
	defer t.Stop()
	for {
		_ = c.pubsub.Load().Ping(ctx, strconv.FormatInt(c.now(), 10))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// close stops the goroutines and the subscription, waiting at most until
// ctx ends.
func (c *cache) close(ctx context.Context) error {
	c.cancel()
	_ = c.pubsub.Load().Close() // ends a receive in progress
	waited := make(chan struct{})
	go func() { c.done.Wait(); close(waited) }()
	select {
	case <-waited:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
