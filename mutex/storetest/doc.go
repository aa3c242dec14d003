// Package storetest is the conformance suite every mutex.Store passes: the
// in-memory store, the Redis store, and any store a user writes.
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) mutex.Store { return newMyStore(t) })
//	}
//
// newStore must return an empty store, isolated from the stores of other
// calls (a fresh prefix, a fresh database), and arrange its cleanup with
// t.Cleanup. Expiry cases use short real TTLs and require.Eventually, so
// the suite runs against servers with their own clocks.
package storetest
