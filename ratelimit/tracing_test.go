package ratelimit_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/apicrud-go/apicrud/ratelimit"
)

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	l, err := ratelimit.New(ratelimit.WithTracerProvider(tp),
		ratelimit.WithDefaultLimit(ratelimit.Limit{Rate: 1, Period: time.Hour}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close(context.Background()) })
	ctx := t.Context()

	key := ratelimit.Key{Service: "login", UID: "u-secret-uid"}
	_, err = l.Allow(ctx, key, 1)
	require.NoError(t, err)
	_, err = l.Allow(ctx, key, 1)
	require.NoError(t, err)
	_, err = l.Allow(ctx, ratelimit.Key{Service: "login"}, 1)
	require.ErrorIs(t, err, ratelimit.ErrInvalidKey)
	_, err = l.Allow(ctx, ratelimit.Key{IP: netip.MustParseAddr("192.0.2.1")}, 1)
	require.NoError(t, err)

	spans := rec.Ended()
	require.Len(t, spans, 4)
	for _, s := range spans {
		require.Equal(t, "apicrud.ratelimit.Allow", s.Name())
		require.Equal(t, "github.com/apicrud-go/apicrud/ratelimit", s.InstrumentationScope().Name)
		for _, kv := range s.Attributes() {
			require.NotContains(t, kv.Value.String(), "u-secret-uid")
			require.NotContains(t, kv.Value.String(), "192.0.2.1")
		}
	}
	a := attrs(spans[0])
	require.Equal(t, "allowed", a["apicrud.outcome"].AsString())
	require.Equal(t, "login", a["apicrud.ratelimit.service"].AsString())
	require.Equal(t, "uid", a["apicrud.ratelimit.key"].AsString())
	require.Equal(t, "1 req/h", a["apicrud.ratelimit.limit"].AsString())
	require.Equal(t, int64(0), a["apicrud.ratelimit.remaining"].AsInt64())
	a = attrs(spans[1])
	require.Equal(t, "denied", a["apicrud.outcome"].AsString())
	require.Greater(t, a["apicrud.ratelimit.retry_after"].AsFloat64(), 0.0)
	require.Equal(t, codes.Error, spans[2].Status().Code)
	require.Equal(t, "ratelimit.invalid", attrs(spans[2])["error.type"].AsString())
	require.Len(t, spans[2].Events(), 1) // the recorded error
	require.Equal(t, "ip", attrs(spans[3])["apicrud.ratelimit.key"].AsString())
}

// BenchmarkAllowTracing measures what tracing adds to an allowed Allow on
// the memory store: nothing without a TracerProvider (the same allocations
// as BenchmarkAllow), the span's cost with the no-op provider and with the
// SDK recording every span.
func BenchmarkAllowTracing(b *testing.B) {
	lim := ratelimit.Limit{Rate: 1_000_000, Period: 1_000_000_000, Burst: 1_000_000_000 / 1000}
	for _, c := range []struct {
		name string
		opts []ratelimit.Option
	}{
		{"none", nil},
		{"noop", []ratelimit.Option{ratelimit.WithTracerProvider(noop.NewTracerProvider())}},
		{"sdk", []ratelimit.Option{ratelimit.WithTracerProvider(sdktrace.NewTracerProvider())}},
	} {
		b.Run(c.name, func(b *testing.B) {
			l, err := ratelimit.New(append(c.opts, ratelimit.WithDefaultLimit(lim))...)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = l.Close(context.Background()) })
			ctx := context.Background()
			key := ratelimit.Key{Service: "*", UID: "serial"}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := l.Allow(ctx, key, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
