package grants

import (
	"context"
	"slices"
	"time"

	"github.com/apicrud-go/apicrud/internal/gencache"
	"github.com/apicrud-go/apicrud/internal/memstore"
)

// MemoryStore is the in-memory Store: overrides held in this process only,
// lost when it exits. It suits tests and single-process hosts that set
// overrides from configuration at start-up. Use NewMemoryStore; Close stops
// its sweeper.
type MemoryStore struct {
	m *memstore.Store[map[string]Override] // uid -> name -> override; maps are never mutated once stored
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty in-memory Store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{m: memstore.New[map[string]Override](0)}
}

// Overrides implements Store.
func (s *MemoryStore) Overrides(ctx context.Context, uid string) ([]Override, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, _ := s.m.Get(uid)
	now := time.Now()
	out := make([]Override, 0, len(m))
	for _, o := range m {
		if o.active(now) {
			out = append(out, o)
		}
	}
	return out, nil
}

// Put implements Store.
func (s *MemoryStore) Put(ctx context.Context, o Override) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.update(o.UID, func(m map[string]Override) { m[o.Name] = o })
	return nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(ctx context.Context, uid, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.update(uid, func(m map[string]Override) { delete(m, name) })
	return nil
}

// update replaces uid's map with a modified copy, dropping expired
// overrides, and lets the entry expire with its last override.
func (s *MemoryStore) update(uid string, fn func(map[string]Override)) {
	s.m.Update(uid, func(old map[string]Override, _ time.Duration, _ bool) (map[string]Override, time.Duration, memstore.Action) {
		now := time.Now()
		m := make(map[string]Override, len(old)+1)
		for k, o := range old {
			if o.active(now) {
				m[k] = o
			}
		}
		fn(m)
		if len(m) == 0 {
			return nil, 0, memstore.Remove
		}
		var last time.Time
		for _, o := range m {
			if o.Expires.IsZero() {
				return m, 0, memstore.Put // something never expires
			}
			if o.Expires.After(last) {
				last = o.Expires
			}
		}
		return m, last.Sub(now), memstore.Put
	})
}

// Close stops the sweeper that reclaims expired overrides.
func (s *MemoryStore) Close(ctx context.Context) error { return s.m.Close(ctx) }

// DefaultGenerationTTL is how long a Cache remembers that an account was
// uncached (its generation), which bounds the time a read-through load may
// take without risk of caching stale overrides.
const DefaultGenerationTTL = 10 * time.Minute

// MemoryCache is the in-process Cache. Uncache on one instance does not
// reach the caches of others: with several instances, use grants/redisstore
// or accept staleness up to the cache TTL. Use NewMemoryCache; Close stops
// its sweeper.
type MemoryCache struct {
	c *gencache.Memory[Override]
}

var _ Cache = (*MemoryCache)(nil)

// NewMemoryCache returns an empty in-memory Cache.
func NewMemoryCache() *MemoryCache {
	return &MemoryCache{c: gencache.NewMemory[Override](DefaultGenerationTTL)}
}

// Get implements Cache. A hit returns a copy of the cached overrides.
func (c *MemoryCache) Get(ctx context.Context, uid string) ([]Override, uint64, bool, error) {
	overrides, gen, ok, err := c.c.Get(ctx, uid)
	if ok {
		overrides = slices.Clone(overrides)
	}
	return overrides, gen, ok, err
}

// Set implements Cache.
func (c *MemoryCache) Set(ctx context.Context, uid string, gen uint64, overrides []Override, ttl time.Duration) error {
	return c.c.Set(ctx, uid, gen, overrides, ttl)
}

// Delete implements Cache.
func (c *MemoryCache) Delete(ctx context.Context, uid string) error {
	return c.c.Delete(ctx, uid)
}

// Close stops the sweeper that reclaims expired entries.
func (c *MemoryCache) Close(ctx context.Context) error { return c.c.Close(ctx) }

// index returns the overrides active at now by name.
func index(list []Override, now time.Time) map[string]Override {
	m := make(map[string]Override, len(list))
	for _, o := range list {
		if o.active(now) {
			m[o.Name] = o
		}
	}
	return m
}
