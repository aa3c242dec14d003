package idempotency

import (
	"context"

	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// begin is Store.Begin, in a span when the Keeper traces.
func (k *Keeper) begin(ctx context.Context, key, fp string) (Record, bool, error) {
	if k.tracer == nil {
		return k.cfg.store.Begin(ctx, key, fp, k.cfg.lockTTL)
	}
	ctx, span := k.tracer.Start(ctx, "apicrud.idempotency.Begin")
	rec, started, err := k.cfg.store.Begin(ctx, key, fp, k.cfg.lockTTL)
	if err == nil {
		outcome := "started"
		switch {
		case started:
		case !sameRequest(rec.Fingerprint, fp):
			outcome = "key_reused"
		case !rec.Done:
			outcome = "in_progress"
		default:
			outcome = "replayed"
		}
		span.SetAttributes(tracing.Outcome.String(outcome))
	}
	tracing.End(span, err, CodeUnavailable)
	return rec, started, err
}

// complete is Store.Complete, in a span when the Keeper traces.
func (k *Keeper) complete(ctx context.Context, key string, rec Record) error {
	if k.tracer == nil {
		return k.cfg.store.Complete(ctx, key, rec, k.cfg.ttl)
	}
	ctx, span := k.tracer.Start(ctx, "apicrud.idempotency.Complete",
		trace.WithAttributes(tracing.HTTPStatus.Int(rec.Status)))
	err := k.cfg.store.Complete(ctx, key, rec, k.cfg.ttl)
	tracing.End(span, err, CodeUnavailable)
	return err
}

// abandon is Store.Abandon, in a span when the Keeper traces.
func (k *Keeper) abandon(ctx context.Context, key, fp string) error {
	if k.tracer == nil {
		return k.cfg.store.Abandon(ctx, key, fp)
	}
	ctx, span := k.tracer.Start(ctx, "apicrud.idempotency.Abandon")
	err := k.cfg.store.Abandon(ctx, key, fp)
	tracing.End(span, err, CodeUnavailable)
	return err
}
