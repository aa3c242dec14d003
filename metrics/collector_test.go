package metrics_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/metrics"
	metricsredis "github.com/apicrud-go/apicrud/metrics/redisstore"
)

// record stores a known set of values in every test metric.
func record(t *testing.T, rec *metrics.Recorder) {
	t.Helper()
	ctx := t.Context()
	for _, l := range []metrics.Labels{
		{"result": "ok", "method": "password"},
		{"method": "password", "result": "ok"},
		{"result": "fail", "method": "totp"},
	} {
		require.NoError(t, rec.Inc(ctx, "logins_total", l))
	}
	require.NoError(t, rec.Store(ctx, "logins_total", metrics.Labels{"result": `quote " and \ back`}, 0.5))
	require.NoError(t, rec.Store(ctx, "queue_depth", metrics.Labels{"queue": "mail"}, 12))
	require.NoError(t, rec.Store(ctx, "queue_depth", metrics.Labels{"queue": "sms"}, -1))
	for _, v := range []float64{50, 100, 101, 5000} {
		require.NoError(t, rec.Store(ctx, "upload_bytes", nil, v))
	}
	_, err := rec.Use(ctx, "sms_daily_total", "u-1", 3)
	require.NoError(t, err)
	_, err = rec.Use(ctx, "sms_daily_total", "u-1", 1)
	require.ErrorIs(t, err, metrics.ErrGrantExceeded)
	_, err = rec.Meter(ctx, "storage_bytes_total", "u-1", 1.5)
	require.NoError(t, err)
	_, err = rec.Meter(ctx, "storage_bytes_total", "u-2", 2)
	require.NoError(t, err)
}

const wantShared = `# HELP logins_total Logins.
# TYPE logins_total counter
logins_total{method="",result="quote \" and \\ back"} 0.5
logins_total{method="password",result="ok"} 2
logins_total{method="totp",result="fail"} 1
# HELP queue_depth Queue depth.
# TYPE queue_depth gauge
queue_depth{queue="mail"} 12
queue_depth{queue="sms"} -1
# HELP sms_daily_refused_total Refused uses of sms_daily_total (credit used up).
# TYPE sms_daily_refused_total counter
sms_daily_refused_total 1
# HELP sms_daily_total Text messages.
# TYPE sms_daily_total counter
sms_daily_total 3
# HELP storage_bytes_total Storage.
# TYPE storage_bytes_total counter
storage_bytes_total 3.5
# HELP upload_bytes Upload sizes.
# TYPE upload_bytes histogram
upload_bytes_bucket{le="100"} 2
upload_bytes_bucket{le="1000"} 3
upload_bytes_bucket{le="+Inf"} 4
upload_bytes_sum 5251
upload_bytes_count 4
`

// TestSharedCollectorExposition: the exact exposition of the shared
// values, the same from both stores, served by promhttp: one HELP and TYPE
// per family (not per series, as apicrud wrote them), label values escaped,
// usage metrics as totals only.
func TestSharedCollectorExposition(t *testing.T) {
	eachStore(t, func(t *testing.T, s metrics.Store) {
		rec := newRecorder(t, s)
		record(t, rec)
		code, ctype, body := scrape(t, registry(t, rec.SharedCollector()))
		require.Equal(t, 200, code)
		require.Contains(t, ctype, "text/plain")
		require.Equal(t, wantShared, body)
		mfs := parse(t, body)
		require.Len(t, mfs, 6)
		h := mfs["upload_bytes"].GetMetric()[0].GetHistogram()
		require.Equal(t, uint64(4), h.GetSampleCount())
		require.Equal(t, 5251.0, h.GetSampleSum())
		require.NotContains(t, body, "u-1", "no account appears")
	})
}

