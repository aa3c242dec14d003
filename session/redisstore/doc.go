// Package redisstore is the Redis session.Store: sessions shared by every
// instance of a service. Import it as sessionredis:
//
//	import sessionredis "github.com/apicrud-go/apicrud/session/redisstore"
//
//	store, err := sessionredis.New(rdb) // an invalid option is an error
//	m, err := session.New(cipher, secret, session.WithStore(store))
//
// New accepts any redis.Scripter: *redis.Client, *redis.ClusterClient,
// *redis.Ring or a Sentinel failover client. The Store never closes it.
// The login state (throttling, TOTP steps, links) is in package
// login/redisstore, on the same default prefix.
//
// # Key schema
//
// With the default prefix "apicrud:session:" (WithPrefix changes it):
//
//	apicrud:session:{<uid>}:s:<id>   hash {d: sealed session, a: absolute deadline (unix ms), r: last refresh (unix ms),
//	                                 l: sealed last use (client address, user agent, time), once refreshed};
//	                                 key TTL = the idle deadline (capped by the absolute one)
//	apicrud:session:{<uid>}:idx      sorted set id → absolute deadline: the per-user index; expires with its last session;
//	                                 dead entries pruned by List, and by Create whenever the index reaches a multiple of
//	                                 64 entries (so at most 63 besides the sessions live at the last pruning)
//	apicrud:session:invalidate       pub/sub channel: "<uid> <id>" or "<uid>" for each session changed or ended
//
// <id> is base64url(SHA-256(token secret)); the token itself is never
// stored. All keys of one user share the hash tag {<uid>}, so every script
// runs in one Redis Cluster slot. The scripts DeleteAll and List address
// session keys they build from the index (in the same slot), which Redis
// Cluster executes but does not declare in KEYS.
//
// # Round trips
//
// Every method is one round trip: one EVALSHA of an embedded Lua script,
// which needs Redis 7.0 or later (go-redis falls back to EVAL once per
// script and connection after a NOSCRIPT reply). Scripts read the clock with TIME, so all instances
// agree on deadlines. The scripts that change or end a session publish
// it on the invalidation channel, whether or not any instance caches.
//
//	Create       1  create.lua   (session hash + index: TIME, HSET, PEXPIRE, ZADD, ZCARD, PEXPIREAT GT (NX for a
//	                             new index); DEL, HSET, PUBLISH more only when it replaces a live session)
//	Get          1  get.lua      (read; refreshes only when due: PEXPIRE + HSET r, l); 0 from the cache
//	Replace      1  replace.lua  (compare-and-swap of the sealed bytes; publishes)
//	Delete       1  delete.lua   (publishes)
//	DeleteAll    1  deleteall.lua (all of a user's sessions, or all but one; publishes)
//	List         1  list.lua     (prunes dead index entries)
//
// So session.Manager.Validate costs one round trip
// (TestValidateIsOneRoundTrip counts them), none when the cache answers,
// and Create and Delete one each.
//
// # Cache
//
// WithCache keeps the sessions an instance read in its memory, so that a
// live session is validated without a round trip, and subscribes to the
// invalidation channel: a session changed or ended on any instance is
// dropped by every other within a bound (100 ms by default) that holds
// even when the subscription breaks or silently stops delivering, because
// the cache answers only while a ping sent within the bound has come back
// through the subscription (TestCacheRevocationBound,
// TestCacheSubscriptionKilled, TestCachePartition). It costs each
// instance one pub/sub connection and four pings per bound (40 a second
// by default). Logout on the instance that performs it is immediate.
//
// # Failure
//
// A Redis error is returned wrapped ("sessionredis: get: …"); the session
// Manager turns it into session.ErrUnavailable and its middleware into a
// 503. There is no fallback to local state: revocation fails closed.
//
// A uid that is empty or starts with "}" cannot be a Redis Cluster hash
// tag as it stands: its keys take the SHA-256 of it instead,
// <prefix>#{<hex>}<suffix>, so they still share one slot.
package redisstore
