package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/metrics"
)

// tracerName is the instrumentation scope of the service's own spans (the
// server span of each request).
const tracerName = "github.com/apicrud-go/apicrud/examples/contacts"

// newTracerProvider returns the OpenTelemetry SDK's tracer provider that
// the tracing key asks for, and its shutdown (which flushes the spans not
// yet exported); nil and a no-op shutdown when tracing is off.
//
//   - otlp: spans go to an OTLP/HTTP collector configured by the standard
//     variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
//     OTEL_EXPORTER_OTLP_HEADERS, ...);
//   - stdout: spans are written as JSON to w (development);
//   - auto (the default): otlp when OTEL_EXPORTER_OTLP_ENDPOINT or
//     OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, else off;
//   - off: no tracing, and no cost in the library.
//
// The service name is service_name unless OTEL_SERVICE_NAME says otherwise;
// OTEL_RESOURCE_ATTRIBUTES and OTEL_TRACES_SAMPLER apply as usual.
func newTracerProvider(ctx context.Context, cfg *serviceConfig, getenv func(string) string, w io.Writer) (*sdktrace.TracerProvider, error) {
	mode := cfg.Tracing
	if mode == "auto" {
		mode = "off"
		if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
			mode = "otlp"
		}
	}
	var exp sdktrace.SpanExporter
	var err error
	switch mode {
	case "off":
		return nil, nil
	case "stdout":
		exp, err = stdouttrace.New(stdouttrace.WithWriter(w))
	case "otlp":
		exp, err = otlptracehttp.New(ctx)
	default:
		return nil, fmt.Errorf("tracing: unknown exporter %q", mode)
	}
	if err != nil {
		return nil, fmt.Errorf("tracing: %s exporter: %w", mode, err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", cfg.ServiceName())),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
		resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// serverSpanKey carries the request's server span to nameSpan, below the
// handlers that copy the request.
type serverSpanKey struct{}

// traceRequests starts the server span of each request ("GET", renamed
// "GET /api/v1/person/{id}" by nameSpan once the route is known), as a
// child of the caller's span when the request carries a W3C traceparent.
// The attributes are the HTTP semantic conventions' (method, path without
// the query, status code, route); never a header, a query or a body.
func (a *app) traceRequests(next http.Handler) http.Handler {
	if a.tp == nil {
		return next
	}
	tr := a.tp.Tracer(tracerName)
	prop := propagation.TraceContext{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tr.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("url.path", r.URL.Path),
		))
		defer span.End()
		sw := &spanWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(ctx, serverSpanKey{}, span)))
		code := sw.status()
		span.SetAttributes(attribute.Int("http.response.status_code", code))
		if code >= 500 {
			span.SetStatus(codes.Error, "")
			span.SetAttributes(attribute.String("error.type", strconv.Itoa(code)))
		}
	})
}

// nameSpan names the server span by the route that served the request
// (the semantic conventions' "{method} {http.route}"), once next has
// matched it.
func (a *app) nameSpan(next http.Handler) http.Handler {
	if a.tp == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		span, ok := r.Context().Value(serverSpanKey{}).(trace.Span)
		if !ok {
			return
		}
		if route := metrics.RoutePattern(r); route != "" {
			span.SetName(r.Method + " " + route)
			span.SetAttributes(attribute.String("http.route", route))
		}
	})
}

// spanWriter records the status code of a response for the server span.
type spanWriter struct {
	http.ResponseWriter
	code int
}

func (w *spanWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

func (w *spanWriter) WriteHeader(code int) {
	if w.code == 0 && code >= 200 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *spanWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *spanWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// traceLogHandler adds the trace_id and span_id of the span in a record's
// context to the record, so that a log line can be found from its trace
// and the other way round. Log with the *Context methods (InfoContext...)
// for the context to reach it.
type traceLogHandler struct{ slog.Handler }

func (h traceLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceLogHandler{h.Handler.WithAttrs(attrs)}
}

func (h traceLogHandler) WithGroup(name string) slog.Handler {
	return traceLogHandler{h.Handler.WithGroup(name)}
}

// pprofHandler serves Go's runtime profiles (net/http/pprof) under
// <base>/debug/pprof/ to admins and to holders of the scrape key: a
// profile shows the program's internals and costs CPU while it runs, so
// no one else may ask for one. It is mounted only with pprof: true.
func (a *app) pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	h := http.StripPrefix(a.cfg.BaseURL(), mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.scrapeAllowed(r) && !admin(w, r) {
			return
		}
		h.ServeHTTP(w, r)
	})
}
