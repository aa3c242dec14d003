package apikey

import (
	"context"
	"log/slog"
	"time"
)

// Key statuses.
const (
	// StatusActive is the status of a key that verifies.
	StatusActive = "active"
	// StatusRevoked is the status of a revoked key: Verify refuses it with
	// ErrRevoked.
	StatusRevoked = "revoked"
)

// Record is a stored API key: everything but the secret, of which only
// the hash is kept. Times are in UTC; stores keep millisecond precision.
// The zero Record is no key.
type Record struct {
	Prefix string   // public id of the key, unique
	Hash   [32]byte // SHA-256 of the secret (HMAC-SHA-256 with WithPepper)
	UID    string   // owner
	Name   string   // unique per owner
	Scopes []string
	Status string // StatusActive or StatusRevoked
	// Created is the creation time; Expires the expiry (zero: never);
	// LastUsed the last verification recorded (zero: never), updated at
	// most once per WithTouchInterval.
	Created, Expires, LastUsed time.Time
}

// LogValue logs the key's prefix, owner, name, scopes and status, never
// its hash.
func (k Record) LogValue() slog.Value {
	return slog.GroupValue(slog.String("prefix", k.Prefix), slog.String("uid", k.UID), slog.String("name", k.Name),
		slog.Any("scopes", k.Scopes), slog.String("status", k.Status))
}

// Store stores API keys. Implementations must be safe for concurrent use.
// The in-memory MemoryStore and the sqlx store of package apikey/sqlstore
// both pass apikey/storetest.
type Store interface {
	// Create stores k. It returns ErrExists when the prefix, or the
	// (UID, Name) pair, is taken, and stores nothing then.
	Create(ctx context.Context, k Record) error
	// Get returns the key with prefix, or ErrNotFound.
	Get(ctx context.Context, prefix string) (Record, error)
	// List returns the keys of owner uid, oldest first (ties by prefix);
	// none is an empty list and no error.
	List(ctx context.Context, uid string) ([]Record, error)
	// Touch records a use at time at: LastUsed becomes at unless it is
	// already later. ErrNotFound when absent.
	Touch(ctx context.Context, prefix string, at time.Time) error
	// SetStatus sets the status. ErrNotFound when absent.
	SetStatus(ctx context.Context, prefix, status string) error
	// Delete removes the key. ErrNotFound when absent.
	Delete(ctx context.Context, prefix string) error
}

// Owner is what an OwnerSource knows about the owner of a key.
type Owner struct {
	// Roles are the owner's current roles, as authentication gives them
	// (for example "user" and membership roles).
	Roles []string
	// AccountID is the owner's account id, when the host has one.
	AccountID string
}

// OwnerSource returns the current roles of a key's owner at every
// verification, so that a demoted or disabled owner's keys follow at once.
// It returns an error for an owner who may not authenticate (disabled
// account, unknown uid); Verify then fails with ErrOwner. An error that
// only means the source cannot answer now (its database is down) must
// wrap ErrUnavailable: Verify then fails with ErrUnavailable, not
// ErrOwner, and the request is answered 503, not 401. It is called
// from request goroutines, concurrently, with no lock held.
type OwnerSource interface {
	KeyOwner(ctx context.Context, uid string) (Owner, error)
}

// OwnerFunc adapts a function to OwnerSource.
type OwnerFunc func(ctx context.Context, uid string) (Owner, error)

// KeyOwner calls f.
func (f OwnerFunc) KeyOwner(ctx context.Context, uid string) (Owner, error) { return f(ctx, uid) }
