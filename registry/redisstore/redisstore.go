package redisstore

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/internal/rediskey"
	"github.com/apicrud-go/apicrud/registry"
)

// DefaultPrefix is the key prefix unless WithPrefix changes it.
const DefaultPrefix = "apicrud:registry:"

var (
	//go:embed put.lua
	putSrc string
	//go:embed delete.lua
	deleteSrc string
	//go:embed list.lua
	listSrc string

	putScript    = redis.NewScript(putSrc)
	deleteScript = redis.NewScript(deleteSrc)
	listScript   = redis.NewScript(listSrc)
)

// Store is the Redis registry.Store. It is safe for concurrent use. It does
// not own the client: closing the client is the caller's business.
type Store struct {
	rdb  redis.Scripter
	keys []string // entries hash, deadlines sorted set
}

var _ registry.Store = (*Store)(nil)

// Option configures New.
type Option func(*Store) error

// WithPrefix sets the key prefix (default DefaultPrefix). Stores with the
// same prefix on the same Redis share one registry.
// The prefix must be 1 to 128 bytes without "{", "}", spaces or control
// characters (ErrOption).
func WithPrefix(prefix string) Option {
	return func(s *Store) error {
		if err := rediskey.CheckPrefix(prefix); err != nil {
			return fmt.Errorf("%w: %w", ErrOption, err)
		}
		s.keys = keys(prefix)
		return nil
	}
}

func keys(prefix string) []string {
	return []string{
		rediskey.Tagged(prefix, "registry", ":entries"),
		rediskey.Tagged(prefix, "registry", ":deadlines"),
	}
}

// New returns a Store on rdb (a *redis.Client, *redis.ClusterClient,
// *redis.Ring or any redis.Scripter).
// An invalid option value is an error wrapping ErrOption.
func New(rdb redis.Scripter, opts ...Option) (*Store, error) {
	s := &Store{rdb: rdb, keys: keys(DefaultPrefix)}
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

// Put implements registry.Store: one round trip (put.lua).
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	ms := ttl.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	if err := putScript.Run(ctx, s.rdb, s.keys, key, value, ms).Err(); err != nil {
		return fmt.Errorf("registryredis: put: %w", err)
	}
	return nil
}

// Delete implements registry.Store: one round trip (delete.lua).
func (s *Store) Delete(ctx context.Context, key string, value []byte) (bool, error) {
	n, err := deleteScript.Run(ctx, s.rdb, s.keys, key, value).Int64()
	if err != nil {
		return false, fmt.Errorf("registryredis: delete: %w", err)
	}
	return n == 1, nil
}

// List implements registry.Store: one round trip (list.lua).
func (s *Store) List(ctx context.Context, prefix string) ([]registry.Record, error) {
	reply, err := listScript.Run(ctx, s.rdb, s.keys, prefix).Slice()
	if err != nil {
		return nil, fmt.Errorf("registryredis: list: %w", err)
	}
	if len(reply)%2 != 0 {
		return nil, fmt.Errorf("registryredis: list: %w: odd array of %d elements", rediskey.ErrReply, len(reply))
	}
	out := make([]registry.Record, 0, len(reply)/2)
	for i := 0; i < len(reply); i += 2 {
		k, ok1 := reply[i].(string)
		v, ok2 := reply[i+1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("registryredis: list: %w: %T/%T are not strings", rediskey.ErrReply, reply[i], reply[i+1])
		}
		out = append(out, registry.Record{Key: k, Value: []byte(v)})
	}
	return out, nil
}
