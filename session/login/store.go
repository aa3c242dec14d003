package login

import (
	"context"
	"time"
)

// Store keeps the login state that every instance of a service must
// share: throttling counters, the last accepted TOTP time step of each
// account, and the digests of outstanding confirmation and reset links.
// Sessions themselves live in the session.Store of the session.Manager.
//
// A Store only ever sees digests of one-time tokens and of throttling
// subjects: a dump of it holds no usable credential.
//
// Implementations must be safe for concurrent use. Each method is one
// critical section in memory and one round trip (one Lua script) in Redis.
// A method that cannot reach its backend returns an error; it never
// pretends that an attempt is allowed or a token valid. Keys are printable
// ASCII without braces.
type Store interface {
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
