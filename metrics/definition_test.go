package metrics_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/metrics"
)

// TestDefinitionDefaults: what New fills in.
func TestDefinitionDefaults(t *testing.T) {
	rec, err := metrics.New([]metrics.Definition{
		{Name: "a_total", Type: metrics.Counter, Labels: []string{"z", "b"}},
		{Name: "b_seconds", Type: metrics.Histogram},
		{Name: "email_daily_total", Type: metrics.Grant, Scope: "user"},
		{Name: "sms_monthly_total", Type: metrics.Grant, Period: metrics.Month, Grant: "sms_monthly", Notify: 90},
		{Name: "bytes_total", Type: metrics.Metered, Scope: "sitewide"},
		{Name: "c", Type: metrics.Gauge, Scope: metrics.Instance},
	}, metrics.WithLimits(newLimits()))
	require.NoError(t, err)
	defer rec.Close(t.Context())
	require.Equal(t, []metrics.Definition{
		{Name: "a_total", Type: metrics.Counter, Help: "a total (counter)", Labels: []string{"b", "z"}, Scope: metrics.Shared},
		{Name: "b_seconds", Type: metrics.Histogram, Help: "b seconds (histogram)", Buckets: prometheus.DefBuckets, Scope: metrics.Shared},
		{Name: "email_daily_total", Type: metrics.Grant, Help: "email daily total (grant)", Scope: metrics.Shared, Period: metrics.Day, Grant: "email_daily_total"},
		{Name: "sms_monthly_total", Type: metrics.Grant, Help: "sms monthly total (grant)", Scope: metrics.Shared, Period: metrics.Month, Grant: "sms_monthly", Notify: 90},
		{Name: "bytes_total", Type: metrics.Metered, Help: "bytes total (metered)", Scope: metrics.Shared, Period: metrics.Day, Retain: 1},
		{Name: "c", Type: metrics.Gauge, Help: "c (gauge)", Scope: metrics.Instance},
	}, rec.Definitions())
}

