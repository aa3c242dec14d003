package gencacheredis

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/internal/rediskey"
)

var (
	//go:embed set.lua
	setLua    string
	setScript = redis.NewScript(setLua)
	//go:embed delete.lua
	deleteLua    string
	deleteScript = redis.NewScript(deleteLua)
)

// Client is what a Cache needs of a go-redis client: *redis.Client,
// *redis.ClusterClient, *redis.Ring and any redis.UniversalClient satisfy
// it (single, Sentinel or Cluster).
type Client interface {
	redis.Scripter
	MGet(ctx context.Context, keys ...string) *redis.SliceCmd
}

// Cache is the generation cache in Redis, shared by every instance that
// uses the same prefix. It is safe for concurrent use. Use New.
type Cache struct {
	rdb    Client
	prefix string
	genTTL time.Duration
}

// New returns a Cache on rdb whose keys start with prefix and whose
// generations are remembered for genTTL after a Delete (it must be at least
// a millisecond). The caller keeps ownership of rdb.
func New(rdb Client, prefix string, genTTL time.Duration) *Cache {
	return &Cache{rdb: rdb, prefix: prefix, genTTL: genTTL}
}

// keys returns the entry key and the generation key of key.
func (c *Cache) keys(key string) []string {
	return []string{rediskey.Tagged(c.prefix, key, ":v"), rediskey.Tagged(c.prefix, key, ":g")}
}

// Get returns the bytes cached under key and ok=true, or ok=false on a
// miss; in both cases gen is the key's current generation. It costs one
// MGET. A generation that is not a decimal uint64, or a reply of another
// shape, is an error wrapping rediskey.ErrReply.
func (c *Cache) Get(ctx context.Context, key string) (data []byte, gen uint64, ok bool, err error) {
	vals, err := c.rdb.MGet(ctx, c.keys(key)...).Result()
	if err != nil {
		return nil, 0, false, err
	}
	if len(vals) != 2 {
		return nil, 0, false, fmt.Errorf("%w: MGET returned %d values", rediskey.ErrReply, len(vals))
	}
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

// Set caches data under key for ttl (rounded down to milliseconds; less
// than 1 ms stores nothing), unless the key's generation is no longer gen.
// It costs one script.
func (c *Cache) Set(ctx context.Context, key string, gen uint64, data []byte, ttl time.Duration) error {
	ms := ttl.Milliseconds()
	if ms <= 0 {
		return nil
	}
	return setScript.Run(ctx, c.rdb, c.keys(key), strconv.FormatUint(gen, 10), data, ms).Err()
}

// Delete drops the entry of key and increments its generation, which then
// expires after the generation TTL. It costs one script.
func (c *Cache) Delete(ctx context.Context, key string) error {
	return deleteScript.Run(ctx, c.rdb, c.keys(key), c.genTTL.Milliseconds()).Err()
}
