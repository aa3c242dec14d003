// Package redisstore is the Redis mutex.Store (import alias mutexredis):
// locks shared by every instance of a service that uses one Redis.
//
//	rdb := redis.NewClient(opts) // any redis.Scripter: single, Sentinel, Cluster, Ring
//	store, err := mutexredis.New(rdb) // an invalid option is an error
//	locker, err := mutex.New(mutex.WithStore(store))
//
// # Keys and round trips
//
// A lock name uses two keys, both with the hash tag {<name>} so that Redis
// Cluster puts them in one slot (default prefix "apicrud:mutex:",
// WithPrefix):
//
//   - <prefix>{<name>}:lock holds the current holder's token (22 random
//     URL-safe characters) with the lock's TTL in milliseconds, rounded
//     up; Redis expires it on its own clock;
//   - <prefix>{<name>}:fence holds the fencing counter, the last token
//     handed out. A token is max(counter + 1, the server's clock in
//     microseconds), and the counter expires once the clock has passed
//     its value by the retention (WithFenceRetention, default 24 h): a
//     counter created again afterwards starts from the clock, past every
//     earlier token, so tokens only ever grow while the names no longer
//     locked cost nothing after a day. This holds as long as the server's
//     clock does not step back by more than the retention (a failover to
//     a server whose clock is behind counts as such a step). The same
//     clock floor makes tokens keep growing after a failover lost the
//     newest counter values.
//
// Each Store method is one round trip, one Lua script run with EVALSHA
// (EVAL when the server does not have it cached, redis.Script.Run):
// Obtain is obtain.lua (SET NX PX, and when it succeeded TIME, GET and
// SET PX of the counter), Extend is extend.lua (GET, compare, PEXPIRE), Release is
// release.lua (GET, compare, DEL). Acquire makes one Obtain per attempt;
// nothing runs in the background except a Lock's watchdog, if started.
//
// # Ownership and failures
//
// The Store never closes the client it is given. Errors (connection
// refused, timeouts, a cancelled context) are returned wrapped with
// "mutexredis:"; the Locker returns them to its caller at once (no blind
// retries, no fallback to a local lock). Locks are as durable as the
// Redis that holds them: after a failover with asynchronous replication
// the newest locks and fencing counters may be lost (see the mutex package
// documentation, Failure policy).
//
// An ID (lock name, account, key) that is empty or starts with "}" cannot be
// a Redis Cluster hash tag as it stands: its keys take the SHA-256 of it
// instead, <prefix>#{<hex>}<suffix>, so they still share one slot.
package redisstore
