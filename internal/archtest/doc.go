// Package archtest enforces the module's layout rules in tests: library
// packages never import their siblings, only internal/ and the problem
// package (the shared error format, which imports nothing of the module),
// so a package declares the interface it needs and the host wires packages
// together; internal/ imports no public package; the examples import no
// internal/ package outside their tests' use of internal/testenv; and
// every public package has a doc.go with its package comment and an
// Example.
package archtest
