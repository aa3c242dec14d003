// Package storetest is the conformance suite of grants.Store and
// grants.Cache implementations. Both in-memory types, grants/sqlstore and
// grants/redisstore pass it; a custom implementation should too:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) grants.Store { return newMyStore(t) })
//	}
package storetest
