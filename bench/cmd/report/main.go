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
	name   string
	ns     float64
	bytes  float64
	allocs float64
}

var line = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op)?(?:\s+([\d.]+) allocs/op)?`)

func parse(r io.Reader) ([]result, map[string]string, error) {
	var out []result
	meta := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		t := sc.Text()
		for _, k := range []string{"goos", "goarch", "cpu"} {
			if v, ok := strings.CutPrefix(t, k+": "); ok {
				meta[k] = v
			}
		}
		m := line.FindStringSubmatch(t)
		if m == nil {
			continue
		}
		f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
		out = append(out, result{name: m[1], ns: f(m[3]), bytes: f(m[4]), allocs: f(m[5])})
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
	fmt.Fprintf(w, "## apicrud and its peers\n\n")
	fmt.Fprintf(w, "Ratio = peer ns/op ÷ apicrud ns/op: above 1, apicrud is faster.\n\n")
	comparisons(w, results)
	fmt.Fprintln(w)
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

// comparisons writes the table of every group of sub-benchmarks
// <case>/<who>[-<variant>] that has apicrud's figure (who "apicrud" or
// "crud") and a peer's.
func comparisons(w io.Writer, results []result) {
	fmt.Fprintf(w, "| benchmark | apicrud | peer | peer figure | ratio | apicrud allocs/op | peer allocs/op |\n|---|---|---|---|---|---|---|\n")
	type group struct {
		ours  *result
		peers []result
	}
	groups := map[string]*group{}
	var order []string
	for i := range results {
		r := results[i]
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
			fmt.Fprintf(w, "| %s | %s | %s | %s | **%.2fx** | %.0f | %.0f |\n",
				strings.TrimPrefix(key, "Benchmark"), human(g.ours.ns), p.name, human(p.ns), p.ns/g.ours.ns, g.ours.allocs, p.allocs)
		}
	}
}
