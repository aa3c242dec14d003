// Package redisstore is the Redis backend of registry: every instance of
// a service sees the same registry. Import it as registryredis:
//
//	import registryredis "github.com/apicrud-go/apicrud/registry/redisstore"
//
//	store, err := registryredis.New(rdb) // an invalid option is an error
//	reg, err := registry.New(cipher, registry.WithStore(store))
//
// # Key schema
//
// With the default prefix "apicrud:registry:":
//
//	apicrud:registry:{registry}:entries    hash: "<service>:<id>" -> sealed entry
//	apicrud:registry:{registry}:deadlines  sorted set: "<service>:<id>" -> deadline (ms, Redis server time)
//
// Both keys share the hash tag {registry}, so each script touches one
// Redis Cluster slot (a registry holds tens of entries, not millions).
// Expired entries are removed by every Put and List; both keys expire
// with their longest-lived entry, so an abandoned registry leaves nothing
// behind. Deadlines use the server's TIME, so instance clocks do not
// matter for expiry.
//
// # Round trips
//
// One per operation, each a Lua script run with EVALSHA (falling back to
// EVAL once if the script cache is empty): Put (a heartbeat), Delete (a
// compare-and-delete at deregistration) and List (a Find).
//
// # Ownership
//
// New accepts any redis.Scripter (*redis.Client, *redis.ClusterClient,
// *redis.Ring, a Sentinel failover client). The Store never closes it.
package redisstore
