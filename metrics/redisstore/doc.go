// Package redisstore is the Redis metrics.Store (import alias
// metricsredis): metric values, grant-style credits and metered usage
// shared by every instance of a service.
//
//	rdb := redis.NewClient(opts) // or redis.NewUniversalClient: single, Sentinel, Cluster
//	store, err := metricsredis.New(rdb) // an invalid option is an error
//	rec, err := metrics.New(defs, metrics.WithStore(store), metrics.WithLimits(g))
//
// # Key schema
//
// With the default prefix "apicrud:metrics:" ([WithPrefix] changes it; it
// must not contain '{'), every key of one metric carries the metric name as
// its Redis Cluster hash tag, so each script touches one slot:
//
//	apicrud:metrics:{<metric>}            hash, no TTL: series -> value; a histogram's
//	                                      <series>|le=<bound> and <series>|sum; a usage
//	                                      metric's used and refused totals
//	apicrud:metrics:{<metric>}:g:<uid>    hash {left, limit}: one account's credit, TTL = its period
//	apicrud:metrics:{<metric>}:m:<period> hash uid -> amount: one metered period, TTL set
//	                                      when the period's first amount is written
//
// Values are decimal strings (HINCRBYFLOAT). An account that never used a
// grant-style metric, or was refused on its first use, has no key; credits
// and metered periods expire on their own, so there is no cleanup job.
//
// # Round trips
//
//	Add      1 (HINCRBYFLOAT for one delta; EVALSHA of add.lua for several, atomically)
//	Set      1 (HSET)
//	Read     1 (a pipeline of HGETALL, one per metric)
//	Consume  1 (EVALSHA of consume.lua: read, decide, take, count, expire)
//	Meter    1 (EVALSHA of meter.lua: add, expire a new period, count)
//	Usage    1 (a pipeline: HMGET and PTTL per credit, HGET per period)
//
// A script that the server has not cached costs one more round trip the
// first time (NOSCRIPT, then EVAL; redis.Script.Run). With Redis Cluster a
// pipeline costs one round trip per node it touches. The package doc of
// metrics lists what each Recorder operation costs.
//
// # Ownership and failures
//
// The Store never closes the client it is given. Errors (connection
// refused, timeouts, a cancelled context, WRONGTYPE on a key written by
// something else) are returned; the Recorder passes them on (a failed use
// is not ErrGrantExceeded; a failed scrape answers 500). A credit that does
// not parse is an error; a hash field that is not a number is left out of
// Read. There is no fallback to memory.
package redisstore
