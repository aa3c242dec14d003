// Package storetest is the conformance suite of crud.CacheStore
// implementations. crud.MemoryCacheStore and crud/redisstore pass it; a
// custom implementation should too:
//
//	func TestMyCacheStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) crud.CacheStore { return newMyStore(t) })
//	}
package storetest