// TestNewRejects: every invalid definition or option is ErrConfig, with
// the metric named.
func TestNewRejects(t *testing.T) {
	lim := metrics.WithLimits(newLimits())
	for _, tc := range []struct {
		name string
		defs []metrics.Definition
		opts []metrics.Option
		msg  string
	}{
		{"empty name", []metrics.Definition{{Type: metrics.Counter}}, nil, "name must match"},
		{"bad name", []metrics.Definition{{Name: "a-b_total", Type: metrics.Counter}}, nil, "name must match"},
		{"digit first", []metrics.Definition{{Name: "1a_total", Type: metrics.Counter}}, nil, "name must match"},
		{"long name", []metrics.Definition{{Name: strings.Repeat("a", 201) + "_total", Type: metrics.Counter}}, nil, "name must match"},
		{"unicode name", []metrics.Definition{{Name: "é_total", Type: metrics.Counter}}, nil, "name must match"},
		{"no type", []metrics.Definition{{Name: "a_total"}}, nil, "type is required"},
		{"unknown type", []metrics.Definition{{Name: "a_total", Type: "summary"}}, nil, "unknown type"},
		{"counter without _total", []metrics.Definition{{Name: "a", Type: metrics.Counter}}, nil, "must end in _total"},
		{"grant without _total", []metrics.Definition{{Name: "a", Type: metrics.Grant}}, []metrics.Option{lim}, "must end in _total"},
		{"gauge with _total", []metrics.Definition{{Name: "a_total", Type: metrics.Gauge}}, nil, "only counters"},
		{"reserved suffix", []metrics.Definition{{Name: "a_bucket", Type: metrics.Gauge}}, nil, "reserved"},
		{"reserved _count", []metrics.Definition{{Name: "a_count", Type: metrics.Histogram}}, nil, "reserved"},
		{"process collector name", []metrics.Definition{{Name: "process_resident_memory_bytes", Type: metrics.Gauge}}, nil, "reserved for client_golang"},
		{"go collector name", []metrics.Definition{{Name: "go_goroutines", Type: metrics.Gauge}}, nil, "reserved"},
		{"up", []metrics.Definition{{Name: "up", Type: metrics.Gauge}}, nil, "reserved"},
		{"middleware name", []metrics.Definition{{Name: metrics.APICallsName, Type: metrics.Counter}}, nil, "the HTTP middleware"},
		{"middleware histogram part", []metrics.Definition{{Name: "api_request_duration_seconds_bucket", Type: metrics.Gauge}}, nil, "reserved"},
		{"duplicate", []metrics.Definition{{Name: "a_total", Type: metrics.Counter}, {Name: "a_total", Type: metrics.Counter}}, nil, "already used by metric a_total"},
		{"refused counter clash", []metrics.Definition{{Name: "sms_total", Type: metrics.Grant}, {Name: "sms_refused_total", Type: metrics.Counter}}, []metrics.Option{lim}, "already used by metric sms_total"},
		{"unknown scope", []metrics.Definition{{Name: "a_total", Type: metrics.Counter, Scope: "global"}}, nil, "unknown scope"},
		{"instance usage", []metrics.Definition{{Name: "a_total", Type: metrics.Metered, Scope: metrics.Instance}}, nil, "shared by all instances"},
		{"period on counter", []metrics.Definition{{Name: "a_total", Type: metrics.Counter, Period: metrics.Day}}, nil, "usage metrics only"},
		{"retain on counter", []metrics.Definition{{Name: "a_total", Type: metrics.Counter, Retain: 1}}, nil, "usage metrics only"},
		{"labels on usage", []metrics.Definition{{Name: "a_total", Type: metrics.Metered, Labels: []string{"x"}}}, nil, "take no labels"},
		{"unknown period", []metrics.Definition{{Name: "a_total", Type: metrics.Metered, Period: "fortnight"}}, nil, "unknown period"},
		{"notify above 100", []metrics.Definition{{Name: "a_total", Type: metrics.Grant, Notify: 101}}, []metrics.Option{lim}, "percentage"},
		{"negative notify", []metrics.Definition{{Name: "a_total", Type: metrics.Grant, Notify: -1}}, []metrics.Option{lim}, "percentage"},
		{"notify on metered", []metrics.Definition{{Name: "a_total", Type: metrics.Metered, Notify: 5}}, nil, "grant-style metrics only"},
		{"grant on metered", []metrics.Definition{{Name: "a_total", Type: metrics.Metered, Grant: "x"}}, nil, "grant-style metrics only"},
		{"retain on grant", []metrics.Definition{{Name: "a_total", Type: metrics.Grant, Retain: 2}}, []metrics.Option{lim}, "metered metrics only"},
		{"negative retain", []metrics.Definition{{Name: "a_total", Type: metrics.Metered, Retain: -1}}, nil, "0 to 1000"},
		{"huge retain", []metrics.Definition{{Name: "a_total", Type: metrics.Metered, Retain: 1001}}, nil, "0 to 1000"},
		{"too many labels", []metrics.Definition{{Name: "a_total", Type: metrics.Counter, Labels: strings.Fields("a b c d e f g h i j k l m n o p q")}}, nil, "at most 16"},
		{"bad label", []metrics.Definition{{Name: "a_total", Type: metrics.Counter, Labels: []string{"a-b"}}}, nil, "must match"},
		{"reserved label", []metrics.Definition{{Name: "a_total", Type: metrics.Counter, Labels: []string{"__name__"}}}, nil, "must match"},
		{"empty label", []metrics.Definition{{Name: "a_total", Type: metrics.Counter, Labels: []string{""}}}, nil, "must match"},
		{"repeated label", []metrics.Definition{{Name: "a_total", Type: metrics.Counter, Labels: []string{"x", "y", "x"}}}, nil, "repeated"},
		{"le on histogram", []metrics.Definition{{Name: "a", Type: metrics.Histogram, Labels: []string{"le"}}}, nil, "label le"},
		{"decreasing buckets", []metrics.Definition{{Name: "a", Type: metrics.Histogram, Buckets: []float64{1, 1}}}, nil, "increasing"},
		{"NaN bucket", []metrics.Definition{{Name: "a", Type: metrics.Histogram, Buckets: []float64{math.NaN()}}}, nil, "finite"},
		{"Inf bucket", []metrics.Definition{{Name: "a", Type: metrics.Histogram, Buckets: []float64{1, math.Inf(1)}}}, nil, "finite"},
		{"buckets on gauge", []metrics.Definition{{Name: "a", Type: metrics.Gauge, Buckets: []float64{1}}}, nil, "histograms only"},
		{"grant without limits", []metrics.Definition{{Name: "a_total", Type: metrics.Grant}}, nil, "WithLimits is required"},
		{"nil store", nil, []metrics.Option{metrics.WithStore(nil)}, "WithStore(nil)"},
		{"nil limits", nil, []metrics.Option{metrics.WithLimits(nil)}, "WithLimits(nil)"},
		{"nil notify", nil, []metrics.Option{metrics.WithNotify(nil)}, "WithNotify(nil)"},
		{"nil logger", nil, []metrics.Option{metrics.WithLogger(nil)}, "WithLogger(nil)"},
		{"nil resource func", nil, []metrics.Option{metrics.WithResourceFunc(nil)}, "WithResourceFunc(nil)"},
		{"zero scrape timeout", nil, []metrics.Option{metrics.WithScrapeTimeout(0)}, "scrape timeout"},
		{"no HTTP buckets", nil, []metrics.Option{metrics.WithHTTPBuckets(nil)}, "no HTTP buckets"},
		{"bad HTTP buckets", nil, []metrics.Option{metrics.WithHTTPBuckets([]float64{2, 1})}, "increasing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := metrics.New(tc.defs, tc.opts...)
			require.ErrorIs(t, err, metrics.ErrConfig)
			require.ErrorContains(t, err, tc.msg)
			require.Nil(t, rec)
		})
	}
}

