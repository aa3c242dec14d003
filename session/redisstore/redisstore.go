package redisstore

import (
	"context"
	_ "embed" // Lua scripts
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/internal/rediskey"
	"github.com/apicrud-go/apicrud/session"
)

// DefaultPrefix is the key prefix unless WithPrefix changes it.
const DefaultPrefix = "apicrud:session:"

var (
	//go:embed create.lua
	createSrc string
	//go:embed get.lua
	getSrc string
	//go:embed replace.lua
	replaceSrc string
	//go:embed delete.lua
	deleteSrc string
	//go:embed deleteall.lua
	deleteAllSrc string
	//go:embed list.lua
	listSrc string

	createScript    = redis.NewScript(createSrc)
	getScript       = redis.NewScript(getSrc)
	replaceScript   = redis.NewScript(replaceSrc)
	deleteScript    = redis.NewScript(deleteSrc)
	deleteAllScript = redis.NewScript(deleteAllSrc)
	listScript      = redis.NewScript(listSrc)
)

// Store is the Redis session.Store. It is safe for concurrent use. It does
// not own the client: closing the client is the caller's business. Use
// New; the zero value is not usable.
type Store struct {
	rdb     redis.Scripter
	prefix  string
	channel string // <prefix>invalidate
	chanArg any    // channel as a script argument, boxed once
	cache   *cache // nil without WithCache

	cacheSub   Subscriber
	cacheStale time.Duration
	cacheSize  int
}

var _ session.Store = (*Store)(nil)

// Option configures New.
type Option func(*Store) error

// WithPrefix sets the key prefix (default DefaultPrefix). Stores with the
// same prefix on the same Redis share their sessions.
// The prefix must be 1 to 128 bytes without "{", "}", spaces or control
// characters (ErrOption).
func WithPrefix(prefix string) Option {
	return func(s *Store) error {
		if err := rediskey.CheckPrefix(prefix); err != nil {
			return fmt.Errorf("%w: %w", ErrOption, err)
		}
		s.prefix = prefix
		return nil
	}
}

// New returns a Store on rdb: a *redis.Client, *redis.ClusterClient,
// *redis.Ring, a Sentinel failover client, or any redis.Scripter.
// An invalid option value is an error wrapping ErrOption. With WithCache,
// New starts the cache's subscription, which Close stops.
func New(rdb redis.Scripter, opts ...Option) (*Store, error) {
	s := &Store{rdb: rdb, prefix: DefaultPrefix}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	s.channel = s.prefix + "invalidate"
	s.chanArg = s.channel
	if s.cacheSub != nil {
		s.cache = newCache(s.cacheSub, s.channel, s.cacheStale, s.cacheSize)
	}
	return s, nil
}

// Close stops what New started (the subscription of WithCache), waiting
// at most until ctx ends. It never closes the client. Without WithCache
// it does nothing; the Store keeps working afterwards, without a cache.
func (s *Store) Close(ctx context.Context) error {
	if s.cache == nil {
		return nil
	}
	err := s.cache.close(ctx)
	s.cache.flush() // nothing is served any more: no ping comes back
	return err
}

func (s *Store) sessionKey(uid, id string) string { return rediskey.Tagged(s.prefix, uid, ":s:"+id) }
func (s *Store) sessionPrefix(uid string) string  { return rediskey.Tagged(s.prefix, uid, ":s:") }
func (s *Store) indexKey(uid string) string       { return rediskey.Tagged(s.prefix, uid, ":idx") }

func ms(d time.Duration) int64 {
	if n := d.Milliseconds(); n > 0 {
		return n
	}
	if d > 0 {
		return 1
	}
	return 0
}

func wrap(op string, err error) error {
	return fmt.Errorf("sessionredis: %s: %w", op, err)
}

// Create implements session.Store: one round trip (create.lua), which
// publishes only when it replaces a live session.
func (s *Store) Create(ctx context.Context, uid, id string, data []byte, idle, absolute time.Duration) error {
	keys := []string{s.sessionKey(uid, id), s.indexKey(uid)}
	err := createScript.Run(ctx, s.rdb, keys, id, data, ms(idle), max(ms(absolute), 1), s.chanArg, uid).Err()
	if s.cache != nil {
		s.cache.drop(uid, id)
	}
	if err != nil {
		return wrap("create", err)
	}
	return nil
}

