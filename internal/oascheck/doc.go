// Package oascheck checks the rules of an OpenAPI 3.1 document that its JSON
// schema cannot express: every $ref resolves, every path template
// parameter is declared as a required path parameter, operationIds are
// unique, security requirements name declared schemes, required names a
// declared property, and the like. The tests of crud and its example use it
// beside a schema validator (internal/testenv.ValidateOpenAPI, the official
// OpenAPI JSON schemas), which checks the document's structure.
package oascheck
