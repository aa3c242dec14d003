package accesscontrol

import (
	"context"
	"log/slog"
	"time"
)

// Key statuses.
const (
	KeyActive  = "active"
	KeyRevoked = "revoked"
)

// APIKey is a stored API key: everything but the secret, of which only
// the hash is kept. Times are in UTC; stores keep millisecond precision.
type APIKey struct {
	Prefix string   // public id of the key, unique
	Hash   [32]byte // SHA-256 of the secret (HMAC-SHA-256 with WithPepper)
	UID    string   // owner
	Name   string   // unique per owner
	Scopes []string
	Status string // KeyActive or KeyRevoked
	// Created is the creation time; Expires the expiry (zero: never);
	// LastUsed the last verification recorded (zero: never), updated at
	// most once per WithTouchInterval.
	Created, Expires, LastUsed time.Time
}

// LogValue logs the key's prefix, owner, name, scopes and status, never
// its hash.
func (k APIKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("prefix", k.Prefix), slog.String("uid", k.UID), slog.String("name", k.Name),
		slog.Any("scopes", k.Scopes), slog.String("status", k.Status))
}

// KeyStore stores API keys. Implementations must be safe for concurrent
// use. The in-memory MemoryKeyStore and the sqlx store of package
// accesscontrol/sqlkeys both pass accesscontrol/storetest.
type KeyStore interface {
	// Create stores k. It returns ErrKeyExists when the prefix, or the
	// (UID, Name) pair, is taken.
	Create(ctx context.Context, k APIKey) error
	// Get returns the key with prefix, or ErrKeyNotFound.
	Get(ctx context.Context, prefix string) (APIKey, error)
	// List returns the keys of owner uid, oldest first (ties by prefix).
	List(ctx context.Context, uid string) ([]APIKey, error)
	// Touch records a use at time at: LastUsed becomes at unless it is
	// already later. ErrKeyNotFound when absent.
	Touch(ctx context.Context, prefix string, at time.Time) error
	// SetStatus sets the status. ErrKeyNotFound when absent.
	SetStatus(ctx context.Context, prefix, status string) error
	// Delete removes the key. ErrKeyNotFound when absent.
	Delete(ctx context.Context, prefix string) error
}

// Owner is what an OwnerSource knows about the owner of a key.
type Owner struct {
	Roles     []string
	AccountID string
}

// OwnerSource returns the current roles of a key's owner at every
// verification, so that a demoted or disabled owner's keys follow at once.
// It returns an error for an owner who may not authenticate (disabled
// account, unknown uid); Verify then fails with ErrKeyOwner.
type OwnerSource interface {
	KeyOwner(ctx context.Context, uid string) (Owner, error)
}

// OwnerFunc adapts a function to OwnerSource.
type OwnerFunc func(ctx context.Context, uid string) (Owner, error)

// KeyOwner calls f.
func (f OwnerFunc) KeyOwner(ctx context.Context, uid string) (Owner, error) { return f(ctx, uid) }
