package session

import (
	"bytes"
	"context"
	"time"

	"github.com/apicrud-go/apicrud/internal/memstore"
)

// MemoryStore is the in-memory Store, the default of New: the sessions of
// one process. It is safe for concurrent use. Use
// NewMemoryStore; the zero value is not usable. A Manager closes the
// MemoryStore it created itself, never one it was given.
//
// All sessions of a uid live in one map entry, so that every operation on
// a user's sessions (including the index operations DeleteAll and List) is
// one critical section, like one Lua script in Redis.
type MemoryStore struct {
	users *memstore.Store[*memUser] // uid → sessions
}

var _ Store = (*MemoryStore)(nil)

// memUser holds the sessions of one uid. It is only touched inside the
// critical section of its memstore entry.
type memUser struct {
	sessions map[string]*memSession
	pruneAt  int // prune expired sessions when len(sessions) reaches it
}

type memSession struct {
	data      []byte
	use       []byte    // last use (Get)
	idleAt    time.Time // zero: no idle deadline
	absAt     time.Time
	refreshed time.Time // creation or last refresh
}

func (s *memSession) expired(now time.Time) bool {
	return !now.Before(s.absAt) || (!s.idleAt.IsZero() && !now.Before(s.idleAt))
}

// NewMemoryStore returns an empty MemoryStore. Its sweepers run until Close.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{users: memstore.New[*memUser](0)}
}

// Close stops the sweepers and waits for them, or for ctx to end. The store
// keeps working afterwards; expired entries are then reclaimed when touched.
func (s *MemoryStore) Close(ctx context.Context) error {
	return s.users.Close(ctx)
}

// prune removes expired sessions of u and returns the time the user entry
// must live (the latest absolute deadline), or 0 when u is empty.
func (u *memUser) prune(now time.Time) time.Duration {
	var last time.Time
	for id, ss := range u.sessions {
		if ss.expired(now) {
			delete(u.sessions, id)
			continue
		}
		if ss.absAt.After(last) {
			last = ss.absAt
		}
	}
	u.pruneAt = max(64, 2*len(u.sessions))
	if len(u.sessions) == 0 {
		return 0
	}
	return last.Sub(now)
}

// keep returns the Update result for u after a change: removed when
// empty, otherwise kept with its deadline.
func keep(u *memUser) (*memUser, time.Duration, memstore.Action) {
	if len(u.sessions) == 0 {
		return nil, 0, memstore.Remove
	}
	return u, 0, memstore.Keep
}

// Create implements Store.
func (s *MemoryStore) Create(_ context.Context, uid, id string, data []byte, idle, absolute time.Duration) error {
	now := time.Now()
	ss := &memSession{data: bytes.Clone(data), absAt: now.Add(absolute), refreshed: now}
	if idle > 0 {
		ss.idleAt = now.Add(idle)
	}
	s.users.Update(uid, func(u *memUser, ttl time.Duration, exists bool) (*memUser, time.Duration, memstore.Action) {
		if !exists || u == nil {
			u = &memUser{sessions: make(map[string]*memSession, 1), pruneAt: 64}
		}
		u.sessions[id] = ss
		if len(u.sessions) >= u.pruneAt { // amortised O(1) per Create
			ttl = u.prune(now)
		}
		return u, max(ttl, absolute), memstore.Put
	})
	return nil
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, uid, id string, idle, refreshAfter time.Duration, use func() []byte) (Entry, bool, error) {
	var e Entry
	var found, due bool
	var stamp time.Time // the refresh time seen when a use is due
	now := time.Now()
	s.users.Update(uid, func(u *memUser, _ time.Duration, exists bool) (*memUser, time.Duration, memstore.Action) {
		if !exists {
			return u, 0, memstore.Keep
		}
		ss, ok := u.sessions[id]
		if !ok {
			return u, 0, memstore.Keep
		}
		if ss.expired(now) {
			delete(u.sessions, id)
			return keep(u)
		}
		switch {
		case use != nil && now.Sub(ss.refreshed) >= refreshAfter:
			due, stamp = true, ss.refreshed // refreshed below, once use is sealed
		case idle > 0 && now.Sub(ss.refreshed) >= refreshAfter:
			ss.refresh(now, idle, nil)
			e.Refreshed = true
		}
		found = true
		e.ID, e.Data, e.Expires = id, bytes.Clone(ss.data), ss.absAt
		return u, 0, memstore.Keep
	})
	if due {
		sealed := use() // outside the critical section
		s.users.Update(uid, func(u *memUser, _ time.Duration, exists bool) (*memUser, time.Duration, memstore.Action) {
			if !exists {
				return u, 0, memstore.Keep
			}
			// Another call may have refreshed it meanwhile: then this
			// use is not due any more.
			if ss, ok := u.sessions[id]; ok && !ss.expired(now) && ss.refreshed.Equal(stamp) {
				ss.refresh(now, idle, sealed)
				e.Refreshed = true
			}
			return u, 0, memstore.Keep
		})
	}
	return e, found, nil
}