func TestPeriodDuration(t *testing.T) {
	for p, want := range map[metrics.Period]time.Duration{
		metrics.Hour: time.Hour, metrics.Day: 24 * time.Hour, metrics.Week: 7 * 24 * time.Hour,
		metrics.Month: 31 * 24 * time.Hour, metrics.Indefinite: 0, "fortnight": 0,
	} {
		require.Equal(t, want, p.Duration(), "%s", p)
	}
}

func TestParseDefinitions(t *testing.T) {
	defs, err := metrics.ParseDefinitions([]byte(`
# apicrud's defaults, in this package's format
- name: api_key_auth_total
  type: counter
  scope: sitewide
- name: email_daily_total
  type: grant
  notify: 80
- name: sms_monthly_total
  type: grant
  period: month
- name: storage_bytes_total
  type: metered
  period: month
  retain: 3
- name: photo_processing_seconds
  type: histogram
  scope: instance
  buckets: [0.1, 1, 10]
  labels: [format]
`))
	require.NoError(t, err)
	require.Equal(t, []metrics.Definition{
		{Name: "api_key_auth_total", Type: metrics.Counter, Scope: "sitewide"},
		{Name: "email_daily_total", Type: metrics.Grant, Notify: 80},
		{Name: "sms_monthly_total", Type: metrics.Grant, Period: metrics.Month},
		{Name: "storage_bytes_total", Type: metrics.Metered, Period: metrics.Month, Retain: 3},
		{Name: "photo_processing_seconds", Type: metrics.Histogram, Scope: metrics.Instance, Buckets: []float64{0.1, 1, 10}, Labels: []string{"format"}},
	}, defs)
	rec, err := metrics.New(defs, metrics.WithLimits(newLimits()))
	require.NoError(t, err)
	require.NoError(t, rec.Close(t.Context()))

	defs, err = metrics.ParseDefinitions([]byte("---\n- {name: a_total, type: counter}\n---\n"))
	require.NoError(t, err, "an empty trailing document is harmless")
	require.Len(t, defs, 1)

	for _, empty := range []string{"", "\n", "# nothing\n", "null", "~", "[]"} {
		defs, err := metrics.ParseDefinitions([]byte(empty))
		require.NoError(t, err, "%q", empty)
		require.Empty(t, defs, "%q", empty)
	}
}

