// Package redisstore is the Redis idempotency.Store: one string key per
// idempotency key, <prefix>{<key>} (default prefix "apicrud:idempotency:";
// the braces are the Redis Cluster hash tag), holding the JSON record with
// the lock TTL while the request runs and the answer's TTL after. Each
// method is one Lua script, one round trip. A key that is empty or starts
// with "}" uses the SHA-256 of it as tag, <prefix>#{<hex>}. It accepts any
// redis.Scripter (single node, Sentinel, Cluster) and never closes it.
package redisstore
