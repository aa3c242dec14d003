// Command report turns the output of `go test -bench` in the bench module
// (sub-benchmarks named <case>/apicrud and <case>/<peer>) into the
// comparison tables of RESULTS.md: each figure beside its peer's, with the
// ratio peer ÷ apicrud of ns/op (above 1: apicrud is faster).
//
//	go run ./cmd/report -bench peers.txt -load load.md -packages ../bench/packages.txt > RESULTS.md
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// result is one benchmark line.
type result struct {
	name    string
	ns      float64
	bytes   float64
	allocs  float64
	metrics map[string]float64 // every "<value> <unit>" of the line
}

var line = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+\d+\s+(.*)$`)

func parse(r io.Reader) ([]result, map[string]string, error) {
	var out []result
	meta := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		t := sc.Text()
		for _, k := range []string{"goos", "goarch", "cpu"} {
			if v, ok := strings.CutPrefix(t, k+": "); ok {
				meta[k] = strings.Join(strings.Fields(v), " ") // the CPU name may be padded
			}
		}
		m := line.FindStringSubmatch(t)
		if m == nil {
			continue
		}
		r := result{name: m[1], metrics: map[string]float64{}}
		fields := strings.Fields(m[3])
		for i := 0; i+1 < len(fields); i += 2 {
			if v, err := strconv.ParseFloat(fields[i], 64); err == nil {
				r.metrics[fields[i+1]] = v
			}
		}
		if _, ok := r.metrics["ns/op"]; !ok {
			continue
		}
		r.ns, r.bytes, r.allocs = r.metrics["ns/op"], r.metrics["B/op"], r.metrics["allocs/op"]
		out = append(out, r)
	}
	return out, meta, sc.Err()
}

func human(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.1f ns", ns)
	}
}

func main() {
	benchFile := flag.String("bench", "", "go test -bench output of the bench module")
	loadFile := flag.String("load", "", "markdown of the load test (optional)")
	pkgFile := flag.String("packages", "", "go test -bench output of the library's packages (optional)")
	command := flag.String("command", "make bench", "the command that reproduces the figures")
	loadavg := flag.String("loadavg", "", "the load average during the run, as written below the title (optional)")
	flag.Parse()
	f, err := os.Open(*benchFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	results, meta, err := parse(f)
	_ = f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintf(w, "# Benchmark results\n\n")
	fmt.Fprintf(w, "Measured %s with `%s` on %s/%s, %s, %d cores (%s). Every ratio compares two figures of the same run.\n\n",
		time.Now().UTC().Format("2006-01-02"), *command, meta["goos"], meta["goarch"], meta["cpu"], runtime.NumCPU(), runtime.Version())
	if *loadavg != "" {
		fmt.Fprintf(w, "Load average (1, 5, 15 min): %s.\n\n", *loadavg)
	}
	fmt.Fprintf(w, "%s\n\n", method)
	fmt.Fprintf(w, "## apicrud and its peers\n\n")
	fmt.Fprintf(w, "Ratio = peer ns/op ÷ apicrud ns/op: above 1, apicrud is faster.\n\n")
	comparisons(w, results)
	fmt.Fprintln(w)
	whatEachSideDoes(w, results)
	if *loadFile != "" {
		if data, err := os.ReadFile(*loadFile); err == nil {
			fmt.Fprintf(w, "%s\n", data)
		} else {
			fmt.Fprintf(w, "## Load test\n\nNot run: %v\n\n", err)
		}
	}
	if *pkgFile != "" {
		pf, err := os.Open(*pkgFile)
		if err == nil {
			pr, _, _ := parse(pf)
			_ = pf.Close()
			fmt.Fprintf(w, "## Package comparisons\n\nBenchmarks of the library's packages that run the same work through apicrud (`crud`) and a hand-written baseline (`sqlx`: the same query with sqlx and encoding/json). Ratio as above.\n\n")
			comparisons(w, pr)
			fmt.Fprintln(w)
			fmt.Fprintf(w, "## Package benchmarks\n\nEvery benchmark of the library's packages, from the same run (`go test -bench=. -benchmem ./...`).\n\n")
			fmt.Fprintf(w, "<details><summary>%d benchmarks</summary>\n\n| benchmark | time/op | B/op | allocs/op |\n|---|---|---|---|\n", len(pr))
			for _, r := range pr {
				fmt.Fprintf(w, "| %s | %s | %.0f | %.0f |\n", strings.TrimPrefix(r.name, "Benchmark"), human(r.ns), r.bytes, r.allocs)
			}
			fmt.Fprintf(w, "\n</details>\n")
		}
	}
}

// method is how the comparisons are measured, stated at the top.
const method = `**Method.** Each comparison of the bench module runs apicrud and its peers in the same benchmark, in 21 alternating rounds ` +
	"(each side runs for 1/21 of `-benchtime` per round; the side that starts rotates), so that a drift of the machine or of Redis reaches " +
	"every side alike. A row gives each side's median ns/op over the rounds, the **median of the per-round ratios** peer ÷ apicrud, and " +
	"their interquartile range (p25–p75). Allocations are counted over all rounds. The load test alternates the two servers in rounds " +
	"the same way. Rows without a spread (the package comparisons) ran their two sides one after the other. The machine is shared: " +
	"the load average at the time of the run is given below the title when known."

// sides says, per benchmark, what each side of a comparison does.
var sides = []struct{ prefix, text string }{
	{"BenchmarkAccess/", "**Access** (casbin/v2 with an equivalent RBAC model; bench/accesscontrol_test.go): apicrud answers Policy.AllowedFor " +
		"for an already built Principal; casbin's rows name the enforcer (Enforcer: no cache, CachedEnforcer and SyncedCachedEnforcer: " +
		"its decision cache keyed by the request). /request rows build the principal from its identity per request, as a server does: NewPrincipal copies " +
		"the roles (one allocation for several roles, none for one) and finds the index of its roles in the policy's index cache by a hash and a " +
		"comparison of the roles; casbin's cached enforcers join the request's values into a key and look the answer up."},
	{"BenchmarkCasbinWorkload/", "**CasbinWorkload** (casbin's own published benchmark workload, a 1,100-rule RBAC policy over 1,000 users; " +
		"bench/casbinworkload_test.go): the same question asked of apicrud (the policy translated rule for rule) and of casbin's enforcers."},
	{"BenchmarkConditionList", "**ConditionList** (PostgreSQL, 100,000 messages in 200 lists; bench/condition_test.go): one page of 50 ids a member " +
		"of three lists may read, where a policy rule gives members the published messages of their lists (when: status = 'published' and " +
		"published_at <= @now). apicrud builds the WHERE with FilterFor for each query (as crud does per request) and runs it; the peer runs the " +
		"same query written by hand, the caller's uid and lists bound, the policy's constants written in."},
	{"BenchmarkMutex/", "**Mutex** (bsm/redislock v0.9, redsync v4 with one node, same Redis and client): one uncontended cycle, acquire then " +
		"release. apicrud: two Lua scripts (acquire also hands out a fencing token: it reads the server clock and writes the counter with its TTL); redislock: two Lua scripts; redsync: SET NX PX, " +
		"then a Lua compare-and-delete."},
	{"BenchmarkRateLimit/", "**RateLimit** (go-redis/redis_rate v10, same Redis and client): Limiter.Allow on one key; both run one GCRA Lua " +
		"script per check with EVALSHA and the server's TIME. apicrud also resolves the caller's limit and builds its key from a service " +
		"and a UID. On deny rows, apicrud answers the repeated denials of a key from the denial it remembers (no round trip until the " +
		"time Redis gave); redis_rate runs its script for each."},
	{"BenchmarkRateLimitMemory/", "**RateLimitMemory** (sethvargo/go-limiter's memorystore, golang.org/x/time/rate behind a read-write-mutex-guarded map " +
		"of one rate.Limiter per key): one check of one event for one of 100,000 keys, visited in a fixed random order. apicrud: Limiter.Allow on its memory store " +
		"(the limit resolved, the bucket found from the Key's service and UID, GCRA); go-limiter: Store.Take; x/time/rate: the map lookup " +
		"(a Limiter created on first use) and Limiter.Allow."},
	{"BenchmarkSession/", "**Session** (alexedwards/scs v2, memstore and goredisstore on the same Redis): load: apicrud verifies an HS256 JWT, " +
		"reads the record (one EVALSHA on Redis), decrypts it (AES-GCM) and decodes it; scs does one GET and gob-decodes, checking nothing " +
		"but the token's presence. request-idle: the same under a 30-minute idle timeout (scs also writes the session back each request). " +
		"create: apicrud signs a JWT, encrypts and stores the record (one Lua script); scs generates a token and does one SET."},
}

// whatEachSideDoes writes the description of each benchmark present.
func whatEachSideDoes(w io.Writer, results []result) {
	var out []string
	for _, s := range sides {
		for _, r := range results {
			if strings.HasPrefix(r.name, s.prefix) {
				out = append(out, "- "+s.text)
				break
			}
		}
	}
	if len(out) > 0 {
		fmt.Fprintf(w, "### What each side does\n\n%s\n\n", strings.Join(out, "\n"))
	}
}

// comparisons writes the table of the comparisons in results: the lines
// of bench's compare (one line per comparison, with "<peer>-ratio"
// metrics: the median of per-round ratios and its interquartile range),
// and every group of sub-benchmarks <case>/<who>[-<variant>] that has
// apicrud's figure (who "apicrud" or "crud") and a peer's (run one after
// the other: no spread).
func comparisons(w io.Writer, results []result) {
	fmt.Fprintf(w, "| benchmark | apicrud | peer | peer figure | ratio | spread (p25–p75) | apicrud allocs/op | peer allocs/op |\n|---|---|---|---|---|---|---|---|\n")
	type group struct {
		ours  *result
		peers []result
	}
	groups := map[string]*group{}
	var order []string
	for i := range results {
		r := results[i]
		if peers := interleavedPeers(r); len(peers) > 0 {
			for _, p := range peers {
				fmt.Fprintf(w, "| %s | %s | %s | %s | **%.2fx** | %.2f–%.2f | %.0f | %.0f |\n",
					strings.TrimPrefix(r.name, "Benchmark"), human(r.ns), p, human(r.metrics[p+"-ns/op"]),
					r.metrics[p+"-ratio"], r.metrics[p+"-ratio-p25"], r.metrics[p+"-ratio-p75"], r.allocs, r.metrics[p+"-allocs/op"])
			}
			continue
		}
		i := strings.LastIndexByte(r.name, '/')
		if i < 0 {
			continue
		}
		key, who := r.name[:i], r.name[i+1:]
		if base, variant, ok := strings.Cut(who, "-"); ok {
			key, who = key+"/"+variant, base
		}
		g := groups[key]
		if g == nil {
			g = &group{}
			groups[key] = g
			order = append(order, key)
		}
		if who == "apicrud" || who == "crud" {
			g.ours = &r
		} else {
			r.name = who
			g.peers = append(g.peers, r)
		}
	}
	for _, key := range order {
		g := groups[key]
		if g.ours == nil {
			continue
		}
		sort.Slice(g.peers, func(i, j int) bool { return g.peers[i].name < g.peers[j].name })
		for _, p := range g.peers {
			fmt.Fprintf(w, "| %s | %s | %s | %s | **%.2fx** | — | %.0f | %.0f |\n",
				strings.TrimPrefix(key, "Benchmark"), human(g.ours.ns), p.name, human(p.ns), p.ns/g.ours.ns, g.ours.allocs, p.allocs)
		}
	}
}

// interleavedPeers returns the peers of a line of bench's compare, sorted.
func interleavedPeers(r result) []string {
	var peers []string
	for unit := range r.metrics {
		if p, ok := strings.CutSuffix(unit, "-ratio"); ok {
			peers = append(peers, p)
		}
	}
	sort.Strings(peers)
	return peers
}
