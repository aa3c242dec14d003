// Package storetest is the conformance suite of passkey.Store: every
// store (passkey.MemoryStore, package passkey/redisstore, package
// passkey/sqlstore, or one of your own) must pass Run.
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) passkey.Store { return newEmptyStore(t) })
//	}
//
// The suite covers the round trip of every field, credential ids of any
// bytes, uniqueness of ids across accounts, the isolation of accounts
// (a passkey is only found, renamed or removed through its own account),
// the signature counter rules of Use, and concurrent Use and Add calls,
// of which exactly one may win.
package storetest
