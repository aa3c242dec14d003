package main

// The end-to-end tests start the real contacts binary and drive it over
// HTTP as a client would (harness_test.go):
//
//	go test -race -count=1 ./examples/contacts     # everything, about a minute on 2 cores
//	go test -short ./examples/contacts             # skips them
//
//   - TestEndToEnd runs one suite of scenarios (accounts_e2e_test.go,
//     crud_e2e_test.go, ops_e2e_test.go) against SQLite with the in-memory
//     backends and against PostgreSQL with Redis, the scenarios of a
//     configuration in parallel on one instance;
//   - TestTwoInstancesAreOneService (cluster_e2e_test.go) runs two
//     instances on one PostgreSQL schema and one Redis prefix;
//   - startup_e2e_test.go checks start-up: refused secrets, generated
//     ones, closed registration;
//   - TestPasswordHashingIsBounded (hashing_e2e_test.go) floods its own
//     instances, built without the race detector, with logins and reads
//     their peak resident memory from /proc.
//
// The binary is built once per run, with -race when the tests run with it
// (APICRUD_E2E_RACE=0 builds it without). PostgreSQL and Redis come from
// internal/testenv: a fresh schema and key prefix per deployment, skipped
// when the servers do not answer, failed under CI=true. The metrics test
// needs promtool (scripts/promtool.sh), the OpenAPI test node and npm
// (scripts/openapi-validator.sh installs the validator); both skip without
// them, and fail under CI=true. Each instance stops with SIGTERM at the end
// of its test, which must then exit 0 having logged no warning or error.

import (
	"slices"
	"testing"
)

// scenario is one end-to-end scenario. Each creates its own accounts and
// uses its own client addresses, so the scenarios of a suite run in
// parallel against one instance.
type scenario struct {
	name string
	run  func(t *testing.T, in *instance)
}

// suite is every scenario of TestEndToEnd.
func suite() []scenario {
	return slices.Concat(accountScenarios(), crudScenarios(), operationScenarios(), oauthScenarios(), assuranceScenarios())
}

// TestEndToEnd starts the real service in each configuration, SQLite with
// the in-memory backends and PostgreSQL with Redis, and runs the whole
// suite against it over HTTP. When the instance stops at the end, its
// shutdown is checked (exit status 0, registry entry removed, no error
// logged).
func TestEndToEnd(t *testing.T) {
	binary(t) // build once, before the parallel subtests start
	for _, cfg := range []struct {
		name string
		new  func(*testing.T) *deployment
	}{
		{"on SQLite with in-memory backends", sqliteDeployment},
		{"on PostgreSQL with Redis backends", postgresRedisDeployment},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			t.Parallel()
			in := cfg.new(t).start(t, "contacts")
			for _, s := range suite() {
				t.Run(s.name, func(t *testing.T) {
					t.Parallel()
					s.run(t, in)
				})
			}
		})
	}
}
