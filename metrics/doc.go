// Package metrics records counters, gauges and histograms, per-account usage
// (grant-style credit per period and metered amounts for billing) and HTTP
// API calls, and exposes them to Prometheus through client_golang
// collectors. It is the Go successor of apicrud's Metrics.
//
// # Overview
//
//	defs, err := metrics.ParseDefinitions(yamlBytes)
//	rec, err := metrics.New(defs,
//		metrics.WithStore(store),   // metricsredis.New(rdb): shared by every instance (default: memory)
//		metrics.WithLimits(grants), // limits of grant-style metrics
//	)
//	defer rec.Close(ctx)
//
//	err = rec.Store(ctx, "logins_total", metrics.Labels{"result": "ok"}, 1) // counter: add
//	credit, err := rec.Use(ctx, "sms_daily_total", uid, 1)               // ErrGrantExceeded when used up
//	credit, err = rec.Check(ctx, "sms_daily_total", uid)                 // credit left, nothing taken
//	total, err := rec.Meter(ctx, "storage_bytes_total", uid, 4096)       // metered, never refused
//	usage, err := rec.Find(ctx, uid)                                     // an account's usage lines
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(rec.InstanceCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
//		collectors.NewGoCollector())
//	if designated { // see "Several instances"
//		reg.MustRegister(rec.SharedCollector())
//	}
//	mux.Handle("GET /metrics", requireScraper(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))) // the host's guard
//	handler := rec.Middleware(mux) // api_calls_total, api_request_duration_seconds
//
// A [Recorder] is immutable after [New] and safe for concurrent use. Errors
// are values: [ErrUnknownMetric], [ErrLabel], [ErrValue], [ErrGrantExceeded],
// [ErrNotGrant], [ErrConfig] (match them with errors.Is).
//
// # Definitions
//
// Metrics are declared, never created on the fly: a name that has no
// [Definition] is ErrUnknownMetric, a label the definition does not declare
// is ErrLabel. [ParseDefinitions] reads a YAML list (unknown fields are
// errors), and New validates it:
//
//	# metrics.yaml
//	- name: logins_total              # [a-zA-Z_:][a-zA-Z0-9_:]*
//	  type: counter                   # counter | gauge | histogram | grant | metered
//	  help: Logins by result.         # default: generated from the name
//	  labels: [result, method]        # counters, gauges, histograms only; at most 16
//	  scope: shared                   # shared (default; in the Store) | instance (this process)
//	- name: upload_bytes
//	  type: histogram
//	  buckets: [1e3, 1e6, 1e9]        # default prometheus.DefBuckets
//	- name: sms_daily_total
//	  type: grant                     # per-account credit per period
//	  period: day                     # hour | day (default) | week | month | indefinite
//	  grant: sms_daily_total          # the grant holding the limit (default: the name)
//	  notify: 80                      # call WithNotify's function past 80% (once per period)
//	- name: storage_bytes_total
//	  type: metered                   # per-account amount per calendar period
//	  period: month
//	  retain: 3                       # past periods Find still reports (default 1)
//
// Naming follows the Prometheus conventions that promtool checks: counters,
// grants and metered metrics end in _total, gauges and histograms do not;
// the suffixes _bucket, _sum, _count and _created are reserved. Names that
// the process and Go collectors, promhttp or Prometheus itself use
// (process_*, go_*, promhttp_*, scrape_*, up) are refused, as are the
// middleware's [APICallsName] and [APIDurationName] and a grant's refusal
// counter (<name without _total>_refused_total). Labels are sorted by name
// when New validates them; "le" is refused on a histogram.
//
// From apicrud's metrics configuration: style grant is type grant, style
// counter or gauge is that type, apicrud's metered usage (a user-scoped
// counter with a uid label) is type metered, scope user and sitewide are
// shared, scope instance is instance. apicrud added the label
// instance=<hostname> to instance metrics; here Prometheus adds the
// instance label of the target it scrapes.
//
// # Recording and labels
//
// [Recorder.Store] records a value: a counter adds it (never negative), a
// gauge is set to it, a histogram observes it; on a grant-style metric it
// is Use (labels exactly {"uid": account}, a whole number of units), on a
// metered one Meter. [Labels] is a map, so the order in which labels are
// given never matters; [ParseLabels] reads apicrud's "name=value" strings
// in any order. One label set is one series: the store key of a series is
// the declared labels sorted by name, "name=value" joined by ',' with '\',
// ',', '=' and '|' in values escaped by '\'. A declared label that is
// absent has the empty value, as in Prometheus. Values are valid UTF-8 of
// at most 1,024 bytes; uids are 1 to 128 printable ASCII bytes without
// spaces.
//
// # Grant-style usage credit
//
// As apicrud: the first use of a grant-style metric by an account in a
// period starts the period with the account's limit (Limits, usually
// grants.Grants, for the definition's grant) and takes the units used; the
// credit expires with the period, which lasts the period's Duration from
// that first use (month: 31 days, as apicrud; indefinite: never), not to a
// calendar boundary. While the credit left is less than the units asked,
// [Recorder.Use] refuses with an error wrapping ErrGrantExceeded, takes
// nothing, and counts a refusal; the credit comes back when the period
// ends. [Recorder.Check] returns the [Credit] left without taking any (the
// full limit when no period runs). There is no cleanup job: an idle
// account holds no state, and an account refused on its first use (limit
// 0) creates none either.
//
// Unlike apicrud, each use is one atomic step (a Lua script in Redis, one
// critical section in memory): apicrud read the counter, then decremented
// it, so concurrent uses overshot the limit. A limit changed during a
// period moves the credit by the difference (units used stay used, never
// below zero) instead of restarting the period. A negative limit means no
// limit: the use is counted in the totals only. A Limits error fails the
// use; a store error fails it too and is not ErrGrantExceeded, so the
// caller chooses to fail open or closed.
//
// With Notify set and [WithNotify] given, the use that takes an account past
// Notify percent of its limit calls the function once per period (apicrud
// sent a "usage_notify" message). It runs in the caller of Use.
//
// # Metered usage
//
// [Recorder.Meter] adds an amount (>= 0) to an account's usage in the
// current calendar period in UTC (hour, day, ISO week from Monday, month;
// or one indefinite period) and returns the account's total for the
// period; it is never refused. A period's amounts expire Retain periods
// after its end. [Recorder.Find] returns an account's [Usage] lines in
// definition order: for a grant-style metric its credit (the units used in
// the running period as Value; 0 for an account without limit), for a
// metered one the current period and each retained one, newest first. It
// reads the store in one round trip. Find does not authorize: show an
// account only its own usage (apicrud: a user's filter uid must be their
// own, else 403), an admin any.
//
// # Backends
//
// The [Store] interface (store.go) holds the shared values. [MemoryStore]
// is the default, owned and closed by the Recorder that creates it: one
// process, expired credits and periods invisible at once and swept every
// minute. metrics/redisstore (import alias metricsredis) keeps them in
// Redis, shared by every instance; the Recorder never closes a store passed
// with [WithStore], nor the store its client. Both pass metrics/storetest.
// There is no fallback from Redis to memory.
//
// Round trips with Redis, per operation (a pipeline is one round trip;
// with Redis Cluster, one per node the pipeline touches):
//
//	Store, counter or gauge            1 (HINCRBYFLOAT or HSET)
//	Store, histogram                   1 (EVALSHA: the bucket and the sum)
//	Store, instance scope              0 (a client_golang vector in this process)
//	Use                                1 (EVALSHA) + the Limits lookup (grants: 0 on a cache hit)
//	Use, account without limit         1 (HINCRBYFLOAT of the total) + the Limits lookup
//	Check                              1 (pipeline: HMGET, PTTL) + the Limits lookup
//	Meter                              1 (EVALSHA)
//	Find                               1 (pipeline: HMGET and PTTL per grant, HGET per metered period)
//	                                     + one Limits lookup per grant-style metric
//	scrape of SharedCollector          1 (pipeline: one HGETALL per shared metric)
//	Middleware, ObserveRequest,
//	scrape of InstanceCollector        0
//
// The first run of a script on a server that has not cached it costs one
// more (EVALSHA answers NOSCRIPT, then EVAL). The redisstore tests count
// these.
//
// # Key schema
//
// With the default prefix "apicrud:metrics:" and the metric name as the
// Redis Cluster hash tag (every key of one metric in one slot, so the
// scripts touch a single slot):
//
//	apicrud:metrics:{<metric>}            hash, no TTL: the metric's values
//	    <series>                            counter or gauge value
//	    <series>|le=<bound>, <series>|sum   histogram: observations per bucket (not cumulative), sum
//	    used, refused                       usage metric: units used (or metered), refused uses, all accounts
//	apicrud:metrics:{<metric>}:g:<uid>    hash {left, limit}: an account's credit; TTL = the period
//	apicrud:metrics:{<metric>}:m:<period> hash uid -> amount; TTL = until Retain periods after its end
//
// Period keys are 2006-01-02T15 (hour), 2006-01-02 (day), 2006-W01 (ISO
// week), 2006-01 (month) and "all" (indefinite). The prefix must not
// contain '{'. All uses of one grant-style metric update its totals hash,
// one key: in a Cluster, one slot per metric.
//
// # Exposition
//
// Exposition goes through client_golang only, so the text format is never
// written by hand: promhttp groups each family under one HELP and one TYPE
// line, escapes label values, and negotiates OpenMetrics when
// HandlerOpts.EnableOpenMetrics is set. `promtool check
// metrics` accepts the output (a test pipes a full /metrics through it).
//
// [Recorder.SharedCollector] exposes the store's values: each counter, gauge
// and histogram of scope shared, and for each usage metric its totals over
// all accounts (<name> for units used or metered, and for a grant-style
// metric <name without _total>_refused_total), as counters. A scrape reads
// the store once (one pipelined round trip), bounded by
// [WithScrapeTimeout]; when the read fails the scrape fails (promhttp
// answers 500, naming apicrud_metrics_store_error) rather than exposing
// zeros. Stored series that no longer match their definition (labels or
// buckets changed) are skipped and logged ([WithLogger]).
//
// [Recorder.InstanceCollector] exposes this process's own metrics: the
// definitions of scope instance and the middleware's api_calls_total
// (resource, method, code) and api_request_duration_seconds (resource,
// method). It does no I/O.
//
// The process metrics come from client_golang's process collector
// (collectors.NewProcessCollector), registered by the host next to these.
// This fixes apicrud's own process metrics: process_cpu_seconds_total is read
// from /proc at each scrape, not incremented by the total CPU time on every
// scrape, and process_resident_memory_bytes is in bytes, not pages.
//
// # Several instances
//
// Shared values live in Redis once, but every instance can read them. If
// every instance exposed them, Prometheus would store one copy per
// instance, and sum(sms_daily_total), the natural query, would count every
// use N times. So shared and per-process series are exposed separately:
//
//   - Every instance registers InstanceCollector (and the process and Go
//     collectors) on its /metrics. These series differ per instance;
//     sum without(instance) gives the service's total.
//   - Exactly one exposition carries SharedCollector. Either one
//     designated instance registers it too (a flag or an environment
//     variable of that instance's deployment), or, without a designated
//     instance, every instance serves SharedCollector on a separate path
//     (such as /metrics/shared) that Prometheus scrapes as one target
//     through the service's load-balanced address, in a job of its own:
//     any instance answers with the same values from Redis, and the
//     instance label is the service address. The second needs no
//     designation and survives the loss of any one instance; a gap in the
//     first (the designated instance down) loses no data, the values stay
//     in Redis and the next scrape catches up.
//
// If a deployment cannot avoid exposing SharedCollector on every instance,
// never sum the raw shared series; record them once, independent of the
// instance label, with max (the instances read one Redis, a few
// increments apart):
//
//	groups:
//	  - name: apicrud-shared
//	    rules:
//	      - record: service:sms_daily_total:max
//	        expr: max without (instance, pod) (sms_daily_total)
//
// and query the recorded series. A test (TestSharedSeriesExposedOnce) runs
// two instances on one Redis and checks both the recommended wiring and
// the doubling it avoids.
//
// # HTTP middleware
//
// [Recorder.Middleware] counts the calls next serves and observes their
// durations by resource, method and status code. The resource is the route
// pattern that matched, without its method (such as "/api/v1/person/{id}"),
// never the raw path, so the series stay bounded by the routes;
// "unmatched" otherwise ([Unmatched]). The pattern reaches the middleware
// whatever the router and wherever the middleware sits: crud's routes
// record their own (so a crud API mounted under chi, echo, gin or a
// ServeMux at any prefix is labelled by its patterns), a ServeMux wrapped
// directly sets Request.Pattern, and a host's handler under another router
// records its pattern with [SetRoute] (from chi's RoutePattern, gin's
// FullPath or echo's Path, in a middleware of that router). [WithResourceFunc]
// names resources differently, from a fixed set; methods outside the
// standard ones count as OTHER; a handler that panics counts as 500 and the
// panic goes on. [WithHTTPBuckets] sets the histogram's buckets.
// [Recorder.ObserveRequest] records a call for servers that do not use
// net/http's handlers.
//
// # Concurrency
//
// A Recorder, a MemoryStore and a redisstore.Store are safe for concurrent
// use. Use is atomic per account: under any number of concurrent callers
// (and instances, with Redis), an account gets exactly its limit per period
// (tested with 100 accounts at once and with 100 goroutines on one
// account). With Redis a use and the totals it updates are one script; in
// memory they are two critical sections, so a scrape in between may see the
// credit taken and the total not yet incremented, for an instant. The
// memory store's sweeper is owned by the store: Close stops it.
//
// # Security
//
//   - No collector exposes a series that belongs to one account unless
//     [IncludePerUser] is given: usage metrics are exposed as totals over
//     all accounts only, and counters, gauges and histograms declaring a
//     "uid" label are left out of both collectors. Per-account values are
//     read with Find, which the host authorizes. IncludePerUser is for an
//     operators-only endpoint, and costs one series per account.
//   - The package serves no endpoint itself. The host must guard /metrics
//     (apicrud left it unauthenticated): an admin session or a scrape key
//     checked in constant time, or a listener on an internal address only.
//     The exposition reveals traffic, routes and usage volumes.
//   - Label values must come from small fixed sets, never from raw input
//     (each value is a series, and a series can carry what it is given):
//     the middleware uses route patterns for this reason. Values are length
//     bounded and UTF-8 checked; uids are restricted to printable ASCII.
//   - Anyone who can write to Redis can change credits and totals; protect
//     it as the rest of the service's state. Values in Redis that do not
//     parse are errors (credits) or skipped (exposition), never panics.
//
// # Decisions on apicrud's quirks
//
//   - GET /metric's count included the entries skipped by offset. There is no SCAN-based metric listing here: Find returns
//     all usage lines of one account (bounded by the definitions, no
//     paging), so a host's count is the number of lines returned.
//   - The Prometheus output repeated # TYPE for every series, which is not
//     valid exposition format: here client_golang writes one HELP and one
//     TYPE per family; the tests parse the output and run promtool on it.
//   - process_cpu_seconds_total inflated on every scrape and
//     process_resident_memory_bytes was in pages: the process collector
//     replaces them, and definitions may not use its names.
//   - Grant-style metrics were exposed as gauges per account, and only with
//     a uid filter: here their totals are counters over all accounts, and
//     per-account credit is for Find.
//   - check returned None for a used-up credit: Check returns a Credit with
//     Left 0.
package metrics
