// Package ratelimit limits how often a caller may use a service: a GCRA
// limiter keyed by (service, uid) or, for anonymous callers, by client IP,
// with per-account limits from a LimitSource, an in-memory or Redis store,
// and HTTP middleware that answers 429 with the IETF RateLimit header
// fields. It is the Go successor of apicrud's RateLimit.
//
// # Overview
//
//	lim, err := ratelimit.New(
//		ratelimit.WithDefaultLimit(ratelimit.PerMinute(100)),
//		ratelimit.WithLimitSource(grants),          // optional per-account limits
//		ratelimit.WithKeyFunc(principalUID),        // who is calling (after authentication)
//		ratelimit.WithTrustedProxies("10.0.0.0/8"), // believe X-Forwarded-For from these only
//	)
//	defer lim.Close(ctx)
//	handler = lim.Handler(handler)                 // service "*", every request
//	login = lim.Middleware("login")(login)         // a bucket of its own
//
//	res, err := lim.Allow(ctx, ratelimit.Key{Service: "send_sms", UID: uid}, 1)
//	if err == nil && res.Allowed == 0 { /* wait res.RetryAfter */ }
//
// A Limit is Rate events per Period with a Burst (default Rate). Allow(ctx,
// key, n) takes n events or none and returns a Result: Allowed (n or 0),
// Remaining, RetryAfter (how long until the same request would pass),
// ResetAfter (how long until the full burst is back). A denial is a Result,
// not an error; an error means the check could not be made. Reset forgets a
// key (after a successful login, say).
//
// Limits: a key with a UID gets the LimitSource's number of requests per
// the default limit's period (burst equal to that number), or the default
// limit when the source has none; a source's 0 denies every request. A key
// without UID (an anonymous request) gets the anonymous limit of its IP
// address; IPv6 addresses count per /64. When a key's limit changes (a
// grant is raised), its bucket keeps its state, the time its past events
// are worth: the share of the burst already used carries over to the new
// limit. Reset the key to start it from a full burst.
//
// Each check asks the LimitSource (with grants on Redis, a round trip).
// WithLimitSourceTTL keeps its answers in the process for a while, so a
// check costs only the store's round trip; a changed limit then takes
// effect within that TTL.
//
// # Algorithm
//
// GCRA (the generic cell rate algorithm, as in go-redis/redis_rate): each
// key stores one instant, its theoretical arrival time (TAT). With interval
// t = Period/Rate and burst b, n events are allowed at time now when
// max(TAT, now) + n·t - b·t <= now, and TAT then moves to max(TAT, now) +
// n·t. A key idle for b·t is full again. Over any span d at most
// b + d/t events pass, so there is no window edge where twice the limit
// passes at once. This replaces apicrud's even/odd fixed windows, which
// allowed 2× the limit around each window boundary, restarted
// the count when a user idled for interval-1 seconds, and needed two keys
// and three commands per check. The interval is truncated to a whole
// microsecond so that both stores compute the same numbers (Limit.Validate
// rejects more than a million events per second).
//
// # Backends
//
// The Store interface (store.go) has two methods, Allow and Reset, each
// one atomic step on the store's own clock. MemoryStore is the default: the
// limits of one process, one atomic update in place per check (the Limiter
// finds the bucket from the Key's fields: one hash, one probe, no key
// string, no allocation), idle keys reclaimed when their bucket is full. The Redis store, ratelimit/redisstore
// (import alias ratelimitredis), shares the limits of every instance:
//
//   - key schema: <prefix>{<store key>} (default prefix
//     "apicrud:ratelimit:"), a string holding the TAT in Unix microseconds
//     of the Redis server's clock, with a TTL that ends when the bucket is
//     full again; store keys are "<service>:u:<uid>" for principals and
//     "<service>:ip:<address or IPv6 /64>" for anonymous callers (':' and
//     '%' in the service are %-escaped). The braces are a Redis Cluster
//     hash tag.
//   - round trips: Allow is 1 (EVALSHA of one Lua script that reads
//     redis.call("TIME"), falling back to EVAL once after NOSCRIPT); Reset
//     is 1. A LimitSource may add its own (none while its answer is kept,
//     see WithLimitSourceTTL). WithReservation makes a busy key's checks
//     1 round trip per batch (see Approximate mode).
//
// # Approximate mode (reservations)
//
// WithReservation(batch, hold) trades exactness for round trips, as the
// global rate limiters of Envoy and WSO2 do; it is off by default. A
// Limiter on the Redis store then takes a busy key's events from Redis in
// batches and spends them in its memory for at most hold: one round trip
// per batch of up to batch events instead of one per event, two (a denied
// batch, then exactly n) when a batch no longer fits, near the limit, after
// which the key's checks are exact for hold. A key's first check, and
// checks of a key quiet for hold, are exact, and each reservation is at
// most twice what the previous one spent, so sparse callers lose nothing.
// The bounds: over any span w, all instances together allow a key at most
// what the exact limiter allows over w + hold (hold × rate events more);
// each instance strands at most batch - 1 reserved events per key, which
// the bucket refills at the limit's rate. Results served locally have
// RetryAfter 0 and an estimated Remaining. The span of such a check has
// "apicrud.ratelimit.local" = true. With a MemoryStore the option does
// nothing: every check is exact and in memory already.
//
//	lim, err := ratelimit.New(ratelimit.WithStore(store),
//		ratelimit.WithReservation(64, 100*time.Millisecond)) // +100 ms × rate at most
//
// Both stores pass ratelimit/storetest. There is no automatic fallback from
// Redis to memory: a silent fallback would turn a shared limit into a
// per-process one without anyone noticing (see Failure policy).
//
// # HTTP
//
// Handler and Middleware take one event per request and set the header
// fields of draft-ietf-httpapi-ratelimit-headers-10 ("RateLimit header
// fields for HTTP", September 2025; its syntax is unchanged in -11). Both
// are Structured Field Lists (RFC 9651) of one Item, the policy name as a
// String (WithPolicyName, default "default"):
//
//	RateLimit-Policy: "default";q=100;w=60
//	RateLimit: "default";r=42;t=1
//	Retry-After: 1                      (429 responses only)
//
// q is the limit's Rate and w its Period in seconds, rounded up (the draft
// has no sub-second windows; a 10-per-500ms limit is advertised as q=10;w=1,
// which errs on the safe side). A Burst other than Rate adds a vendor
// parameter, apicrud-burst=<b>. r is Result.Remaining. t is
// Result.RefillAfter rounded up to a whole second: the time until the next
// event's share comes back, which is what the -10 draft calls "the number
// of seconds until additional quota is made available" (and within which,
// in the words of -11, the client can use no more than r). t is not the
// time until the full burst is back (ResetAfter): advertising that would
// tell clients to wait a whole period when one interval suffices.
//
// A denied request gets 429 Too Many Requests, the two fields, Retry-After
// in delay-seconds, and an application/problem+json body with type
// "https://iana.org/assignments/http-problem-types#quota-exceeded" and code
// "ratelimit.exceeded". Retry-After is RetryAfter rounded up and never less
// than t (the draft: Retry-After SHOULD NOT be earlier than the reset), so a
// client that waits Retry-After seconds is served.
//
// The key of a request is the uid the WithKeyFunc function returns
// (typically the authenticated principal from the request context, so the
// middleware goes after authentication), else the client IP: the peer
// address, or, when the peer is a trusted proxy (WithTrustedProxies), the
// rightmost X-Forwarded-For address that is not a trusted proxy
// (Limiter.ClientIP). Without trusted proxies X-Forwarded-For is ignored.
//
// # Failure policy
//
// When a check cannot be made (Redis unreachable, LimitSource failing),
// the middleware reports the error to the logger and to the WithErrorFunc
// function, then fails closed by default: 503 with a problem+json body
// (code "ratelimit.unavailable") and no internal error text. WithFailOpen
// (true) lets such requests through instead, without RateLimit fields. It
// never panics on a store error. apicrud failed open silently.
//
// # Security
//
// Differences from apicrud, whose limits could be evaded or turned against
// others: anonymous
// traffic is limited (per IP, per /64 for IPv6), not unlimited; the key is
// the authenticated principal chosen by the host, never a user name the
// request merely claims (apicrud keyed on the Basic user name even with a
// wrong password, so anyone could exhaust anyone's budget); API-key traffic
// is limited like any principal, as the key function decides; Redis errors
// fail closed by default. X-Forwarded-For is believed only from configured
// proxies, and only its rightmost untrusted hop, so a client cannot choose
// its own bucket. Policy names appear in responses: do not put secrets in
// them. The partition key parameter (pk) is not sent.
//
// Quirks of apicrud's RateLimit and what this package
// does: the (limit+1)-th request in a window was refused (the same here:
// exactly the burst passes); the limit was fixed per window (fixed: GCRA);
// the counter key expired after an idle interval-1 seconds (fixed: a key
// expires exactly when its bucket is full); a grant of 0 let the first
// request through (fixed: 0 denies all).
//
// # Concurrency
//
// Limiter, MemoryStore and the Redis store are safe for concurrent use by
// multiple goroutines. Each check is atomic in its store: concurrent
// requests on one key never pass more than the limit, in one process or
// across instances sharing a Redis (with WithReservation, more by at most
// the bound of the Approximate mode). A Limiter's configuration is fixed by
// New. Close stops the sweeper of the MemoryStore that New created; a
// Store given with WithStore is its creator's to close.
package ratelimit
