package accesscontrol

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/apicrud-go/apicrud/problem"
)

// Problem codes of the middleware's answers.
const (
	CodeUnauthenticated = "accesscontrol.unauthenticated"
	CodeForbidden       = "accesscontrol.forbidden"
)

// AuditEvent describes a request the middleware refused.
type AuditEvent struct {
	Time       time.Time
	Status     int // 401 or 403
	Method     string
	Path       string
	UID        string // "" when anonymous
	AuthMethod string
	APIKeyID   string
	// What was required: scopes (RequireScopes), a service
	// (RequireService), or an action on a resource (RequireAction).
	Scopes   []string
	Service  string
	Resource string
	Action   string
	// Reason says why the request was refused.
	Reason string
}

// RequireScopes returns middleware that lets a request through only when
// the principal in its context holds every one of scopes (HasScopesFor).
// It answers 401 when the request has no authenticated principal and 403
// when the principal lacks a scope, as problem+json with "WWW-Authenticate:
// Bearer error="insufficient_scope", scope="…"", and reports each
// refusal to the audit hook (WithAudit).
func (p *Policy) RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	scopes = append([]string(nil), scopes...)
	return p.guard(func(pr Principal, e *AuditEvent) bool {
		e.Scopes = scopes
		if p.HasScopesFor(pr, scopes...) {
			return true
		}
		e.Reason = "missing scope among " + strings.Join(scopes, " ")
		return false
	})
}

// RequireService returns middleware that lets a request through only when
// the principal may call the named service (ServiceAllowed): 401 without
// a principal, 403 otherwise.
func (p *Policy) RequireService(service string) func(http.Handler) http.Handler {
	return p.guard(func(pr Principal, e *AuditEvent) bool {
		e.Service = service
		if p.ServiceAllowed(pr, service) {
			return true
		}
		e.Reason = "no scope of the caller grants service " + quote(service)
		return false
	})
}

// RequireAction returns middleware that lets a request through only when
// the principal may perform action on some record of resource: a rule,
// scope or wildcard gives it on every record, or on the records it owns,
// or on the records of a membership it holds at the level a rule asks.
// Privacy defaults (public records) are per record and do not count: it
// is a route-level check, and the handler (crud) still decides per
// record. 401 without a principal, 403 otherwise.
func (p *Policy) RequireAction(resource string, action byte) func(http.Handler) http.Handler {
	return p.guard(func(pr Principal, e *AuditEvent) bool {
		e.Resource, e.Action = resource, string(rune(action))
		if p.MayPerform(pr, action, resource) {
			return true
		}
		e.Reason = "no rule gives " + quote(e.Action) + " on " + quote(resource)
		return false
	})
}

// MayPerform reports whether p may perform action on at least one
// possible record of resource through the policy's rules and scopes (see
// RequireAction).
func (p *Policy) MayPerform(pr Principal, action byte, resource string) bool {
	bit := actionBit[action]
	c := p.cur.Load()
	ri, ok := c.resIdx[resource]
	if bit == 0 || !ok {
		return false
	}
	b := c.bind(pr.p)
	r := &c.res[ri]
	acts := r.anyAll
	rp := b.grant(ri)
	acts |= rp.all
	if b.pr.uid != "" {
		acts |= rp.own
	}
	if b.pr.uid != "" {
		acts |= r.anyOwn
	}
	if r.mem != nil && b.members != nil {
		for pi, m := range r.mem {
			if m == nil {
				continue
			}
			var top uint8
			for _, l := range b.members[pi] {
				top = max(top, l)
			}
			if top > 0 {
				acts |= m[top].all
				if b.pr.uid != "" {
					acts |= m[top].own
				}
			}
		}
	}
	return acts&bit != 0
}

func (p *Policy) guard(check func(Principal, *AuditEvent) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			pr, _ := PrincipalFrom(r.Context())
			e := AuditEvent{Method: r.Method, Path: r.URL.Path, UID: pr.UID(), AuthMethod: pr.AuthMethod(), APIKeyID: pr.APIKeyID()}
			if !pr.Authenticated() {
				check(pr, &e)
				e.Status, e.Reason = http.StatusUnauthorized, "no authenticated principal"
				p.refuse(w, r, &e)
				return
			}
			if !check(pr, &e) {
				e.Status = http.StatusForbidden
				p.refuse(w, r, &e)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func (p *Policy) refuse(w http.ResponseWriter, r *http.Request, e *AuditEvent) {
	e.Time = time.Now()
	ctx := r.Context()
	p.opts.log.DebugContext(ctx, "accesscontrol: request refused", "status", e.Status, "method", e.Method,
		"path", e.Path, "uid", e.UID, "reason", e.Reason)
	if p.opts.audit != nil {
		ev := *e
		ev.Scopes = slices.Clone(e.Scopes) // the hook's own copy: the middleware keeps requiring its own
		p.opts.audit(context.WithoutCancel(ctx), ev)
	}
	if e.Status == http.StatusUnauthorized {
		if p.opts.challenge != "" {
			w.Header().Set("WWW-Authenticate", p.opts.challenge)
		}
		problem.Write(w, problem.Problem{Status: http.StatusUnauthorized, Detail: "authentication required", Code: CodeUnauthenticated})
		return
	}
	if len(e.Scopes) > 0 {
		w.Header().Set("WWW-Authenticate", problem.InsufficientScope(e.Scopes))
	}
	problem.Write(w, problem.Problem{Status: http.StatusForbidden, Detail: "not allowed", Code: CodeForbidden})
}
