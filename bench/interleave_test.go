package bench

import (
	"flag"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// side is one side of a comparison: apicrud ("apicrud") or a peer (its
// name). newOp returns the operation one goroutine repeats; it is called
// once per goroutine and round, outside the timed region, so that each
// goroutine can hold state of its own (a lock name, a key).
type side struct {
	name  string
	newOp func(g int) func() error
}

// serialSide is a side whose operation needs no per-goroutine state.
func serialSide(name string, op func() error) side {
	return side{name: name, newOp: func(int) func() error { return op }}
}

// rounds is how many rounds compare runs; each round runs every side once.
const rounds = 21

// roundTime is how long one side runs in one round: -benchtime (a
// duration; 1s when it is a count) divided among the rounds.
func roundTime() time.Duration {
	d := time.Second
	if f := flag.Lookup("test.benchtime"); f != nil {
		if v, err := time.ParseDuration(f.Value.String()); err == nil && v > 0 {
			d = v
		}
	}
	return d / rounds
}

// compare measures the sides of one comparison in alternating short
// rounds, so that a drift of the machine (the load of other processes,
// Redis's own latency) reaches every side alike: in each round every side
// runs for roundTime, the side that starts rotating from one round to the
// next, and each round yields one ratio peer ns/op ÷ apicrud ns/op per
// peer. It reports, on the benchmark's one line: apicrud's median ns/op,
// B/op and allocs/op (the standard units) and, per peer, its median
// "<peer>-ns/op", "<peer>-allocs/op", the median of the per-round ratios
// "<peer>-ratio" and their interquartile range "<peer>-ratio-p25" and
// "<peer>-ratio-p75". goroutines is how many goroutines run each side
// concurrently (1: serial). sides[0] must be apicrud.
//
// compare runs once (the first iteration of b.Loop, which ends the loop
// since it lasts about len(sides) × -benchtime), whatever b.N.
func compare(b *testing.B, goroutines int, sides ...side) {
	b.Helper()
	if len(sides) < 2 || sides[0].name != "apicrud" {
		b.Fatal("compare: sides[0] must be apicrud, with at least one peer")
	}
	done := false
	for b.Loop() {
		if !done {
			measure(b, goroutines, sides)
			done = true
		}
	}
}

// measure is compare's measurement.
func measure(b *testing.B, goroutines int, sides []side) {
	rt := roundTime()
	// Calibrate: how many operations fill a round, per side.
	ops := make([]int, len(sides))
	for i, s := range sides {
		n := 1
		for {
			d, _, _, err := runRound(s, goroutines, n)
			if err != nil {
				b.Fatalf("%s: %v", s.name, err)
			}
			if d >= rt/4 || n >= 1<<30 {
				ops[i] = max(int(float64(n)*float64(rt)/float64(max(d, 1))), goroutines)
				break
			}
			n *= 4
		}
	}
	ns := make([][]float64, len(sides))
	var allocs, bytes = make([]uint64, len(sides)), make([]uint64, len(sides))
	var total = make([]uint64, len(sides))
	ratios := make([][]float64, len(sides))
	for r := range rounds {
		perOp := make([]float64, len(sides))
		for k := range sides {
			i := (r + k) % len(sides)
			d, a, by, err := runRound(sides[i], goroutines, ops[i])
			if err != nil {
				b.Fatalf("%s: %v", sides[i].name, err)
			}
			perOp[i] = float64(d.Nanoseconds()) / float64(ops[i])
			ns[i] = append(ns[i], perOp[i])
			allocs[i] += a
			bytes[i] += by
			total[i] += uint64(ops[i])
		}
		for i := 1; i < len(sides); i++ {
			ratios[i] = append(ratios[i], perOp[i]/perOp[0])
		}
	}
	b.ReportMetric(median(ns[0]), "ns/op")
	b.ReportMetric(float64(bytes[0])/float64(total[0]), "B/op")
	b.ReportMetric(float64(allocs[0])/float64(total[0]), "allocs/op")
	for i := 1; i < len(sides); i++ {
		p := sides[i].name
		b.ReportMetric(median(ns[i]), p+"-ns/op")
		b.ReportMetric(float64(allocs[i])/float64(total[i]), p+"-allocs/op")
		b.ReportMetric(median(ratios[i]), p+"-ratio")
		b.ReportMetric(quantile(ratios[i], 0.25), p+"-ratio-p25")
		b.ReportMetric(quantile(ratios[i], 0.75), p+"-ratio-p75")
	}
}

// runRound runs n operations of s on goroutines goroutines and returns the
// wall time, the allocations and the bytes allocated.
func runRound(s side, goroutines, n int) (time.Duration, uint64, uint64, error) {
	opsOf := make([]func() error, goroutines)
	for g := range opsOf {
		opsOf[g] = s.newOp(g)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	var err error
	if goroutines == 1 {
		op := opsOf[0]
		for range n {
			if err = op(); err != nil {
				break
			}
		}
	} else {
		var (
			next  atomic.Int64
			wg    sync.WaitGroup
			errMu sync.Mutex
		)
		for _, op := range opsOf {
			wg.Go(func() {
				for next.Add(1) <= int64(n) {
					if e := op(); e != nil {
						errMu.Lock()
						err = e
						errMu.Unlock()
						return
					}
				}
			})
		}
		wg.Wait()
	}
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("after %s: %w", d, err)
	}
	return d, after.Mallocs - before.Mallocs, after.TotalAlloc - before.TotalAlloc, nil
}

func median(v []float64) float64 { return quantile(v, 0.5) }

// quantile returns the q-quantile of v, interpolated between ranks.
func quantile(v []float64, q float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := int(pos)
	if lo+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[lo] + (pos-float64(lo))*(s[lo+1]-s[lo])
}
