package redisstore

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/internal/rediskey"
	"github.com/apicrud-go/apicrud/mutex"
)

// DefaultPrefix is the key prefix unless WithPrefix changes it.
const DefaultPrefix = "apicrud:mutex:"

var (
	//go:embed obtain.lua
	obtainSrc string
	//go:embed extend.lua
	extendSrc string
	//go:embed release.lua
	releaseSrc string

	obtainScript  = redis.NewScript(obtainSrc)
	extendScript  = redis.NewScript(extendSrc)
	releaseScript = redis.NewScript(releaseSrc)
)

// Store is the Redis mutex.Store: for each lock name, the holder's token
// at <prefix>{<name>}:lock (with the lock's TTL) and the fencing counter at
// <prefix>{<name>}:fence (kept until the server's clock has passed its last
// token by the retention, WithFenceRetention). It is safe for concurrent
// use. Use New.
// It does not own the client: closing the client is the caller's business.
type Store struct {
	rdb    redis.Scripter
	prefix string
	keep   time.Duration // WithFenceRetention
}

var _ mutex.Store = (*Store)(nil)

// Option configures New.
type Option func(*Store) error

// WithPrefix sets the key prefix; the default is DefaultPrefix
// ("apicrud:mutex:"). Stores with the same prefix on the same Redis share
// their locks.
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

// DefaultFenceRetention is how long a fencing counter outlives its last
// token unless WithFenceRetention changes it.
const DefaultFenceRetention = 24 * time.Hour

// WithFenceRetention sets how long a name's fencing counter is kept after
// the Redis server's clock has reached its last token (default
// DefaultFenceRetention, at least a millisecond). A counter created again
// after that starts from the clock, which is then past every earlier
// token, so tokens never go back; the retention is what a backward step of
// the server's clock (or a failover to a server whose clock is behind)
// may be without breaking that. Less than a millisecond is an error
// (ErrOption).
func WithFenceRetention(d time.Duration) Option {
	return func(s *Store) error {
		if d < time.Millisecond {
			return fmt.Errorf("%w: fence retention %v: want at least 1ms", ErrOption, d)
		}
		s.keep = d
		return nil
	}
}

// New returns a Store on rdb: a *redis.Client, *redis.ClusterClient,
// *redis.Ring, a Sentinel failover client, or any redis.Scripter.
// An invalid option value is an error wrapping ErrOption.
func New(rdb redis.Scripter, opts ...Option) (*Store, error) {
	s := &Store{rdb: rdb, prefix: DefaultPrefix, keep: DefaultFenceRetention}
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

// ms converts a TTL to whole milliseconds, rounding up (PX needs >= 1).
func ms(ttl time.Duration) int64 {
	m := (ttl + time.Millisecond - 1) / time.Millisecond
	return max(int64(m), 1)
}

// Obtain implements mutex.Store: one round trip (obtain.lua: SET NX PX,
// and on success the next fencing token, max(counter + 1, the server's
// clock in microseconds), written back with a TTL that ends the retention
// after the clock reaches it).
func (s *Store) Obtain(ctx context.Context, name, token string, ttl time.Duration) (int64, bool, error) {
	keys := []string{rediskey.Tagged(s.prefix, name, ":lock"), rediskey.Tagged(s.prefix, name, ":fence")}
	reply, err := obtainScript.Run(ctx, s.rdb, keys, token, ms(ttl), ms(s.keep)).Result()
	if err != nil {
		return 0, false, fmt.Errorf("mutexredis: obtain: %w", err)
	}
	fence, err := rediskey.Int64(reply)
	if err != nil {
		return 0, false, fmt.Errorf("mutexredis: obtain: %w", err)
	}
	return fence, fence > 0, nil
}

// Extend implements mutex.Store: one round trip (extend.lua,
// compare-and-PEXPIRE).
func (s *Store) Extend(ctx context.Context, name, token string, ttl time.Duration) (bool, error) {
	return s.compare(ctx, extendScript, "extend", name, token, ms(ttl))
}

// Release implements mutex.Store: one round trip (release.lua,
// compare-and-delete).
func (s *Store) Release(ctx context.Context, name, token string) (bool, error) {
	return s.compare(ctx, releaseScript, "release", name, token)
}

func (s *Store) compare(ctx context.Context, script *redis.Script, op, name string, args ...any) (bool, error) {
	reply, err := script.Run(ctx, s.rdb, []string{rediskey.Tagged(s.prefix, name, ":lock")}, args...).Result()
	if err != nil {
		return false, fmt.Errorf("mutexredis: %s: %w", op, err)
	}
	n, err := rediskey.Int64(reply)
	if err != nil {
		return false, fmt.Errorf("mutexredis: %s: %w", op, err)
	}
	return n == 1, nil
}
