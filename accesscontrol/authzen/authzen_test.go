package authzen_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/accesscontrol/authzen"
)

const policyYAML = `
private_resources: [{resource: list, attr: list_id}]
fields:
  message: {status: string, published_at: time}
  document: {amount: float}
policies:
  list: []
  message:
    - {principal: admin, resource: "{resource}:*", actions: cdru}
    - {principal: "user/{{uid}}", resource: "{resource}:{{uid}}", actions: cdru}
    - {principal: "list-{{list_id}}-member", resource: "{resource}:{{list_id}}", actions: r,
       when: "status = 'published' and published_at <= @now"}
  document:
    - {principal: "user/{{uid}}", resource: "{resource}:{{uid}}", actions: r}
    - {principal: auditor, resource: "{resource}:*", actions: r, when: "amount < 10000"}
`

func newHandler(t testing.TB, opts ...authzen.Option) http.Handler {
	t.Helper()
	p, err := ac.LoadBytes([]byte(policyYAML), "rbac.yaml")
	require.NoError(t, err)
	h, err := authzen.New(p, opts...)
	require.NoError(t, err)
	return h
}

func post(h http.Handler, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestEvaluation: the specification's access evaluation request shape
// (subject, action, resource, context), answered {"decision": …}.
func TestEvaluation(t *testing.T) {
	h := newHandler(t)
	cases := []struct {
		name, body, want string
	}{
		{"spec shape, allowed", `{
		  "subject": {"type": "user", "id": "u-2", "properties": {"roles": ["user", "list-L1-member"]}},
		  "resource": {"type": "message", "id": "m-1", "properties": {"owner": "u-1", "list_id": "L1", "status": "published", "published_at": "2026-05-01T00:00:00Z"}},
		  "action": {"name": "can_read", "properties": {"method": "GET"}},
		  "context": {"time": "2026-06-01T12:00:00Z"}}`, `{"decision":true}`},
		{"condition false", `{
		  "subject": {"type": "user", "id": "u-2", "properties": {"roles": ["user", "list-L1-member"]}},
		  "resource": {"type": "message", "id": "m-1", "properties": {"owner": "u-1", "list_id": "L1", "status": "draft"}},
		  "action": {"name": "read"}}`, `{"decision":false}`},
		{"owner updates", `{"subject": {"type": "user", "id": "u-1", "properties": {"roles": ["user"]}},
		  "resource": {"type": "message", "id": "m-1", "properties": {"owner": "u-1"}}, "action": {"name": "u"}}`, `{"decision":true}`},
		{"numeric field", `{"subject": {"type": "user", "id": "u-9", "properties": {"roles": ["auditor"]}},
		  "resource": {"type": "document", "id": "d", "properties": {"amount": 9999}}, "action": {"name": "can_read"}}`, `{"decision":true}`},
		{"numeric field over", `{"subject": {"type": "user", "id": "u-9", "properties": {"roles": ["auditor"]}},
		  "resource": {"type": "document", "id": "d", "properties": {"amount": 1e6}}, "action": {"name": "can_read"}}`, `{"decision":false}`},
		{"unknown action", `{"subject": {"type": "user", "id": "u-1"}, "resource": {"type": "message", "id": "m"}, "action": {"name": "can_fly"}}`,
			`{"decision":false,"context":{"reason":"unknown_action"}}`},
		{"unknown resource", `{"subject": {"type": "user", "id": "u-1"}, "resource": {"type": "nope", "id": "m"}, "action": {"name": "read"}}`,
			`{"decision":false,"context":{"reason":"unknown_resource"}}`},
	}
	for _, c := range cases {
		w := post(h, authzen.PathEvaluation, c.body)
		require.Equal(t, http.StatusOK, w.Code, "%s: %s", c.name, w.Body)
		require.Equal(t, "application/json", w.Header().Get("Content-Type"))
		require.JSONEq(t, c.want, w.Body.String(), c.name)
	}
}

// TestEvaluations: the batch API with defaults, per-item overrides and
// the three evaluations_semantic options.
func TestEvaluations(t *testing.T) {
	h := newHandler(t)
	batch := func(semantic string) string {
		opts := ""
		if semantic != "" {
			opts = `"options": {"evaluations_semantic": "` + semantic + `"},`
		}
		return `{"subject": {"type": "user", "id": "u-1", "properties": {"roles": ["user"]}},
		  "action": {"name": "can_read"}, ` + opts + `
		  "evaluations": [
		    {"resource": {"type": "document", "id": "1", "properties": {"owner": "u-1"}}},
		    {"resource": {"type": "document", "id": "2", "properties": {"owner": "u-2"}}},
		    {"resource": {"type": "document", "id": "3", "properties": {"owner": "u-1"}}},
		    {"action": {"name": "can_delete"}, "resource": {"type": "document", "id": "3", "properties": {"owner": "u-1"}}}
		  ]}`
	}
	for sem, want := range map[string]string{
		"":                       `{"evaluations":[{"decision":true},{"decision":false},{"decision":true},{"decision":false}]}`,
		"execute_all":            `{"evaluations":[{"decision":true},{"decision":false},{"decision":true},{"decision":false}]}`,
		"deny_on_first_deny":     `{"evaluations":[{"decision":true},{"decision":false}]}`,
		"permit_on_first_permit": `{"evaluations":[{"decision":true}]}`,
	} {
		w := post(h, authzen.PathEvaluations, batch(sem))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.JSONEq(t, want, w.Body.String(), sem)
	}
	// Without evaluations, one evaluation.
	w := post(h, authzen.PathEvaluations, `{"subject": {"type": "user", "id": "u-1", "properties": {"roles": ["user"]}},
	  "action": {"name": "read"}, "resource": {"type": "document", "id": "1", "properties": {"owner": "u-1"}}}`)
	require.JSONEq(t, `{"decision":true}`, w.Body.String())
}

func TestOptionsAndMetadata(t *testing.T) {
	p, err := ac.LoadBytes([]byte(policyYAML), "rbac.yaml")
	require.NoError(t, err)
	for _, bad := range []authzen.Option{authzen.WithMaxBody(10), authzen.WithMaxEvaluations(0), authzen.WithSubjects(nil), authzen.WithBaseURL("ftp://x")} {
		_, err := authzen.New(p, bad)
		require.ErrorIs(t, err, authzen.ErrOption)
	}
	_, err = authzen.New(nil)
	require.ErrorIs(t, err, authzen.ErrOption)

	// Subjects resolved by the host; reasons on.
	h, err := authzen.New(p, authzen.WithReasons(true), authzen.WithBaseURL("https://pdp.example.com/"),
		authzen.WithSubjects(func(_ context.Context, s authzen.Subject) (ac.Identity, error) {
			if s.ID != "u-1" {
				return ac.Identity{}, errors.New("no such account")
			}
			return ac.Identity{UID: "u-1", Roles: []string{"user"}}, nil
		}))
	require.NoError(t, err)
	w := post(h, authzen.PathEvaluation, `{"subject": {"type": "user", "id": "u-1", "properties": {"roles": ["admin"]}},
	  "action": {"name": "read"}, "resource": {"type": "document", "id": "1", "properties": {"owner": "u-1"}}}`)
	var d struct {
		Decision bool
		Context  map[string]map[string]string
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &d))
	require.True(t, d.Decision)
	require.Contains(t, d.Context["reason_admin"]["en"], `policies.document[0]`)
	w = post(h, authzen.PathEvaluation, `{"subject": {"type": "user", "id": "u-x", "properties": {"roles": ["admin"]}},
	  "action": {"name": "read"}, "resource": {"type": "message", "id": "1"}}`)
	require.JSONEq(t, `{"decision":false,"context":{"reason":"subject_unresolved"}}`, w.Body.String())

	r := httptest.NewRequest(http.MethodGet, authzen.PathMetadata, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"policy_decision_point":"https://pdp.example.com","access_evaluation_endpoint":"https://pdp.example.com/access/v1/evaluation",
	  "access_evaluations_endpoint":"https://pdp.example.com/access/v1/evaluations"}`, rec.Body.String())

	// X-Request-ID is echoed.
	r = httptest.NewRequest(http.MethodPost, authzen.PathEvaluation, strings.NewReader(`{}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Request-ID", "req-1")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	require.Equal(t, "req-1", rec.Header().Get("X-Request-ID"))
}

