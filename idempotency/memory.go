package idempotency

import (
	"context"
	"time"

	"github.com/apicrud-go/apicrud/internal/memstore"
)

// MemoryStore is the in-memory Store of one process. Use NewMemoryStore;
// Close stops its sweeper.
type MemoryStore struct {
	m *memstore.Store[Record]
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore whose expired records are
// swept every minute.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{m: memstore.New[Record](time.Minute)}
}

// Begin implements Store.
func (s *MemoryStore) Begin(_ context.Context, key, fp string, lockTTL time.Duration) (Record, bool, error) {
	var rec Record
	started := false
	s.m.Update(key, func(v Record, _ time.Duration, exists bool) (Record, time.Duration, memstore.Action) {
		if exists {
			rec = v
			return v, 0, memstore.Keep
		}
		started = true
		return Record{Fingerprint: fp}, lockTTL, memstore.Put
	})
	return rec, started, nil
}

// Complete implements Store.
func (s *MemoryStore) Complete(_ context.Context, key string, rec Record, ttl time.Duration) error {
	rec.Done = true
	rec.Header = rec.Header.Clone()
	rec.Body = append([]byte(nil), rec.Body...)
	s.m.Update(key, func(v Record, _ time.Duration, exists bool) (Record, time.Duration, memstore.Action) {
		if !exists || v.Done || v.Fingerprint != rec.Fingerprint {
			return v, 0, memstore.Keep
		}
		return rec, ttl, memstore.Put
	})
	return nil
}

// Abandon implements Store.
func (s *MemoryStore) Abandon(_ context.Context, key, fp string) error {
	s.m.Update(key, func(v Record, _ time.Duration, exists bool) (Record, time.Duration, memstore.Action) {
		if !exists || v.Done || v.Fingerprint != fp {
			return v, 0, memstore.Keep
		}
		return v, 0, memstore.Remove
	})
	return nil
}

// Close stops the sweeper.
func (s *MemoryStore) Close(ctx context.Context) error { return s.m.Close(ctx) }
