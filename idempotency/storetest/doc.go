// Package storetest is the conformance suite of idempotency.Store
// implementations: the memory store and idempotency/redisstore pass it, and
// so must a store of your own.
package storetest
