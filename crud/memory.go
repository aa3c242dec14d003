package crud

import (
	"context"
	"slices"
	"time"

	"github.com/apicrud-go/apicrud/internal/memstore"
)

// MemoryCacheStore is the in-process CacheStore, the default of NewCached.
// An Uncache on one instance does not reach the memory stores of others:
// with several instances, use crud/redisstore or accept staleness up to the
// cache TTL. Use NewMemoryCacheStore; Close stops its sweeper. It is safe
// for concurrent use and must not be copied.
type MemoryCacheStore struct {
	m *memstore.Store[memoryCacheEntry]
}

type memoryCacheEntry struct {
	data  []byte // never mutated once stored
	gen   uint64
	until time.Time // data valid before until; zero: nothing cached
}

var _ CacheStore = (*MemoryCacheStore)(nil)

// NewMemoryCacheStore returns an empty in-memory CacheStore.
func NewMemoryCacheStore() *MemoryCacheStore {
	return &MemoryCacheStore{m: memstore.New[memoryCacheEntry](0)}
}

// Get implements CacheStore. It costs one shard lock and no copy: data is
// the stored slice, which is never modified.
func (s *MemoryCacheStore) Get(ctx context.Context, key string) ([]byte, uint64, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, false, err
	}
	e, _ := s.m.Get(key)
	if !e.until.IsZero() && time.Now().Before(e.until) {
		return e.data, e.gen, true, nil
	}
	return nil, e.gen, false, nil
}

// Set implements CacheStore.
func (s *MemoryCacheStore) Set(ctx context.Context, key string, gen uint64, data []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ttl <= 0 {
		return nil
	}
	stored := slices.Clone(data)
	if stored == nil {
		stored = []byte{}
	}
	s.m.Update(key, func(e memoryCacheEntry, left time.Duration, _ bool) (memoryCacheEntry, time.Duration, memstore.Action) {
		if e.gen != gen {
			return e, 0, memstore.Keep
		}
		entryTTL := ttl
		if e.gen != 0 && left > entryTTL {
			entryTTL = left // keep remembering the generation
		}
		return memoryCacheEntry{data: stored, gen: gen, until: time.Now().Add(ttl)}, entryTTL, memstore.Put
	})
	return nil
}

// Delete implements CacheStore.
func (s *MemoryCacheStore) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.m.Update(key, func(e memoryCacheEntry, _ time.Duration, _ bool) (memoryCacheEntry, time.Duration, memstore.Action) {
		return memoryCacheEntry{gen: e.gen + 1}, DefaultGenerationTTL, memstore.Put
	})
	return nil
}

// Close stops the sweeper that reclaims expired entries. The store stays
// usable; Close is idempotent.
func (s *MemoryCacheStore) Close(ctx context.Context) error { return s.m.Close(ctx) }
