package accesscontrol_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
)

type auditLog struct {
	mu     sync.Mutex
	events []ac.AuditEvent
}

func (a *auditLog) record(_ context.Context, e ac.AuditEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
}

func TestMiddleware(t *testing.T) {
	var audit auditLog
	p, err := ac.LoadFile("testdata/rbac.yaml", ac.WithAudit(audit.record))
	require.NoError(t, err)
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	admin := ac.NewPrincipal(ac.Identity{UID: "u-a", Roles: []string{"admin"}, Scopes: []string{"full", "payments.approve"}, APIKeyID: "abcdefgh", AuthMethod: "apikey"})
	user := ac.NewPrincipal(ac.Identity{UID: "u-u", Roles: []string{"user"}, Scopes: []string{"readonly"}})
	cases := []struct {
		name   string
		mw     func(http.Handler) http.Handler
		who    *ac.Principal
		status int
	}{
		{"scopes: no principal", p.RequireScopes("full"), nil, 401},
		{"scopes: anonymous principal", p.RequireScopes("full"), &ac.Principal{}, 401},
		{"scopes: missing", p.RequireScopes("full"), &user, 403},
		{"scopes: held", p.RequireScopes("full"), &admin, 204},
		{"scopes: all of them", p.RequireScopes("full", "readonly"), &admin, 403},
		{"scopes: none required", p.RequireScopes(), &user, 204},
		{"action: allowed", p.RequireAction("settings", 'u'), &admin, 204},
		{"action: denied", p.RequireAction("settings", 'u'), &user, 403},
		{"action: own records", p.RequireAction("contact", 'd'), &user, 204},
		{"action: unknown resource", p.RequireAction("nothing", 'r'), &admin, 403},
		{"action: no principal", p.RequireAction("person", 'r'), nil, 401},
		{"service: allowed", p.RequireService("approve_payment"), &admin, 204},
		{"service: denied", p.RequireService("approve_payment"), &user, 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			audit.events = nil
			r := httptest.NewRequest(http.MethodPost, "/api/v1/thing", nil)
			if c.who != nil {
				r = r.WithContext(ac.WithPrincipal(r.Context(), *c.who))
			}
			w := httptest.NewRecorder()
			c.mw(ok).ServeHTTP(w, r)
			require.Equal(t, c.status, w.Code)
			if c.status == 204 {
				require.Empty(t, audit.events)
				return
			}
			require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
			require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			switch {
			case c.status == 403 && c.name == "scopes: all of them":
				require.Equal(t, `Bearer error="insufficient_scope", scope="full readonly"`, w.Header().Get("WWW-Authenticate"))
			case c.status == 403 && strings.HasPrefix(c.name, "scopes:"):
				require.Equal(t, `Bearer error="insufficient_scope", scope="full"`, w.Header().Get("WWW-Authenticate"))
			case c.status == 403:
				require.Empty(t, w.Header().Get("WWW-Authenticate"), "only a missing scope is insufficient_scope")
			}
			var body struct {
				Status int    `json:"status"`
				Code   string `json:"code"`
				Detail string `json:"detail"`
			}
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
			require.Equal(t, c.status, body.Status)
			require.Len(t, audit.events, 1)
			e := audit.events[0]
			require.Equal(t, c.status, e.Status)
			require.Equal(t, http.MethodPost, e.Method)
			require.Equal(t, "/api/v1/thing", e.Path)
			require.NotEmpty(t, e.Reason)
			require.False(t, e.Time.IsZero())
			if c.status == 401 {
				require.Equal(t, ac.CodeUnauthenticated, body.Code)
				require.Equal(t, "Bearer", w.Header().Get("WWW-Authenticate"))
				require.Empty(t, e.UID)
			} else {
				require.Equal(t, ac.CodeForbidden, body.Code)
				require.Equal(t, c.who.UID(), e.UID)
				require.Equal(t, c.who.APIKeyID(), e.APIKeyID)
			}
		})
	}
}

func TestMiddlewareChallenge(t *testing.T) {
	p, err := ac.LoadFile("testdata/rbac.yaml", ac.WithChallenge(""))
	require.NoError(t, err)
	w := httptest.NewRecorder()
	p.RequireScopes("full")(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	require.Equal(t, http.StatusUnauthorized, w.Code)
	require.Empty(t, w.Header().Get("WWW-Authenticate"))
}

// TestMiddlewareAuditCannotChangeTheCheck: the audit hook receives its own
// copy of what was required; changing it does not change what the
// middleware requires next.
func TestMiddlewareAuditCannotChangeTheCheck(t *testing.T) {
	p, err := ac.LoadFile("testdata/rbac.yaml", ac.WithAudit(func(_ context.Context, e ac.AuditEvent) {
		if len(e.Scopes) > 0 {
			e.Scopes[0] = "readonly"
		}
	}))
	require.NoError(t, err)
	user := ac.NewPrincipal(ac.Identity{UID: "u-u", Roles: []string{"user"}, Scopes: []string{"readonly"}})
	h := p.RequireScopes("full")(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for i := range 2 {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r.WithContext(ac.WithPrincipal(r.Context(), user)))
		require.Equal(t, http.StatusForbidden, w.Code, "request %d", i)
	}
}
