package passkey

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryStore is the in-memory Store, for tests, examples and
// single-process hosts. It is safe for concurrent use; each method is one
// critical section. Use NewMemoryStore.
type MemoryStore struct {
	mu    sync.Mutex
	byUID map[string]map[string]Credential // uid → string(id) → passkey
	owner map[string]string                // string(id) → uid
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{byUID: map[string]map[string]Credential{}, owner: map[string]string{}}
}

func clone(c Credential) Credential {
	c.ID = bytes.Clone(c.ID)
	c.PublicKey = bytes.Clone(c.PublicKey)
	c.AAGUID = bytes.Clone(c.AAGUID)
	c.Transports = slices.Clone(c.Transports)
	c.Created = c.Created.UTC().Truncate(time.Millisecond)
	c.LastUsed = c.LastUsed.UTC().Truncate(time.Millisecond)
	return c
}

// Add implements Store.
func (s *MemoryStore) Add(_ context.Context, c Credential) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.owner[string(c.ID)]; taken {
		return ErrExists
	}
	m := s.byUID[c.UID]
	if m == nil {
		m = map[string]Credential{}
		s.byUID[c.UID] = m
	}
	m[string(c.ID)] = clone(c)
	s.owner[string(c.ID)] = c.UID
	return nil
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, uid string, id []byte) (Credential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byUID[uid][string(id)]
	if !ok {
		return Credential{}, ErrNotFound
	}
	return clone(c), nil
}

// List implements Store.
func (s *MemoryStore) List(_ context.Context, uid string) ([]Credential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Credential, 0, len(s.byUID[uid]))
	for _, c := range s.byUID[uid] {
		out = append(out, clone(c))
	}
	SortCredentials(out)
	return out, nil
}

// SortCredentials orders passkeys oldest first, ties by id, as Store.List
// returns them.
func SortCredentials(cs []Credential) {
	slices.SortFunc(cs, func(a, b Credential) int {
		return cmp.Or(a.Created.Compare(b.Created), bytes.Compare(a.ID, b.ID))
	})
}

// Rename implements Store.
func (s *MemoryStore) Rename(_ context.Context, uid string, id []byte, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byUID[uid][string(id)]
	if !ok {
		return ErrNotFound
	}
	c.Name = name
	s.byUID[uid][string(id)] = c
	return nil
}

// Remove implements Store.
func (s *MemoryStore) Remove(_ context.Context, uid string, id []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byUID[uid][string(id)]; !ok {
		return ErrNotFound
	}
	delete(s.byUID[uid], string(id))
	if len(s.byUID[uid]) == 0 {
		delete(s.byUID, uid)
	}
	delete(s.owner, string(id))
	return nil
}

// RemoveAll implements Store.
func (s *MemoryStore) RemoveAll(_ context.Context, uid string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.byUID[uid]
	for id := range m {
		delete(s.owner, id)
	}
	delete(s.byUID, uid)
	return len(m), nil
}

// Use implements Store.
func (s *MemoryStore) Use(_ context.Context, uid string, id []byte, count uint32, at time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byUID[uid][string(id)]
	if !ok {
		return false, ErrNotFound
	}
	if !Advances(c.SignCount, count) {
		return false, nil
	}
	c.SignCount, c.LastUsed = count, at.UTC().Truncate(time.Millisecond)
	s.byUID[uid][string(id)] = c
	return true, nil
}

// Advances reports whether an authenticator's signature counter count
// may follow the stored counter: it must be greater, unless both are 0
// (an authenticator that keeps no counter). Stores implement Use with it.
func Advances(stored, count uint32) bool {
	return count > stored || (count == 0 && stored == 0)
}
