package idempotency_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/apicrud-go/apicrud/idempotency"
)

func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	k := newKeeper(t, idempotency.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
	h := k.Handler(&creator{})
	send := func(path, body string) int {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set(idempotency.HeaderKey, `"key-secret-1"`)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	require.Equal(t, http.StatusCreated, send("/item", "{}"))
	require.Equal(t, http.StatusCreated, send("/item", "{}"))
	require.Equal(t, http.StatusUnprocessableEntity, send("/item", `{"a":1}`))

	type got struct{ name, outcome string }
	var spans []got
	for _, s := range rec.Ended() {
		g := got{name: s.Name()}
		for _, kv := range s.Attributes() {
			require.NotContains(t, kv.Value.String(), "key-secret-1")
			if kv.Key == "apicrud.outcome" {
				g.outcome = kv.Value.AsString()
			}
		}
		spans = append(spans, g)
	}
	require.Equal(t, []got{
		{"apicrud.idempotency.Begin", "started"},
		{"apicrud.idempotency.Complete", ""},
		{"apicrud.idempotency.Begin", "replayed"},
		{"apicrud.idempotency.Begin", "key_reused"},
	}, spans)
}
