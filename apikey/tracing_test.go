package apikey_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/apicrud-go/apicrud/apikey"
)

func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	m, err := apikey.New(apikey.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close(t.Context()) })
	ctx := t.Context()
	key, r, err := m.Create(ctx, "u-1", "ci", []string{"full"}, time.Time{})
	require.NoError(t, err)
	full := key.Reveal()
	_, err = m.Verify(ctx, full)
	require.NoError(t, err)
	_, err = m.Verify(ctx, r.Prefix+".wrongwrongwrongwrongwrongwrongwrongwrong")
	require.ErrorIs(t, err, apikey.ErrInvalid)
	require.NoError(t, m.Revoke(ctx, r.Prefix))
	_, err = m.Verify(ctx, full)
	require.ErrorIs(t, err, apikey.ErrRevoked)

	type got struct{ name, outcome, id string }
	var spans []got
	_, secret, _ := strings.Cut(full, ".")
	for _, s := range rec.Ended() {
		g := got{name: s.Name()}
		for _, kv := range s.Attributes() {
			require.NotContains(t, kv.Value.String(), secret)
			switch kv.Key {
			case "apicrud.outcome":
				g.outcome = kv.Value.AsString()
			case "apicrud.apikey.id":
				g.id = kv.Value.AsString()
			}
		}
		spans = append(spans, g)
	}
	require.Equal(t, []got{
		{"apicrud.apikey.Create", "", r.Prefix},
		{"apicrud.apikey.Verify", "valid", r.Prefix},
		{"apicrud.apikey.Verify", "invalid", r.Prefix},
		{"apicrud.apikey.Revoke", "", r.Prefix},
		{"apicrud.apikey.Verify", "revoked", r.Prefix},
	}, spans)
}
