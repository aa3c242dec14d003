// Package route carries the route pattern a request matched from the
// handler that matched it out to the middleware around the router, whatever
// the router: net/http's ServeMux sets Request.Pattern only on the request
// it is given, and chi, gin and echo hand their handlers copies of the
// request, so a middleware outside them never sees a pattern. The metrics
// middleware installs a Label in the request's context; crud's routes (and
// hosts, through metrics.SetRoute) record their pattern in it.
package route

import (
	"context"
	"strings"
)

type key struct{}

// Label holds the pattern recorded for one request. The handler records
// it before it returns, on the request's goroutine; the middleware reads
// it after next returns. A Label is also the context that carries it (one
// allocation instead of two).
type Label struct {
	context.Context
	pattern string
}

// Value returns the Label for its key, and the parent's values otherwise.
func (l *Label) Value(k any) any {
	if k == (key{}) {
		return l
	}
	return l.Context.Value(k)
}

// With returns ctx carrying a Label, and the Label: the one ctx already
// carries (ctx is returned unchanged), or a new one.
func With(ctx context.Context) (context.Context, *Label) {
	if l, ok := ctx.Value(key{}).(*Label); ok {
		return ctx, l
	}
	l := &Label{Context: ctx}
	return l, l
}

// Set records pattern (a route pattern, never a raw path) for the request
// of ctx, with any method prefix ("GET /a/{id}") dropped. The first pattern
// recorded wins: the innermost handler records before it runs, and a
// router's own pattern recorded after the handler returns does not replace
// it. Without a Label in ctx, Set does nothing.
func Set(ctx context.Context, pattern string) {
	l, ok := ctx.Value(key{}).(*Label)
	if !ok || l.pattern != "" || pattern == "" {
		return
	}
	l.pattern = WithoutMethod(pattern)
}

// Pattern returns the pattern recorded, "" if none.
func (l *Label) Pattern() string { return l.pattern }

// Recorded returns the pattern recorded in ctx's Label, "" if none.
func Recorded(ctx context.Context) string {
	if l, ok := ctx.Value(key{}).(*Label); ok {
		return l.pattern
	}
	return ""
}

// WithoutMethod returns a ServeMux pattern without its method
// ("GET /a/{id}" → "/a/{id}").
func WithoutMethod(p string) string {
	if i := strings.IndexAny(p, " \t"); i >= 0 {
		p = strings.TrimLeft(p[i:], " \t")
	}
	return p
}
