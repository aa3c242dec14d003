package redisstore

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/grants"
	"github.com/apicrud-go/apicrud/internal/rediskey"
)

// DefaultPrefix is the key prefix used when WithPrefix is not given.
const DefaultPrefix = "apicrud:grants:"

var (
	//go:embed set.lua
	setLua    string
	setScript = redis.NewScript(setLua)
	//go:embed delete.lua
	deleteLua    string
	deleteScript = redis.NewScript(deleteLua)
)

// Client is what the cache needs of a go-redis client: *redis.Client,
// *redis.ClusterClient, *redis.Ring and redis.UniversalClient satisfy it.
type Client interface {
	redis.Scripter
	MGet(ctx context.Context, keys ...string) *redis.SliceCmd
}

// Cache is a grants.Cache in Redis, shared by every instance. Use New.
type Cache struct {
	rdb    Client
	prefix string
	genTTL time.Duration
}

var _ grants.Cache = (*Cache)(nil)

// Option configures New.
type Option func(*Cache)

// WithPrefix sets the key prefix (default DefaultPrefix).
func WithPrefix(p string) Option { return func(c *Cache) { c.prefix = p } }

// WithGenerationTTL sets how long an uncache is remembered (default
// grants.DefaultGenerationTTL): a read-through load that takes longer than
// this after an Uncache may cache what it read before it. Non-positive
// values keep the default.
func WithGenerationTTL(d time.Duration) Option {
	return func(c *Cache) {
		if d > 0 {
			c.genTTL = d
		}
	}
}

// New returns a Cache on rdb. The caller keeps ownership of rdb: the Cache
// never closes it.
func New(rdb Client, opts ...Option) *Cache {
	c := &Cache{rdb: rdb, prefix: DefaultPrefix, genTTL: grants.DefaultGenerationTTL}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

func (c *Cache) keys(uid string) []string {
	return []string{rediskey.Tagged(c.prefix, uid, ":v"), rediskey.Tagged(c.prefix, uid, ":g")}
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
	vals, err := c.rdb.MGet(ctx, c.keys(uid)...).Result()
	if err != nil {
		return nil, 0, false, err
	}
	if len(vals) != 2 {
		return nil, 0, false, fmt.Errorf("%w: MGET returned %d values", rediskey.ErrReply, len(vals))
	}
	var gen uint64
	if s, ok := vals[1].(string); ok {
		if gen, err = strconv.ParseUint(s, 10, 64); err != nil {
			return nil, 0, false, fmt.Errorf("%w: generation %q", rediskey.ErrReply, s)
		}
	}
	s, ok := vals[0].(string)
	if !ok {
		return nil, gen, false, nil
	}
	var es []entry
	if err := json.Unmarshal([]byte(s), &es); err != nil {
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
	ms := ttl.Milliseconds()
	if ms <= 0 {
		return nil
	}
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
	err = setScript.Run(ctx, c.rdb, c.keys(uid), strconv.FormatUint(gen, 10), data, ms).Err()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return err
}

// Delete implements grants.Cache with one script.
func (c *Cache) Delete(ctx context.Context, uid string) error {
	return deleteScript.Run(ctx, c.rdb, c.keys(uid), c.genTTL.Milliseconds()).Err()
}