// hostileRequests are bodies, paths and headers built to break the
// handler: each gets its 4xx status with a problem+json body (or, for a
// valid request with odd extras, its decision), never a 500 or a panic.
var hostileRequests = []struct {
	name, method, path, ctype, body string
	status                          int
}{
	{"GET", http.MethodGet, authzen.PathEvaluation, "application/json", "", 405},
	{"unknown path", http.MethodPost, "/access/v1/search/resource", "application/json", "{}", 404},
	{"no content type", http.MethodPost, authzen.PathEvaluation, "", "{}", 415},
	{"form", http.MethodPost, authzen.PathEvaluation, "application/x-www-form-urlencoded", "a=b", 415},
	{"empty", http.MethodPost, authzen.PathEvaluation, "application/json", "", 400},
	{"not JSON", http.MethodPost, authzen.PathEvaluation, "application/json", "{", 400},
	{"array", http.MethodPost, authzen.PathEvaluation, "application/json", "[]", 400},
	{"two values", http.MethodPost, authzen.PathEvaluation, "application/json", "{} {}", 400},
	{"empty object", http.MethodPost, authzen.PathEvaluation, "application/json", "{}", 400},
	{"null objects", http.MethodPost, authzen.PathEvaluation, "application/json", `{"subject": null, "action": null, "resource": null}`, 400},
	{"subject as string", http.MethodPost, authzen.PathEvaluation, "application/json", `{"subject": "alice", "action": {"name": "r"}, "resource": {"type": "message"}}`, 400},
	{"no subject type", http.MethodPost, authzen.PathEvaluation, "application/json", `{"subject": {"id": "a"}, "action": {"name": "r"}, "resource": {"type": "message"}}`, 400},
	{"roles as string", http.MethodPost, authzen.PathEvaluation, "application/json", `{"subject": {"type": "user", "properties": {"roles": "admin"}}, "action": {"name": "r"}, "resource": {"type": "message"}}`, 400},
	{"roles of numbers", http.MethodPost, authzen.PathEvaluation, "application/json", `{"subject": {"type": "user", "properties": {"roles": [1]}}, "action": {"name": "r"}, "resource": {"type": "message"}}`, 400},
	{"too many roles", http.MethodPost, authzen.PathEvaluation, "application/json", `{"subject": {"type": "user", "properties": {"roles": [` + strings.Repeat(`"a",`, 2000) + `"a"]}}, "action": {"name": "r"}, "resource": {"type": "message"}}`, 400},
	{"owner as number", http.MethodPost, authzen.PathEvaluation, "application/json", `{"subject": {"type": "user"}, "action": {"name": "r"}, "resource": {"type": "message", "properties": {"owner": 1}}}`, 400},
	{"field of wrong type", http.MethodPost, authzen.PathEvaluation, "application/json", `{"subject": {"type": "user"}, "action": {"name": "r"}, "resource": {"type": "document", "properties": {"amount": "lots"}}}`, 400},
	{"bad time", http.MethodPost, authzen.PathEvaluation, "application/json", `{"subject": {"type": "user"}, "action": {"name": "r"}, "resource": {"type": "message"}, "context": {"time": "noon"}}`, 400},
	{"long id", http.MethodPost, authzen.PathEvaluation, "application/json", `{"subject": {"type": "user", "id": "` + strings.Repeat("a", 1000) + `"}, "action": {"name": "r"}, "resource": {"type": "message"}}`, 400},
	{"huge body", http.MethodPost, authzen.PathEvaluation, "application/json", `{"subject": {"type": "user", "id": "` + strings.Repeat("a", 100<<10) + `"}}`, 413},
	{"deep nesting", http.MethodPost, authzen.PathEvaluation, "application/json", strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000), 413},
	{"deep properties", http.MethodPost, authzen.PathEvaluation, "application/json", `{"subject": {"type": "user", "properties": ` + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000) + `}, "action": {"name": "r"}, "resource": {"type": "message"}}`, 200},
	{"too many evaluations", http.MethodPost, authzen.PathEvaluations, "application/json", `{"subject": {"type": "user"}, "action": {"name": "r"}, "evaluations": [` + strings.Repeat(`{"resource": {"type": "message"}},`, 100) + `{}]}`, 400},
	{"bad item", http.MethodPost, authzen.PathEvaluations, "application/json", `{"subject": {"type": "user"}, "action": {"name": "r"}, "evaluations": [{"resource": {"type": "message"}}, {}]}`, 400},
	{"bad semantic", http.MethodPost, authzen.PathEvaluations, "application/json", `{"subject": {"type": "user"}, "action": {"name": "r"}, "options": {"evaluations_semantic": "maybe"}, "evaluations": [{"resource": {"type": "message"}}]}`, 400},
	{"evaluations as object", http.MethodPost, authzen.PathEvaluations, "application/json", `{"evaluations": {}}`, 400},
	{"invalid UTF-8", http.MethodPost, authzen.PathEvaluation, "application/json", "{\"subject\": {\"type\": \"\xff\"}}", 400},
	{"NUL", http.MethodPost, authzen.PathEvaluation, "application/json", "\x00", 400},
}

