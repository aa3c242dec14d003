package mutex

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// Span attributes of the Locker's and the Lock's spans.
const (
	attrTTL      = attribute.Key("apicrud.mutex.ttl")
	attrWait     = attribute.Key("apicrud.mutex.wait")
	attrAttempts = attribute.Key("apicrud.mutex.attempts")
	attrFence    = attribute.Key("apicrud.mutex.fencing_token")
)

// traceObtain runs Acquire (wait) or TryAcquire in a span.
func (l *Locker) traceObtain(ctx context.Context, wait bool, name string, ttl time.Duration) (*Lock, error) {
	spanName := "apicrud.mutex.TryAcquire"
	if wait {
		spanName = "apicrud.mutex.Acquire"
	}
	ctx, span := l.tracer.Start(ctx, spanName, trace.WithAttributes(
		tracing.Name.String(tracing.Hash(name)), attrTTL.Float64(ttl.Seconds())))
	start := time.Now()
	var lock *Lock
	var err error
	attempts := 1
	if wait {
		attempts = 0
		lock, err = l.acquire(ctx, name, ttl, &attempts)
	} else {
		lock, err = l.tryAcquire(ctx, name, ttl)
	}
	span.SetAttributes(attrWait.Float64(time.Since(start).Seconds()), attrAttempts.Int(attempts))
	switch {
	case err == nil:
		span.SetAttributes(tracing.Outcome.String("obtained"), attrFence.Int64(lock.fence))
	case errors.Is(err, ErrNotObtained):
		span.SetAttributes(tracing.Outcome.String("not_obtained"))
		if !wait { // a held lock is TryAcquire's answer, not a failure
			span.End()
			return nil, err
		}
	}
	tracing.End(span, err, errCode(err), name)
	return lock, err
}

// errCode is the problem code of a mutex error.
func errCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNotObtained):
		return "mutex.not_obtained"
	case errors.Is(err, ErrNotHeld):
		return "mutex.not_held"
	case errors.Is(err, ErrInvalidName), errors.Is(err, ErrInvalidTTL):
		return "mutex.invalid"
	default:
		return "mutex.unavailable"
	}
}
