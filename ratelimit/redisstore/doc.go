// Package redisstore is the Redis ratelimit.Store (import alias
// ratelimitredis): limits shared by every instance of a service.
//
//	rdb := redis.NewClient(opts) // any redis.Scripter: single, Sentinel, Cluster, Ring
//	lim, err := ratelimit.New(ratelimit.WithStore(ratelimitredis.New(rdb)))
//
// # Keys and round trips
//
// Each bucket is one string key, <prefix>{<store key>} (default prefix
// "apicrud:ratelimit:"; the braces are the Redis Cluster hash tag), holding
// its theoretical arrival time in Unix microseconds of the server's clock
// and expiring when the bucket is full again. Allow is one round trip: one
// Lua script (gcra.lua) run with EVALSHA, falling back to EVAL when the
// server does not have it cached (redis.Script.Run), which reads the time
// with redis.call("TIME") so that every instance uses one clock, and makes
// the decision and the write atomically. Reset is one round trip
// (reset.lua, a DEL). The scripts replicate their effects, so they work on
// replicas and in Cluster from Redis 3.2 on.
//
// # Ownership and failures
//
// The Store never closes the client it is given. Errors (connection
// refused, timeouts, a cancelled context) are returned wrapped with
// "ratelimitredis:"; the Limiter's middleware turns them into its failure
// policy (fail-closed 503 by default).
//
// An ID (lock name, account, key) that is empty or starts with "}" cannot be
// a Redis Cluster hash tag as it stands: its keys take the SHA-256 of it
// instead, <prefix>#{<hex>}<suffix>, so they still share one slot.
package redisstore
