package crud

import (
	"context"
	"net/http"
	"reflect"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// WithTracerProvider makes the Resource emit an OpenTelemetry span for
// each operation: "apicrud.crud.Create", "apicrud.crud.Get",
// "apicrud.crud.Update", "apicrud.crud.Delete" and "apicrud.crud.Find",
// with the resource, the table (db.collection.name), the records' ids,
// the rows returned (db.response.returned_rows) and, on error, its
// problem code (error.type); never a field's value. The Authorizer's
// decisions and the hooks' work nest below it when they trace with the
// same provider. Default: none, no span and no cost.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		c.tp = tp
		return nil
	}
}

// Span attributes of the operations.
const (
	attrID = attribute.Key("apicrud.crud.id")
)

func (r *Resource[T]) startSpan(ctx context.Context, op string, kv ...attribute.KeyValue) (context.Context, trace.Span) {
	kv = append(kv, tracing.Resource.String(r.name), tracing.DBCollection.String(strings.Trim(r.table, "`\"")))
	return r.tracer.Start(ctx, "apicrud.crud."+op, trace.WithAttributes(kv...))
}

// endSpan ends span with the rows affected or returned and err's problem
// code.
func endSpan(span trace.Span, rows int, err error) {
	if err == nil {
		span.SetAttributes(tracing.DBRows.Int(rows))
	}
	code := ""
	if err != nil {
		code = problemFor(discardHeaders{http.Header{}}, err).Code
	}
	tracing.End(span, err, code)
}

func (r *Resource[T]) traceCreate(ctx context.Context, rec *T, present map[*field]bool) (*T, error) {
	ctx, span := r.startSpan(ctx, "Create", tracing.DBOperation.String("INSERT"))
	out, err := r.createRecord(ctx, rec, present)
	if err == nil {
		span.SetAttributes(attrID.String(fieldOf(out, r.m.role(roleID)).String()))
	}
	endSpan(span, 1, err)
	return out, err
}

func (r *Resource[T]) traceGet(ctx context.Context, id string, exps []*expansion) (*T, Expanded, error) {
	ctx, span := r.startSpan(ctx, "Get", tracing.DBOperation.String("SELECT"), attrID.String(id))
	out, ex, err := r.get(ctx, id, exps)
	endSpan(span, 1, err)
	return out, ex, err
}

func (r *Resource[T]) traceUpdate(ctx context.Context, id string, cond precondition, patch map[*field]reflect.Value) (*T, error) {
	ctx, span := r.startSpan(ctx, "Update", tracing.DBOperation.String("UPDATE"), attrID.String(id))
	out, err := r.updateRecord(ctx, id, cond, patch)
	endSpan(span, 1, err)
	return out, err
}

func (r *Resource[T]) traceDelete(ctx context.Context, force bool, ids []string) ([]*T, error) {
	op := "UPDATE" // a soft delete
	if force {
		op = "DELETE"
	}
	ctx, span := r.startSpan(ctx, "Delete", tracing.DBOperation.String(op), attribute.StringSlice(string(attrID), ids))
	out, err := r.removeRecords(ctx, force, ids)
	endSpan(span, len(out), err)
	return out, err
}

func (r *Resource[T]) traceFind(ctx context.Context, q Query) (*Page[T], error) {
	ctx, span := r.startSpan(ctx, "Find", tracing.DBOperation.String("SELECT"))
	page, err := r.find(ctx, q)
	n := 0
	if page != nil {
		n = len(page.Items)
	}
	endSpan(span, n, err)
	return page, err
}

// discardHeaders is the ResponseWriter problemFor sets headers on when
// only its code is wanted.
type discardHeaders struct{ h http.Header }

func (d discardHeaders) Header() http.Header         { return d.h }
func (d discardHeaders) Write(p []byte) (int, error) { return len(p), nil }
func (d discardHeaders) WriteHeader(int)             {}
