// Package grants holds per-account usage limits: named values such as
// lists: 12, photo_daily_total: 200 or ratelimit: 500, with free-tier
// defaults from configuration and per-account overrides.
//
// # Overview
//
// [Defaults] declare every grant and its free-tier value; they come from
// configuration ([ParseDefaults], or a [Defaults] field in a YAML config
// struct, or [NewDefaults]). An account may have an override per grant, with
// an optional expiry (a paid plan until a date). [Grants.Get] returns the
// effective [Value]: the account's active, unexpired override, else the
// default.
//
//	g, err := grants.New(defaults, grants.WithStore(sqlStore), grants.WithCache(redisCache))
//	v, err := g.Get(ctx, "photo_daily_total", uid) // Value: "200", 200
//	n, err := g.Limit(ctx, "lists", uid)            // int64
//
// Values keep their type: a value that is a Go integer literal (decimal,
// 0x hex, 0o or leading-0 octal, 0b binary, underscores allowed) is an
// integer, anything else a string; the original text is kept for display.
//
// A name that is not among the defaults is an [*UnknownGrantError]
// ([ErrUnknownGrant]), never a zero that silently blocks or allows
// everything. Overrides of undeclared names are ignored.
//
// [Grants.List] returns all of an account's grants (defaults merged with its
// overrides, in the order of the defaults) and [Grants.Lookup] one grant by
// its hybrid id "<uid>:<name>", as apicrud's GET /grant and
// GET /grant/{uid}:{name}. Neither authorizes: the endpoint must check that
// the caller may read that account's grants (an account's own, or admin).
//
// # Consumers
//
// [Grants.Limit] implements the Limits interface of crud (per-owner record
// quotas) and metrics (grant-style usage credit): the integer value of a
// grant, where a negative value means "no limit" by those packages'
// convention. [Grants.RateLimit] implements ratelimit's LimitSource: it
// reads the grant "ratelimit_<service>" when defined (service lower-cased,
// characters outside [a-z0-9_] replaced by '_'), else "ratelimit"; when
// neither is declared it reports ok=false so the limiter's own default
// applies. A non-integer or negative value is an error (fail closed).
//
// # Backends
//
// Overrides live in a [Store]: [MemoryStore] (the default; one process) or
// grants/sqlstore (a table in PostgreSQL, MySQL/MariaDB or SQLite, compatible
// with apicrud's grants table). Lookups read through a [Cache] with a TTL
// ([WithCacheTTL], default [DefaultCacheTTL]; an entry never outlives the
// earliest expiry among its overrides): [MemoryCache] (the default; per
// process) or grants/redisstore (shared by every instance). An account
// without overrides is cached too, so the common case costs no query.
//
// [Grants.Uncache] drops an account's entry; [Grants.Set] and
// [Grants.Delete] call it. With the Redis cache, Uncache on one instance is
// seen by all at once; with the memory cache, other instances see the change
// when their entry expires. A generation counter per account makes an
// Uncache that races with a read-through load win: the load never caches
// what it read before the Uncache.
//
// Round trips per lookup: memory cache hit 0; Redis cache hit 1; miss: the
// cache read, one store query, and the cache write (redisstore: 1 + 1 + 1).
//
// # Concurrency
//
// A Grants is immutable after New and safe for concurrent use. Defaults are
// fixed for its lifetime (apicrud's load_defaults at run time becomes
// building a new Grants). Concurrent misses on one account may each read the
// store; they all cache the same result.
//
// # Security
//
// Store and cache errors are returned, never replaced by the default: a
// quota check fails closed when its backend is down. A cache write failure
// is only logged (the lookup already has its answer). Hybrid ids, names,
// uids and values are validated ([ParseID], [ValidName], [ParseValue]);
// the SQL store binds every value and takes its table name only from
// configuration.
//
// # Differences from apicrud
//
//   - Grant names must be declared in the defaults; apicrud also accepted
//     controller names and returned None for unknown names.
//   - Integers are parsed as Go literals: "017" is octal 15 (Python's
//     int(value, 0) rejects it and kept the string); values that overflow
//     int64 stay strings.
//   - Cache invalidation reaches every instance with the Redis cache
//     (apicrud's TTLCache was per process only), and entries end with the
//     override's expiry.
//   - Only active, unexpired rows count, as apicrud; rows of names outside
//     the defaults are not listed, as apicrud.
package grants
