package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/crud"
	"github.com/apicrud-go/apicrud/internal/gencache/gencacheredis"
	"github.com/apicrud-go/apicrud/internal/rediskey"
)

// DefaultPrefix is the key prefix used when WithPrefix is not given.
const DefaultPrefix = "apicrud:crud:"

// Client is what the store needs of a go-redis client: *redis.Client,
// *redis.ClusterClient, *redis.Ring and any redis.UniversalClient satisfy
// it (single, Sentinel or Cluster).
type Client interface {
	redis.Scripter
	MGet(ctx context.Context, keys ...string) *redis.SliceCmd
}

// Store is a crud.CacheStore in Redis, shared by every instance that uses
// the same prefix. Use New; a Store is safe for concurrent use.
type Store struct {
	prefix string        // set by options, then fixed in gc
	genTTL time.Duration // set by options, then fixed in gc
	gc     *gencacheredis.Cache
}

var _ crud.CacheStore = (*Store)(nil)

// Option configures New.
type Option func(*Store) error

// WithPrefix sets the key prefix (default DefaultPrefix). Instances that
// share a cache must use the same prefix.
// The prefix must be 1 to 128 bytes without "{", "}", spaces or control
// characters (ErrOption).
func WithPrefix(p string) Option {
	return func(s *Store) error {
		if err := rediskey.CheckPrefix(p); err != nil {
			return fmt.Errorf("%w: %w", ErrOption, err)
		}
		s.prefix = p
		return nil
	}
}

// WithGenerationTTL sets how long an uncache is remembered (default
// crud.DefaultGenerationTTL): a read-through load that takes longer than
// this after an Uncache may cache what it read before it. It must be
// positive (ErrOption).
func WithGenerationTTL(d time.Duration) Option {
	return func(s *Store) error {
		if d <= 0 {
			return fmt.Errorf("%w: generation TTL %v: want a positive duration", ErrOption, d)
		}
		s.genTTL = d
		return nil
	}
}

// New returns a Store on rdb. The caller keeps ownership of rdb: the Store
// never closes it.
// An invalid option value is an error wrapping ErrOption.
func New(rdb Client, opts ...Option) (*Store, error) {
	s := &Store{prefix: DefaultPrefix, genTTL: crud.DefaultGenerationTTL}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.gc = gencacheredis.New(rdb, s.prefix, s.genTTL)
	return s, nil
}

// Get implements crud.CacheStore with one MGET.
func (s *Store) Get(ctx context.Context, key string) ([]byte, uint64, bool, error) {
	return s.gc.Get(ctx, key)
}

// Set implements crud.CacheStore with one script.
func (s *Store) Set(ctx context.Context, key string, gen uint64, data []byte, ttl time.Duration) error {
	return s.gc.Set(ctx, key, gen, data, ttl)
}

// Delete implements crud.CacheStore with one script.
func (s *Store) Delete(ctx context.Context, key string) error {
	return s.gc.Delete(ctx, key)
}
