package redisstore_test

import (
	"context"
	"net"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/metrics"
	metricsredis "github.com/apicrud-go/apicrud/metrics/redisstore"
	"github.com/apicrud-go/apicrud/metrics/storetest"
)

func TestRedisStore(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
		rdb := connect(t)
		storetest.Run(t, func(t *testing.T) metrics.Store {
			return testenv.Must(metricsredis.New(rdb, metricsredis.WithPrefix(testenv.Prefix(t, rdb))))
		})
	})
}

// TestTwoInstancesShareState: two stores on two clients with one prefix
// (two service instances) see one state: one credit per account, one set
// of totals, one metered amount; another prefix is another state.
func TestTwoInstancesShareState(t *testing.T) {
	testenv.EachRedis(t, testTwoInstancesShareState)
}

func testTwoInstancesShareState(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
	rdb1, rdb2 := connect(t), connect(t)
	prefix := testenv.Prefix(t, rdb1)
	a := testenv.Must(metricsredis.New(rdb1, metricsredis.WithPrefix(prefix)))
	b := testenv.Must(metricsredis.New(rdb2, metricsredis.WithPrefix(prefix)))
	other := testenv.Must(metricsredis.New(rdb2, metricsredis.WithPrefix(prefix+"other:")))
	ctx := t.Context()

	req := metrics.ConsumeRequest{Metric: "sms_daily_total", UID: "u-1", Limit: 4, N: 1, Period: time.Hour}
	for i, s := range []metrics.Store{a, b, a, b} {
		ok, st, err := s.Consume(ctx, req)
		require.NoError(t, err)
		require.True(t, ok, "use %d", i)
		require.Equal(t, int64(3-i), st.Left, "use %d", i)
	}
	ok, _, err := a.Consume(ctx, req)
	require.NoError(t, err)
	require.False(t, ok, "the credit is used up for both")
	ok, _, err = other.Consume(ctx, req)
	require.NoError(t, err)
	require.True(t, ok, "another prefix is another store")

	require.NoError(t, a.Add(ctx, "logins_total", metrics.Delta{Field: "result=ok", Value: 2}))
	require.NoError(t, b.Add(ctx, "logins_total", metrics.Delta{Field: "result=ok", Value: 3}))
	require.NoError(t, a.Set(ctx, "queue_depth", "queue=mail", 9))
	k := metrics.PeriodKey{Metric: "bytes_total", Period: "2026-03"}
	_, err = a.Meter(ctx, k, "u-1", 10, time.Hour)
	require.NoError(t, err)
	total, err := b.Meter(ctx, k, "u-1", 5, time.Hour)
	require.NoError(t, err)
	require.Equal(t, 15.0, total)

	got, err := b.Read(ctx, []string{"logins_total", "queue_depth", "sms_daily_total", "bytes_total"})
	require.NoError(t, err)
	require.Equal(t, []map[string]float64{
		{"result=ok": 5},
		{"queue=mail": 9},
		{metrics.FieldUsed: 4, metrics.FieldRefused: 1},
		{metrics.FieldUsed: 15},
	}, got)
	cs, amounts, err := a.Usage(ctx, "u-1", []string{"sms_daily_total"}, []metrics.PeriodKey{k})
	require.NoError(t, err)
	require.Equal(t, int64(0), cs[0].Left)
	require.Equal(t, []float64{15}, amounts)
}

// TestRecordersShareState: two Recorders (two instances) on one Redis
// enforce one credit per account.
func TestRecordersShareState(t *testing.T) {
	testenv.EachRedis(t, testRecordersShareState)
}

func testRecordersShareState(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
	rdb1, rdb2 := connect(t), connect(t)
	prefix := testenv.Prefix(t, rdb1)
	defs := []metrics.Definition{{Name: "sms_daily_total", Type: metrics.Grant}}
	var recs []*metrics.Recorder
	for _, rdb := range []redis.UniversalClient{rdb1, rdb2} {
		rec, err := metrics.New(defs, metrics.WithStore(testenv.Must(metricsredis.New(rdb, metricsredis.WithPrefix(prefix)))), metrics.WithLimits(fixed(5)))
		require.NoError(t, err)
		recs = append(recs, rec)
	}
	ctx := t.Context()
	for i := range 5 {
		_, err := recs[i%2].Use(ctx, "sms_daily_total", "u-1", 1)
		require.NoError(t, err)
	}
	_, err := recs[1].Use(ctx, "sms_daily_total", "u-1", 1)
	require.ErrorIs(t, err, metrics.ErrGrantExceeded)
	c, err := recs[0].Check(ctx, "sms_daily_total", "u-1")
	require.NoError(t, err)
	require.Equal(t, int64(0), c.Left)
}

type fixed int64

func (f fixed) Limit(context.Context, string, string) (int64, error) { return int64(f), nil }

