package grants

import (
	"context"
	"time"
)

// Override is one account's value of one grant: a row of the grants table.
type Override struct {
	// UID is the account the override applies to.
	UID string `json:"uid"`
	// Name is the grant name.
	Name string `json:"name"`
	// Value is the value as written (see Value for how it is read).
	Value string `json:"value"`
	// Expires is when the override stops applying; zero means never.
	Expires time.Time `json:"expires,omitzero"`
}

// active reports whether o applies at now.
func (o Override) active(now time.Time) bool {
	return o.Expires.IsZero() || now.Before(o.Expires)
}

// Store holds the per-account overrides: the source of truth that the cache
// reads through. NewMemoryStore is the in-memory implementation and
// grants/sqlstore the SQL one. Implementations must be safe for concurrent
// use; storetest.Run checks an implementation.
type Store interface {
	// Overrides returns the overrides of uid that are active (status
	// "active" where the store has a status) and have not expired at the
	// time of the call, in any order. An account without overrides gives an
	// empty slice and no error.
	Overrides(ctx context.Context, uid string) ([]Override, error)
	// Put creates the override (o.UID, o.Name), or replaces its value and
	// expiry (and makes it active again) when it exists.
	Put(ctx context.Context, o Override) error
	// Delete removes the override (uid, name). Deleting an absent override
	// is not an error.
	Delete(ctx context.Context, uid, name string) error
}

// Cache is the read-through cache of each account's overrides:
// NewMemoryCache (per process) or grants/redisstore (shared by every
// instance, so that Uncache on one instance is seen by all). Implementations
// must be safe for concurrent use; storetest.RunCache checks one.
//
// A generation number closes the race between a load and an invalidation:
// Get returns, on a miss, the uid's current generation; Delete increments
// it; Set stores only when the generation is still the one the load began
// with. So a load that read the store before an Uncache can never put its
// stale result into the cache afterwards.
type Cache interface {
	// Get returns the cached overrides of uid and ok=true, or on a miss
	// ok=false and the generation to pass to Set. A cached empty slice is a
	// hit (an account without overrides is cached like any other).
	Get(ctx context.Context, uid string) (overrides []Override, gen uint64, ok bool, err error)
	// Set caches overrides for uid for ttl (> 0), unless Delete(uid) has run
	// since the Get that returned gen; then it does nothing.
	Set(ctx context.Context, uid string, gen uint64, overrides []Override, ttl time.Duration) error
	// Delete drops the cached entry of uid and increments its generation.
	Delete(ctx context.Context, uid string) error
}
