package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/metrics"
)

// TestMiddleware counts calls per resource (the ServeMux pattern), method
// and status code, and observes their durations (fake clock: exact).
func TestMiddleware(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec, err := metrics.New(nil, metrics.WithHTTPBuckets([]float64{0.1, 0.5, 1}))
		require.NoError(t, err)
		defer rec.Close(t.Context())
		mux := http.NewServeMux()
		mux.HandleFunc("GET /api/v1/person/{id}", func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(300 * time.Millisecond)
			if r.PathValue("id") == "missing" {
				http.Error(w, "not found", http.StatusNotFound)
				return
			}
			_, _ = w.Write([]byte("{}"))
		})
		mux.HandleFunc("POST /api/v1/person", func(w http.ResponseWriter, _ *http.Request) {
			time.Sleep(2 * time.Second)
			w.WriteHeader(http.StatusCreated)
		})
		mux.HandleFunc("GET /api/v1/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
		mux.HandleFunc("GET /early", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusEarlyHints) // not final
			w.WriteHeader(http.StatusNoContent)
		})
		mux.HandleFunc("GET /upgrade", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusSwitchingProtocols) // final
		})
		mux.HandleFunc("GET /stream", func(w http.ResponseWriter, _ *http.Request) {
			w.(http.Flusher).Flush()
			rc := http.NewResponseController(w)
			require.NoError(t, rc.Flush())
			// Other controls reach the underlying writer through Unwrap
			// (httptest.ResponseRecorder has no deadlines).
			require.ErrorIs(t, rc.SetWriteDeadline(time.Now().Add(time.Second)), http.ErrNotSupported)
		})
		h := rec.Middleware(mux)

		do := func(method, path string) int {
			w := httptest.NewRecorder()
			func() {
				defer func() { _ = recover() }() // the middleware re-panics
				h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
			}()
			return w.Code
		}
		require.Equal(t, 200, do("GET", "/api/v1/person/p-1"))
		require.Equal(t, 200, do("GET", "/api/v1/person/p-2"))
		require.Equal(t, 404, do("GET", "/api/v1/person/missing"))
		require.Equal(t, 201, do("POST", "/api/v1/person"))
		do("GET", "/api/v1/panic")
		do("GET", "/early") // httptest.ResponseRecorder keeps the 103
		do("GET", "/upgrade")
		require.Equal(t, 200, do("GET", "/stream"))
		require.Equal(t, 404, do("GET", "/no/such/path"))
		require.Equal(t, 405, do("DELETE", "/api/v1/person"))
		do("BREW", "/api/v1/person/p-1")

		reg := registry(t, rec.InstanceCollector())
		require.Equal(t, []sample{
			{`code="101",method="GET",resource="/upgrade"`, 1},
			{`code="200",method="GET",resource="/api/v1/person/{id}"`, 2},
			{`code="200",method="GET",resource="/stream"`, 1},
			{`code="201",method="POST",resource="/api/v1/person"`, 1},
			{`code="204",method="GET",resource="/early"`, 1},
			{`code="404",method="GET",resource="/api/v1/person/{id}"`, 1},
			{`code="404",method="GET",resource="unmatched"`, 1},
			{`code="405",method="DELETE",resource="unmatched"`, 1},
			{`code="405",method="OTHER",resource="unmatched"`, 1},
			{`code="500",method="GET",resource="/api/v1/panic"`, 1},
		}, samples(t, reg, metrics.APICallsName))

		mfs, err := reg.Gather()
		require.NoError(t, err)
		type hist struct {
			count   uint64
			sum     float64
			buckets []uint64
		}
		got := map[string]hist{}
		for _, mf := range mfs {
			if mf.GetName() != metrics.APIDurationName {
				continue
			}
			for _, m := range mf.GetMetric() {
				key := ""
				for _, lp := range m.GetLabel() {
					key += lp.GetName() + "=" + lp.GetValue() + " "
				}
				h := m.GetHistogram()
				var bs []uint64
				for _, b := range h.GetBucket() {
					bs = append(bs, b.GetCumulativeCount())
				}
				got[key] = hist{h.GetSampleCount(), h.GetSampleSum(), bs}
			}
		}
		d := 0.3 // summed as float64s, in order
		require.Equal(t, hist{3, d + d + d, []uint64{0, 3, 3}}, got["method=GET resource=/api/v1/person/{id} "], "300 ms each")
		require.Equal(t, hist{1, 2, []uint64{0, 0, 0}}, got["method=POST resource=/api/v1/person "], "2 s: above every bucket")
		require.Equal(t, hist{1, 0, []uint64{1, 1, 1}}, got["method=GET resource=/api/v1/panic "])
	})
}

