package session

import (
	"context"
	"time"
)

// Store keeps the server side of sessions, shared by every instance of a
// service. It has six methods, all about sessions; the state of login
// flows (throttling, TOTP replay, one-time links) lives in package
// login's own Store, so a store of sessions alone is all a host writes
// when it keeps sessions somewhere else.
//
// A Store only ever sees sealed session bytes and hashed session ids: a
// dump of it holds no usable credential.
// Session ids are grouped by uid (the per-user index), so that logging a
// user out everywhere and listing a user's sessions are one call each.
//
// Implementations must be safe for concurrent use. Each method is one
// critical section in memory and one round trip (one Lua script) in Redis.
// A method that cannot reach its backend returns an error; it never
// pretends that a session exists. uid and id arguments are never empty
// and never hold braces, whitespace or control characters.
type Store interface {
	// Create stores data as session id of uid and adds id to uid's index.
	// The session expires idle after its creation or last refresh (never,
	// when idle <= 0), and absolute after its creation at the latest.
	// An existing session with the same id is replaced.
	Create(ctx context.Context, uid, id string, data []byte, idle, absolute time.Duration) error

	// Get returns session id of uid; ok is false when it does not exist or
	// has expired. When at least refreshAfter has passed since the session
	// was created or last refreshed, and idle > 0 or use is not nil, Get
	// refreshes it in the same step: it pushes the idle deadline to idle
	// from now when idle > 0 (never past the absolute deadline), stores
	// what use returns as the session's last use when that is not empty
	// (Entry.Use of List), and sets Entry.Refreshed; otherwise Get writes
	// nothing. refreshAfter <= 0 refreshes on every call.
	//
	// use seals the last use, which costs time: Get calls it at most once
	// per call, never while holding a lock, and only when the refresh is
	// due — or, in a store that decides remotely (in a script), before
	// each round trip it makes.
	Get(ctx context.Context, uid, id string, idle, refreshAfter time.Duration, use func() []byte) (e Entry, ok bool, err error)

	// Replace stores data as session id of uid only if the session still
	// holds old (compare-and-swap), keeping its deadlines and last use, and reports
	// whether it did. It reports false when the session changed or is gone.
	Replace(ctx context.Context, uid, id string, old, data []byte) (bool, error)

	// Delete removes session id of uid and reports whether it existed.
	Delete(ctx context.Context, uid, id string) (bool, error)

	// DeleteAll removes every session of uid but keep (none is kept when
	// keep is empty) and returns how many live sessions it removed.
	DeleteAll(ctx context.Context, uid, keep string) (int, error)

	// List returns the live sessions of uid, in any order, with their
	// last use.
	List(ctx context.Context, uid string) ([]Entry, error)
}

// Entry is a stored session as a Store sees it.
type Entry struct {
	// ID is the session id: a hash of the session's token, never the token.
	ID string
	// Data is the sealed session.
	Data []byte
	// Expires is the absolute deadline.
	Expires time.Time
	// Use is the sealed last use Get stored, nil when none was (List
	// only).
	Use []byte
	// Refreshed tells that Get refreshed the session (Get only).
	Refreshed bool
}
