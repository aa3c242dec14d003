package accesscontrol

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// WithTracerProvider makes the context-taking decisions (Allowed,
// AllowedRecord, Filter: those crud makes) emit OpenTelemetry spans:
// "apicrud.accesscontrol.Decide", with the resource, the action, the
// outcome, the rule that allowed it (its entry, such as
// "policies.person[2]", and its line) or, when denied, the reason; and
// "apicrud.accesscontrol.Filter", with the SQL condition (placeholders
// only, never the arguments) and its argument count. A traced decision
// that is recorded also runs Explain to name the rule, so it allocates;
// without a provider nothing changes. Default: none, no span and no cost.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) error {
		o.tp = tp
		return nil
	}
}

// Span attributes of the decisions.
const (
	attrRule     = attribute.Key("apicrud.accesscontrol.rule")
	attrRuleLine = attribute.Key("apicrud.accesscontrol.rule_line")
	attrReason   = attribute.Key("apicrud.accesscontrol.reason")
	attrFilter   = attribute.Key("apicrud.accesscontrol.filter")
	attrArgs     = attribute.Key("apicrud.accesscontrol.filter_args")
)

// traceAllowed is AllowedRecord in a span that names the deciding rule.
func (p *Policy) traceAllowed(ctx context.Context, action byte, resource string, attrs map[string]string, field func(string) (any, bool)) bool {
	ctx, span := p.tracer.Start(ctx, "apicrud.accesscontrol.Decide", trace.WithAttributes(
		tracing.Resource.String(resource), tracing.Action.String(string(rune(action)))))
	defer span.End()
	c := p.cur.Load() // one policy for the decision and its explanation, even during a reload
	allowed := c.allowed(ctx, action, resource, attrs, field)
	outcome := "denied"
	if allowed {
		outcome = "allowed"
	}
	span.SetAttributes(tracing.Outcome.String(outcome))
	if !span.IsRecording() { // a sampled-out or no-op span: no Explain
		return allowed
	}
	if _, ok := c.resIdx[resource]; !ok {
		span.SetAttributes(attrReason.String("resource not declared"))
		return allowed
	}
	v := c.viewOf(attrs)
	v.fieldFn = field
	d := c.explain(principalOf(ctx), action, resource, &v)
	if d.By != nil && allowed {
		span.SetAttributes(attrRule.String(d.By.Entry), attrRuleLine.Int(d.By.Line))
	} else if !allowed {
		span.SetAttributes(attrReason.String(d.Reason))
	}
	return allowed
}

// traceFilter is Filter in a span.
func (p *Policy) traceFilter(ctx context.Context, action byte, resource string, columns map[string]string) (string, []any, error) {
	_, span := p.tracer.Start(ctx, "apicrud.accesscontrol.Filter", trace.WithAttributes(
		tracing.Resource.String(resource), tracing.Action.String(string(rune(action)))))
	clause, args, err := p.FilterFor(principalOf(ctx), action, resource, columns)
	if err == nil {
		span.SetAttributes(attrFilter.String(clause), attrArgs.Int(len(args)))
	}
	tracing.End(span, err, "accesscontrol.filter")
	return clause, args, err
}
