package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/apicrud-go/apicrud/registry"
)

func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	c, err := registry.New(newCipher(t, 1), registry.WithTracerProvider(tp),
		registry.WithHeartbeat(10*time.Millisecond, time.Minute))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })

	tr := tp.Tracer("test")
	ctx, parent := tr.Start(t.Context(), "register")
	reg, err := c.Register(ctx, instance("contacts", "i-1", "person"))
	require.NoError(t, err)
	parent.End()
	count := func(name string) int {
		n := 0
		for _, s := range rec.Ended() {
			if s.Name() == name {
				n++
			}
		}
		return n
	}
	require.Eventually(t, func() bool { return count("apicrud.registry.Heartbeat") >= 3 }, 10*time.Second, 5*time.Millisecond)
	res, err := c.Find(t.Context(), "contacts")
	require.NoError(t, err)
	require.Len(t, res.Instances, 1)
	require.NoError(t, reg.Close(t.Context()))
	_, err = c.Find(t.Context(), "bad name!")
	require.ErrorIs(t, err, registry.ErrInvalidInstance)

	var beats, finds, deregs int
	for _, s := range rec.Ended() {
		a := spanAttrs(s)
		switch s.Name() {
		case "apicrud.registry.Heartbeat":
			beats++
			require.Equal(t, "contacts", a["service.name"].AsString())
			require.Equal(t, "i-1", a["service.instance.id"].AsString())
			if beats == 1 {
				require.Equal(t, parent.SpanContext().SpanID(), s.Parent().SpanID(), "the first beat is part of Register")
			} else {
				require.False(t, s.Parent().IsValid(), "a periodic beat is a trace of its own")
			}
		case "apicrud.registry.Find":
			finds++
			if finds == 1 {
				require.Equal(t, int64(1), a["apicrud.registry.instances"].AsInt64())
			} else {
				require.Equal(t, "registry.invalid_instance", a["error.type"].AsString())
			}
		case "apicrud.registry.Deregister":
			deregs++
		}
	}
	require.Equal(t, 2, finds)
	require.Equal(t, 1, deregs)
}

func spanAttrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}
