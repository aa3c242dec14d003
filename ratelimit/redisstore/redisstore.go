package redisstore

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/internal/rediskey"
	"github.com/apicrud-go/apicrud/ratelimit"
)

// DefaultPrefix is the key prefix unless WithPrefix changes it.
const DefaultPrefix = "apicrud:ratelimit:"

var (
	//go:embed gcra.lua
	gcraSrc string
	//go:embed reset.lua
	resetSrc string

	gcraScript  = redis.NewScript(gcraSrc)
	resetScript = redis.NewScript(resetSrc)
)

// Store is the Redis ratelimit.Store. It is safe for concurrent use. It
// does not own the client: closing the client is the caller's business.
type Store struct {
	rdb    redis.Scripter
	prefix string
}

var _ ratelimit.Store = (*Store)(nil)

// Option configures New.
type Option func(*Store)

// WithPrefix sets the key prefix (default DefaultPrefix). Stores with the
// same prefix on the same Redis share their limits.
func WithPrefix(prefix string) Option {
	return func(s *Store) { s.prefix = prefix }
}

// New returns a Store on rdb: a *redis.Client, *redis.ClusterClient,
// *redis.Ring, a Sentinel failover client, or any redis.Scripter.
func New(rdb redis.Scripter, opts ...Option) *Store {
	s := &Store{rdb: rdb, prefix: DefaultPrefix}
	for _, opt := range opts {
		if opt != nil {
			opt(s)
		}
	}
	return s
}

func (s *Store) key(key string) []string {
	return []string{rediskey.Tagged(s.prefix, key, "")}
}

// Allow implements ratelimit.Store: one round trip (gcra.lua, EVALSHA with
// EVAL on NOSCRIPT), on the server's clock.
func (s *Store) Allow(ctx context.Context, key string, limit ratelimit.Limit, n int) (ratelimit.Result, error) {
	us := limit.Interval().Microseconds()
	if us < 1 {
		return ratelimit.Result{}, fmt.Errorf("ratelimitredis: allow: %w", limit.Validate())
	}
	reply, err := gcraScript.Run(ctx, s.rdb, s.key(key), us, limit.MaxBurst(), n).Result()
	if err != nil {
		return ratelimit.Result{}, fmt.Errorf("ratelimitredis: allow: %w", err)
	}
	v, err := rediskey.Int64s(reply, 4)
	if err != nil {
		return ratelimit.Result{}, fmt.Errorf("ratelimitredis: allow: %w", err)
	}
	return ratelimit.Result{
		Limit:      limit,
		Allowed:    int(v[0]),
		Remaining:  int(v[1]),
		RetryAfter: time.Duration(v[2]) * time.Microsecond,
		ResetAfter: time.Duration(v[3]) * time.Microsecond,
	}, nil
}

// Reset implements ratelimit.Store: one round trip (reset.lua).
func (s *Store) Reset(ctx context.Context, key string) error {
	if err := resetScript.Run(ctx, s.rdb, s.key(key)).Err(); err != nil {
		return fmt.Errorf("ratelimitredis: reset: %w", err)
	}
	return nil
}