// TestPerUserNeverExposedByDefault: series with a uid label are left out
// of both collectors unless IncludePerUser is given; usage metrics are
// totals even then.
func TestPerUserNeverExposedByDefault(t *testing.T) {
	ctx := t.Context()
	defs := []metrics.Definition{
		{Name: "shared_by_user_total", Type: metrics.Counter, Labels: []string{"uid", "kind"}},
		{Name: "local_by_user_total", Type: metrics.Counter, Labels: []string{"uid"}, Scope: metrics.Instance},
		{Name: "local_seconds", Type: metrics.Histogram, Labels: []string{"uid"}, Scope: metrics.Instance},
		{Name: "local_total", Type: metrics.Counter, Scope: metrics.Instance},
		{Name: "email_daily_total", Type: metrics.Grant},
		{Name: "bytes_total", Type: metrics.Metered},
	}
	rec, err := metrics.New(defs, metrics.WithLimits(newLimits("email_daily_total", 5)))
	require.NoError(t, err)
	defer rec.Close(ctx)
	require.NoError(t, rec.Inc(ctx, "shared_by_user_total", metrics.Labels{"uid": "u-secret", "kind": "a"}))
	require.NoError(t, rec.Inc(ctx, "local_by_user_total", metrics.Labels{"uid": "u-secret"}))
	require.NoError(t, rec.Store(ctx, "local_seconds", metrics.Labels{"uid": "u-secret"}, 0.2))
	require.NoError(t, rec.Inc(ctx, "local_total", nil))
	require.NoError(t, rec.Inc(ctx, "email_daily_total", metrics.Labels{"uid": "u-secret"}))
	require.NoError(t, rec.Inc(ctx, "bytes_total", metrics.Labels{"uid": "u-secret"}))

	_, _, body := scrape(t, registry(t, rec.SharedCollector(), rec.InstanceCollector()))
	require.NotContains(t, body, "u-secret")
	require.NotContains(t, body, "by_user")
	require.NotContains(t, body, "local_seconds")
	mfs := parse(t, body)
	require.Equal(t, []sample{{"", 1}}, familySamples(mfs["local_total"]))
	require.Equal(t, []sample{{"", 1}}, familySamples(mfs["email_daily_total"]))
	require.Equal(t, []sample{{"", 1}}, familySamples(mfs["bytes_total"]))

	_, _, body = scrape(t, registry(t, rec.SharedCollector(metrics.IncludePerUser()), rec.InstanceCollector(metrics.IncludePerUser())))
	mfs = parse(t, body)
	require.Equal(t, []sample{{`kind="a",uid="u-secret"`, 1}}, familySamples(mfs["shared_by_user_total"]))
	require.Equal(t, []sample{{`uid="u-secret"`, 1}}, familySamples(mfs["local_by_user_total"]))
	require.Equal(t, []sample{{`uid="u-secret"`, 1}}, familySamples(mfs["local_seconds"]))
	require.Equal(t, []sample{{"", 1}}, familySamples(mfs["email_daily_total"]), "usage stays a total")
}

// TestScrapeFailsOnStoreError: a store that cannot be read fails the
// scrape (500) instead of exposing partial or zero values.
func TestScrapeFailsOnStoreError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond, DialerRetries: 1})
	t.Cleanup(func() { _ = rdb.Close() })
	rec := newRecorder(t, testenv.Must(metricsredis.New(rdb)), metrics.WithScrapeTimeout(time.Second))
	code, _, body := scrape(t, registry(t, rec.SharedCollector(), rec.InstanceCollector()))
	require.Equal(t, 500, code)
	require.Contains(t, body, "apicrud_metrics_store_error")

	// A cancelled read (a scrape timeout) fails the same way.
	slow := &blockingStore{Store: memoryStore(t)}
	rec = newRecorder(t, slow, metrics.WithScrapeTimeout(20*time.Millisecond))
	code, _, body = scrape(t, registry(t, rec.SharedCollector()))
	require.Equal(t, 500, code)
	require.Contains(t, body, "deadline exceeded")
}

// blockingStore's Read waits for its context to end.
type blockingStore struct{ metrics.Store }

