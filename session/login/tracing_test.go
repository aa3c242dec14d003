package login_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	th := login.DefaultThrottles()
	th.Account = login.Ladder{Free: 0, Delays: []time.Duration{time.Hour}, Window: time.Hour}
	e := newEnv(t, login.WithTracerProvider(tp), session.WithTracerProvider(tp), login.WithThrottle(th))
	acc := e.user(t, "ada", false)
	ctx := t.Context()

	_, tok, err := e.m.Login(ctx, "ada", goodPassword, "")
	require.NoError(t, err)
	_, _, err = e.m.Login(ctx, "ada", "wrong password 1", "")
	require.ErrorIs(t, err, login.ErrInvalidCredentials)
	_, _, err = e.m.Login(ctx, "ada", "wrong password 2", "")
	require.ErrorIs(t, err, login.ErrLocked)

	type got struct{ name, outcome, extra string }
	names := map[trace.SpanID]string{}
	for _, s := range rec.Ended() {
		names[s.SpanContext().SpanID()] = s.Name()
	}
	var spans []got
	for _, s := range rec.Ended() {
		for _, kv := range s.Attributes() {
			for _, secret := range []string{goodPassword, "wrong password", string(tok), acc.Username} {
				require.NotContains(t, kv.Value.String(), secret, "%s %s", s.Name(), kv.Key)
			}
		}
		if s.Name() == "apicrud.session.Create" {
			continue
		}
		g := got{name: s.Name()}
		for _, kv := range s.Attributes() {
			v := kv.Value.String()
			switch kv.Key {
			case "apicrud.outcome":
				g.outcome = v
			case "apicrud.login.method", "apicrud.login.reason":
				g.extra = v
			case "apicrud.login.retry_after":
				g.extra = "retry"
			}
		}
		spans = append(spans, g)
	}
	require.Equal(t, []got{
		{name: "apicrud.login.Login", outcome: "success", extra: login.MethodPassword},
		{name: "apicrud.login.Login", outcome: "failure", extra: "session.invalid_credentials"},
		{name: "apicrud.login.Login", outcome: "locked_out", extra: "retry"},
	}, spans)
	// The session the login started nests below the login's span.
	for _, s := range rec.Ended() {
		if s.Name() == "apicrud.session.Create" {
			require.Equal(t, "apicrud.login.Login", names[s.Parent().SpanID()])
		}
	}
}
