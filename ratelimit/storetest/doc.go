// Package storetest is the conformance suite every ratelimit.Store passes:
// the in-memory store, the Redis store, and any store a user writes.
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) ratelimit.Store { return newMyStore(t) })
//	}
//
// newStore must return an empty store, isolated from the stores of other
// calls (a fresh prefix, a fresh database), and arrange its cleanup with
// t.Cleanup. Cases that depend on time use limits whose interval is long
// compared with a round trip, or short real intervals with
// require.Eventually, so the suite runs against servers with their own
// clocks.
package storetest
