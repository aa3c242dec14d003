package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/grants"
	"github.com/apicrud-go/apicrud/internal/gencache/gencacheredis"
	"github.com/apicrud-go/apicrud/internal/rediskey"
)

// DefaultPrefix is the key prefix used when WithPrefix is not given.
const DefaultPrefix = "apicrud:grants:"

// Client is what the cache needs of a go-redis client: *redis.Client,
// *redis.ClusterClient, *redis.Ring and redis.UniversalClient satisfy it.
type Client interface {
	redis.Scripter
	MGet(ctx context.Context, keys ...string) *redis.SliceCmd
}

// Cache is a grants.Cache in Redis, shared by every instance. Use New.
type Cache struct {
	prefix string        // set by options, then fixed in gc
	genTTL time.Duration // set by options, then fixed in gc
	gc     *gencacheredis.Cache
}

var _ grants.Cache = (*Cache)(nil)

// Option configures New.
type Option func(*Cache) error

// WithPrefix sets the key prefix (default DefaultPrefix).
// The prefix must be 1 to 128 bytes without "{", "}", spaces or control
// characters (ErrOption).
func WithPrefix(p string) Option {
	return func(c *Cache) error {
		if err := rediskey.CheckPrefix(p); err != nil {
			return fmt.Errorf("%w: %w", ErrOption, err)
		}
		c.prefix = p
		return nil
	}
}

// WithGenerationTTL sets how long an uncache is remembered (default
// grants.DefaultGenerationTTL): a read-through load that takes longer than
// this after an Uncache may cache what it read before it. It must be
// positive (ErrOption).
func WithGenerationTTL(d time.Duration) Option {
	return func(c *Cache) error {
		if d <= 0 {
			return fmt.Errorf("%w: generation TTL %v: want a positive duration", ErrOption, d)
		}
		c.genTTL = d
		return nil
	}
}

// New returns a Cache on rdb. The caller keeps ownership of rdb: the Cache
// never closes it.
// An invalid option value is an error wrapping ErrOption.
func New(rdb Client, opts ...Option) (*Cache, error) {
	c := &Cache{prefix: DefaultPrefix, genTTL: grants.DefaultGenerationTTL}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(c); err != nil {
			return nil, err
		}
	}
	c.gc = gencacheredis.New(rdb, c.prefix, c.genTTL)
	return c, nil
}

// entry is the stored form of one override.
type entry struct {
	Name    string `json:"n"`
	Value   string `json:"v"`
	Expires int64  `json:"e,omitempty"` // Unix nanoseconds; 0: never
}

// Get implements grants.Cache with one MGET. An entry that cannot be
// decoded is reported as a miss, so the next load overwrites it.
func (c *Cache) Get(ctx context.Context, uid string) ([]grants.Override, uint64, bool, error) {
	data, gen, ok, err := c.gc.Get(ctx, uid)
	if err != nil || !ok {
		return nil, gen, false, err
	}
	var es []entry
	if err := json.Unmarshal(data, &es); err != nil {
		return nil, gen, false, nil
	}
	out := make([]grants.Override, 0, len(es))
	for _, e := range es {
		o := grants.Override{UID: uid, Name: e.Name, Value: e.Value}
		if e.Expires != 0 {
			o.Expires = time.Unix(0, e.Expires).UTC()
		}
		out = append(out, o)
	}
	return out, gen, true, nil
}

// Set implements grants.Cache with one script.
func (c *Cache) Set(ctx context.Context, uid string, gen uint64, overrides []grants.Override, ttl time.Duration) error {
	es := make([]entry, 0, len(overrides))
	for _, o := range overrides {
		e := entry{Name: o.Name, Value: o.Value}
		if !o.Expires.IsZero() {
			e.Expires = o.Expires.UnixNano()
		}
		es = append(es, e)
	}
	data, err := json.Marshal(es)
	if err != nil {
		return err
	}
	return c.gc.Set(ctx, uid, gen, data, ttl)
}

// Delete implements grants.Cache with one script.
func (c *Cache) Delete(ctx context.Context, uid string) error {
	return c.gc.Delete(ctx, uid)
}
