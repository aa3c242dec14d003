// Package gencache is the read-through cache with a per-key generation
// counter that grants and crud put in front of their sources of truth:
// [Memory] here (one process) and gencacheredis (shared through Redis). The
// public types (grants.MemoryCache, grants/redisstore.Cache,
// crud.MemoryCacheStore, crud/redisstore.Store) are thin wrappers that keep
// their own encodings, prefixes and documentation.
//
// # The generation protocol
//
// Each key has a generation, 0 until the first Delete. A read-through load
// calls Get; on a miss it reads the source of truth and calls Set with the
// generation that Get returned. Delete (an Uncache) drops the entry and
// increments the generation, so Set stores only when the generation is still
// the one the load began with: a load that read the source before an
// Uncache can never cache its stale result afterwards, however the calls of
// several goroutines or instances interleave.
//
// A generation is remembered for the generation TTL after the last Delete
// (then it reads 0 again), which bounds how long a load may take without
// risk: a load that began more than that before an Uncache, and ends after
// the generation is forgotten, may cache what it read. Set with a ttl <= 0
// stores nothing.
//
// # Concurrency
//
// Every operation is one critical section in memory and one Redis round
// trip (MGET or one Lua script), so Set's compare and store, and Delete's
// drop and increment, are atomic.
package gencache