// TestKeySchema: the keys and their contents, as the package doc states.
func TestKeySchema(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	s := testenv.Must(metricsredis.New(rdb, metricsredis.WithPrefix(prefix)))
	ctx := t.Context()
	require.NoError(t, s.Add(ctx, "logins_total", metrics.Delta{Field: "method=password,result=ok", Value: 1}))
	require.NoError(t, s.Add(ctx, "upload_bytes", metrics.Delta{Field: "|le=100", Value: 1}, metrics.Delta{Field: "|sum", Value: 42}))
	_, _, err := s.Consume(ctx, metrics.ConsumeRequest{Metric: "sms_daily_total", UID: "u-1", Limit: 3, N: 1, Period: time.Hour})
	require.NoError(t, err)
	_, err = s.Meter(ctx, metrics.PeriodKey{Metric: "bytes_total", Period: "2026-03"}, "u-1", 2.5, 2*time.Hour)
	require.NoError(t, err)

	keys, err := testenv.Keys(ctx, rdb, prefix)
	require.NoError(t, err)
	sort.Strings(keys)
	require.Equal(t, []string{
		prefix + "{bytes_total}",
		prefix + "{bytes_total}:m:2026-03",
		prefix + "{logins_total}",
		prefix + "{sms_daily_total}",
		prefix + "{sms_daily_total}:g:u-1",
		prefix + "{upload_bytes}",
	}, keys)
	hash := func(k string) map[string]string {
		m, err := rdb.HGetAll(ctx, prefix+k).Result()
		require.NoError(t, err)
		return m
	}
	ttl := func(k string) time.Duration { return rdb.PTTL(ctx, prefix+k).Val() }
	require.Equal(t, map[string]string{"method=password,result=ok": "1"}, hash("{logins_total}"))
	require.Equal(t, map[string]string{"|le=100": "1", "|sum": "42"}, hash("{upload_bytes}"))
	require.Equal(t, map[string]string{"used": "1"}, hash("{sms_daily_total}"))
	require.Equal(t, map[string]string{"left": "2", "limit": "3"}, hash("{sms_daily_total}:g:u-1"))
	require.Equal(t, map[string]string{"u-1": "2.5"}, hash("{bytes_total}:m:2026-03"))
	require.Equal(t, map[string]string{"used": "2.5"}, hash("{bytes_total}"))
	require.Equal(t, time.Duration(-1), ttl("{logins_total}"), "totals never expire")
	require.Greater(t, ttl("{sms_daily_total}:g:u-1"), 59*time.Minute)
	require.Greater(t, ttl("{bytes_total}:m:2026-03"), 119*time.Minute)

	_, err = s.Meter(ctx, metrics.PeriodKey{Metric: "bytes_total", Period: "2026-03"}, "u-2", 1, time.Minute)
	require.NoError(t, err)
	require.Greater(t, ttl("{bytes_total}:m:2026-03"), 119*time.Minute, "a period keeps the TTL it was created with")

	d := testenv.Must(metricsredis.New(rdb))
	_, err = d.Read(ctx, []string{"schema-test-" + testenv.RandomID(4)})
	require.NoError(t, err, "the default prefix works (a read writes nothing)")
	require.Equal(t, "apicrud:metrics:", metricsredis.DefaultPrefix)
}

// TestRoundTrips counts what each operation sends to Redis: the figures of
// the package doc.
func TestRoundTrips(t *testing.T) {
	testenv.Redis(t) // skips when Redis does not answer
	// One connection, so that no counted operation pays for a new
	// connection's handshake (HELLO, CLIENT SETINFO).
	rdb := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr(), PoolSize: 1})
	t.Cleanup(func() { _ = rdb.Close() })
	prefix := testenv.Prefix(t, rdb)
	var trips atomic.Int64
	rdb.AddHook(counter{&trips})
	s := testenv.Must(metricsredis.New(rdb, metricsredis.WithPrefix(prefix)))
	defs := []metrics.Definition{
		{Name: "a_total", Type: metrics.Counter, Labels: []string{"x"}},
		{Name: "g", Type: metrics.Gauge},
		{Name: "h_seconds", Type: metrics.Histogram},
		{Name: "i_total", Type: metrics.Counter, Scope: metrics.Instance},
		{Name: "sms_daily_total", Type: metrics.Grant},
		{Name: "email_daily_total", Type: metrics.Grant},
		{Name: "bytes_total", Type: metrics.Metered, Retain: 2},
	}
	rec, err := metrics.New(defs, metrics.WithStore(s), metrics.WithLimits(fixed(100)))
	require.NoError(t, err)
	ctx := t.Context()
	// Load the scripts (the first run of each may be EVALSHA + EVAL), and
	// run one pipeline (go-redis may redo the connection handshake on the
	// first one).
	_, err = rec.Check(ctx, "sms_daily_total", "warm")
	require.NoError(t, err)
	require.NoError(t, rec.Store(ctx, "h_seconds", nil, 1))
	_, err = rec.Use(ctx, "sms_daily_total", "warm", 1)
	require.NoError(t, err)
	_, err = rec.Meter(ctx, "bytes_total", "warm", 1)
	require.NoError(t, err)

	reg := prometheusRegistry(t, rec)
	for _, tc := range []struct {
		name string
		op   func() error
		want int64
	}{
		{"Store counter", func() error { return rec.Inc(ctx, "a_total", metrics.Labels{"x": "1"}) }, 1},
		{"Store gauge", func() error { return rec.Store(ctx, "g", nil, 3) }, 1},
		{"Store histogram", func() error { return rec.Store(ctx, "h_seconds", nil, 0.2) }, 1},
		{"Store instance counter", func() error { return rec.Inc(ctx, "i_total", nil) }, 0},
		{"Use", func() error { _, err := rec.Use(ctx, "sms_daily_total", "u-1", 1); return err }, 1},
		{"Check", func() error { _, err := rec.Check(ctx, "sms_daily_total", "u-1"); return err }, 1},
		{"Meter", func() error { _, err := rec.Meter(ctx, "bytes_total", "u-1", 1); return err }, 1},
		{"Find (2 grants, 3 metered periods)", func() error { _, err := rec.Find(ctx, "u-1"); return err }, 1},
		{"scrape", func() error { _, err := reg.Gather(); return err }, 1},
		{"ObserveRequest", func() error { rec.ObserveRequest("/x", "GET", 200, 0); return nil }, 0},
	} {
		trips.Store(0)
		require.NoError(t, tc.op(), tc.name)
		require.Equal(t, tc.want, trips.Load(), tc.name)
	}
}

