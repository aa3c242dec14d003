package mutex

import (
	"context"
	"time"

	"github.com/apicrud-go/apicrud/internal/memstore"
)

// MemoryStore is the in-memory Store, the default of New: locks between
// the goroutines of one process. It is safe for concurrent use; each
// method is one critical section on its lock name. Use NewMemoryStore; the
// zero value is not usable. A Locker closes the MemoryStore it created
// itself, never one it was given.
//
// Each name ever locked keeps one small entry (its fencing counter), as the
// Redis store keeps one key; use a bounded set of names.
type MemoryStore struct {
	locks *memstore.Store[lockState]
}

type lockState struct {
	token string    // "" when free
	until time.Time // expiry of token's hold
	fence int64     // last fencing token handed out
}

func (st lockState) heldAt(now time.Time) bool {
	return st.token != "" && now.Before(st.until)
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore. Call Close when done with
// it.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{locks: memstore.New[lockState](0)}
}

// Close stops the store's background sweeper and waits for it, or for ctx
// to end. The store keeps working afterwards.
func (s *MemoryStore) Close(ctx context.Context) error {
	return s.locks.Close(ctx)
}

// Obtain implements Store.
func (s *MemoryStore) Obtain(ctx context.Context, name, token string, ttl time.Duration) (int64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	var fence int64
	s.locks.Update(name, func(st lockState, _ time.Duration, _ bool) (lockState, time.Duration, memstore.Action) {
		now := time.Now()
		if st.heldAt(now) {
			return st, 0, memstore.Keep
		}
		fence = st.fence + 1
		return lockState{token: token, until: now.Add(ttl), fence: fence}, 0, memstore.Put
	})
	return fence, fence != 0, nil
}

// Extend implements Store.
func (s *MemoryStore) Extend(ctx context.Context, name, token string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	ok := false
	s.locks.Update(name, func(st lockState, _ time.Duration, _ bool) (lockState, time.Duration, memstore.Action) {
		now := time.Now()
		if !st.heldAt(now) || st.token != token {
			return st, 0, memstore.Keep
		}
		ok = true
		st.until = now.Add(ttl)
		return st, 0, memstore.Put
	})
	return ok, nil
}

// Release implements Store.
func (s *MemoryStore) Release(ctx context.Context, name, token string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	ok := false
	s.locks.Update(name, func(st lockState, _ time.Duration, _ bool) (lockState, time.Duration, memstore.Action) {
		if !st.heldAt(time.Now()) || st.token != token {
			return st, 0, memstore.Keep
		}
		ok = true
		st.token, st.until = "", time.Time{}
		return st, 0, memstore.Put
	})
	return ok, nil
}
