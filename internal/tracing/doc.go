// Package tracing holds what the library's packages share to emit
// OpenTelemetry spans: the tracer of a package (nil when the host gave no
// TracerProvider, so that an untraced call costs one nil check and no
// allocation), the attribute keys, the hashing of names that must not
// appear in clear (session ids, lock names), and the ending of a span with
// an error and its problem code.
//
// It imports only the OpenTelemetry API (go.opentelemetry.io/otel/trace,
// attribute and codes), never the SDK or an exporter: the host chooses
// those.
package tracing
