package metrics_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/apicrud-go/apicrud/metrics"
)

func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	r, err := metrics.New(testDefs(), metrics.WithLimits(newLimits("sms_daily_total", 3)),
		metrics.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close(t.Context()) })
	ctx := t.Context()
	_, err = r.Use(ctx, "sms_daily_total", "u-1", 3)
	require.NoError(t, err)
	_, err = r.Use(ctx, "sms_daily_total", "u-1", 1)
	require.ErrorIs(t, err, metrics.ErrGrantExceeded)
	_, err = r.Check(ctx, "sms_daily_total", "u-1")
	require.NoError(t, err)
	_, err = r.Check(ctx, "nope_total", "u-1")
	require.ErrorIs(t, err, metrics.ErrUnknownMetric)

	spans := rec.Ended()
	require.Len(t, spans, 4)
	attrs := func(i int) map[attribute.Key]attribute.Value {
		m := map[attribute.Key]attribute.Value{}
		for _, kv := range spans[i].Attributes() {
			m[kv.Key] = kv.Value
		}
		return m
	}
	require.Equal(t, "apicrud.metrics.Use", spans[0].Name())
	require.Equal(t, "allowed", attrs(0)["apicrud.outcome"].AsString())
	require.Equal(t, int64(0), attrs(0)["apicrud.metrics.left"].AsInt64())
	require.Equal(t, int64(3), attrs(0)["apicrud.metrics.n"].AsInt64())
	require.Equal(t, "exceeded", attrs(1)["apicrud.outcome"].AsString())
	require.Equal(t, codes.Unset, spans[1].Status().Code, "a refusal is an answer")
	require.Equal(t, "apicrud.metrics.Check", spans[2].Name())
	require.Equal(t, int64(3), attrs(2)["apicrud.metrics.limit"].AsInt64())
	require.Equal(t, codes.Error, spans[3].Status().Code)
	require.Equal(t, "metrics.invalid", attrs(3)["error.type"].AsString())
}

// BenchmarkUseTracing measures what tracing adds to an allowed Use on the
// memory store: nothing without a TracerProvider, one span with the no-op
// provider.
func BenchmarkUseTracing(b *testing.B) {
	for _, c := range []struct {
		name string
		opts []metrics.Option
	}{
		{"none", nil},
		{"noop", []metrics.Option{metrics.WithTracerProvider(noop.NewTracerProvider())}},
	} {
		b.Run(c.name, func(b *testing.B) {
			r, err := metrics.New(testDefs(), append(c.opts, metrics.WithLimits(newLimits("sms_daily_total", 1<<40)))...)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = r.Close(b.Context()) })
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Use(ctx, "sms_daily_total", "u-1", 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
