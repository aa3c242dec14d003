// Package storetest is the conformance suite of session.Store: every
// store of sessions (the in-memory one, the Redis store, or one you write)
// must pass Run.
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) session.Store { return newMyStore(t) })
//	}
//
// Run includes concurrency cases (run them under -race) and uses real
// time with deadlines of a few hundred milliseconds, so that it also runs
// against servers. The suites of login state and of accounts are in
// package login/storetest.
package storetest
