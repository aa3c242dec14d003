package openapi_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/apicrud-go/apicrud/crud/openapi"
)

func ExampleValidate() {
	doc := &openapi.Document{
		OpenAPI: openapi.Version,
		Info:    openapi.Info{Title: "health", Version: "1.0.0"},
		Paths: map[string]*openapi.PathItem{
			"/health/{check}": {Get: &openapi.Operation{
				OperationID: "getHealth",
				Responses:   map[string]*openapi.Response{"200": {Description: "ok", Content: map[string]openapi.MediaType{"application/json": {Schema: openapi.Ref("Health")}}}},
			}},
		},
	}
	b, _ := json.Marshal(doc)
	err := openapi.Validate(b)
	fmt.Println(errors.Is(err, openapi.ErrInvalid))
	fmt.Println(err)
	// Output:
	// true
	// openapi: invalid document: #/paths/~1health~1{check}/get: path parameter {check} is not declared
	// openapi: invalid document: #/paths/~1health~1{check}/get/responses/200/content/application~1json/schema: $ref "#/components/schemas/Health" does not resolve
}
