package redisstore_test

import (
	"context"
	"errors"
	"log"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/metrics"
	metricsredis "github.com/apicrud-go/apicrud/metrics/redisstore"
)

// Example shares usage credit and metric values between every instance of
// a service. It needs a Redis server, so it is compiled but not run.
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}) // or redis.NewUniversalClient
	defer rdb.Close()

	defs, err := metrics.ParseDefinitions([]byte(`
- {name: sms_daily_total, type: grant, period: day}
- {name: storage_bytes_total, type: metered, period: month}
`))
	if err != nil {
		log.Fatal(err)
	}
	var limits metrics.Limits // a *grants.Grants, with its Redis cache
	store, err := metricsredis.New(rdb)
	if err != nil {
		log.Fatal(err)
	}
	rec, err := metrics.New(defs, metrics.WithStore(store), metrics.WithLimits(limits))
	if err != nil {
		log.Fatal(err)
	}
	defer rec.Close(ctx)

	if _, err := rec.Use(ctx, "sms_daily_total", "u-1234abcd", 1); errors.Is(err, metrics.ErrGrantExceeded) {
		log.Print("no more text messages today")
	} else if err != nil {
		log.Fatal(err) // Redis unreachable: decide whether to fail open or closed
	}

	// Every instance exposes its own metrics; one place exposes the
	// shared ones (see the metrics package doc, "Several instances").
	reg := prometheus.NewRegistry()
	reg.MustRegister(rec.InstanceCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	shared := prometheus.NewRegistry()
	shared.MustRegister(rec.SharedCollector())

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))           // guard it (admin or scrape key)
	mux.Handle("GET /metrics/shared", promhttp.HandlerFor(shared, promhttp.HandlerOpts{})) // scraped once, via the service address
	log.Fatal(http.ListenAndServe(":8080", rec.Middleware(mux)))
}
