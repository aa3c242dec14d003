package ratelimit

import (
	"context"
	"time"

	"github.com/apicrud-go/apicrud/internal/memstore"
)

// MemoryStore is the in-memory Store, the default of New: the limits of one
// process. It is safe for concurrent use; each Allow is one critical section
// on its key. Use NewMemoryStore; the zero value is not usable. A Limiter
// closes the MemoryStore it created itself, never one it was given.
//
// A key takes one map entry, which expires when its bucket is full again,
// so idle keys cost nothing after their reset time.
type MemoryStore struct {
	tats *memstore.Store[int64] // key → TAT in Unix nanoseconds
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore. Its sweeper, which reclaims
// the entries of idle keys, runs until Close.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{tats: memstore.New[int64](0)}
}

// Close stops the sweeper and waits for it, or for ctx to end. The store
// keeps working afterwards; idle entries are then reclaimed when touched.
func (s *MemoryStore) Close(ctx context.Context) error {
	return s.tats.Close(ctx)
}

// Allow implements Store.
func (s *MemoryStore) Allow(ctx context.Context, key string, limit Limit, n int) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	var res Result
	s.tats.Update(key, func(tat int64, _ time.Duration, exists bool) (int64, time.Duration, memstore.Action) {
		now := time.Now().UnixNano()
		if !exists {
			tat = 0
		}
		r, newTAT, write := gcra(tat, now, limit, n)
		res = r
		if !write {
			return tat, 0, memstore.Keep
		}
		return newTAT, time.Duration(newTAT - now), memstore.Put
	})
	return res, nil
}

// Reset implements Store.
func (s *MemoryStore) Reset(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.tats.Delete(key)
	return nil
}

// gcra decides n events at now for a key whose theoretical arrival time is
// tat (both in nanoseconds; tat <= now for an idle or unknown key). It
// returns the result, the new TAT, and whether the TAT must be written.
// redisstore's gcra.lua is the same computation in microseconds.
func gcra(tat, now int64, l Limit, n int) (Result, int64, bool) {
	t := int64(l.Interval())
	b := int64(l.MaxBurst())
	if tat < now {
		tat = now
	}
	newTAT := tat + int64(n)*t
	allowAt := newTAT - b*t
	if now < allowAt {
		return Result{
			Limit:      l,
			Remaining:  int((now - (tat - b*t)) / t),
			RetryAfter: time.Duration(allowAt - now),
			ResetAfter: time.Duration(tat - now),
		}, tat, false
	}
	return Result{
		Limit:      l,
		Allowed:    n,
		Remaining:  int((now - allowAt) / t),
		ResetAfter: time.Duration(newTAT - now),
	}, newTAT, n > 0
}
