package registry

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/apicrud-go/apicrud/internal/memstore"
)

// MemoryStore is the in-memory Store, for a single process (the default of
// New). It is safe for concurrent use; Close stops its sweeper.
type MemoryStore struct {
	m *memstore.Store[[]byte]
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty in-memory store whose expired entries are
// reclaimed every minute (and are invisible at once).
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{m: memstore.New[[]byte](time.Minute)}
}

// Put implements Store.
func (s *MemoryStore) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.m.Set(key, bytes.Clone(value), ttl)
	return nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(ctx context.Context, key string, value []byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	deleted := false
	s.m.Update(key, func(cur []byte, _ time.Duration, exists bool) ([]byte, time.Duration, memstore.Action) {
		if exists && bytes.Equal(cur, value) {
			deleted = true
			return nil, 0, memstore.Remove
		}
		return cur, 0, memstore.Keep
	})
	return deleted, nil
}

// List implements Store.
func (s *MemoryStore) List(ctx context.Context, prefix string) ([]Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Record
	s.m.Range(func(key string, value []byte) bool {
		if strings.HasPrefix(key, prefix) {
			out = append(out, Record{Key: key, Value: bytes.Clone(value)})
		}
		return true
	})
	return out, nil
}

// Close stops the sweeper and waits for it, or for ctx to end.
func (s *MemoryStore) Close(ctx context.Context) error { return s.m.Close(ctx) }
