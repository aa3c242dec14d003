// Package redisstore is the Redis passkey.Store: passkeys shared by every
// instance of a service on one Redis (single, Sentinel or Cluster).
// Import it as passkeyredis:
//
//	import passkeyredis "github.com/apicrud-go/apicrud/session/login/passkey/redisstore"
//
//	store, err := passkeyredis.New(rdb, passkeyredis.WithPrefix("myapp:passkey:"))
//	passkeys, err := passkey.New(logins, store, rp)
//
// # Layout and round trips
//
// An account's passkeys are one hash, <prefix>{<uid>}:pk, with four fields
// per passkey (d:<id> the public key and enrolment flags as JSON, n:<id>
// the name, c:<id> the signature counter, t:<id> the last use), so that
// the counter check of a login is one atomic script. <prefix>id:<id>
// names the account of each credential id and keeps ids unique across
// accounts; ids are in base64url. Get, List, Rename and Use are one round
// trip; Add and Remove two; RemoveAll one plus one per passkey. A
// passkey login costs one Get and one Use: two round trips.
//
// The keys never expire: passkeys live until removed. The Store does not
// own the client; closing it is the caller's business.
package redisstore
