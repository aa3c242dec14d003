package crud

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/apicrud-go/apicrud/internal/oascheck"
	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/stretchr/testify/require"
)

func newTestAPI(t *testing.T) (*API, []byte) {
	t.Helper()
	db := testenv.SQLiteDB(t)
	contacts := newContacts(t, db, WithScopes(OpCreate|OpUpdate|OpDelete, "contacts.write"))
	notes := newNotes(t, db)
	tc, err := NewTrashcan()
	require.NoError(t, err)
	require.NoError(t, tc.Register(contacts, notes))
	api, err := NewAPI("/api/v1", WithInfo("contacts", "1.2.3", "test"), WithServers("http://localhost:8080"))
	require.NoError(t, err)
	require.NoError(t, api.Register(tc, contacts, notes))
	require.ErrorIs(t, api.Register(notes), ErrConfig)
	b, err := json.MarshalIndent(api.Spec(), "", "  ")
	require.NoError(t, err)
	return api, b
}

func TestSpec(t *testing.T) {
	api, b := newTestAPI(t)
	require.NoError(t, oascheck.Validate(b))
	require.NoError(t, testenv.ValidateOpenAPI(t, b), "the official OpenAPI 3.1 schema")

	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	c := schemas["Contact"].(map[string]any)
	props := c["properties"].(map[string]any)
	require.NotContains(t, props, "secret", "hidden fields are not documented")
	require.Equal(t, true, props["is_admin"].(map[string]any)["readOnly"])
	require.Equal(t, true, props["uid"].(map[string]any)["readOnly"])
	require.NotContains(t, props["name"].(map[string]any), "readOnly")
	require.Equal(t, []any{"string", "null"}, props["label"].(map[string]any)["type"])
	require.Equal(t, "date-time", props["created"].(map[string]any)["format"])

	create := schemas["ContactCreate"].(map[string]any)
	require.Equal(t, false, create["additionalProperties"])
	require.Equal(t, []any{"name"}, create["required"])
	require.NotContains(t, create["properties"], "is_admin")
	require.NotContains(t, create["properties"], "uid")

	paths := doc["paths"].(map[string]any)
	for _, p := range []string{"/api/v1/contact", "/api/v1/contact/{id}", "/api/v1/note", "/api/v1/note/{id}", "/api/v1/trashcan", "/api/v1/trashcan/{id}"} {
		require.Contains(t, paths, p)
	}
	post := paths["/api/v1/contact"].(map[string]any)["post"].(map[string]any)
	require.Equal(t, []any{map[string]any{"apiKey": []any{"contacts.write"}}, map[string]any{"bearerAuth": []any{"contacts.write"}}}, post["security"])
	require.Contains(t, post["responses"], "415")

	// The document is served by the API's routes.
	s := newServer(t, api.Routes)
	r := s.do("GET", "/api/v1/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, r.status)
	require.JSONEq(t, string(b), string(r.body))
}

func TestValidateRejects(t *testing.T) {
	_, b := newTestAPI(t)
	// schema: the schema validator rejects it too; the others are rules
	// the OpenAPI JSON schema cannot express, checked by oascheck alone.
	cases := []struct {
		name   string
		schema bool
		edit   func(doc map[string]any)
	}{
		{"version", true, func(d map[string]any) { d["openapi"] = "3.0.3" }},
		{"no info title", true, func(d map[string]any) { delete(d["info"].(map[string]any), "title") }},
		{"dangling ref", true, func(d map[string]any) {
			d["components"].(map[string]any)["schemas"].(map[string]any)["Contact"].(map[string]any)["properties"].(map[string]any)["x"] = map[string]any{"$ref": "#/components/schemas/Nope"}
		}},
		{"undeclared path param", false, func(d map[string]any) {
			p := d["paths"].(map[string]any)
			p["/api/v1/contact/{id}/{other}"] = p["/api/v1/contact/{id}"]
		}},
		{"duplicate operationId", false, func(d map[string]any) {
			p := d["paths"].(map[string]any)
			p["/x"] = map[string]any{"get": p["/api/v1/contact"].(map[string]any)["get"]}
		}},
		{"undeclared scheme", false, func(d map[string]any) { d["security"] = []any{map[string]any{"oauth": []any{}}} }},
		{"response without description", true, func(d map[string]any) {
			d["components"].(map[string]any)["responses"].(map[string]any)["NotFound"] = map[string]any{}
		}},
		{"bad type", false, func(d map[string]any) {
			d["components"].(map[string]any)["schemas"].(map[string]any)["Problem"].(map[string]any)["type"] = "obj"
		}},
		{"required names no property", false, func(d map[string]any) {
			d["components"].(map[string]any)["schemas"].(map[string]any)["Problem"].(map[string]any)["required"] = []any{"nope"}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var doc map[string]any
			require.NoError(t, json.Unmarshal(b, &doc))
			c.edit(doc)
			out, err := json.Marshal(doc)
			require.NoError(t, err)
			require.ErrorIs(t, oascheck.Validate(out), oascheck.ErrInvalid)
			if c.schema {
				require.Error(t, testenv.ValidateOpenAPI(t, out))
			}
		})
	}
	require.ErrorIs(t, oascheck.Validate([]byte("[]")), oascheck.ErrInvalid)
}
