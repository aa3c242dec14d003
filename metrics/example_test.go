package metrics_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/apicrud-go/apicrud/grants"
	"github.com/apicrud-go/apicrud/metrics"
)

// Example records a counter and takes grant-style credit: three text
// messages a day, the limit coming from grants.
func Example() {
	ctx := context.Background()
	defs, err := metrics.ParseDefinitions([]byte(`
- name: logins_total
  type: counter
  labels: [result]
- name: sms_daily_total
  type: grant
  period: day
`))
	if err != nil {
		panic(err)
	}
	defaults, _ := grants.ParseDefaults([]byte("sms_daily_total: 3\n"))
	g, _ := grants.New(defaults)
	defer g.Close(ctx)

	rec, err := metrics.New(defs, metrics.WithLimits(g)) // in-memory store
	if err != nil {
		panic(err)
	}
	defer rec.Close(ctx)

	_ = rec.Store(ctx, "logins_total", metrics.Labels{"result": "ok"}, 1)
	fmt.Println(rec.Store(ctx, "logins_total", metrics.Labels{"user": "x"}, 1))

	c, _ := rec.Check(ctx, "sms_daily_total", "u-1")
	fmt.Println("before:", c.Left, "of", c.Limit)
	for range 4 {
		c, err := rec.Use(ctx, "sms_daily_total", "u-1", 1)
		if errors.Is(err, metrics.ErrGrantExceeded) {
			fmt.Println("refused:", err)
			continue
		}
		fmt.Println("sent, left:", c.Left, "resets within a day:", c.ResetIn > 0)
	}
	// Output:
	// logins_total: metrics: bad label: label "user" is not declared
	// before: 3 of 3
	// sent, left: 2 resets within a day: true
	// sent, left: 1 resets within a day: true
	// sent, left: 0 resets within a day: true
	// refused: metrics: grant exceeded: sms_daily_total for u-1
}

// ExampleRecorder_Find meters storage per month and reads an account's
// usage lines, as a GET /metric endpoint would (for the caller's own
// account only).
func ExampleRecorder_Find() {
	ctx := context.Background()
	rec, err := metrics.New([]metrics.Definition{
		{Name: "storage_bytes_total", Type: metrics.Metered, Period: metrics.Month},
	})
	if err != nil {
		panic(err)
	}
	defer rec.Close(ctx)

	_, _ = rec.Meter(ctx, "storage_bytes_total", "u-1", 1500)
	total, _ := rec.Meter(ctx, "storage_bytes_total", "u-1", 500)
	fmt.Println("this month:", total)

	usage, _ := rec.Find(ctx, "u-1")
	for i, u := range usage {
		when := "this month"
		if i > 0 {
			when = "last month"
		}
		fmt.Println(u.Name, u.Type, when, u.Value)
	}
	// Output:
	// this month: 2000
	// storage_bytes_total metered this month 2000
	// storage_bytes_total metered last month 0
}

// ExampleRecorder_SharedCollector serves the exposition through promhttp:
// the shared values, this instance's metrics and the process collector.
func ExampleRecorder_SharedCollector() {
	ctx := context.Background()
	rec, err := metrics.New([]metrics.Definition{
		{Name: "logins_total", Type: metrics.Counter, Help: "Logins by result.", Labels: []string{"result"}},
		{Name: "queue_depth", Type: metrics.Gauge, Help: "Messages waiting."},
	})
	if err != nil {
		panic(err)
	}
	defer rec.Close(ctx)
	_ = rec.Inc(ctx, "logins_total", metrics.Labels{"result": "ok"})
	_ = rec.Inc(ctx, "logins_total", metrics.Labels{"result": "ok"})
	_ = rec.Inc(ctx, "logins_total", metrics.Labels{"result": "bad password"})
	_ = rec.Store(ctx, "queue_depth", nil, 7)

	reg := prometheus.NewRegistry()
	reg.MustRegister(rec.SharedCollector(), rec.InstanceCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})) // guard it in a real service
	defer srv.Close()

	resp, err := http.Get(srv.URL)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.Contains(line, "logins_total") || strings.Contains(line, "queue_depth") {
			fmt.Println(line)
		}
	}
	// Output:
	// # HELP logins_total Logins by result.
	// # TYPE logins_total counter
	// logins_total{result="bad password"} 1
	// logins_total{result="ok"} 2
	// # HELP queue_depth Messages waiting.
	// # TYPE queue_depth gauge
	// queue_depth 7
}

// ExampleRecorder_Middleware counts API calls by route pattern, method and
// status code.
func ExampleRecorder_Middleware() {
	rec, err := metrics.New(nil)
	if err != nil {
		panic(err)
	}
	defer rec.Close(context.Background())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/person/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "x-404" {
			http.NotFound(w, r)
		}
	})
	h := rec.Middleware(mux) // wrap the mux, so that the pattern is visible
	for _, p := range []string{"/api/v1/person/x-1", "/api/v1/person/x-2", "/api/v1/person/x-404", "/nowhere"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(rec.InstanceCollector())
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != metrics.APICallsName {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			fmt.Println(l["resource"], l["method"], l["code"], m.GetCounter().GetValue())
		}
	}
	// Output:
	// /api/v1/person/{id} GET 200 2
	// /api/v1/person/{id} GET 404 1
	// unmatched GET 404 1
}
