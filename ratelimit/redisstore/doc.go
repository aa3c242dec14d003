// Package redisstore is the Redis ratelimit.Store (import alias
// ratelimitredis): limits shared by every instance of a service.
//
//	rdb := redis.NewClient(opts) // any redis.Scripter: single, Sentinel, Cluster, Ring
//	store, err := ratelimitredis.New(rdb) // an invalid option is an error
//	lim, err := ratelimit.New(ratelimit.WithStore(store))
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
// the decision and the write atomically; its reply is one integer, from
// which the Store derives the whole Result. Reset is one round trip
// (reset.lua, a DEL).
//
// A denial is remembered (WithLocalDenials, on by default): the same or a
// larger request on that key and limit is denied without a round trip until
// the time Redis gave, counted from when the denied request was sent, so
// never later than Redis would allow it, since other instances can only
// take more from the bucket. The exception is a Reset made through another
// instance: this one keeps denying for at most the RetryAfter it
// remembers. An abusive caller thus costs one round trip per RetryAfter,
// not one per request. The scripts replicate their effects, so they work on
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
