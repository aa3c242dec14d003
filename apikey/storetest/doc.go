// Package storetest is the conformance suite of apikey.Store
// implementations. The in-memory apikey.MemoryStore and apikey/sqlstore
// (PostgreSQL, MySQL/MariaDB, SQLite) pass it; run it against your own
// Store the same way:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) apikey.Store { return newMyStore(t) })
//	}
//
// It checks what the Store contract promises: a created key reads back
// field for field (times to the millisecond), ErrNotFound for an absent
// prefix, ErrExists for a taken prefix or (owner, name) pair with nothing
// stored, listing oldest first with ties by prefix, LastUsed that never
// moves back, byte-for-byte comparison of prefixes, owners and names
// whatever the database's collation, callers' slices never shared with
// the store, and exactly one winner among concurrent creates of one name.
package storetest
