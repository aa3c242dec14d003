// Package redisstore is the Redis implementation of crud.CacheStore: the
// read-through record cache of crud.Cached shared by every instance of a
// service. The cached bytes live in Redis, so an Uncache on one instance
// (which every write through a crud.Resource performs) is seen by all
// instances on their next read: no pub/sub, no version check against the
// database. Import it as crudredis next to other apicrud Redis stores.
//
// # Key schema
//
// With the default prefix "apicrud:crud:", record id of resource name has
// two keys that share the hash tag {<name>:<id>} (one Redis Cluster slot):
//
//	apicrud:crud:{<name>:<id>}:v   the encoded record; TTL = cache TTL
//	apicrud:crud:{<name>:<id>}:g   generation, incremented by Uncache; TTL = generation TTL
//
// # Round trips
//
//	Get     1 (MGET of both keys)
//	Set     1 (script: compare the generation, SET PX)
//	Delete  1 (script: DEL, INCR, PEXPIRE)
//
// A cached read (crud.Cached.Get) therefore costs one round trip on a hit
// and, on a miss, one, plus one SELECT, plus one. A write of n records
// through a crud.Resource costs 2n Delete round trips (before and after the
// commit) per attached cache.
//
// # Failure policy
//
// Errors are returned, never replaced by process-local state: a read fails
// when Redis is down (crud.Cached.Get returns the error), and a write
// through a crud.Resource whose invalidation fails is rolled back.
//
// # Security
//
// The cache holds whole records, hidden (json:"-") columns included, in
// plain form: protect Redis as the database itself, or keep secrets out of
// cached resources. Anyone who can write to Redis can change what Get
// returns until the entry expires. An entry that does not decode is treated
// by crud.Cached as a miss and overwritten by the next load.
//
// The Store never closes the client it was given.
//
// An ID (lock name, account, key) that is empty or starts with "}" cannot be
// a Redis Cluster hash tag as it stands: its keys take the SHA-256 of it
// instead, <prefix>#{<hex>}<suffix>, so they still share one slot.
package redisstore
