package openapi_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/crud/openapi"
	"github.com/apicrud-go/apicrud/internal/oascheck"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

func minimal() *openapi.Document {
	return &openapi.Document{
		OpenAPI: openapi.Version,
		Info:    openapi.Info{Title: "t", Version: "1"},
		Paths: map[string]*openapi.PathItem{
			"/thing/{id}": {
				Parameters: []*openapi.Parameter{{Name: "id", In: "path", Required: true, Schema: &openapi.Schema{Type: "string"}}},
				Get: &openapi.Operation{OperationID: "getThing", Responses: map[string]*openapi.Response{
					"200": {Description: "ok", Content: map[string]openapi.MediaType{"application/json": {Schema: openapi.Ref("Thing")}}},
				}, Security: []openapi.SecurityRequirement{{"bearer": {}}}},
			},
		},
		Components: &openapi.Components{
			Schemas:         map[string]*openapi.Schema{"Thing": {Type: []string{"object", "null"}, Properties: map[string]*openapi.Schema{"id": {Type: "string"}}, Required: []string{"id"}, AdditionalProperties: false}},
			SecuritySchemes: map[string]*openapi.SecurityScheme{"bearer": {Type: "http", Scheme: "bearer"}},
		},
	}
}

// TestValidate: a minimal document built with the types passes the schema
// validator and the cross-reference checks; each broken variant fails the
// checks.
func TestValidate(t *testing.T) {
	b, err := json.Marshal(minimal())
	require.NoError(t, err)
	require.NoError(t, oascheck.Validate(b))
	require.NoError(t, testenv.ValidateOpenAPI(t, b))

	cases := map[string]func(d *openapi.Document){
		"path param not required": func(d *openapi.Document) { d.Paths["/thing/{id}"].Parameters[0].Required = false },
		"path param missing":      func(d *openapi.Document) { d.Paths["/thing/{id}"].Parameters = nil },
		"no responses":            func(d *openapi.Document) { d.Paths["/thing/{id}"].Get.Responses = nil },
		"bad status": func(d *openapi.Document) {
			d.Paths["/thing/{id}"].Get.Responses["2xx"] = &openapi.Response{Description: "x"}
		},
		"dangling ref":   func(d *openapi.Document) { d.Components.Schemas["Other"] = openapi.Ref("Missing") },
		"unknown scheme": func(d *openapi.Document) { d.Security = []openapi.SecurityRequirement{{"nope": {}}} },
		"apiKey without name": func(d *openapi.Document) {
			d.Components.SecuritySchemes["k"] = &openapi.SecurityScheme{Type: "apiKey", In: "header"}
		},
		"relative path": func(d *openapi.Document) { d.Paths["thing"] = &openapi.PathItem{} },
		"schema and no schema": func(d *openapi.Document) {
			d.Paths["/thing/{id}"].Get.Parameters = []*openapi.Parameter{{Name: "q", In: "query"}}
		},
		"bad location": func(d *openapi.Document) {
			d.Paths["/thing/{id}"].Get.Parameters = []*openapi.Parameter{{Name: "q", In: "body", Schema: &openapi.Schema{}}}
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			d := minimal()
			edit(d)
			b, err := json.Marshal(d)
			require.NoError(t, err)
			require.ErrorIs(t, oascheck.Validate(b), oascheck.ErrInvalid)
		})
	}
}
