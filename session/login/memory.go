package login

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/apicrud-go/apicrud/internal/memstore"
)

// MemoryStore is the in-memory Store, the default of New: the login state
// of one process. It is safe for concurrent use. Use NewMemoryStore; the
// zero value is not usable. A Manager closes the MemoryStore it created
// itself, never one it was given. Each method is one critical section.
type MemoryStore struct {
	tries  *memstore.Store[throttleState]
	steps  *memstore.Store[int64]
	tokens *memstore.Store[[]byte]
}

var _ Store = (*MemoryStore)(nil)

type throttleState struct {
	n     int64
	until time.Time
	held  map[string]time.Time // reservations in flight: id → deadline
}

// inFlight drops the lapsed reservations and returns how many remain.
func (st *throttleState) inFlight(now time.Time) int64 {
	for id, d := range st.held {
		if !now.Before(d) {
			delete(st.held, id)
		}
	}
	return int64(len(st.held))
}

// NewMemoryStore returns an empty MemoryStore. Its sweepers run until Close.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		tries:  memstore.New[throttleState](0),
		steps:  memstore.New[int64](0),
		tokens: memstore.New[[]byte](0),
	}
}

// Close stops the sweepers and waits for them, or for ctx to end. The store
// keeps working afterwards; expired entries are then reclaimed when touched.
func (s *MemoryStore) Close(ctx context.Context) error {
	return errors.Join(s.tries.Close(ctx), s.steps.Close(ctx), s.tokens.Close(ctx))
}

// Attempt implements Store.
func (s *MemoryStore) Attempt(_ context.Context, key string, l Ladder) (time.Duration, error) {
	var wait time.Duration
	now := time.Now()
	s.tries.Update(key, func(st throttleState, _ time.Duration, exists bool) (throttleState, time.Duration, memstore.Action) {
		if exists && now.Before(st.until) {
			wait = st.until.Sub(now)
			return st, 0, memstore.Keep
		}
		if !exists {
			st = throttleState{}
		}
		st.n++
		d := l.Delay(st.n)
		st.until = now.Add(d)
		return st, max(l.Window, d), memstore.Put
	})
	return wait, nil
}

// Reserve implements Store.
func (s *MemoryStore) Reserve(_ context.Context, key, id string, l Ladder, hold time.Duration) (Admission, error) {
	var a Admission
	now := time.Now()
	s.tries.Update(key, func(st throttleState, ttl time.Duration, exists bool) (throttleState, time.Duration, memstore.Action) {
		if !exists {
			st = throttleState{}
		}
		if now.Before(st.until) {
			a.Wait = st.until.Sub(now)
			return st, 0, memstore.Keep
		}
		if r := st.inFlight(now); r > 0 && l.Delay(st.n+r) > 0 {
			return st, 0, memstore.Keep // busy
		}
		if st.held == nil {
			st.held = map[string]time.Time{}
		}
		st.held[id] = now.Add(hold)
		a.Reserved = true
		return st, max(ttl, hold), memstore.Put
	})
	return a, nil
}

// Settle implements Store.
func (s *MemoryStore) Settle(_ context.Context, key, id string, l Ladder, outcome Outcome) error {
	now := time.Now()
	s.tries.Update(key, func(st throttleState, ttl time.Duration, exists bool) (throttleState, time.Duration, memstore.Action) {
		if !exists {
			if outcome != OutcomeFailed {
				return st, 0, memstore.Keep
			}
			st = throttleState{}
		}
		delete(st.held, id)
		switch outcome {
		case OutcomeFailed:
			st.n++
			d := l.Delay(st.n)
			if u := now.Add(d); u.After(st.until) {
				st.until = u
			}
			return st, max(ttl, l.Window, d), memstore.Put
		case OutcomeCleared:
			st.n, st.until = 0, time.Time{}
		}
		if st.n == 0 && st.inFlight(now) == 0 && !now.Before(st.until) {
			return st, 0, memstore.Remove
		}
		return st, 0, memstore.PutKeepTTL
	})
	return nil
}

// AdvanceStep implements Store.
func (s *MemoryStore) AdvanceStep(_ context.Context, key string, step int64, ttl time.Duration) (bool, error) {
	stored := false
	s.steps.Update(key, func(v int64, _ time.Duration, exists bool) (int64, time.Duration, memstore.Action) {
		if exists && v >= step {
			return v, 0, memstore.Keep
		}
		stored = true
		return step, ttl, memstore.Put
	})
	return stored, nil
}

// PutToken implements Store.
func (s *MemoryStore) PutToken(_ context.Context, key string, digest []byte, ttl time.Duration) error {
	s.tokens.Set(key, bytes.Clone(digest), ttl)
	return nil
}

// TakeToken implements Store.
func (s *MemoryStore) TakeToken(_ context.Context, key string, digest []byte) (bool, error) {
	taken := false
	s.tokens.Update(key, func(v []byte, _ time.Duration, exists bool) ([]byte, time.Duration, memstore.Action) {
		if exists && subtle.ConstantTimeCompare(v, digest) == 1 {
			taken = true
			return nil, 0, memstore.Remove
		}
		return v, 0, memstore.Keep
	})
	return taken, nil
}
