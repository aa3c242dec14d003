package mutex_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/apicrud-go/apicrud/mutex"
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
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	l, err := mutex.New(mutex.WithTracerProvider(tp), mutex.WithMaxWait(time.Minute),
		mutex.WithBackoff(time.Millisecond, 5*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close(context.Background()) })
	ctx := t.Context()
	const name = "invoice-secret-name"

	first, err := l.Acquire(ctx, name, time.Minute)
	require.NoError(t, err)
	_, err = l.TryAcquire(ctx, name, time.Minute)
	require.ErrorIs(t, err, mutex.ErrNotObtained)
	require.NoError(t, first.Extend(ctx, time.Minute))
	go func() {
		time.Sleep(20 * time.Millisecond)
		_ = first.Release(context.Background())
	}()
	second, err := l.Acquire(ctx, name, time.Minute)
	require.NoError(t, err)
	require.NoError(t, second.Release(ctx))
	require.ErrorIs(t, second.Release(ctx), mutex.ErrNotHeld)

	byName := map[string][]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		byName[s.Name()] = append(byName[s.Name()], s)
		require.Equal(t, "github.com/apicrud-go/apicrud/mutex", s.InstrumentationScope().Name)
		for _, kv := range s.Attributes() {
			require.NotContains(t, kv.Value.String(), name)
		}
		for _, e := range s.Events() {
			for _, kv := range e.Attributes {
				require.NotContains(t, kv.Value.String(), name)
			}
		}
	}
	require.Len(t, byName["apicrud.mutex.Acquire"], 2)
	require.Len(t, byName["apicrud.mutex.TryAcquire"], 1)
	require.Len(t, byName["apicrud.mutex.Extend"], 1)
	require.Len(t, byName["apicrud.mutex.Release"], 3)

	a := spanAttrs(byName["apicrud.mutex.Acquire"][0])
	require.Equal(t, "obtained", a["apicrud.outcome"].AsString())
	require.Len(t, a["apicrud.name"].AsString(), 16)
	require.Equal(t, first.FencingToken(), a["apicrud.mutex.fencing_token"].AsInt64())
	require.Equal(t, 60.0, a["apicrud.mutex.ttl"].AsFloat64())
	a = spanAttrs(byName["apicrud.mutex.Acquire"][1])
	require.Equal(t, second.FencingToken(), a["apicrud.mutex.fencing_token"].AsInt64())
	require.Greater(t, a["apicrud.mutex.attempts"].AsInt64(), int64(1), "the second Acquire waited")
	require.Greater(t, a["apicrud.mutex.wait"].AsFloat64(), 0.0)

	try := byName["apicrud.mutex.TryAcquire"][0]
	require.Equal(t, "not_obtained", spanAttrs(try)["apicrud.outcome"].AsString())
	require.Equal(t, codes.Unset, try.Status().Code, "a held lock is an answer, not a failure")

	var notHeld int
	for _, s := range byName["apicrud.mutex.Release"] {
		if s.Status().Code == codes.Error {
			notHeld++
			require.Equal(t, "mutex.not_held", spanAttrs(s)["error.type"].AsString())
			require.True(t, strings.Contains(s.Events()[0].Attributes[1].Value.AsString(), "not held"))
		}
	}
	require.Equal(t, 1, notHeld)
}

// BenchmarkTryAcquireTracing measures what tracing adds to a TryAcquire and
// Release of a free lock on the memory store: nothing without a
// TracerProvider, two spans with the no-op provider.
func BenchmarkTryAcquireTracing(b *testing.B) {
	for _, c := range []struct {
		name string
		opts []mutex.Option
	}{
		{"none", nil},
		{"noop", []mutex.Option{mutex.WithTracerProvider(noop.NewTracerProvider())}},
	} {
		b.Run(c.name, func(b *testing.B) {
			l, err := mutex.New(c.opts...)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = l.Close(context.Background()) })
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				k, err := l.TryAcquire(ctx, "bench", time.Minute)
				if err != nil {
					b.Fatal(err)
				}
				if err := k.Release(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
