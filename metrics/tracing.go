package metrics

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// WithTracerProvider makes Use and Check (the credit checks of grant-style
// metrics) emit an OpenTelemetry span ("apicrud.metrics.Use",
// "apicrud.metrics.Check") with the metric's name, the units asked, the
// account's limit, the credit left and the outcome ("allowed" or
// "exceeded"). Default: none, no span and no cost.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		c.tp = tp
		return nil
	}
}

// Span attributes of Use and Check.
const (
	attrMetric = attribute.Key("apicrud.metrics.name")
	attrN      = attribute.Key("apicrud.metrics.n")
	attrLimit  = attribute.Key("apicrud.metrics.limit")
	attrLeft   = attribute.Key("apicrud.metrics.left")
)

// traceCredit runs Use (n > 0) or Check (n == 0) in a span named span.
func (r *Recorder) traceCredit(ctx context.Context, span, name, uid string, n int64) (Credit, error) {
	ctx, sp := r.tracer.Start(ctx, span, trace.WithAttributes(attrMetric.String(name)))
	var c Credit
	var err error
	if span == "apicrud.metrics.Check" {
		c, err = r.check(ctx, name, uid)
	} else {
		sp.SetAttributes(attrN.Int64(n))
		c, err = r.use(ctx, name, uid, n)
	}
	switch {
	case err == nil:
		sp.SetAttributes(tracing.Outcome.String("allowed"), attrLimit.Int64(c.Limit), attrLeft.Int64(c.Left))
	case errors.Is(err, ErrGrantExceeded): // a refusal is the answer, not a failure
		sp.SetAttributes(tracing.Outcome.String("exceeded"), attrLimit.Int64(c.Limit), attrLeft.Int64(c.Left))
		sp.End()
		return c, err
	}
	tracing.End(sp, err, errCode(err))
	return c, err
}

// errCode is the problem code of a credit check's error.
func errCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrUnknownMetric), errors.Is(err, ErrNotGrant), errors.Is(err, ErrLabel), errors.Is(err, ErrValue):
		return "metrics.invalid"
	default:
		return "metrics.unavailable"
	}
}
