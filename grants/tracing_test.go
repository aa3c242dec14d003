package grants_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/apicrud-go/apicrud/grants"
)

func spanAttrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	g := newGrants(t, grants.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
	ctx := t.Context()
	require.NoError(t, g.Set(ctx, "u1", "lists", "20", time.Time{}))
	n, err := g.Limit(ctx, "lists", "u1")
	require.NoError(t, err)
	require.Equal(t, int64(20), n)
	req, ok, err := g.RateLimit(ctx, "u2", "login.attempt")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, 5, req)
	_, err = g.Get(ctx, "nope", "u1")
	require.ErrorIs(t, err, grants.ErrUnknownGrant)

	spans := rec.Ended()
	require.Len(t, spans, 3)
	for _, s := range spans {
		require.Equal(t, "apicrud.grants.Get", s.Name())
	}
	a := spanAttrs(spans[0])
	require.Equal(t, "lists", a["apicrud.grants.name"].AsString())
	require.Equal(t, "20", a["apicrud.grants.value"].AsString())
	require.True(t, a["apicrud.grants.override"].AsBool())
	a = spanAttrs(spans[1])
	require.Equal(t, "ratelimit_login_attempt", a["apicrud.grants.name"].AsString())
	require.False(t, a["apicrud.grants.override"].AsBool())
	require.Equal(t, codes.Error, spans[2].Status().Code)
	require.Equal(t, "grants.unknown", spanAttrs(spans[2])["error.type"].AsString())
}

// BenchmarkLimitTracing measures what tracing adds to a cached Limit:
// nothing without a TracerProvider, one span with the no-op provider.
func BenchmarkLimitTracing(b *testing.B) {
	d, err := grants.ParseDefaults([]byte(defaultsYAML))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		opts []grants.Option
	}{
		{"none", nil},
		{"noop", []grants.Option{grants.WithTracerProvider(noop.NewTracerProvider())}},
	} {
		b.Run(c.name, func(b *testing.B) {
			g, err := grants.New(d, c.opts...)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = g.Close(b.Context()) })
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.Limit(ctx, "lists", "u1"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
