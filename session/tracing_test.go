package session_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/apicrud-go/apicrud/session"
)

func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	e := newEnv(t, session.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
	ctx := t.Context()
	s, tok, err := e.m.Create(ctx, "u-1", []string{"user"}, session.Extra{Method: "password"})
	require.NoError(t, err)
	_, err = e.m.Validate(ctx, string(tok))
	require.NoError(t, err)
	_, err = e.m.Validate(ctx, "not-a-token")
	require.ErrorIs(t, err, session.ErrInvalidToken)
	ns, tok2, err := e.m.Renew(ctx, s)
	require.NoError(t, err)
	_, err = e.m.Validate(ctx, string(tok))
	require.ErrorIs(t, err, session.ErrNoSession)
	require.NoError(t, e.m.Delete(ctx, ns))
	_, err = e.m.DeleteAll(ctx, "u-1")
	require.NoError(t, err)

	type got struct{ name, outcome, id string }
	var spans []got
	for _, sp := range rec.Ended() {
		g := got{name: sp.Name()}
		for _, kv := range sp.Attributes() {
			v := kv.Value.String()
			for _, secret := range []string{string(tok), string(tok2), s.ID, ns.ID} {
				require.NotContains(t, v, secret, "%s %s", sp.Name(), kv.Key)
			}
			switch kv.Key {
			case "apicrud.outcome":
				g.outcome = v
			case "session.id":
				g.id = v
			}
		}
		require.NotEqual(t, codes.Error, sp.Status().Code, sp.Name())
		spans = append(spans, g)
	}
	require.Len(t, spans, 7)
	require.Equal(t, "apicrud.session.Create", spans[0].name)
	require.Len(t, spans[0].id, 16)
	require.Equal(t, got{"apicrud.session.Validate", "valid", spans[0].id}, spans[1])
	require.Equal(t, got{"apicrud.session.Validate", "invalid", ""}, spans[2])
	require.Equal(t, "apicrud.session.Renew", spans[3].name)
	require.NotEqual(t, spans[0].id, spans[3].id)
	require.Equal(t, got{"apicrud.session.Validate", "no_session", ""}, spans[4])
	require.Equal(t, got{"apicrud.session.Revoke", "", spans[3].id}, spans[5])
	require.Equal(t, "apicrud.session.RevokeAll", spans[6].name)

	renew := rec.Ended()[3]
	prev := attribute.NewSet(renew.Attributes()...)
	v, ok := prev.Value("session.previous_id")
	require.True(t, ok)
	require.Equal(t, spans[0].id, v.AsString())
	invalid := attribute.NewSet(rec.Ended()[2].Attributes()...)
	reason, _ := invalid.Value("apicrud.session.reason")
	require.True(t, strings.HasPrefix(reason.AsString(), "session: invalid token"), reason.AsString())
}

// BenchmarkValidateTracing measures what tracing adds to Validate on the
// memory store: nothing without a TracerProvider, one span with the no-op
// provider.
func BenchmarkValidateTracing(b *testing.B) {
	for _, c := range []struct {
		name string
		opts []session.Option
	}{
		{"none", nil},
		{"noop", []session.Option{session.WithTracerProvider(noop.NewTracerProvider())}},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b, c.opts...)
			ctx := context.Background()
			_, tok, err := e.m.Create(ctx, "u-1", []string{"user"}, session.Extra{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.m.Validate(ctx, string(tok)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
