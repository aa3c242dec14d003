// Package openapi holds the OpenAPI 3.1 document model that crud generates
// and a structural validator for OpenAPI 3.1 documents.
//
// # Overview
//
// The types cover the parts of OpenAPI 3.1 that a REST service built with
// crud needs: paths and operations, parameters, request bodies, responses
// and headers, JSON Schema 2020-12 schemas, components and security
// schemes. A host can add its own paths (login, metrics, ...) to the
// [Document] that crud.API.Spec returns before serving it.
//
// [Validate] checks a serialized document: the required fields of the
// specification, path templates against path parameters, unique operation
// ids, security requirements against declared schemes, and that every
// local $ref resolves. It is not a full JSON Schema meta-validation.
//
// # Concurrency
//
// The types are plain values; Validate is safe for concurrent use.
package openapi
