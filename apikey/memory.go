package apikey

import (
	"context"
	"slices"
	"sync/atomic"
	"time"

	"github.com/apicrud-go/apicrud/internal/memstore"
)

// MemoryStore is the in-memory Store, the default of New: for a single
// process, and for tests. It is safe for concurrent use. Use
// NewMemoryStore (the zero value is not usable); Close releases it. A
// Manager closes the MemoryStore it created itself, never one it was
// given.
type MemoryStore struct {
	keys   *memstore.Store[Record] // prefix -> key
	names  *memstore.Store[string] // uid + "\x00" + name -> prefix
	closed atomic.Bool
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore. Call Close when done with
// it.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{keys: memstore.New[Record](time.Hour), names: memstore.New[string](time.Hour)}
}

func cloneRecord(k Record) Record {
	k.Scopes = slices.Clone(k.Scopes)
	return k
}

func nameKey(uid, name string) string { return uid + "\x00" + name }

// Create implements Store.
func (m *MemoryStore) Create(_ context.Context, k Record) error {
	if m.closed.Load() {
		return ErrClosed
	}
	nk := nameKey(k.UID, k.Name)
	if !m.names.SetNX(nk, k.Prefix, 0) {
		return ErrExists
	}
	if !m.keys.SetNX(k.Prefix, cloneRecord(k), 0) {
		m.names.Update(nk, func(v string, ttl time.Duration, ok bool) (string, time.Duration, memstore.Action) {
			if ok && v == k.Prefix {
				return v, ttl, memstore.Remove
			}
			return v, ttl, memstore.Keep
		})
		return ErrExists
	}
	return nil
}

// Get implements Store.
func (m *MemoryStore) Get(_ context.Context, prefix string) (Record, error) {
	if m.closed.Load() {
		return Record{}, ErrClosed
	}
	k, ok := m.keys.Get(prefix)
	if !ok {
		return Record{}, ErrNotFound
	}
	return cloneRecord(k), nil
}

// List implements Store.
func (m *MemoryStore) List(_ context.Context, uid string) ([]Record, error) {
	if m.closed.Load() {
		return nil, ErrClosed
	}
	var out []Record
	m.keys.Range(func(_ string, k Record) bool {
		if k.UID == uid {
			out = append(out, cloneRecord(k))
		}
		return true
	})
	slices.SortFunc(out, func(a, b Record) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		if a.Prefix < b.Prefix {
			return -1
		}
		return 1
	})
	return out, nil
}

func (m *MemoryStore) update(prefix string, fn func(*Record)) error {
	if m.closed.Load() {
		return ErrClosed
	}
	found := false
	m.keys.Update(prefix, func(k Record, ttl time.Duration, ok bool) (Record, time.Duration, memstore.Action) {
		if !ok {
			return k, ttl, memstore.Keep
		}
		found = true
		k = cloneRecord(k)
		fn(&k)
		return k, ttl, memstore.PutKeepTTL
	})
	if !found {
		return ErrNotFound
	}
	return nil
}

// Touch implements Store.
func (m *MemoryStore) Touch(_ context.Context, prefix string, at time.Time) error {
	return m.update(prefix, func(k *Record) {
		if at.After(k.LastUsed) {
			k.LastUsed = at
		}
	})
}

// SetStatus implements Store.
func (m *MemoryStore) SetStatus(_ context.Context, prefix, status string) error {
	return m.update(prefix, func(k *Record) { k.Status = status })
}

// Delete implements Store.
func (m *MemoryStore) Delete(_ context.Context, prefix string) error {
	if m.closed.Load() {
		return ErrClosed
	}
	var old Record
	found := false
	m.keys.Update(prefix, func(k Record, ttl time.Duration, ok bool) (Record, time.Duration, memstore.Action) {
		old, found = k, ok
		return k, ttl, memstore.Remove
	})
	if !found {
		return ErrNotFound
	}
	m.names.Update(nameKey(old.UID, old.Name), func(v string, ttl time.Duration, ok bool) (string, time.Duration, memstore.Action) {
		if ok && v == prefix {
			return v, ttl, memstore.Remove
		}
		return v, ttl, memstore.Keep
	})
	return nil
}

// Close releases the store; later calls return ErrClosed.
func (m *MemoryStore) Close(ctx context.Context) error {
	m.closed.Store(true)
	err := m.keys.Close(ctx)
	if err2 := m.names.Close(ctx); err == nil {
		err = err2
	}
	return err
}
