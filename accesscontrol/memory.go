package accesscontrol

import (
	"context"
	"slices"
	"sync/atomic"
	"time"

	"github.com/apicrud-go/apicrud/internal/memstore"
)

// MemoryKeyStore is the in-memory KeyStore: for a single process, and for
// tests. Use NewMemoryKeyStore; Close releases it.
type MemoryKeyStore struct {
	keys   *memstore.Store[APIKey] // prefix -> key
	names  *memstore.Store[string] // uid + "\x00" + name -> prefix
	closed atomic.Bool
}

var _ KeyStore = (*MemoryKeyStore)(nil)

// NewMemoryKeyStore returns an empty store.
func NewMemoryKeyStore() *MemoryKeyStore {
	return &MemoryKeyStore{keys: memstore.New[APIKey](time.Hour), names: memstore.New[string](time.Hour)}
}

func cloneKey(k APIKey) APIKey {
	k.Scopes = slices.Clone(k.Scopes)
	return k
}

func nameKey(uid, name string) string { return uid + "\x00" + name }

// Create implements KeyStore.
func (m *MemoryKeyStore) Create(_ context.Context, k APIKey) error {
	if m.closed.Load() {
		return ErrClosed
	}
	nk := nameKey(k.UID, k.Name)
	if !m.names.SetNX(nk, k.Prefix, 0) {
		return ErrKeyExists
	}
	if !m.keys.SetNX(k.Prefix, cloneKey(k), 0) {
		m.names.Update(nk, func(v string, ttl time.Duration, ok bool) (string, time.Duration, memstore.Action) {
			if ok && v == k.Prefix {
				return v, ttl, memstore.Remove
			}
			return v, ttl, memstore.Keep
		})
		return ErrKeyExists
	}
	return nil
}

// Get implements KeyStore.
func (m *MemoryKeyStore) Get(_ context.Context, prefix string) (APIKey, error) {
	if m.closed.Load() {
		return APIKey{}, ErrClosed
	}
	k, ok := m.keys.Get(prefix)
	if !ok {
		return APIKey{}, ErrKeyNotFound
	}
	return cloneKey(k), nil
}

// List implements KeyStore.
func (m *MemoryKeyStore) List(_ context.Context, uid string) ([]APIKey, error) {
	if m.closed.Load() {
		return nil, ErrClosed
	}
	var out []APIKey
	m.keys.Range(func(_ string, k APIKey) bool {
		if k.UID == uid {
			out = append(out, cloneKey(k))
		}
		return true
	})
	slices.SortFunc(out, func(a, b APIKey) int {
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

func (m *MemoryKeyStore) update(prefix string, fn func(*APIKey)) error {
	if m.closed.Load() {
		return ErrClosed
	}
	found := false
	m.keys.Update(prefix, func(k APIKey, ttl time.Duration, ok bool) (APIKey, time.Duration, memstore.Action) {
		if !ok {
			return k, ttl, memstore.Keep
		}
		found = true
		k = cloneKey(k)
		fn(&k)
		return k, ttl, memstore.PutKeepTTL
	})
	if !found {
		return ErrKeyNotFound
	}
	return nil
}

// Touch implements KeyStore.
func (m *MemoryKeyStore) Touch(_ context.Context, prefix string, at time.Time) error {
	return m.update(prefix, func(k *APIKey) {
		if at.After(k.LastUsed) {
			k.LastUsed = at
		}
	})
}

// SetStatus implements KeyStore.
func (m *MemoryKeyStore) SetStatus(_ context.Context, prefix, status string) error {
	return m.update(prefix, func(k *APIKey) { k.Status = status })
}

// Delete implements KeyStore.
func (m *MemoryKeyStore) Delete(_ context.Context, prefix string) error {
	if m.closed.Load() {
		return ErrClosed
	}
	var old APIKey
	found := false
	m.keys.Update(prefix, func(k APIKey, ttl time.Duration, ok bool) (APIKey, time.Duration, memstore.Action) {
		old, found = k, ok
		return k, ttl, memstore.Remove
	})
	if !found {
		return ErrKeyNotFound
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
func (m *MemoryKeyStore) Close(ctx context.Context) error {
	m.closed.Store(true)
	err := m.keys.Close(ctx)
	if err2 := m.names.Close(ctx); err == nil {
		err = err2
	}
	return err
}
