// Package gencachetest is the conformance suite of gencache's generation
// protocol, run against gencache.Memory and gencacheredis.Cache so that
// both keep the same behaviour. The public suites (grants/storetest,
// crud/storetest) check the wrappers; this one checks the shared core.
package gencachetest
