package crud

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/oascheck"
	"github.com/apicrud-go/apicrud/internal/route"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

type loginBody struct {
	Username string `json:"username" doc:"the account's username"`
	Password string `json:"password"`
	OTP      string `json:"otp,omitempty"`
}

type tokenBody struct {
	Token   string    `json:"token"`
	Roles   []string  `json:"roles"`
	Expires time.Time `json:"expires"`
	Extra   *struct {
		Labels map[string]int `json:"labels"`
		Next   *tokenBody     `json:"next,omitempty"` // recursive
	} `json:"extra,omitempty"`
	//lint:ignore U1000 an unexported field, which the schema must leave out
	hidden string
	Secret string `json:"-"`
}

// TestEndpoints: a host's operations join the document (schemas from Go
// types, security, tags with descriptions, path parameters), are served
// by the API's routes with their pattern recorded, and bad ones are
// refused.
func TestEndpoints(t *testing.T) {
	db := testenv.SQLiteDB(t)
	contacts := newContacts(t, db)
	api, err := NewAPI("/api/v1", WithTag("auth", "Logging in and out."), WithTag("contact", "People one knows."),
		WithTag("ops", "Operations."))
	require.NoError(t, err)
	require.NoError(t, api.Register(contacts))
	login := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	require.NoError(t, api.Handle(Endpoint{Method: "POST", Path: "/auth", ID: "login", Summary: "Log in", Tag: "auth",
		Request: loginBody{}, Response: tokenBody{}, Status: 201, Anonymous: true, Errors: []int{401, 429}}, login))
	require.NoError(t, api.Handle(Endpoint{Method: "DELETE", Path: "/auth", ID: "logout", Summary: "Log out", Tag: "auth",
		Schemes: []string{"bearerAuth"}, Status: 204}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })))
	require.NoError(t, api.Describe(
		Endpoint{Method: "GET", Path: "/metrics", ID: "metrics", Summary: "Metrics", Tag: "ops", Response: "", Scopes: []string{"metrics.read"}, Errors: []int{403}},
		Endpoint{Method: "PUT", Path: "/contact/{id}/member/{uid}", ID: "putMember", Summary: "Add a member", Tag: "contact",
			Request: &struct {
				Level string `json:"level"`
			}{}, Status: 204, Errors: []int{404, 418}},
		Endpoint{Method: "POST", Path: "/auth/token", ID: "token", Summary: "OAuth2 token", Tag: "auth", Anonymous: true,
			Request: loginBody{}, RequestType: "application/x-www-form-urlencoded", Response: tokenBody{},
			Errors: []int{429}, ErrorBodies: map[int]any{400: struct {
				Error string `json:"error"`
			}{}}},
		Endpoint{Method: "GET", Path: "/auth/oidc/{provider}", ID: "oidc", Summary: "To the provider", Tag: "auth", Anonymous: true, Status: 302},
	))
	for _, bad := range []Endpoint{
		{Method: "GET", Path: "/auth", ID: "login", Summary: "x", Tag: "auth"},                           // ID used twice
		{Method: "POST", Path: "/auth", ID: "login2", Summary: "x", Tag: "auth"},                         // method and path twice
		{Method: "TRACE", Path: "/x", ID: "x", Summary: "x", Tag: "t"},                                   // method
		{Method: "GET", Path: "x", ID: "x", Summary: "x", Tag: "t"},                                      // path
		{Method: "GET", Path: "/x?y", ID: "x", Summary: "x", Tag: "t"},                                   // query
		{Method: "GET", Path: "/x", ID: "x", Summary: "x"},                                               // no tag
		{Method: "GET", Path: "/x", ID: "x", Summary: "x", Tag: "t", Status: 304},                        // status
		{Method: "GET", Path: "/x", ID: "x", Summary: "x", Tag: "t", Status: 302, Response: tokenBody{}}, // a redirect's body
		{Method: "POST", Path: "/x", ID: "x", Summary: "x", Tag: "t", Request: loginBody{}, RequestType: "text/plain"},
		{Method: "POST", Path: "/x", ID: "x", Summary: "x", Tag: "t", RequestType: "application/x-www-form-urlencoded"}, // no Request
		{Method: "POST", Path: "/x", ID: "x", Summary: "x", Tag: "t", Request: "", RequestType: "application/x-www-form-urlencoded"},
		{Method: "GET", Path: "/x", ID: "x", Summary: "x", Tag: "t", ErrorBodies: map[int]any{400: tokenBody{}}}, // 400 not answered
		{Method: "GET", Path: "/x", ID: "x", Summary: "x", Tag: "t", Errors: []int{200}},
		{Method: "GET", Path: "/x", ID: "x", Summary: "x", Tag: "t", Schemes: []string{"cookie"}},
	} {
		require.ErrorIs(t, api.Describe(bad), ErrConfig, "%+v", bad)
	}
	require.ErrorIs(t, api.Handle(Endpoint{Method: "GET", Path: "/y", ID: "y", Summary: "y", Tag: "t"}, nil), ErrConfig)
	_, err = NewAPI("", WithTag("x", ""))
	require.ErrorIs(t, err, ErrConfig)

	b, err := json.Marshal(api.Spec())
	require.NoError(t, err)
	require.NoError(t, oascheck.Validate(b))
	require.NoError(t, testenv.ValidateOpenAPI(t, b), "the official OpenAPI 3.1 schema")
	type operation struct {
		Tags        []string
		Security    []map[string][]string
		Parameters  []struct{ Name, In string }
		RequestBody struct {
			Content map[string]struct{ Schema map[string]any }
		}
		Responses map[string]struct {
			Ref     string `json:"$ref"`
			Content map[string]struct{ Schema map[string]any }
		}
	}
	var doc struct {
		Tags  []struct{ Name, Description string }
		Paths map[string]map[string]json.RawMessage
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	opOf := func(path, method string) operation {
		var op operation
		require.NoError(t, json.Unmarshal(doc.Paths[path][method], &op), "%s %s", method, path)
		return op
	}
	for _, tag := range doc.Tags {
		require.NotEmpty(t, tag.Description, "tag %s", tag.Name)
	}
	require.Len(t, doc.Tags, 3, "contact, auth, ops")
	for path, item := range doc.Paths {
		for method := range item {
			if method != "parameters" {
				require.Len(t, opOf(path, method).Tags, 1, "%s %s", method, path)
			}
		}
	}
	post := opOf("/api/v1/auth", "post")
	require.Equal(t, []map[string][]string{{}, {"apiKey": {}}, {"bearerAuth": {}}}, post.Security)
	body := post.RequestBody.Content["application/json"].Schema
	require.Equal(t, false, body["additionalProperties"])
	require.Equal(t, []any{"username", "password"}, body["required"])
	require.Equal(t, "the account's username", body["properties"].(map[string]any)["username"].(map[string]any)["description"])
	tok := post.Responses["201"].Content["application/json"].Schema
	props := tok["properties"].(map[string]any)
	require.Equal(t, map[string]any{"type": "string", "format": "date-time"}, props["expires"])
	require.NotContains(t, props, "hidden")
	require.NotContains(t, props, "Secret")
	require.NotContains(t, tok, "additionalProperties", "a response may grow")
	require.Equal(t, "#/components/responses/TooManyRequests", post.Responses["429"].Ref)
	require.NotContains(t, post.Responses, "401x")
	del := opOf("/api/v1/auth", "delete")
	require.Equal(t, []map[string][]string{{"bearerAuth": {}}}, del.Security)
	require.Contains(t, del.Responses, "401")
	m := opOf("/api/v1/metrics", "get")
	require.Equal(t, map[string]any{"type": "string"}, m.Responses["200"].Content["text/plain"].Schema)
	require.Equal(t, []map[string][]string{{"apiKey": {"metrics.read"}}, {"bearerAuth": {"metrics.read"}}}, m.Security)
	form := opOf("/api/v1/auth/token", "post")
	require.Equal(t, []any{"username", "password"}, form.RequestBody.Content["application/x-www-form-urlencoded"].Schema["required"])
	require.NotContains(t, form.RequestBody.Content, "application/json")
	require.Equal(t, "string", form.Responses["400"].Content["application/json"].Schema["properties"].(map[string]any)["error"].(map[string]any)["type"],
		"the 400 answer of ErrorBodies, not a problem")
	require.Equal(t, "#/components/responses/TooManyRequests", form.Responses["429"].Ref)
	require.NotContains(t, form.Responses, "415", "a form body is the handler's to check")
	var redirect struct {
		Responses map[string]struct {
			Headers map[string]any
			Content map[string]any
		}
	}
	require.NoError(t, json.Unmarshal(doc.Paths["/api/v1/auth/oidc/{provider}"]["get"], &redirect))
	require.Contains(t, redirect.Responses["302"].Headers, "Location")
	require.Empty(t, redirect.Responses["302"].Content)
	pm := opOf("/api/v1/contact/{id}/member/{uid}", "put")
	require.Len(t, pm.Parameters, 2)
	require.Contains(t, pm.Responses, "418")

	// Served by Handler, its pattern recorded; described-only ones are not served.
	h := api.Handler()
	for _, c := range []struct {
		method, path, pattern string
		code                  int
	}{
		{"POST", "/api/v1/auth", "/api/v1/auth", 201},
		{"DELETE", "/api/v1/auth", "/api/v1/auth", 204},
		{"GET", "/api/v1/metrics", "", 404},
	} {
		ctx, label := route.With(t.Context())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequestWithContext(ctx, c.method, c.path, nil))
		require.Equal(t, c.code, w.Code, "%s %s", c.method, c.path)
		require.Equal(t, c.pattern, label.Pattern())
	}
	// The served document follows a change.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	require.JSONEq(t, string(b), w.Body.String())
	require.NoError(t, api.Describe(Endpoint{Method: "GET", Path: "/health", ID: "health", Summary: "Health", Tag: "ops", Anonymous: true}))
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	require.Contains(t, w.Body.String(), `"/api/v1/health"`)
}
