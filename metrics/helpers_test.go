package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/metrics"
	metricsredis "github.com/apicrud-go/apicrud/metrics/redisstore"
)

var errUnknownGrant = errors.New("test: unknown grant")

// limits is a metrics.Limits from a map: "grant/uid" overrides "grant".
type limits struct {
	mu sync.Mutex
	m  map[string]int64
}

func newLimits(kv ...any) *limits {
	l := &limits{m: map[string]int64{}}
	for i := 0; i < len(kv); i += 2 {
		l.m[kv[i].(string)] = int64(kv[i+1].(int))
	}
	return l
}

func (l *limits) set(key string, v int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.m[key] = v
}

func (l *limits) Limit(_ context.Context, name, uid string) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, ok := l.m[name+"/"+uid]; ok {
		return v, nil
	}
	if v, ok := l.m[name]; ok {
		return v, nil
	}
	return 0, errUnknownGrant
}

// testDefs is one metric of each type.
func testDefs() []metrics.Definition {
	return []metrics.Definition{
		{Name: "logins_total", Type: metrics.Counter, Help: "Logins.", Labels: []string{"result", "method"}},
		{Name: "queue_depth", Type: metrics.Gauge, Help: "Queue depth.", Labels: []string{"queue"}},
		{Name: "upload_bytes", Type: metrics.Histogram, Help: "Upload sizes.", Buckets: []float64{100, 1000}},
		{Name: "sms_daily_total", Type: metrics.Grant, Help: "Text messages.", Period: metrics.Day},
		{Name: "storage_bytes_total", Type: metrics.Metered, Help: "Storage.", Period: metrics.Month},
	}
}

// newRecorder returns a Recorder on store with the test definitions (or
// defs) and sms_daily_total limited to 3, closed when the test ends.
func newRecorder(t testing.TB, store metrics.Store, opts ...metrics.Option) *metrics.Recorder {
	t.Helper()
	opts = append([]metrics.Option{metrics.WithStore(store), metrics.WithLimits(newLimits("sms_daily_total", 3))}, opts...)
	rec, err := metrics.New(testDefs(), opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, rec.Close(context.Background())) })
	return rec
}

func memoryStore(t testing.TB) *metrics.MemoryStore {
	t.Helper()
	s := metrics.NewMemoryStore()
	t.Cleanup(func() { require.NoError(t, s.Close(context.Background())) })
	return s
}

// redisStore returns a Redis store under a prefix of its own, its client
// and the prefix; it skips the test when Redis does not answer (fails under
// CI=true).
func redisStore(t testing.TB) (*metricsredis.Store, *redis.Client, string) {
	t.Helper()
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	return testenv.Must(metricsredis.New(rdb, metricsredis.WithPrefix(prefix))), rdb, prefix
}

// eachStore runs fn on the memory store and on the Redis store (single
// node, cluster, Sentinel).
func eachStore(t *testing.T, fn func(t *testing.T, s metrics.Store)) {
	t.Helper()
	t.Run("memory", func(t *testing.T) { fn(t, memoryStore(t)) })
	t.Run("redis", func(t *testing.T) {
		testenv.EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
			rdb := connect(t)
			fn(t, testenv.Must(metricsredis.New(rdb, metricsredis.WithPrefix(testenv.Prefix(t, rdb)))))
		})
	})
}

// registry registers cs in a new registry.
func registry(t testing.TB, cs ...prometheus.Collector) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	for _, c := range cs {
		require.NoError(t, reg.Register(c))
	}
	return reg
}

// scrape serves reg with promhttp and returns the response to a GET.
func scrape(t testing.TB, reg *prometheus.Registry) (code int, contentType, body string) {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// sample is one sample of a gathered family.
type sample struct {
	labels string // name="value",... sorted by name
	value  float64
}

// samples gathers g and returns the samples of family name: counter and
// gauge values, a histogram's sample count.
func samples(t testing.TB, g prometheus.Gatherer, name string) []sample {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return familySamples(mf)
		}
	}
	return nil
}

// parse parses a text exposition (it rejects a repeated TYPE line, a
// family split in two, an invalid name or value).
func parse(t testing.TB, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	require.NoError(t, err, "the exposition must parse:\n%s", body)
	return mfs
}

func familySamples(mf *dto.MetricFamily) []sample {
	var out []sample
	for _, m := range mf.GetMetric() {
		var ls []string
		for _, lp := range m.GetLabel() {
			ls = append(ls, lp.GetName()+"="+`"`+lp.GetValue()+`"`)
		}
		sort.Strings(ls)
		var v float64
		switch {
		case m.GetCounter() != nil:
			v = m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			v = m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			v = float64(m.GetHistogram().GetSampleCount())
		}
		out = append(out, sample{strings.Join(ls, ","), v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].labels < out[j].labels })
	return out
}

// count returns the number of series of the named families.
func count(t testing.TB, g prometheus.Gatherer, names ...string) int {
	t.Helper()
	n := 0
	for _, name := range names {
		n += len(samples(t, g, name))
	}
	return n
}

// promtool returns the path of promtool, or skips the test (fails it under
// CI=true) when it is not installed. scripts/promtool.sh installs it.
func promtool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("promtool"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/promtool"); err == nil {
		return "/usr/bin/promtool"
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("promtool is required under CI=true: run scripts/promtool.sh (Debian package prometheus)")
	}
	t.Skip("skipping: promtool not found on PATH or at /usr/bin/promtool; scripts/promtool.sh installs it (Debian package prometheus)")
	return ""
}
