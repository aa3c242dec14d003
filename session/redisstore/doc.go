// Package redisstore is the Redis session.Store: sessions and login state
// shared by every instance of a service. Import it as sessionredis:
//
//	import sessionredis "github.com/apicrud-go/apicrud/session/redisstore"
//
//	store, err := sessionredis.New(rdb) // an invalid option is an error
//	m, err := session.New(cipher, secret, session.WithStore(store))
//
// New accepts any redis.Scripter: *redis.Client, *redis.ClusterClient,
// *redis.Ring or a Sentinel failover client. The Store never closes it.
//
// # Key schema
//
// With the default prefix "apicrud:session:" (WithPrefix changes it):
//
//	apicrud:session:{<uid>}:s:<id>   hash {d: sealed session, a: absolute deadline (unix ms), r: last refresh (unix ms)};
//	                                 key TTL = the idle deadline (capped by the absolute one)
//	apicrud:session:{<uid>}:idx      sorted set id → absolute deadline: the per-user index; expires with its last session
//	apicrud:session:{<key>}:try      hash {n: attempts, u: wait-until (unix ms)}: login throttling; TTL = window
//	apicrud:session:{totp:<uid>}:step  the last accepted TOTP time step of the account; TTL 2 min
//	apicrud:session:{link:<purpose>:<uid>}:tok  SHA-256 of the outstanding confirmation or reset link; TTL = its lifetime
//
// <id> is base64url(SHA-256(token secret)); the token itself is never
// stored. Throttling keys are "acct:<hash>" (account and client address),
// "ip:<address or /64>" and "otp:<hash>". All keys of one user share the
// hash tag {<uid>}, so every script runs in one Redis Cluster slot. The
// scripts DeleteAll and List address session keys they build from the
// index (in the same slot), which Redis Cluster executes but does not
// declare in KEYS.
//
// # Round trips
//
// Every method is one round trip: one EVALSHA of an embedded Lua script
// (go-redis falls back to EVAL once per script and connection after a
// NOSCRIPT reply). Scripts read the clock with TIME, so all instances
// agree on deadlines.
//
//	Create       1  create.lua   (session hash + index)
//	Get          1  get.lua      (read; refreshes the idle TTL only when due: PEXPIRE + HSET r)
//	Replace      1  replace.lua  (compare-and-swap of the sealed bytes)
//	Delete       1  delete.lua
//	DeleteAll    1  deleteall.lua
//	List         1  list.lua     (prunes dead index entries)
//	Attempt      1  attempt.lua  (password-reset requests)
//	Reserve      1  reserve.lua  (login throttle, before the check)
//	Settle       1  settle.lua   (login throttle, after the check)
//	AdvanceStep  1  advance.lua
//	PutToken     1  puttoken.lua
//	TakeToken    1  taketoken.lua (compare-and-delete)
//
// So session.Manager.Validate costs one round trip. A successful password
// Login costs five (two Reserve before the password check, two Settle
// after it, and Create), plus the account lookup in the AccountStore; a
// failed one four (TestLoginRoundTrips counts them); a TOTP code adds
// three (its Reserve, AdvanceStep and its Settle). A login held back
// while attempts of the same key are in flight repeats its Reserve every
// few milliseconds until they settle.
//
// # Failure
//
// A Redis error is returned wrapped ("sessionredis: get: …"); the session
// Manager turns it into session.ErrUnavailable and its middleware into a
// 503. There is no fallback to local state: throttling and revocation
// fail closed.
//
// An ID (lock name, account, key) that is empty or starts with "}" cannot be
// a Redis Cluster hash tag as it stands: its keys take the SHA-256 of it
// instead, <prefix>#{<hex>}<suffix>, so they still share one slot.
package redisstore
