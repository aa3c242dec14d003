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
	rdb    redis.Scripter
	prefix string
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
// An invalid option value is an error wrapping ErrOption.
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
	return s, nil
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

// Create implements session.Store: one round trip (create.lua).
func (s *Store) Create(ctx context.Context, uid, id string, data []byte, idle, absolute time.Duration) error {
	keys := []string{s.sessionKey(uid, id), s.indexKey(uid)}
	if err := createScript.Run(ctx, s.rdb, keys, id, data, ms(idle), max(ms(absolute), 1)).Err(); err != nil {
		return wrap("create", err)
	}
	return nil
}

// Get implements session.Store: one round trip (get.lua), which also
// refreshes the session when due (idle deadline and last use).
func (s *Store) Get(ctx context.Context, uid, id string, idle, refreshAfter time.Duration, use []byte) (session.Entry, bool, error) {
	v, err := getScript.Run(ctx, s.rdb, []string{s.sessionKey(uid, id)}, ms(idle), ms(refreshAfter), use).Result()
	if errors.Is(err, redis.Nil) {
		return session.Entry{}, false, nil
	}
	if err != nil {
		return session.Entry{}, false, wrap("get", err)
	}
	arr, ok := v.([]any)
	if !ok || len(arr) != 3 {
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
	return session.Entry{ID: id, Data: []byte(data), Expires: time.UnixMilli(abs), Refreshed: refreshed == 1}, true, nil
}

// Replace implements session.Store: one round trip (replace.lua).
func (s *Store) Replace(ctx context.Context, uid, id string, old, data []byte) (bool, error) {
	n, err := replaceScript.Run(ctx, s.rdb, []string{s.sessionKey(uid, id)}, old, data).Int64()
	if err != nil {
		return false, wrap("replace", err)
	}
	return n == 1, nil
}

// Delete implements session.Store: one round trip (delete.lua).
func (s *Store) Delete(ctx context.Context, uid, id string) (bool, error) {
	n, err := deleteScript.Run(ctx, s.rdb, []string{s.sessionKey(uid, id), s.indexKey(uid)}, id).Int64()
	if err != nil {
		return false, wrap("delete", err)
	}
	return n == 1, nil
}

// DeleteAll implements session.Store: one round trip (deleteall.lua).
func (s *Store) DeleteAll(ctx context.Context, uid, keep string) (int, error) {
	n, err := deleteAllScript.Run(ctx, s.rdb, []string{s.indexKey(uid)}, s.sessionPrefix(uid), keep).Int64()
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
