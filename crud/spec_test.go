package crud

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/apicrud-go/apicrud/crud/openapi"
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
	require.NoError(t, openapi.Validate(b))

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
	require.NoError(t, openapi.Validate(r.body))

	// An independent validator, when this machine has it.
	if _, err := exec.LookPath("python3"); err == nil {
		if exec.Command("python3", "-c", "import openapi_spec_validator").Run() == nil {
			path := filepath.Join(t.TempDir(), "openapi.json")
			require.NoError(t, os.WriteFile(path, b, 0o600))
			out, err := exec.Command("python3", "-c",
				"import sys,json; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print('ok')", path).CombinedOutput()
			require.NoError(t, err, string(out))
		} else {
			t.Log("openapi-spec-validator not installed; structural validation only")
		}
	}
}

func TestValidateRejects(t *testing.T) {
	_, b := newTestAPI(t)
	cases := []struct {
		name string
		edit func(doc map[string]any)
	}{
		{"version", func(d map[string]any) { d["openapi"] = "3.0.3" }},
		{"no info title", func(d map[string]any) { delete(d["info"].(map[string]any), "title") }},
		{"dangling ref", func(d map[string]any) {
			d["components"].(map[string]any)["schemas"].(map[string]any)["Contact"].(map[string]any)["properties"].(map[string]any)["x"] = map[string]any{"$ref": "#/components/schemas/Nope"}
		}},
		{"undeclared path param", func(d map[string]any) {
			p := d["paths"].(map[string]any)
			p["/api/v1/contact/{id}/{other}"] = p["/api/v1/contact/{id}"]
		}},
		{"duplicate operationId", func(d map[string]any) {
			p := d["paths"].(map[string]any)
			p["/x"] = map[string]any{"get": p["/api/v1/contact"].(map[string]any)["get"]}
		}},
		{"undeclared scheme", func(d map[string]any) { d["security"] = []any{map[string]any{"oauth": []any{}}} }},
		{"response without description", func(d map[string]any) {
			d["components"].(map[string]any)["responses"].(map[string]any)["NotFound"] = map[string]any{}
		}},
		{"bad type", func(d map[string]any) {
			d["components"].(map[string]any)["schemas"].(map[string]any)["Problem"].(map[string]any)["type"] = "obj"
		}},
		{"required names no property", func(d map[string]any) {
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
			require.ErrorIs(t, openapi.Validate(out), openapi.ErrInvalid)
		})
	}
	require.ErrorIs(t, openapi.Validate([]byte("[]")), openapi.ErrInvalid)
}
