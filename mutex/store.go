package mutex

import (
	"context"
	"time"
)

// Store holds locks: for each name, the token of its current holder with
// an expiry, and a fencing counter. Implementations must be safe for
// concurrent use, and each method must be one atomic step (one critical
// section in memory, one Lua script in Redis) on the store's own clock, so
// that processes sharing a store agree on who holds a lock.
//
// Names and tokens are opaque non-empty strings (the Locker makes tokens of
// 22 random URL-safe characters); ttl is at least a millisecond. The
// conformance suite in mutex/storetest checks these rules; run it against
// any Store you write.
type Store interface {
	// Obtain makes token the holder of name for ttl if name is not held
	// (never held, released, or expired), and returns the lock's new
	// fencing token: positive, and strictly greater than every fencing token
	// name had before, expiry included (not necessarily the next integer:
	// the Redis store's follow its server's clock). When name is held,
	// Obtain returns (0, false, nil) and changes nothing.
	Obtain(ctx context.Context, name, token string, ttl time.Duration) (fence int64, ok bool, err error)
	// Extend sets the expiry of name to ttl from now if token holds it, and
	// reports whether it did; false (and no change) when name is not held
	// or is held by another token.
	Extend(ctx context.Context, name, token string, ttl time.Duration) (ok bool, err error)
	// Release frees name if token holds it, and reports whether it did; it
	// never frees a lock held by another token (compare-and-delete). The
	// fencing counter survives.
	Release(ctx context.Context, name, token string) (ok bool, err error)
}
