package redisstore

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/crud"
	"github.com/apicrud-go/apicrud/internal/rediskey"
)

// DefaultPrefix is the key prefix used when WithPrefix is not given.
const DefaultPrefix = "apicrud:crud:"

var (
	//go:embed set.lua
	setLua    string
	setScript = redis.NewScript(setLua)
	//go:embed delete.lua
	deleteLua    string
	deleteScript = redis.NewScript(deleteLua)
)

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
	rdb    Client
	prefix string
	genTTL time.Duration
}

var _ crud.CacheStore = (*Store)(nil)

// Option configures New.
type Option func(*Store)

// WithPrefix sets the key prefix (default DefaultPrefix). Instances that
// share a cache must use the same prefix.
func WithPrefix(p string) Option { return func(s *Store) { s.prefix = p } }

// WithGenerationTTL sets how long an uncache is remembered (default
// crud.DefaultGenerationTTL): a read-through load that takes longer than
// this after an Uncache may cache what it read before it. Non-positive
// values keep the default.
func WithGenerationTTL(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.genTTL = d
		}
	}
}

// New returns a Store on rdb. The caller keeps ownership of rdb: the Store
// never closes it.
func New(rdb Client, opts ...Option) *Store {
	s := &Store{rdb: rdb, prefix: DefaultPrefix, genTTL: crud.DefaultGenerationTTL}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	return s
}

func (s *Store) keys(key string) []string {
	return []string{rediskey.Tagged(s.prefix, key, ":v"), rediskey.Tagged(s.prefix, key, ":g")}
}

// Get implements crud.CacheStore with one MGET.
func (s *Store) Get(ctx context.Context, key string) ([]byte, uint64, bool, error) {
	vals, err := s.rdb.MGet(ctx, s.keys(key)...).Result()
	if err != nil {
		return nil, 0, false, err
	}
	if len(vals) != 2 {
		return nil, 0, false, fmt.Errorf("%w: MGET returned %d values", rediskey.ErrReply, len(vals))
	}
	var gen uint64
	switch g := vals[1].(type) {
	case nil:
	case string:
		if gen, err = strconv.ParseUint(g, 10, 64); err != nil {
			return nil, 0, false, fmt.Errorf("%w: generation %q", rediskey.ErrReply, g)
		}
	default:
		return nil, 0, false, fmt.Errorf("%w: generation of type %T", rediskey.ErrReply, vals[1])
	}
	switch v := vals[0].(type) {
	case nil:
		return nil, gen, false, nil
	case string:
		return []byte(v), gen, true, nil
	default:
		return nil, 0, false, fmt.Errorf("%w: entry of type %T", rediskey.ErrReply, vals[0])
	}
}

// Set implements crud.CacheStore with one script.
func (s *Store) Set(ctx context.Context, key string, gen uint64, data []byte, ttl time.Duration) error {
	ms := ttl.Milliseconds()
	if ms <= 0 {
		return nil
	}
	return setScript.Run(ctx, s.rdb, s.keys(key), strconv.FormatUint(gen, 10), data, ms).Err()
}

// Delete implements crud.CacheStore with one script.
func (s *Store) Delete(ctx context.Context, key string) error {
	return deleteScript.Run(ctx, s.rdb, s.keys(key), s.genTTL.Milliseconds()).Err()
}
