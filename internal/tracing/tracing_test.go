package tracing_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

func TestNewWithoutProvider(t *testing.T) {
	require.Nil(t, tracing.New(nil, "x"))
}

func TestHash(t *testing.T) {
	h := tracing.Hash("lock-name")
	require.Len(t, h, 16)
	require.Equal(t, h, tracing.Hash("lock-name"))
	require.NotEqual(t, h, tracing.Hash("lock-name2"))
}

func TestEnd(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tr := tracing.New(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)), "github.com/apicrud-go/apicrud/x")
	_, span := tr.Start(t.Context(), "ok")
	tracing.End(span, nil, "")
	_, span = tr.Start(t.Context(), "failed")
	tracing.End(span, errors.New(`x: obtain "secret-name": down`), "x.unavailable", "secret-name", "")

	spans := rec.Ended()
	require.Len(t, spans, 2)
	require.Equal(t, codes.Unset, spans[0].Status().Code)
	require.Empty(t, spans[0].Events())
	require.Equal(t, codes.Error, spans[1].Status().Code)
	require.Equal(t, "x.unavailable", spans[1].Status().Description)
	ev := spans[1].Events()
	require.Len(t, ev, 1)
	require.Equal(t, "exception", ev[0].Name)
	require.Equal(t, `x: obtain "`+tracing.Hash("secret-name")+`": down`, ev[0].Attributes[1].Value.AsString())
	require.Equal(t, "x.unavailable", ev[0].Attributes[0].Value.AsString())
}
