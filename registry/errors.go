package registry

import "errors"

var (
	// ErrInvalidInstance is returned by Register for an Instance that breaks
	// the rules of Instance (names, URL, address, port).
	ErrInvalidInstance = errors.New("registry: invalid instance")
	// ErrInvalidEntry reports a stored entry that does not open with the
	// Sealer, does not parse, or does not match the key it is stored under:
	// a forged, tampered or foreign entry. Find skips it and reports it.
	ErrInvalidEntry = errors.New("registry: invalid entry")
	// ErrStaleEntry reports an authentic entry whose last heartbeat is older
	// than twice its TTL (a replayed copy of a dead instance's entry) or in
	// the future. Find skips it and reports it.
	ErrStaleEntry = errors.New("registry: stale entry")
	// ErrClosed is returned by the methods of a closed Client.
	ErrClosed = errors.New("registry: client closed")
	// ErrOption is returned by New for an invalid option or a missing
	// Sealer.
	ErrOption = errors.New("registry: invalid option")
)

// EntryError is what the reject function receives for a skipped entry.
type EntryError struct {
	Key string // store key, "<service>:<id>"
	Err error  // wraps ErrInvalidEntry or ErrStaleEntry
}

// Error describes the rejection (never the entry's content).
func (e *EntryError) Error() string { return "registry: entry " + e.Key + ": " + e.Err.Error() }

// Unwrap returns the reason.
func (e *EntryError) Unwrap() error { return e.Err }