// counter counts round trips: one per command, one per pipeline.
type counter struct{ n *atomic.Int64 }

func (c counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}

// TestRedisUnreachable: every method returns an error, never panics, and
// a Recorder reports it.
func TestRedisUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond, DialerRetries: 1})
	t.Cleanup(func() { _ = rdb.Close() })
	s := testenv.Must(metricsredis.New(rdb))
	ctx := t.Context()
	require.Error(t, s.Add(ctx, "a_total", metrics.Delta{Field: "", Value: 1}))
	require.Error(t, s.Add(ctx, "a_total", metrics.Delta{Field: "", Value: 1}, metrics.Delta{Field: "b", Value: 1}))
	require.Error(t, s.Set(ctx, "g", "", 1))
	_, err = s.Read(ctx, []string{"a_total"})
	require.Error(t, err)
	_, _, err = s.Consume(ctx, metrics.ConsumeRequest{Metric: "m_total", UID: "u", Limit: 1, N: 1})
	require.Error(t, err)
	_, err = s.Meter(ctx, metrics.PeriodKey{Metric: "b_total", Period: "p"}, "u", 1, 0)
	require.Error(t, err)
	_, _, err = s.Usage(ctx, "u", []string{"m_total"}, []metrics.PeriodKey{{Metric: "b_total", Period: "p"}})
	require.Error(t, err)

	rec, err := metrics.New([]metrics.Definition{{Name: "m_total", Type: metrics.Grant}}, metrics.WithStore(s), metrics.WithLimits(fixed(1)))
	require.NoError(t, err)
	_, err = rec.Use(ctx, "m_total", "u-1", 1)
	require.Error(t, err)
	require.NotErrorIs(t, err, metrics.ErrGrantExceeded, "a store error is not a refusal")
}

// TestCorruptValues: values written by something else are errors or
// skipped, never panics.
func TestCorruptValues(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	s := testenv.Must(metricsredis.New(rdb, metricsredis.WithPrefix(prefix)))
	ctx := t.Context()
	require.NoError(t, rdb.HSet(ctx, prefix+"{a_total}", "x=1", "not a number", "x=2", "2").Err())
	got, err := s.Read(ctx, []string{"a_total"})
	require.NoError(t, err)
	require.Equal(t, []map[string]float64{{"x=2": 2}}, got, "a field that is not a number is left out")

	require.NoError(t, rdb.HSet(ctx, prefix+"{m_total}:g:u-1", "left", "x", "limit", "3").Err())
	_, _, err = s.Usage(ctx, "u-1", []string{"m_total"}, nil)
	require.Error(t, err)
	require.NoError(t, rdb.HSet(ctx, prefix+"{b_total}:m:p", "u-1", "x").Err())
	_, _, err = s.Usage(ctx, "u-1", nil, []metrics.PeriodKey{{Metric: "b_total", Period: "p"}})
	require.Error(t, err)
	require.NoError(t, rdb.Set(ctx, prefix+"{w_total}", "a string", 0).Err())
	require.Error(t, s.Add(ctx, "w_total", metrics.Delta{Field: "", Value: 1}), "WRONGTYPE")
	_, err = s.Read(ctx, []string{"w_total"})
	require.Error(t, err)
}

func prometheusRegistry(t *testing.T, rec *metrics.Recorder) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(rec.SharedCollector()))
	require.NoError(t, reg.Register(rec.InstanceCollector()))
	return reg
}
