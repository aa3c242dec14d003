// Package openapi holds the OpenAPI 3.1 document model that crud generates.
//
// # Overview
//
// The types cover the parts of OpenAPI 3.1 that a REST service built with
// crud needs: paths and operations, parameters, request bodies, responses
// and headers, JSON Schema 2020-12 schemas, components and security
// schemes. A host can add its own paths (login, metrics, ...) to the
// [Document] that crud.API.Spec returns before serving it.
//
// To check a document, use a maintained validator: the module's tests run
// every generated document through one that checks it against the official
// OpenAPI 3.1 JSON schema (@seriousme/openapi-schema-validator, see
// scripts/openapi-validator.sh).
//
// # Concurrency
//
// The types are plain values with no shared state.
package openapi
