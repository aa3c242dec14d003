package crud

import (
	"context"
	"time"

	"github.com/apicrud-go/apicrud/internal/gencache"
)

// MemoryCacheStore is the in-process CacheStore, the default of NewCached.
// An Uncache on one instance does not reach the memory stores of others:
// with several instances, use crud/redisstore or accept staleness up to the
// cache TTL. Use NewMemoryCacheStore; Close stops its sweeper. It is safe
// for concurrent use and must not be copied.
type MemoryCacheStore struct {
	c *gencache.Memory[byte]
}

var _ CacheStore = (*MemoryCacheStore)(nil)

// NewMemoryCacheStore returns an empty in-memory CacheStore.
func NewMemoryCacheStore() *MemoryCacheStore {
	return &MemoryCacheStore{c: gencache.NewMemory[byte](DefaultGenerationTTL)}
}

// Get implements CacheStore. It costs one shard lock and no copy: data is
// the stored slice, which is never modified.
func (s *MemoryCacheStore) Get(ctx context.Context, key string) ([]byte, uint64, bool, error) {
	return s.c.Get(ctx, key)
}

// Set implements CacheStore.
func (s *MemoryCacheStore) Set(ctx context.Context, key string, gen uint64, data []byte, ttl time.Duration) error {
	return s.c.Set(ctx, key, gen, data, ttl)
}

// Delete implements CacheStore.
func (s *MemoryCacheStore) Delete(ctx context.Context, key string) error {
	return s.c.Delete(ctx, key)
}

// Close stops the sweeper that reclaims expired entries. The store stays
// usable; Close is idempotent.
func (s *MemoryCacheStore) Close(ctx context.Context) error { return s.c.Close(ctx) }
