// Package internal holds nothing itself; its subpackages are the helpers the
// library's packages share: memstore (the in-memory TTL store of every
// in-memory backend), gencache (the generation-counted read-through cache of
// grants and crud, with gencacheredis for Redis), rediskey (Redis key and
// reply helpers), strictyaml (the one YAML decoder of every file loader), route (the
// matched route pattern, from the handler out to the metrics middleware),
// testenv (real servers for tests) and archtest (the dependency rules).
package internal
