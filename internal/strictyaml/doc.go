// Package strictyaml is the one YAML decoder of the module's file loaders
// (access-control policies, configuration, metric definitions, default
// grants, message catalogues), so that every file format follows the same
// rules:
//
//   - A file holds one YAML document. Empty documents (a lone "---" or
//     "...", comments) before or after it are ignored; a second document
//     with content is an error wrapping ErrDocuments.
//   - Decoding into a struct rejects fields the struct does not declare
//     (ErrUnknownField), values of the wrong type (ErrType) and repeated
//     mapping keys (ErrDuplicateKey).
//   - Alias expansion is bounded: a document whose aliases would expand
//     far beyond its size (a "billion laughs" bomb) is refused with
//     ErrAliases instead of being expanded.
//   - Every error is an *Error that prints "file:line: message" with the
//     1-based line of the fault (YAML parser errors are reported 0-based by
//     the underlying library; this package corrects them).
//
// Parse returns the node tree for loaders that walk it themselves; Decode
// decodes into a Go value. The loaders wrap *Error in their own public
// error types.
package strictyaml