// Get implements session.Store: one round trip (get.lua), which also
// refreshes the session when due (idle deadline and last use); none when
// WithCache can answer.
func (s *Store) Get(ctx context.Context, uid, id string, idle, refreshAfter time.Duration, use func() []byte) (session.Entry, bool, error) {
	refreshes := idle > 0 || use != nil // a due refresh must reach Redis
	var epoch uint64
	var sent int64
	if s.cache != nil {
		if e, ok := s.cache.get(uid, id, refreshes, refreshAfter); ok {
			return e, true, nil
		}
		epoch, sent = s.cache.epoch.Load(), s.cache.now()
	}
	var sealed []byte
	if use != nil {
		sealed = use() // the script decides whether it is due
	}
	v, err := getScript.Run(ctx, s.rdb, []string{s.sessionKey(uid, id)}, ms(idle), ms(refreshAfter), sealed).Result()
	if errors.Is(err, redis.Nil) {
		return session.Entry{}, false, nil
	}
	if err != nil {
		return session.Entry{}, false, wrap("get", err)
	}
	arr, ok := v.([]any)
	if !ok || len(arr) != 5 {
		return session.Entry{}, false, wrap("get", rediskey.ErrReply)
	}
	data, ok := arr[0].(string)
	if !ok {
		return session.Entry{}, false, wrap("get", rediskey.ErrReply)
	}
	abs, err := rediskey.Int64(arr[1])
	if err != nil {
		return session.Entry{}, false, wrap("get", err)
	}
	refreshed, err := rediskey.Int64(arr[2])
	if err != nil {
		return session.Entry{}, false, wrap("get", err)
	}
	age, err := rediskey.Int64(arr[3])
	if err != nil {
		return session.Entry{}, false, wrap("get", err)
	}
	pttl, err := rediskey.Int64(arr[4])
	if err != nil {
		return session.Entry{}, false, wrap("get", err)
	}
	e := session.Entry{ID: id, Data: []byte(data), Expires: time.UnixMilli(abs), Refreshed: refreshed == 1}
	if s.cache != nil && pttl > 0 && (!refreshes || refreshAfter > 0) {
		s.cache.put(uid, id, &cached{data: []byte(data), expires: e.Expires,
			refreshed: sent - age*int64(time.Millisecond), gone: sent + pttl*int64(time.Millisecond)}, epoch)
	}
	return e, true, nil
}

// Replace implements session.Store: one round trip (replace.lua), which
// publishes the change to every instance's cache.
func (s *Store) Replace(ctx context.Context, uid, id string, old, data []byte) (bool, error) {
	n, err := replaceScript.Run(ctx, s.rdb, []string{s.sessionKey(uid, id)}, old, data, s.channel, uid+" "+id).Int64()
	if s.cache != nil {
		s.cache.drop(uid, id) // changed, or a compare-and-swap that failed on a stale copy
	}
	if err != nil {
		return false, wrap("replace", err)
	}
	return n == 1, nil
}

// Delete implements session.Store: one round trip (delete.lua), which
// publishes the revocation to every instance's cache.
func (s *Store) Delete(ctx context.Context, uid, id string) (bool, error) {
	n, err := deleteScript.Run(ctx, s.rdb, []string{s.sessionKey(uid, id), s.indexKey(uid)}, id, s.channel, uid+" "+id).Int64()
	if s.cache != nil {
		s.cache.drop(uid, id)
	}
	if err != nil {
		return false, wrap("delete", err)
	}
	return n == 1, nil
}

// DeleteAll implements session.Store: one round trip (deleteall.lua),
// which publishes the revocation to every instance's cache.
func (s *Store) DeleteAll(ctx context.Context, uid, keep string) (int, error) {
	n, err := deleteAllScript.Run(ctx, s.rdb, []string{s.indexKey(uid)}, s.sessionPrefix(uid), keep, s.channel, uid).Int64()
	if s.cache != nil {
		s.cache.drop(uid, "")
	}
	if err != nil {
		return 0, wrap("delete all", err)
	}
	return int(n), nil
}

// List implements session.Store: one round trip (list.lua).
func (s *Store) List(ctx context.Context, uid string) ([]session.Entry, error) {
	v, err := listScript.Run(ctx, s.rdb, []string{s.indexKey(uid)}, s.sessionPrefix(uid)).Result()
	if err != nil {
		return nil, wrap("list", err)
	}
	arr, ok := v.([]any)
	if !ok || len(arr)%4 != 0 {
		return nil, wrap("list", rediskey.ErrReply)
	}
	out := make([]session.Entry, 0, len(arr)/4)
	for i := 0; i < len(arr); i += 4 {
		id, ok1 := arr[i].(string)
		data, ok2 := arr[i+1].(string)
		use, ok3 := arr[i+3].(string)
		if !ok1 || !ok2 || !ok3 {
			return nil, wrap("list", rediskey.ErrReply)
		}
		abs, err := rediskey.Int64(arr[i+2])
		if err != nil {
			return nil, wrap("list", err)
		}
		e := session.Entry{ID: id, Data: []byte(data), Expires: time.UnixMilli(abs)}
		if use != "" {
			e.Use = []byte(use)
		}
		out = append(out, e)
	}
	return out, nil
}
