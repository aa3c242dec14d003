// Package gencacheredis is the Redis implementation of gencache's
// generation protocol, shared by grants/redisstore and crud/redisstore
// (which add their prefixes, encodings and documentation). It lives apart
// from gencache so that hosts using only the in-memory caches never link
// go-redis.
//
// # Key schema
//
// Key k under prefix p has two keys that share the hash tag {k}, so Redis
// Cluster places them in one slot and the scripts may touch both:
//
//	p{k}:v   the cached bytes; TTL = the ttl given to Set
//	p{k}:g   the generation (decimal), incremented by Delete; TTL = generation TTL
//
// An absent p{k}:g is generation 0.
//
// # Round trips
//
//	Get     1 (MGET of both keys)
//	Set     1 (set.lua: compare the generation, SET PX)
//	Delete  1 (delete.lua: DEL, INCR, PEXPIRE)
//
// A Cache never closes the client it was given, and returns Redis errors as
// they are: it has no process-local fallback.
package gencacheredis
