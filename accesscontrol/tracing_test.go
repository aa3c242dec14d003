package accesscontrol_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/apicrud-go/apicrud/accesscontrol"
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
	p, err := accesscontrol.LoadFile("testdata/rbac.yaml",
		accesscontrol.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
	require.NoError(t, err)
	admin := accesscontrol.WithPrincipal(t.Context(), principal("u-admin", "admin", "user"))
	user := accesscontrol.WithPrincipal(t.Context(), principal("u-1", "user"))
	rec1 := map[string]string{"id": "p-1", "uid": "u-2", "privacy": "secret"}

	require.True(t, p.Allowed(admin, 'u', "person", rec1))
	require.False(t, p.Allowed(user, 'u', "person", rec1))
	require.False(t, p.Allowed(user, 'r', "nothing", rec1))
	clause, args, err := p.Filter(user, 'r', "person", map[string]string{"id": "id", "uid": "uid", "privacy": "privacy"})
	require.NoError(t, err)

	spans := rec.Ended()
	require.Len(t, spans, 4)
	a := spanAttrs(spans[0])
	require.Equal(t, "apicrud.accesscontrol.Decide", spans[0].Name())
	require.Equal(t, "allowed", a["apicrud.outcome"].AsString())
	require.Equal(t, "person", a["apicrud.resource"].AsString())
	require.Equal(t, "u", a["apicrud.action"].AsString())
	require.Contains(t, a["apicrud.accesscontrol.rule"].AsString(), "policies.person[")
	require.Positive(t, a["apicrud.accesscontrol.rule_line"].AsInt64())
	a = spanAttrs(spans[1])
	require.Equal(t, "denied", a["apicrud.outcome"].AsString())
	require.Contains(t, a["apicrud.accesscontrol.reason"].AsString(), "denied")
	require.Equal(t, attribute.EMPTY, a["apicrud.accesscontrol.rule"].Type())
	require.Equal(t, "denied", spanAttrs(spans[2])["apicrud.outcome"].AsString())
	require.Equal(t, "apicrud.accesscontrol.Filter", spans[3].Name())
	a = spanAttrs(spans[3])
	require.Equal(t, clause, a["apicrud.accesscontrol.filter"].AsString())
	require.Equal(t, int64(len(args)), a["apicrud.accesscontrol.filter_args"].AsInt64())
}

// BenchmarkAllowedTracing measures what tracing adds to a decision through
// the context (crud's path): nothing without a TracerProvider (no
// allocation), a span and an Explain with one.
func BenchmarkAllowedTracing(b *testing.B) {
	for _, c := range []struct {
		name string
		opts []accesscontrol.Option
	}{
		{"none", nil},
		{"noop", []accesscontrol.Option{accesscontrol.WithTracerProvider(noop.NewTracerProvider())}},
	} {
		b.Run(c.name, func(b *testing.B) {
			p, err := accesscontrol.LoadFile("testdata/rbac.yaml", c.opts...)
			if err != nil {
				b.Fatal(err)
			}
			ctx := accesscontrol.WithPrincipal(context.Background(), principal("u-1", "user"))
			attrs := map[string]string{"id": "p-1", "uid": "u-1", "privacy": "secret"}
			p.Allowed(ctx, 'r', "person", attrs) // the principal's index, built once
			b.ReportAllocs()
			for b.Loop() {
				if !p.Allowed(ctx, 'r', "person", attrs) {
					b.Fatal("denied")
				}
			}
		})
	}
}
