// Package memstore is the concurrency-safe in-memory key/value store with
// per-key expiry that the in-memory backends of apicrud share.
//
// A [Store] is a sharded map. Expired entries are invisible at once (every
// read checks the deadline) and are reclaimed by a sweeper goroutine that
// [New] starts and [Store.Close] stops, so keys that are never read again do
// not grow the map without bound.
package memstore

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

const shardCount = 32

// DefaultSweepInterval is how often the sweeper reclaims expired entries
// when New is given a non-positive interval.
const DefaultSweepInterval = time.Minute

type entry[V any] struct {
	value    V
	deadline time.Time // zero: never expires
}

func (e *entry[V]) expired(now time.Time) bool {
	return !e.deadline.IsZero() && !now.Before(e.deadline)
}

type shard[V any] struct {
	mu sync.Mutex // guards m
	m  map[string]entry[V]
}

// Store is a map from string keys to values of type V with optional per-key
// expiry. It is safe for concurrent use by multiple goroutines. Use New; the
// zero value is not usable. A Store must not be copied.
type Store[V any] struct {
	seed   maphash.Seed
	shards [shardCount]shard[V]

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// New returns an empty store whose sweeper reclaims expired entries every
// sweepInterval (DefaultSweepInterval when sweepInterval <= 0). Call Close to
// stop the sweeper.
func New[V any](sweepInterval time.Duration) *Store[V] {
	if sweepInterval <= 0 {
		sweepInterval = DefaultSweepInterval
	}
	s := &Store[V]{
		seed: maphash.MakeSeed(),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for i := range s.shards {
		s.shards[i].m = make(map[string]entry[V])
	}
	go s.sweep(sweepInterval)
	return s
}

func (s *Store[V]) shard(key string) *shard[V] {
	return &s.shards[maphash.String(s.seed, key)%shardCount]
}

func deadline(now time.Time, ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return now.Add(ttl)
}

// Get returns the value stored under key, and false when the key is absent
// or expired.
func (s *Store[V]) Get(key string) (V, bool) {
	v, _, ok := s.GetWithTTL(key)
	return v, ok
}

// GetWithTTL is Get that also returns the time left before the key expires
// (0 for a key without expiry).
func (s *Store[V]) GetWithTTL(key string) (V, time.Duration, bool) {
	sh := s.shard(key)
	now := time.Now()
	sh.mu.Lock()
	e, ok := sh.m[key]
	sh.mu.Unlock()
	if !ok || e.expired(now) {
		var zero V
		return zero, 0, false
	}
	var ttl time.Duration
	if !e.deadline.IsZero() {
		ttl = e.deadline.Sub(now)
	}
	return e.value, ttl, true
}

// Set stores value under key. A ttl <= 0 means the key never expires.
func (s *Store[V]) Set(key string, value V, ttl time.Duration) {
	sh := s.shard(key)
	now := time.Now()
	sh.mu.Lock()
	sh.m[key] = entry[V]{value: value, deadline: deadline(now, ttl)}
	sh.mu.Unlock()
}

// SetNX stores value under key only if the key is absent or expired, and
// reports whether it did.
func (s *Store[V]) SetNX(key string, value V, ttl time.Duration) bool {
	stored := false
	s.Update(key, func(_ V, _ time.Duration, exists bool) (V, time.Duration, Action) {
		if exists {
			return value, 0, Keep
		}
		stored = true
		return value, ttl, Put
	})
	return stored
}

// Delete removes key and reports whether a live entry was removed.
func (s *Store[V]) Delete(key string) bool {
	sh := s.shard(key)
	now := time.Now()
	sh.mu.Lock()
	e, ok := sh.m[key]
	delete(sh.m, key)
	sh.mu.Unlock()
	return ok && !e.expired(now)
}

// Action tells Update what to do with the entry after fn returns.
type Action int

const (
	// Keep leaves the entry (or its absence) as it was.
	Keep Action = iota
	// Put stores the returned value with the returned ttl (<= 0: no expiry).
	Put
	// PutKeepTTL stores the returned value and keeps the entry's current
	// deadline (no expiry for a new entry).
	PutKeepTTL
	// Remove deletes the entry.
	Remove
)

// Update runs fn on the current value of key (exists is false when the key
// is absent or expired, and ttl is 0 for a key without expiry) and applies
// the returned action, all in one critical section: no other operation on
// the key runs in between. fn must not call methods of s.
func (s *Store[V]) Update(key string, fn func(value V, ttl time.Duration, exists bool) (V, time.Duration, Action)) {
	sh := s.shard(key)
	now := time.Now()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.m[key]
	if ok && e.expired(now) {
		delete(sh.m, key)
		ok = false
		e = entry[V]{}
	}
	var ttl time.Duration
	if ok && !e.deadline.IsZero() {
		ttl = e.deadline.Sub(now)
	}
	v, newTTL, action := fn(e.value, ttl, ok)
	switch action {
	case Put:
		sh.m[key] = entry[V]{value: v, deadline: deadline(now, newTTL)}
	case PutKeepTTL:
		sh.m[key] = entry[V]{value: v, deadline: e.deadline}
	case Remove:
		delete(sh.m, key)
	}
}

// Range calls fn for every live entry until fn returns false. Entries added
// or removed during the iteration may or may not be seen. fn runs without
// any lock held, so it may call methods of s.
func (s *Store[V]) Range(fn func(key string, value V) bool) {
	type kv struct {
		k string
		v V
	}
	for i := range s.shards {
		sh := &s.shards[i]
		now := time.Now()
		sh.mu.Lock()
		batch := make([]kv, 0, len(sh.m))
		for k, e := range sh.m {
			if !e.expired(now) {
				batch = append(batch, kv{k, e.value})
			}
		}
		sh.mu.Unlock()
		for _, p := range batch {
			if !fn(p.k, p.v) {
				return
			}
		}
	}
}

// Len returns the number of entries held, expired ones not yet swept included.
func (s *Store[V]) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// Sweep removes every expired entry now. The sweeper calls it periodically.
func (s *Store[V]) Sweep() {
	for i := range s.shards {
		sh := &s.shards[i]
		now := time.Now()
		sh.mu.Lock()
		for k, e := range sh.m {
			if e.expired(now) {
				delete(sh.m, k)
			}
		}
		sh.mu.Unlock()
	}
}

func (s *Store[V]) sweep(interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.Sweep()
		}
	}
}

// Close stops the sweeper and waits for it to return, or for ctx to end.
// The store stays usable after Close; expired entries are then only
// reclaimed when touched. Close is idempotent.
func (s *Store[V]) Close(ctx context.Context) error {
	s.once.Do(func() { close(s.stop) })
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