// TestParseDefinitionsHostile: malformed or hostile YAML is an ErrConfig
// error, never a panic or a silent partial read.
func TestParseDefinitionsHostile(t *testing.T) {
	bomb := "a: &a [x,x,x,x,x,x,x,x,x]\n"
	for i := 'b'; i <= 'j'; i++ {
		prev := string(i - 1)
		bomb += string(i) + ": &" + string(i) + " [*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + "]\n"
	}
	for _, tc := range []struct{ name, in string }{
		{"map instead of list", "name: a_total\ntype: counter\n"},
		{"scalar", "a_total"},
		{"unknown field", "- name: a_total\n  type: counter\n  style: grant\n"},
		{"apicrud map format", "metrics:\n  email_daily_total: {style: grant}\n"},
		{"wrong field type", "- name: [a]\n"},
		{"labels not a list", "- name: a_total\n  labels: x\n"},
		{"bucket not a number", "- name: a\n  buckets: [x]\n"},
		{"notify overflow", "- name: a_total\n  notify: 99999999999999999999\n"},
		{"second document", "- name: a_total\n  type: counter\n---\n- name: b_total\n  type: counter\n"},
		{"second document garbage", "[]\n---\n: : :\n"},
		{"tab indentation", "-\tname: a_total\n"},
		{"unterminated", "- name: \"a_total\n"},
		{"binary", "\x00\x01\x02\xff"},
		{"invalid UTF-8", "- name: \xff\xfe\n"},
		{"alias bomb", bomb + "- name: *j\n"},
		{"unknown alias", "- name: *nope\n"},
		{"deep nesting", strings.Repeat("[", 100000) + strings.Repeat("]", 100000)},
		{"merge key into definition", "- <<: {name: a_total, bogus: 1}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defs, err := metrics.ParseDefinitions([]byte(tc.in))
			require.ErrorIs(t, err, metrics.ErrConfig)
			require.Nil(t, defs)
		})
	}
}

// FuzzParseDefinitions: no input panics ParseDefinitions or New, and what
// New accepts is a fixed point (its Definitions are accepted again, equal).
func FuzzParseDefinitions(f *testing.F) {
	for _, s := range []string{
		"- name: a_total\n  type: counter\n  labels: [b, a]\n",
		"- {name: email_daily_total, type: grant, notify: 80, period: month}\n",
		"- {name: s_total, type: metered, retain: 3, scope: sitewide}\n",
		"- {name: h, type: histogram, buckets: [0.1, 1], scope: instance}\n",
		"- {name: g, type: gauge, labels: [uid]}\n---\n",
		"[]", "", "- name: *a\n", "- <<: {name: x}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		defs, err := metrics.ParseDefinitions(data)
		if err != nil {
			require.ErrorIs(t, err, metrics.ErrConfig)
			return
		}
		rec, err := metrics.New(defs, metrics.WithLimits(newLimits()))
		if err != nil {
			require.ErrorIs(t, err, metrics.ErrConfig)
			return
		}
		got := rec.Definitions()
		again, err := metrics.New(got, metrics.WithLimits(newLimits()))
		require.NoError(t, err)
		require.Equal(t, got, again.Definitions())
		// Every accepted definition can describe itself to Prometheus.
		reg := prometheus.NewPedanticRegistry()
		require.NoError(t, reg.Register(rec.SharedCollector(metrics.IncludePerUser())))
		require.NoError(t, reg.Register(rec.InstanceCollector(metrics.IncludePerUser())))
		_, err = reg.Gather()
		require.NoError(t, err)
		require.NoError(t, rec.Close(t.Context()))
		require.NoError(t, again.Close(t.Context()))
	})
}

func TestParseDefinitionsErrorLine(t *testing.T) {
	_, err := metrics.ParseDefinitions([]byte("- name: a_total\n  type: counter\n  style: grant\n"))
	require.EqualError(t, err, `metrics: bad configuration: line 3: unknown field "style"`)
	_, err = metrics.ParseDefinitions([]byte("- name: a_total\n- {name: b_total\n"))
	require.EqualError(t, err, `metrics: bad configuration: line 2: invalid YAML: did not find expected ',' or '}'`)
}
