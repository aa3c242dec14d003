package registry

import (
	"context"
	"time"
)

// Store holds the sealed registry entries. Keys are "<service>:<id>"
// (neither part contains a colon); values are opaque bytes. Implementations
// must be safe for concurrent use; each method is one critical section in
// memory and one round trip (one Lua script) in Redis.
type Store interface {
	// Put stores value under key for ttl, replacing any previous value
	// and its deadline.
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes key only if it still holds value (compare-and-delete,
	// so an instance that deregisters late never removes the entry of a
	// newer instance with the same id), and reports whether it did.
	Delete(ctx context.Context, key string, value []byte) (bool, error)
	// List returns every live (unexpired) record whose key starts with
	// prefix ("" for all), in any order.
	List(ctx context.Context, prefix string) ([]Record, error)
}

// Record is one stored entry.
type Record struct {
	Key   string
	Value []byte
}
