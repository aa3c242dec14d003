// Package bench compares apicrud's packages with the peer libraries they
// replace (casbin, go-redis/redis_rate, bsm/redislock, redsync, scs), in a
// module of its own so that the peers never become dependencies of the
// library. `make bench` runs it and writes RESULTS.md.
package bench
