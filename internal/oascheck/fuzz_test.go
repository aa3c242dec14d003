package oascheck_test

import (
	"testing"

	"github.com/apicrud-go/apicrud/internal/oascheck"
)

const minimal = `{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/thing/{id}":{"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],"get":{"operationId":"getThing","responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Thing"}}}}},"security":[{"bearer":[]}]}}},"components":{"schemas":{"Thing":{"type":["object","null"],"properties":{"id":{"type":"string"}},"required":["id"],"additionalProperties":false}},"securitySchemes":{"bearer":{"type":"http","scheme":"bearer"}}}}`

func FuzzValidate(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(`{"openapi":"3.1.0","info":{"title":"x","version":"1"},"paths":{"/a":{"$ref":"#/x/~1"}}}`))
	f.Add([]byte(`{"components":{"schemas":{"a":{"$ref":"#/components/schemas/a"}}}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		_ = oascheck.Validate(doc) // must not panic
	})
}
