// Package storetest is the conformance suite of metrics.Store
// implementations. The in-memory store and metrics/redisstore pass it; a
// custom store should too:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) metrics.Store { return newMyStore(t) })
//	}
package storetest
