package crud

import (
	"context"
	"time"
)

// DefaultCacheTTL is how long a Cached keeps a record when WithCacheTTL is
// not given (apicrud's redis_ttl default is 1200 s; a shorter TTL bounds the
// staleness of process-local caches after writes that bypass crud).
const DefaultCacheTTL = 5 * time.Minute

// DefaultGenerationTTL is how long a CacheStore remembers that a key was
// uncached (its generation). It bounds the time a read-through load may take
// without risk of caching what it read before the Uncache.
const DefaultGenerationTTL = 10 * time.Minute

// CacheStore holds the encoded records of a [Cached]: [MemoryCacheStore]
// (the default; one process) or crud/redisstore (shared by every instance,
// so that an Uncache on one instance is seen by all at once).
// Implementations must be safe for concurrent use; crud/storetest.Run checks
// one.
//
// A generation number per key closes the race between a load and an
// invalidation: Get returns the key's current generation; Delete increments
// it; Set stores only when the generation is still the one its Get returned.
// So a load that read the database before an Uncache can never put its stale
// result into the cache afterwards.
type CacheStore interface {
	// Get returns the data cached under key and ok=true, or ok=false on a
	// miss (absent or expired). In both cases gen is the key's current
	// generation, to pass to Set. The caller must not modify data.
	Get(ctx context.Context, key string) (data []byte, gen uint64, ok bool, err error)
	// Set caches data under key for ttl, unless Delete(key) has run since
	// the Get that returned gen: then it does nothing and returns nil. A ttl
	// <= 0 stores nothing. The store does not retain data after Set returns
	// (it copies what it keeps).
	Set(ctx context.Context, key string, gen uint64, data []byte, ttl time.Duration) error
	// Delete drops the entry of key and increments its generation.
	// Deleting an absent key is not an error (the generation still moves).
	Delete(ctx context.Context, key string) error
}
