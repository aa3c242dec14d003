package metrics_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/apicrud-go/apicrud/metrics"
)

// benchStores runs fn on the memory store and on the Redis store (skipped
// without Redis).
func benchStores(b *testing.B, fn func(b *testing.B, s metrics.Store)) {
	b.Run("memory", func(b *testing.B) { fn(b, memoryStore(b)) })
	b.Run("redis", func(b *testing.B) {
		s, _, _ := redisStore(b)
		fn(b, s)
	})
}

// BenchmarkStore measures Recorder.Store of a shared counter with two
// labels over 100 series: serially (latency: one critical section, or one
// HINCRBYFLOAT round trip) and from parallel goroutines (throughput of one
// store, or of one client pool).
func BenchmarkStore(b *testing.B) {
	labels := make([]metrics.Labels, 100)
	for i := range labels {
		labels[i] = metrics.Labels{"result": "ok", "method": "m" + strconv.Itoa(i)}
	}
	benchStores(b, func(b *testing.B, s metrics.Store) {
		rec := newRecorder(b, s)
		ctx := context.Background()
		b.Run("serial", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := rec.Store(ctx, "logins_total", labels[i%len(labels)], 1); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run("parallel", func(b *testing.B) {
			b.ReportAllocs()
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := rec.Store(ctx, "logins_total", labels[n.Add(1)%int64(len(labels))], 1); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	})
}

// BenchmarkStoreInstance measures Store of an instance-scope counter (a
// client_golang CounterVec: no store at all), the floor of Store.
func BenchmarkStoreInstance(b *testing.B) {
	rec, err := metrics.New([]metrics.Definition{{Name: "c_total", Type: metrics.Counter, Scope: metrics.Instance, Labels: []string{"a", "b"}}})
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close(context.Background())
	l := metrics.Labels{"a": "x", "b": "y"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := rec.Store(ctx, "c_total", l, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUse measures Recorder.Use of a grant-style metric over 10,000
// accounts whose limit is never reached (the common case: one Limits
// lookup, then one critical section or one EVALSHA), serially and in
// parallel.
func BenchmarkUse(b *testing.B) {
	uids := make([]string, 10_000)
	for i := range uids {
		uids[i] = "u-" + strconv.Itoa(i)
	}
	benchStores(b, func(b *testing.B, s metrics.Store) {
		rec, err := metrics.New(testDefs(), metrics.WithStore(s), metrics.WithLimits(newLimits("sms_daily_total", 1<<40)))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.Run("serial", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := rec.Use(ctx, "sms_daily_total", uids[i%len(uids)], 1); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run("parallel", func(b *testing.B) {
			b.ReportAllocs()
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := rec.Use(ctx, "sms_daily_total", uids[n.Add(1)%int64(len(uids))], 1); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	})
}

// BenchmarkScrape measures one scrape of the shared collector (Gather:
// one store read, one pipelined HGETALL with Redis, then decoding every
// series) with 100, 1,000 and 10,000 series of a two-label counter.
func BenchmarkScrape(b *testing.B) {
	benchStores(b, func(b *testing.B, s metrics.Store) {
		rec := newRecorder(b, s)
		reg := prometheus.NewRegistry()
		if err := reg.Register(rec.SharedCollector()); err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		have := 0
		for _, n := range []int{100, 1_000, 10_000} {
			for ; have < n; have++ {
				l := metrics.Labels{"result": "ok", "method": "m" + strconv.Itoa(have)}
				if err := rec.Store(ctx, "logins_total", l, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.Run(strconv.Itoa(n)+"-series", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					mfs, err := reg.Gather()
					if err != nil {
						b.Fatal(err)
					}
					if got := len(mfs[0].GetMetric()); got != n {
						b.Fatalf("%d series, want %d", got, n)
					}
				}
			})
		}
	})
}

// BenchmarkMiddleware measures what the HTTP middleware adds to a request
// served by a ServeMux route: the route label in the context, the status
// capture and the two series updates.
func BenchmarkMiddleware(b *testing.B) {
	rec, err := metrics.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close(b.Context())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/person/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	h := rec.Middleware(mux)
	r := httptest.NewRequest("GET", "/api/v1/person/p-1", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}