func TestHostileRequests(t *testing.T) {
	h := newHandler(t)
	for _, c := range hostileRequests {
		r := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		if c.ctype != "" {
			r.Header.Set("Content-Type", c.ctype)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, c.status, w.Code, "%s: %s", c.name, w.Body)
		if c.status == http.StatusOK { // unknown properties are ignored, however deep
			require.JSONEq(t, `{"decision":false}`, w.Body.String(), c.name)
			continue
		}
		require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"), c.name)
		require.Less(t, w.Body.Len(), 1000, c.name)
	}
}

// FuzzHandler posts arbitrary bodies to both endpoints: never a 5xx or a
// panic, always JSON or problem+json.
func FuzzHandler(f *testing.F) {
	for _, c := range hostileRequests {
		if len(c.body) < 4096 {
			f.Add(c.body)
		}
	}
	f.Add(`{"subject": {"type": "user", "id": "u-2", "properties": {"roles": ["user", "list-L1-member"]}}, "resource": {"type": "message", "id": "m-1", "properties": {"owner": "u-1", "list_id": "L1", "status": "published", "published_at": "2026-05-01T00:00:00Z"}}, "action": {"name": "can_read"}, "context": {"time": "2026-06-01T12:00:00Z"}}`)
	f.Add(`{"subject": {"type": "user", "id": "u-1"}, "action": {"name": "can_read"}, "options": {"evaluations_semantic": "deny_on_first_deny"}, "evaluations": [{"resource": {"type": "document", "id": "1", "properties": {"amount": 5}}}]}`)
	h := newHandler(f)
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{authzen.PathEvaluation, authzen.PathEvaluations} {
			w := post(h, path, body)
			if w.Code >= 500 {
				t.Fatalf("%s: %d %s", path, w.Code, w.Body)
			}
			ct := w.Header().Get("Content-Type")
			if ct != "application/json" && ct != "application/problem+json" {
				t.Fatalf("%s: content type %q", path, ct)
			}
		}
	})
}

