// Package storetest is the conformance suite of login.Store and
// login.AccountStore: every store (the in-memory ones, the Redis store,
// package sqlaccounts, or one you write) must pass Run or RunAccounts.
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) login.Store { return newMyStore(t) })
//	}
//
// Run includes concurrency cases (run them under -race) and uses real
// time with deadlines of a few hundred milliseconds, so that it also runs
// against servers.
package storetest
