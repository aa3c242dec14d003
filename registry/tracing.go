package registry

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// Span attributes: the semantic conventions' service name and instance id
// of the registered instance, and the count of instances Find returned.
const (
	attrService    = attribute.Key("service.name")
	attrInstanceID = attribute.Key("service.instance.id")
	attrInstances  = attribute.Key("apicrud.registry.instances")
)

func (r *Registration) spanAttrs() trace.SpanStartEventOption {
	return trace.WithAttributes(attrService.String(r.inst.Service), attrInstanceID.String(r.inst.ID))
}

// tracedBeat is beat in a span; a periodic beat (background) starts a trace
// of its own.
func (r *Registration) tracedBeat(ctx context.Context, background bool) error {
	if r.c.tracer == nil {
		return r.beat(ctx)
	}
	opts := []trace.SpanStartOption{r.spanAttrs()}
	if background {
		opts = append(opts, trace.WithNewRoot())
	}
	ctx, span := r.c.tracer.Start(ctx, "apicrud.registry.Heartbeat", opts...)
	err := r.beat(ctx)
	tracing.End(span, err, errCode(err))
	return err
}

// errCode is the problem code of a registry error.
func errCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrInvalidInstance):
		return "registry.invalid_instance"
	case errors.Is(err, ErrInvalidEntry):
		return "registry.invalid_entry"
	case errors.Is(err, ErrStaleEntry):
		return "registry.stale_entry"
	case errors.Is(err, ErrClosed):
		return "registry.closed"
	default:
		return "registry.unavailable"
	}
}