// TestSpecificationExamples: the request bodies of the specification's
// access evaluation and evaluations examples, verbatim, over a policy
// where alice views documents and accounts.
func TestSpecificationExamples(t *testing.T) {
	p, err := ac.LoadBytes([]byte(`
policies:
  account:
    - {principal: viewer, resource: "{resource}:*", actions: r}
  document:
    - {principal: viewer, resource: "{resource}:*", actions: r}
    - {principal: editor, resource: "{resource}:*", actions: ru}
`), "rbac.yaml")
	require.NoError(t, err)
	h, err := authzen.New(p, authzen.WithSubjects(func(_ context.Context, s authzen.Subject) (ac.Identity, error) {
		if s.Type == "user" && s.ID == "alice@acmecorp.com" {
			return ac.Identity{UID: s.ID, Roles: []string{"viewer"}}, nil
		}
		return ac.Identity{}, errors.New("unknown subject")
	}))
	require.NoError(t, err)
	w := post(h, authzen.PathEvaluation, `{
  "subject": {
    "type": "user",
    "id": "alice@acmecorp.com"
  },
  "resource": {
    "type": "account",
    "id": "123"
  },
  "action": {
    "name": "can_read",
    "properties": {
      "method": "GET"
    }
  },
  "context": {
    "time": "1985-10-26T01:22-07:00"
  }
}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.JSONEq(t, `{"decision": true}`, w.Body.String())

	w = post(h, authzen.PathEvaluations, `{
  "subject": {
    "type": "user",
    "id": "alice@acmecorp.com"
  },
  "context":{
    "time": "2024-05-31T15:22-07:00"
  },
  "evaluations": [
    {
      "action": {
        "name": "can_read"
      },
      "resource": {
        "type": "document",
        "id": "boxcarring.md"
      }
    },
    {
      "action": {
        "name": "can_read"
      },
      "resource": {
        "type": "document",
        "id": "subject-search.md"
      }
    },
    {
      "action": {
        "name": "can_edit"
      },
      "resource": {
        "type": "document",
        "id": "resource-search.md"
      }
    }
  ]
}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.JSONEq(t, `{"evaluations": [{"decision": true}, {"decision": true}, {"decision": false}]}`, w.Body.String())

	// The same batch, deny_on_first_deny, with the edit first.
	w = post(h, authzen.PathEvaluations, `{"subject": {"type": "user", "id": "alice@acmecorp.com"},
  "options": {"evaluations_semantic": "deny_on_first_deny"},
  "evaluations": [
    {"action": {"name": "can_edit"}, "resource": {"type": "document", "id": "resource-search.md"}},
    {"action": {"name": "can_read"}, "resource": {"type": "document", "id": "boxcarring.md"}}]}`)
	require.JSONEq(t, `{"evaluations": [{"decision": false}]}`, w.Body.String())
}
