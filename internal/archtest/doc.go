// Package archtest enforces the module's dependency rules in a test: library
// packages never import their siblings, only internal/.
package archtest
