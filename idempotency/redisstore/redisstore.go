package redisstore

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/idempotency"
	"github.com/apicrud-go/apicrud/internal/rediskey"
)

// DefaultPrefix is the key prefix unless WithPrefix changes it.
const DefaultPrefix = "apicrud:idempotency:"

// ErrOption reports an invalid option passed to New.
var ErrOption = errors.New("idempotency/redisstore: invalid option")

var (
	//go:embed begin.lua
	beginSrc string
	//go:embed complete.lua
	completeSrc string
	//go:embed abandon.lua
	abandonSrc string

	beginScript    = redis.NewScript(beginSrc)
	completeScript = redis.NewScript(completeSrc)
	abandonScript  = redis.NewScript(abandonSrc)
)

// Store is the Redis idempotency.Store. Use New; it is safe for concurrent
// use.
type Store struct {
	rdb    redis.Scripter
	prefix string
}

var _ idempotency.Store = (*Store)(nil)

// Option configures New.
type Option func(*Store) error

// WithPrefix sets the key prefix; the default is DefaultPrefix. Stores with
// one prefix on one Redis share their keys. The prefix must be 1 to 128
// bytes without "{", "}", spaces or control characters.
func WithPrefix(prefix string) Option {
	return func(s *Store) error {
		if err := rediskey.CheckPrefix(prefix); err != nil {
			return fmt.Errorf("%w: %w", ErrOption, err)
		}
		s.prefix = prefix
		return nil
	}
}

// New returns a Store on rdb.
func New(rdb redis.Scripter, opts ...Option) (*Store, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: nil client", ErrOption)
	}
	s := &Store{rdb: rdb, prefix: DefaultPrefix}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Store) key(k string) []string { return []string{rediskey.Tagged(s.prefix, k, "")} }

func reservation(fp string) string {
	b, _ := json.Marshal(idempotency.Record{Fingerprint: fp}) // a struct of strings: cannot fail
	return string(b)
}

func ms(d time.Duration) int64 { return max(d.Milliseconds(), 1) }

// Begin implements idempotency.Store.
func (s *Store) Begin(ctx context.Context, key, fp string, lockTTL time.Duration) (idempotency.Record, bool, error) {
	v, err := beginScript.Run(ctx, s.rdb, s.key(key), reservation(fp), ms(lockTTL)).Result()
	if errors.Is(err, redis.Nil) {
		return idempotency.Record{}, true, nil
	}
	if err != nil {
		return idempotency.Record{}, false, fmt.Errorf("idempotency/redisstore: begin: %w", err)
	}
	str, ok := v.(string)
	if !ok {
		return idempotency.Record{}, false, fmt.Errorf("%w: %T", rediskey.ErrReply, v)
	}
	var rec idempotency.Record
	if err := json.Unmarshal([]byte(str), &rec); err != nil {
		return idempotency.Record{}, false, fmt.Errorf("idempotency/redisstore: corrupt record: %w", err)
	}
	return rec, false, nil
}

// Complete implements idempotency.Store.
func (s *Store) Complete(ctx context.Context, key string, rec idempotency.Record, ttl time.Duration) error {
	rec.Done = true
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("idempotency/redisstore: complete: %w", err)
	}
	if err := completeScript.Run(ctx, s.rdb, s.key(key), reservation(rec.Fingerprint), string(b), ms(ttl)).Err(); err != nil {
		return fmt.Errorf("idempotency/redisstore: complete: %w", err)
	}
	return nil
}

// Abandon implements idempotency.Store.
func (s *Store) Abandon(ctx context.Context, key, fp string) error {
	if err := abandonScript.Run(ctx, s.rdb, s.key(key), reservation(fp)).Err(); err != nil {
		return fmt.Errorf("idempotency/redisstore: abandon: %w", err)
	}
	return nil
}