// refresh pushes the idle deadline of s (when idle > 0) and stores its
// last use (when not empty), at now.
func (s *memSession) refresh(now time.Time, idle time.Duration, use []byte) {
	if idle > 0 {
		s.idleAt = now.Add(idle)
		if s.idleAt.After(s.absAt) {
			s.idleAt = s.absAt
		}
	}
	if len(use) > 0 {
		s.use = bytes.Clone(use)
	}
	s.refreshed = now
}

// Replace implements Store.
func (s *MemoryStore) Replace(_ context.Context, uid, id string, old, data []byte) (bool, error) {
	done := false
	now := time.Now()
	s.users.Update(uid, func(u *memUser, _ time.Duration, exists bool) (*memUser, time.Duration, memstore.Action) {
		if !exists {
			return u, 0, memstore.Keep
		}
		if ss, ok := u.sessions[id]; ok && !ss.expired(now) && bytes.Equal(ss.data, old) {
			ss.data = bytes.Clone(data)
			done = true
		}
		return u, 0, memstore.Keep
	})
	return done, nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(_ context.Context, uid, id string) (bool, error) {
	found := false
	now := time.Now()
	s.users.Update(uid, func(u *memUser, _ time.Duration, exists bool) (*memUser, time.Duration, memstore.Action) {
		if !exists {
			return u, 0, memstore.Keep
		}
		if ss, ok := u.sessions[id]; ok {
			found = !ss.expired(now)
			delete(u.sessions, id)
		}
		return keep(u)
	})
	return found, nil
}

// DeleteAll implements Store.
func (s *MemoryStore) DeleteAll(_ context.Context, uid, except string) (int, error) {
	n := 0
	now := time.Now()
	s.users.Update(uid, func(u *memUser, _ time.Duration, exists bool) (*memUser, time.Duration, memstore.Action) {
		if !exists {
			return u, 0, memstore.Keep
		}
		for id, ss := range u.sessions {
			if id == except {
				continue
			}
			if !ss.expired(now) {
				n++
			}
			delete(u.sessions, id)
		}
		return keep(u)
	})
	return n, nil
}

// List implements Store.
func (s *MemoryStore) List(_ context.Context, uid string) ([]Entry, error) {
	var out []Entry
	now := time.Now()
	s.users.Update(uid, func(u *memUser, _ time.Duration, exists bool) (*memUser, time.Duration, memstore.Action) {
		if !exists {
			return u, 0, memstore.Keep
		}
		ttl := u.prune(now)
		if ttl <= 0 {
			return nil, 0, memstore.Remove
		}
		for id, ss := range u.sessions {
			out = append(out, Entry{ID: id, Data: bytes.Clone(ss.data), Use: bytes.Clone(ss.use), Expires: ss.absAt})
		}
		return u, ttl, memstore.Put
	})
	return out, nil
}
