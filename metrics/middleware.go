package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/apicrud-go/apicrud/internal/route"
)

type httpMetrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(buckets []float64) *httpMetrics {
	if len(buckets) == 0 {
		buckets = prometheus.DefBuckets
	}
	return &httpMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: APICallsName,
			Help: "API calls handled by this instance, by resource (ServeMux pattern), method and status code.",
		}, []string{"resource", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    APIDurationName,
			Help:    "Duration of API calls handled by this instance, by resource (ServeMux pattern) and method.",
			Buckets: buckets,
		}, []string{"resource", "method"}),
	}
}

// Unmatched is the resource label of requests that matched no pattern.
const Unmatched = "unmatched"

// Middleware counts the API calls that next serves and observes their
// durations, by resource, method and status code (the instance metrics
// api_calls_total and api_request_duration_seconds, exposed by
// InstanceCollector). The resource is the route pattern that matched,
// without its method, such as "/api/v1/contact/{id}" (RoutePattern), never
// the raw path, so the number of series stays bounded by the routes;
// WithResourceFunc changes it. Methods outside the standard ones count as
// "OTHER".
//
// The pattern is found whatever the router and wherever the middleware
// sits: crud's routes record theirs (so a crud API mounted under chi, gin,
// echo or a ServeMux, at any prefix, is labelled by its own patterns), a
// ServeMux wrapped directly sets Request.Pattern, and a host's handler
// under another router records its pattern with SetRoute. A request whose
// pattern is recorded by none counts as "unmatched".
func (r *Recorder) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		if ctx, _ := route.With(req.Context()); ctx != req.Context() {
			req = req.WithContext(ctx)
		}
		defer func() {
			if p := recover(); p != nil {
				sw.code = http.StatusInternalServerError
				r.ObserveRequest(r.resource(req), req.Method, sw.code, time.Since(start))
				panic(p)
			}
			r.ObserveRequest(r.resource(req), req.Method, sw.status(), time.Since(start))
		}()
		next.ServeHTTP(sw, req)
	})
}

// SetRoute records the route pattern that r matched (such as
// "/api/v1/person/{id}", or "GET /auth" whose method is dropped) for
// Middleware's resource label, from a handler or a router's middleware
// below it: chi's RouteContext(ctx).RoutePattern(), gin's
// Context.FullPath(), echo's Context.Path(). pattern must come from the
// route definitions, never from the request's path (each pattern is a
// series). The first pattern recorded for a request wins, so a router's
// catch-all recorded after the handler returns does not replace the
// pattern of the crud route that served it. Outside Middleware, SetRoute
// does nothing.
func SetRoute(r *http.Request, pattern string) { route.Set(r.Context(), pattern) }

// RoutePattern returns the route pattern of r as Middleware labels it by
// default: the pattern recorded with SetRoute (or by crud's routes), else
// r.Pattern without its method, else "". A WithResourceFunc may start
// from it.
func RoutePattern(r *http.Request) string {
	if p := route.Recorded(r.Context()); p != "" {
		return p
	}
	return route.WithoutMethod(r.Pattern)
}

// ObserveRequest records one API call as Middleware does: the non-HTTP
// twin, for servers that do not use net/http's handlers. resource must
// come from a small fixed set ("" counts as "unmatched").
func (r *Recorder) ObserveRequest(resource, method string, code int, d time.Duration) {
	if resource == "" {
		resource = Unmatched
	}
	method = normalizeMethod(method)
	c := "other"
	if code >= 100 && code <= 599 {
		c = strconv.Itoa(code)
	}
	r.http.calls.WithLabelValues(resource, method, c).Inc()
	r.http.duration.WithLabelValues(resource, method).Observe(d.Seconds())
}

func normalizeMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// statusWriter records the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// WriteHeader implements http.ResponseWriter.
func (w *statusWriter) WriteHeader(code int) {
	// 1xx responses are not final, except 101 Switching Protocols.
	if w.code == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher when the underlying writer can flush.
func (w *statusWriter) Flush() {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the underlying ResponseWriter (for http.ResponseController).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
