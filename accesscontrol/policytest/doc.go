// Package policytest runs test suites of access-control policies: YAML
// files next to a policy that state, for named principals and records,
// which actions a decision allows or denies and which records a list
// returns. The apicrud command runs them (apicrud policy test), and a Go
// test can too.
//
//	policy: rbac.yaml                  # relative to the suite file
//	now: "2026-06-01T12:00:00Z"        # @now for conditions (default: the clock)
//	principals:
//	  member: {uid: u-2, roles: [user, list-L1-member], scopes: []}
//	records:
//	  draft: {resource: message, id: m-3, owner: u-1, privacy: member, parent: L1,
//	          fields: {status: draft}}  # typed as the policy's fields section says
//	cases:
//	  - {name: nor drafts, principal: member, record: draft, deny: r}
//	  - {principal: member, record: draft, allow: c, deny: du}
//	  - {principal: member, record: draft, actions: cr}  # exactly these
//	lists:
//	  - {name: what a member lists, principal: member, resource: message, action: r,
//	     records: [published, draft], expect: [published]}
//
// A case passes when every letter of allow is allowed, no letter of deny
// is, and (when given) the set of allowed actions is exactly actions. A
// list passes when the single decisions on its records select exactly
// expect and, with [WithSQLite], when the policy's SQL filter over a
// temporary table of those records selects them too. A failure carries
// the suite's line and the decision's explanation.
//
// The report counts, for coverage, the rules some case or list found
// granting an action it checked ([Report.Coverage], [Report.Unexercised]).
//
// # Security
//
// A suite is a developer's file, but Parse treats it as outside input: at
// most [MaxSize] bytes, strict YAML (unknown keys, duplicate keys and
// alias bombs refused), every reference checked, every error naming the
// file and line ([ErrSuite]).
package policytest
