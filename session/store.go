package session

import (
	"context"
	"time"
)

// Store keeps the server side of sessions and the small pieces of login
// state that must be shared by every instance of a service: throttling
// counters, the last accepted TOTP time step of each account, and the
// digests of outstanding confirmation and reset tokens.
//
// A Store only ever sees sealed session bytes, hashed session ids and
// digests of one-time tokens: a dump of it holds no usable credential.
// Session ids are grouped by uid (the per-user index), so that logging a
// user out everywhere and listing a user's sessions are one call each.
//
// Implementations must be safe for concurrent use. Each method is one
// critical section in memory and one round trip (one Lua script) in Redis.
// A method that cannot reach its backend returns an error; it never
// pretends that a session exists or that an attempt is allowed. uid and id
// arguments are never empty and never hold braces, whitespace or control
// characters; keys are printable ASCII without braces.
type Store interface {
	// Create stores data as session id of uid and adds id to uid's index.
	// The session expires idle after its creation or last refresh (never,
	// when idle <= 0), and absolute after its creation at the latest.
	// An existing session with the same id is replaced.
	Create(ctx context.Context, uid, id string, data []byte, idle, absolute time.Duration) error

	// Get returns session id of uid; ok is false when it does not exist or
	// has expired. When idle > 0 and at least refreshAfter has passed since
	// the session was created or last refreshed, Get also pushes its idle
	// deadline to idle from now (never past its absolute deadline) and sets
	// Entry.Refreshed; otherwise Get writes nothing. refreshAfter <= 0
	// refreshes on every call.
	Get(ctx context.Context, uid, id string, idle, refreshAfter time.Duration) (e Entry, ok bool, err error)

	// Replace stores data as session id of uid only if the session still
	// holds old (compare-and-swap), keeping its deadlines, and reports
	// whether it did. It reports false when the session changed or is gone.
	Replace(ctx context.Context, uid, id string, old, data []byte) (bool, error)

	// Delete removes session id of uid and reports whether it existed.
	Delete(ctx context.Context, uid, id string) (bool, error)

	// DeleteAll removes every session of uid and returns how many existed.
	DeleteAll(ctx context.Context, uid string) (int, error)

	// List returns the live sessions of uid, in any order.
	List(ctx context.Context, uid string) ([]Entry, error)

	// Attempt is the request counter (password-reset links). When key is
	// waiting (an earlier attempt set a wait that has not elapsed) it
	// returns the time left and changes nothing. Otherwise it counts one
	// more attempt n, makes the next one wait l.Delay(n), keeps the state
	// for l.Window after this attempt (and at least until the wait ends),
	// and returns 0.
	Attempt(ctx context.Context, key string, l Ladder) (wait time.Duration, err error)

	// Reserve is the failure throttle, checked before a credential. Key
	// holds n counted failures, a wait, and the reservations in flight
	// (attempts reserved and not yet settled, each forgotten hold after it
	// was made). When key is waiting, Reserve returns the time left. When
	// r > 0 attempts are in flight and l.Delay(n+r) > 0 (their failing
	// would make this attempt wait), it returns an Admission that is
	// neither reserved nor waiting: busy, retry once they settle.
	// Otherwise it records reservation id (unique, chosen by the caller)
	// and returns Reserved. The key lives at least hold.
	Reserve(ctx context.Context, key, id string, l Ladder, hold time.Duration) (Admission, error)

	// Settle ends reservation id of key with outcome: OutcomeFailed counts
	// a failure n (even when the reservation has expired) and makes the
	// next attempt wait l.Delay(n), keeping the state at least l.Window;
	// OutcomePassed only drops the reservation; OutcomeCleared also
	// forgets the failures and the wait. Settling an unknown key or id
	// with another outcome than OutcomeFailed is a no-op.
	Settle(ctx context.Context, key, id string, l Ladder, outcome Outcome) error

	// AdvanceStep stores step under key if it is greater than the step
	// stored there, and reports whether it did. The key expires ttl after
	// the last successful store. It is the TOTP replay guard: a time step
	// accepted once for an account is never accepted again.
	AdvanceStep(ctx context.Context, key string, step int64, ttl time.Duration) (bool, error)

	// PutToken stores the digest of a one-time token under key for ttl,
	// replacing the previous one (a new link voids the older link).
	PutToken(ctx context.Context, key string, digest []byte, ttl time.Duration) error

	// TakeToken deletes key if it holds digest (compare-and-delete) and
	// reports whether it did: a token is accepted at most once.
	TakeToken(ctx context.Context, key string, digest []byte) (bool, error)
}

// Entry is a stored session as a Store sees it.
type Entry struct {
	// ID is the session id: a hash of the session's token, never the token.
	ID string
	// Data is the sealed session.
	Data []byte
	// Expires is the absolute deadline.
	Expires time.Time
	// Refreshed tells that Get pushed the idle deadline (Get only).
	Refreshed bool
}
