// Package archtest enforces the module's dependency rules in a test: library
// packages never import their siblings, only internal/ and the problem
// package (the shared error format, which imports nothing of the module);
// internal/ imports no public package; the examples import no internal/
// package outside their tests' use of internal/testenv.
package archtest
