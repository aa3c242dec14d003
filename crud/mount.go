package crud

import (
	"net/http"
	"strconv"

	"github.com/apicrud-go/apicrud/internal/route"
	"github.com/apicrud-go/apicrud/problem"
)

// handle registers h on mux for pattern. h first records pattern as the
// request's route (what the metrics middleware labels it by), so the label
// is the route's own pattern whatever router the host mounts the mux
// under, and wherever that middleware sits.
func handle(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, req *http.Request) {
		route.Set(req.Context(), pattern)
		h(w, req)
	})
}

// mounted returns the routes that register adds to a ServeMux of their own
// as one http.Handler. A path none of them serves answers 404, and a
// method they do not serve 405 with Allow, both as problem+json.
func mounted(register func(mux *http.ServeMux)) http.Handler {
	mux := http.NewServeMux()
	register(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if _, pattern := mux.Handler(req); pattern != "" {
			mux.ServeHTTP(w, req)
			return
		}
		c := &statusCapture{header: http.Header{}}
		mux.ServeHTTP(c, req) // only the mux's own 404, 405 or redirect runs
		for _, k := range []string{"Allow", "Location"} {
			if v := c.header.Get(k); v != "" {
				w.Header().Set(k, v)
			}
		}
		code := c.code
		if code < 400 {
			code = http.StatusNotFound
		}
		problem.Write(w, problem.Problem{Status: code, Code: "http." + strconv.Itoa(code)})
	})
}

// statusCapture records what the mux's error handler writes.
type statusCapture struct {
	header http.Header
	code   int
}

func (c *statusCapture) Header() http.Header         { return c.header }
func (c *statusCapture) Write(b []byte) (int, error) { return len(b), nil }
func (c *statusCapture) WriteHeader(code int)        { c.code = code }

// Handler returns the resource's routes under prefix (as Routes registers
// them) as one http.Handler, for a host that mounts it under any router:
//
//	mux.Handle("/api/v1/contact/", contacts.Handler("/api/v1"))          // net/http
//	r.Mount("/api/v1/contact", contacts.Handler("/api/v1"))              // chi
//	e.Any("/api/v1/contact*", echo.WrapHandler(contacts.Handler("/api/v1"))) // echo
//	g.Any("/api/v1/contact/*p", gin.WrapH(contacts.Handler("/api/v1")))  // gin
//
// The handler sees the request's whole path, so prefix is the path the
// host mounts it at (a router that strips its prefix, as http.StripPrefix
// does, mounts it with prefix ""). Path values ({id}) are its own, so the
// host's router needs no parameters. A path it does not serve answers 404
// problem+json, a method it does not serve 405 with Allow.
func (r *Resource[T]) Handler(prefix string) http.Handler {
	return mounted(func(mux *http.ServeMux) { r.Routes(mux, prefix) })
}

// Handler returns the trashcan's routes under prefix as one http.Handler,
// as Resource.Handler does.
func (tc *Trashcan) Handler(prefix string) http.Handler {
	return mounted(func(mux *http.ServeMux) { tc.Routes(mux, prefix) })
}

// Handler returns the whole API (every registered item's routes and GET
// {prefix}/openapi.json) as one http.Handler, for a host that mounts it at
// the API's prefix under any router (chi's Mount, echo's or gin's Any with
// a wildcard, or a ServeMux pattern ending in "/"). Items registered later
// are not served: register first. A path none of them serves answers 404
// problem+json, a method they do not serve 405 with Allow.
func (a *API) Handler() http.Handler {
	return mounted(a.Routes)
}
