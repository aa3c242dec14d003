package oascheck_test

import (
	"errors"
	"fmt"

	"github.com/apicrud-go/apicrud/internal/oascheck"
)

func ExampleValidate() {
	doc := `{"openapi":"3.1.0","info":{"title":"health","version":"1.0.0"},"paths":{"/health/{check}":{"get":{
		"operationId":"getHealth","responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Health"}}}}}}}}}`
	err := oascheck.Validate([]byte(doc))
	fmt.Println(errors.Is(err, oascheck.ErrInvalid))
	fmt.Println(err)
	// Output:
	// true
	// oascheck: invalid document: #/paths/~1health~1{check}/get: path parameter {check} is not declared
	// oascheck: invalid document: #/paths/~1health~1{check}/get/responses/200/content/application~1json/schema: $ref "#/components/schemas/Health" does not resolve
}

func ExampleValidate_valid() {
	fmt.Println(oascheck.Validate([]byte(minimal)))
	// Output: <nil>
}
