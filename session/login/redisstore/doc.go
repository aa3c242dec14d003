// Package redisstore is the Redis login.Store: the login state shared by
// every instance of a service (throttling, TOTP replay steps, one-time
// link digests). Import it as loginredis:
//
//	import loginredis "github.com/apicrud-go/apicrud/session/login/redisstore"
//
//	store, err := loginredis.New(rdb) // an invalid option is an error
//	m, err := login.New(sessions, accounts, login.WithStore(store))
//
// New accepts any redis.Scripter: *redis.Client, *redis.ClusterClient,
// *redis.Ring or a Sentinel failover client. The Store never closes it.
//
// # Key schema
//
// The default prefix is "apicrud:session:", the prefix of the session
// store: these keys are the ones the session store wrote when it also held
// the login state, so a deployment that upgrades keeps its lockouts, TOTP
// steps and outstanding links (give both stores the same WithPrefix when
// you change it). With the default prefix:
//
//	apicrud:session:{<key>}:try      hash {n: failures, u: wait-until (unix ms), r:<id>: reservation deadline}:
//	                                 login throttling; TTL = window
//	apicrud:session:{totp:<uid>}:step  the last accepted TOTP time step of the account; TTL 2 min
//	apicrud:session:{link:<purpose>:<uid>}:tok  SHA-256 of the outstanding confirmation or reset link; TTL = its lifetime
//
// Throttling keys are "acct:<hash>" (account and client address),
// "ip:<address or /64>", "otp:<hash>" and "reset:<hash>". Every key is its
// own hash tag, so each script runs in one Redis Cluster slot.
//
// # Round trips
//
// Every method is one round trip: one EVALSHA of an embedded Lua script
// (go-redis falls back to EVAL once per script and connection after a
// NOSCRIPT reply). Scripts read the clock with TIME, so all instances
// agree on deadlines.
//
//	Attempt      1  attempt.lua  (password-reset requests)
//	Reserve      1  reserve.lua  (login throttle, before the check)
//	Settle       1  settle.lua   (login throttle, after the check)
//	AdvanceStep  1  advance.lua
//	PutToken     1  puttoken.lua
//	TakeToken    1  taketoken.lua (compare-and-delete)
//
// So a successful password login.Manager.Login costs five round trips
// (two Reserve before the password check, two Settle after it, and the
// session store's Create), plus the account lookup in the AccountStore; a
// failed one four (TestLoginRoundTrips counts them); a TOTP code adds
// three (its Reserve, AdvanceStep and its Settle). A login held back
// while attempts of the same key are in flight repeats its Reserve every
// few milliseconds until they settle.
//
// # Failure
//
// A Redis error is returned wrapped ("loginredis: reserve: …"); the login
// Manager turns it into session.ErrUnavailable and WriteError into a 503.
// There is no fallback to local state: throttling fails closed.
//
// A key that is empty or starts with "}" cannot be a Redis Cluster hash
// tag as it stands: its keys take the SHA-256 of it instead,
// <prefix>#{<hex>}<suffix>, so they still share one slot.
package redisstore
