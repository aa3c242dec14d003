package gencache

import (
	"context"
	"slices"
	"time"

	"github.com/apicrud-go/apicrud/internal/memstore"
)

// Memory is the in-process generation cache of values of type []E. It is
// safe for concurrent use by multiple goroutines and must not be copied.
// Use NewMemory; Close stops its sweeper.
type Memory[E any] struct {
	m      *memstore.Store[entry[E]]
	genTTL time.Duration
}

type entry[E any] struct {
	value []E // never mutated once stored
	gen   uint64
	until time.Time // value valid before until; zero: nothing cached
}

// NewMemory returns an empty Memory that remembers a Delete for genTTL
// (which must be positive: memstore keeps a non-positive TTL forever).
func NewMemory[E any](genTTL time.Duration) *Memory[E] {
	return &Memory[E]{m: memstore.New[entry[E]](0), genTTL: genTTL}
}

// Get returns the value cached under key and ok=true, or ok=false on a miss
// (absent or expired); in both cases gen is the key's current generation. A
// hit costs one shard lock and no copy: value is the stored slice, which the
// caller must not modify (a caller that hands it to other code clones it).
func (c *Memory[E]) Get(ctx context.Context, key string) (value []E, gen uint64, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, false, err
	}
	e, _ := c.m.Get(key)
	if !e.until.IsZero() && time.Now().Before(e.until) {
		return e.value, e.gen, true, nil
	}
	return nil, e.gen, false, nil
}

// Set caches a copy of value under key for ttl, unless the key's generation
// is no longer gen (then it does nothing). A nil value is cached as an empty
// one (a hit); a ttl <= 0 stores nothing. An entry whose generation is
// still remembered lives as long as the generation, so that storing a value
// with a short ttl does not forget a Delete.
func (c *Memory[E]) Set(ctx context.Context, key string, gen uint64, value []E, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ttl <= 0 {
		return nil
	}
	stored := slices.Clone(value)
	if stored == nil {
		stored = []E{}
	}
	c.m.Update(key, func(e entry[E], left time.Duration, _ bool) (entry[E], time.Duration, memstore.Action) {
		if e.gen != gen {
			return e, 0, memstore.Keep
		}
		entryTTL := ttl
		if e.gen != 0 && left > entryTTL {
			entryTTL = left // keep remembering the generation
		}
		return entry[E]{value: stored, gen: gen, until: time.Now().Add(ttl)}, entryTTL, memstore.Put
	})
	return nil
}

// Delete drops the entry of key and increments its generation, which is
// then remembered for the generation TTL. Deleting an absent key is not an
// error (the generation still moves).
func (c *Memory[E]) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.m.Update(key, func(e entry[E], _ time.Duration, _ bool) (entry[E], time.Duration, memstore.Action) {
		return entry[E]{gen: e.gen + 1}, c.genTTL, memstore.Put
	})
	return nil
}

// Close stops the sweeper that reclaims expired entries. The cache stays
// usable; Close is idempotent.
func (c *Memory[E]) Close(ctx context.Context) error { return c.m.Close(ctx) }
