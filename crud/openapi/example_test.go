package openapi_test

import (
	"encoding/json"
	"fmt"

	"github.com/apicrud-go/apicrud/crud/openapi"
)

// A document built with the types marshals to OpenAPI 3.1 JSON.
func ExampleDocument() {
	doc := &openapi.Document{
		OpenAPI: openapi.Version,
		Info:    openapi.Info{Title: "health", Version: "1.0.0"},
		Paths: map[string]*openapi.PathItem{
			"/health": {Get: &openapi.Operation{
				OperationID: "getHealth",
				Responses:   map[string]*openapi.Response{"200": {Description: "ok", Content: map[string]openapi.MediaType{"application/json": {Schema: openapi.Ref("Health")}}}},
			}},
		},
		Components: &openapi.Components{Schemas: map[string]*openapi.Schema{"Health": {Type: "object"}}},
	}
	b, _ := json.Marshal(doc)
	fmt.Println(string(b))
	// Output:
	// {"openapi":"3.1.0","info":{"title":"health","version":"1.0.0"},"paths":{"/health":{"get":{"operationId":"getHealth","responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Health"}}}}}}}},"components":{"schemas":{"Health":{"type":"object"}}}}
}