// TestMiddlewareResourceFunc: a resource function that names resources
// from a whitelist keeps raw input out of the labels.
func TestMiddlewareResourceFunc(t *testing.T) {
	resources := []string{"person", "contact"}
	rec, err := metrics.New(nil, metrics.WithResourceFunc(func(r *http.Request) string {
		if res := r.PathValue("resource"); slices.Contains(resources, res) {
			return res
		}
		return ""
	}))
	require.NoError(t, err)
	defer rec.Close(t.Context())
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/{resource}/{id}", func(http.ResponseWriter, *http.Request) {})
	h := rec.Middleware(mux)
	for _, p := range []string{"/api/v1/person/1", "/api/v1/contact/2", "/api/v1/person/3", "/api/v1/%3Cscript%3E/4", "/api/v1/x-secret-123/5"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("PUT", p, nil))
	}
	require.Equal(t, []sample{
		{`code="200",method="PUT",resource="contact"`, 1},
		{`code="200",method="PUT",resource="person"`, 2},
		{`code="200",method="PUT",resource="unmatched"`, 2},
	}, samples(t, registry(t, rec.InstanceCollector()), metrics.APICallsName))
}

func TestObserveRequest(t *testing.T) {
	rec, err := metrics.New(nil)
	require.NoError(t, err)
	defer rec.Close(t.Context())
	rec.ObserveRequest("grpc.Person/Get", "GET", 200, time.Millisecond)
	rec.ObserveRequest("", "get", 0, time.Millisecond)
	rec.ObserveRequest("x", "PATCH", 600, time.Millisecond)
	require.Equal(t, []sample{
		{`code="200",method="GET",resource="grpc.Person/Get"`, 1},
		{`code="other",method="OTHER",resource="unmatched"`, 1},
		{`code="other",method="PATCH",resource="x"`, 1},
	}, samples(t, registry(t, rec.InstanceCollector()), metrics.APICallsName))
}

// TestMiddlewareSetRoute: a router that hands its handlers a copy of the
// request (as chi, gin and echo do) hides Request.Pattern from the
// middleware; the pattern recorded with SetRoute reaches it, the first one
// recorded wins, and a raw path is never a label.
func TestMiddlewareSetRoute(t *testing.T) {
	rec, err := metrics.New(nil)
	require.NoError(t, err)
	defer rec.Close(t.Context())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/thing/{id}", func(w http.ResponseWriter, r *http.Request) {
		metrics.SetRoute(r, r.Pattern)
		require.Equal(t, "/api/v1/thing/{id}", metrics.RoutePattern(r))
	})
	mux.HandleFunc("GET /api/v1/plain/{id}", func(http.ResponseWriter, *http.Request) {}) // records nothing
	// A router of its own: copies the request, then records its catch-all
	// after the handler returned.
	router := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(r.Context())
		mux.ServeHTTP(w, r)
		metrics.SetRoute(r, "/api/v1/*")
	})
	h := rec.Middleware(router)
	for _, p := range []string{"/api/v1/thing/1", "/api/v1/thing/2", "/api/v1/plain/3", "/elsewhere"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	// Without the router, a ServeMux wrapped directly still labels by its pattern.
	rec.Middleware(mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/plain/4", nil))
	require.Equal(t, []sample{
		{`code="200",method="GET",resource="/api/v1/*"`, 1},
		{`code="200",method="GET",resource="/api/v1/plain/{id}"`, 1},
		{`code="200",method="GET",resource="/api/v1/thing/{id}"`, 2},
		{`code="404",method="GET",resource="/api/v1/*"`, 1},
	}, samples(t, registry(t, rec.InstanceCollector()), metrics.APICallsName))
	// Outside the middleware SetRoute does nothing.
	r := httptest.NewRequest("GET", "/x", nil)
	metrics.SetRoute(r, "/x")
	require.Empty(t, metrics.RoutePattern(r))
}
