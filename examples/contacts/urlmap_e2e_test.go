package main

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLoginURLMap: with login_url_map on, the answer to a login (POST
// /auth, and POST /auth/otp once the second factor is given) carries
// "resources", the registry's url_map: every resource the instance
// registered, at the URL of its API. A login still waiting for its second
// factor gets none.
func TestLoginURLMap(t *testing.T) {
	t.Parallel()
	in := sqliteDeployment(t).start(t, "url map", "APICRUD_LOGIN_URL_MAP=true")
	want := map[string]string{}
	for _, name := range []string{"person", "contact", "list", "message", "category", "settings", "trashcan", "grant"} {
		want[name] = in.base
	}
	check := func(what string, tb tokenBody) {
		t.Helper()
		if !maps.Equal(want, tb.Resources) {
			t.Errorf("%s: resources = %v, want %v", what, tb.Resources, want)
		}
	}
	admin := in.anonymous()
	admin.username, admin.password = "admin", adminPassword
	check("admin login", admin.login(t))

	u := in.newUser(t, "mercator")
	check("user login", u.login(t))
	secret := decode[map[string]string](t, u.post(t, "/auth/totp", nil).want(t, http.StatusCreated))["secret"]
	now := time.Now()
	u.put(t, "/auth/totp", map[string]string{"otp": totpCode(t, secret, now)}).want(t, http.StatusOK)
	res := u.fromIP(u.ip).post(t, "/auth", map[string]string{"username": u.username, "password": u.password}).want(t, http.StatusCreated)
	if strings.Contains(string(res.body), `"resources"`) {
		t.Errorf("a login awaiting its second factor carries resources: %s", res.body)
	}
	pending := decode[tokenBody](t, res)
	full := decode[tokenBody](t, u.withToken(pending.Token).post(t, "/auth/otp",
		map[string]string{"otp": totpCode(t, secret, now.Add(30*time.Second))}).want(t, http.StatusCreated))
	check("second factor", full)
}

// TestLoginURLMapOff: by default the login answer has no "resources" (no
// registry read per login), and the OpenAPI schema of the login answer
// declares the optional field as a map of URLs.
func TestLoginURLMapOff(t *testing.T) {
	a, h := inProcess(t)
	if err := a.registerInstance(t.Context(), "urlmap-1", 8080); err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(w, r)
		return w
	}
	w := call(http.MethodPost, "/api/v1/auth", `{"username":"admin","password":"`+inProcessPassword+`"}`)
	if w.Code != http.StatusCreated || strings.Contains(w.Body.String(), `"resources"`) {
		t.Fatalf("login with login_url_map off: %d %s", w.Code, w.Body)
	}

	w = call(http.MethodGet, "/api/v1/openapi.json", "")
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, op := range []struct{ path, status string }{{"/api/v1/auth", "201"}, {"/api/v1/auth/otp", "201"}} {
		var post struct {
			Responses map[string]struct {
				Content map[string]struct {
					Schema json.RawMessage `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		}
		if err := json.Unmarshal(doc.Paths[op.path]["post"], &post); err != nil {
			t.Fatalf("POST %s: %v", op.path, err)
		}
		schema := post.Responses[op.status].Content["application/json"].Schema
		if ref := struct {
			Ref string `json:"$ref"`
		}{}; json.Unmarshal(schema, &ref) == nil && ref.Ref != "" {
			schema = doc.Components.Schemas[strings.TrimPrefix(ref.Ref, "#/components/schemas/")]
		}
		var s struct {
			Properties map[string]struct {
				Type                 string `json:"type"`
				AdditionalProperties struct {
					Type string `json:"type"`
				} `json:"additionalProperties"`
			} `json:"properties"`
			Required []string `json:"required"`
		}
		if err := json.Unmarshal(schema, &s); err != nil {
			t.Fatalf("%s: %v in %s", op.path, err, schema)
		}
		p, ok := s.Properties["resources"]
		if !ok || p.Type != "object" || p.AdditionalProperties.Type != "string" || slices.Contains(s.Required, "resources") {
			t.Errorf("POST %s %s: resources = %+v (required %v), want an optional object of strings; schema %s", op.path, op.status, p, s.Required, schema)
		}
	}
}
