// Package redisstore is the Redis implementation of grants.Cache: the
// read-through cache of account overrides shared by every instance of a
// service, so that Uncache on one instance is seen by all at once. Import it
// as grantsredis next to other apicrud Redis stores.
//
// # Key schema
//
// With the default prefix "apicrud:grants:", account uid has two keys that
// share the hash tag {uid} (one Redis Cluster slot):
//
//	apicrud:grants:{<uid>}:v   JSON list of the account's active overrides; TTL = cache TTL
//	apicrud:grants:{<uid>}:g   generation, incremented by Uncache; TTL = generation TTL
//
// # Round trips
//
//	Get     1 (MGET of both keys)
//	Set     1 (script: compare the generation, SET PX)
//	Delete  1 (script: DEL, INCR, PEXPIRE)
//
// A grants lookup therefore costs one round trip on a hit and, on a miss,
// one, plus the store's query, plus one.
//
// # Security
//
// The cache holds grant values (limits), not secrets. Anyone who can write to
// Redis can raise an account's limits until the entry expires; protect Redis
// as the rest of the service's state. An entry that does not decode is
// treated as a miss and overwritten by the next load.
//
// The Cache never closes the client it was given.
//
// An ID (lock name, account, key) that is empty or starts with "}" cannot be
// a Redis Cluster hash tag as it stands: its keys take the SHA-256 of it
// instead, <prefix>#{<hex>}<suffix>, so they still share one slot.
package redisstore