func (s *blockingStore) Read(ctx context.Context, _ []string) ([]map[string]float64, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestStaleSeriesSkipped: stored series that no longer match their
// definition (labels changed since) are skipped and logged, not exposed
// with wrong labels, and do not fail the scrape.
func TestStaleSeriesSkipped(t *testing.T) {
	ctx := t.Context()
	s := memoryStore(t)
	require.NoError(t, s.Add(ctx, "logins_total", metrics.Delta{Field: "result=ok", Value: 1}))                                   // old label set
	require.NoError(t, s.Add(ctx, "logins_total", metrics.Delta{Field: "method=x,result=ok", Value: 2}))                          // current
	require.NoError(t, s.Add(ctx, "upload_bytes", metrics.Delta{Field: "|le=abc", Value: 1}, metrics.Delta{Field: "", Value: 1})) // garbage
	var logs bytes.Buffer
	rec := newRecorder(t, s, metrics.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	_, _, body := scrape(t, registry(t, rec.SharedCollector()))
	mfs := parse(t, body)
	require.Equal(t, []sample{{`method="x",result="ok"`, 2}}, familySamples(mfs["logins_total"]))
	require.Contains(t, logs.String(), "metric=logins_total series=1")
	require.Contains(t, logs.String(), "metric=upload_bytes series=2")
}

// TestSharedSeriesExposedOnce (issue 9): two instances share one Redis.
// Each exposes its own per-process metrics (InstanceCollector); only the
// designated one also exposes the shared series (SharedCollector). Summed
// over instances, as Prometheus users do, both are right. Had every
// instance exposed the shared series, the sum would count them twice: the
// recording rule max without(instance) is then needed.
func TestSharedSeriesExposedOnce(t *testing.T) {
	s, rdb, prefix := redisStore(t)
	other := testenv.Must(metricsredis.New(redis.NewClient(&redis.Options{Addr: rdb.Options().Addr}), metricsredis.WithPrefix(prefix)))
	a := newRecorder(t, s)
	b := newRecorder(t, other)
	ctx := t.Context()
	for i, rec := range []*metrics.Recorder{a, b, b} {
		require.NoError(t, rec.Inc(ctx, "logins_total", metrics.Labels{"result": "ok"}))
		rec.ObserveRequest("/api/v1/person", "GET", 200, time.Duration(i+1)*time.Millisecond)
	}
	_, err := b.Use(ctx, "sms_daily_total", "u-1", 2)
	require.NoError(t, err)

	designated := parse(t, body(t, registry(t, a.InstanceCollector(), a.SharedCollector())))
	plain := parse(t, body(t, registry(t, b.InstanceCollector())))
	sumOver := func(name string, insts ...map[string]*dto.MetricFamily) float64 {
		var v float64
		for _, mfs := range insts {
			for _, smp := range familySamples(mfs[name]) {
				v += smp.value
			}
		}
		return v
	}
	require.Equal(t, 3.0, sumOver("api_calls_total", designated, plain), "per-process: summed over instances")
	require.Equal(t, 3.0, sumOver("logins_total", designated, plain), "shared: exposed once")
	require.Equal(t, 2.0, sumOver("sms_daily_total", designated, plain))
	require.Nil(t, plain["logins_total"], "the other instance exposes no shared series")

	// The alternative: every instance exposes everything; the sum is wrong
	// and max over instances (the recording rule) is right.
	everyB := parse(t, body(t, registry(t, b.InstanceCollector(), b.SharedCollector())))
	require.Equal(t, 6.0, sumOver("logins_total", designated, everyB))
	require.Equal(t, 3.0, max(sumOver("logins_total", designated), sumOver("logins_total", everyB)))
}

func body(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	code, _, b := scrape(t, reg)
	require.Equal(t, 200, code)
	return b
}

// TestPromtoolAcceptsExposition pipes the whole /metrics output of a
// service (shared values on Redis or memory, instance metrics, middleware
// traffic, process and Go collectors) through `promtool check metrics`.
func TestPromtoolAcceptsExposition(t *testing.T) {
	tool := promtool(t)
	eachStore(t, func(t *testing.T, s metrics.Store) {
		defs := append(testDefs(),
			metrics.Definition{Name: "jobs_running", Type: metrics.Gauge, Scope: metrics.Instance, Labels: []string{"kind"}},
			metrics.Definition{Name: "job_duration_seconds", Type: metrics.Histogram, Scope: metrics.Instance},
		)
		rec, err := metrics.New(defs, metrics.WithStore(s), metrics.WithLimits(newLimits("sms_daily_total", 3)))
		require.NoError(t, err)
		record(t, rec)
		require.NoError(t, rec.Store(t.Context(), "jobs_running", metrics.Labels{"kind": "mail"}, 2))
		require.NoError(t, rec.Store(t.Context(), "job_duration_seconds", nil, 0.3))
		rec.ObserveRequest("/api/v1/person/{id}", "GET", 200, 3*time.Millisecond)
		rec.ObserveRequest("", "BREW", 418, time.Second)
		reg := registry(t, rec.SharedCollector(), rec.InstanceCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
		out := body(t, reg)
		parse(t, out)
		for _, family := range []string{"logins_total", "upload_bytes", "api_calls_total", "api_request_duration_seconds", "jobs_running", "process_cpu_seconds_total"} {
			require.Equal(t, 1, strings.Count(out, "# TYPE "+family+" "), "one TYPE line for %s", family)
		}
		cmd := exec.CommandContext(t.Context(), tool, "check", "metrics")
		cmd.Stdin = strings.NewReader(out)
		res, err := cmd.CombinedOutput()
		require.NoError(t, err, "promtool check metrics:\n%s", res)
		require.Empty(t, strings.TrimSpace(string(res)), "no lint problems")
	})
}

// TestProcessMetrics records the decision on apicrud's process metrics
// (behaviour §11.5): they come from client_golang's process collector, so
// RSS is in bytes (apicrud reported pages) and CPU seconds are read, not
// added up on every scrape (apicrud's counter inflated).
func TestProcessMetrics(t *testing.T) {
	pc := collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})
	if samples(t, registry(t, pc), "process_resident_memory_bytes") == nil {
		t.Skip("skipping: no process metrics on this OS")
	}
	reg := registry(t, pc)
	rss := samples(t, reg, "process_resident_memory_bytes")[0].value
	require.Greater(t, rss, float64(4<<20), "bytes: a Go test binary holds megabytes; in pages it would be ~1000x less")
	cpu := func() float64 { return samples(t, reg, "process_cpu_seconds_total")[0].value }
	first := cpu()
	for range 20 {
		_ = cpu()
	}
	require.InDelta(t, first, cpu(), 1, "scrapes do not add up CPU time")

	_, err := metrics.New([]metrics.Definition{{Name: "process_cpu_seconds_total", Type: metrics.Counter}})
	require.ErrorIs(t, err, metrics.ErrConfig, "the process collector owns these names")
}
