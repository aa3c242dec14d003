// Package authzen serves the OpenID AuthZEN Authorization API 1.0 over an
// access-control policy, so that gateways and other services (policy
// enforcement points) can ask it for decisions:
//
//	h, err := authzen.New(policy, authzen.WithSubjects(lookupAccount))
//	mux.Handle("/access/v1/", requirePEPAuth(h))
//
// POST /access/v1/evaluation takes one request of four objects and
// answers {"decision": true} or {"decision": false}:
//
//	{"subject":  {"type": "user", "id": "u-2", "properties": {"roles": ["user", "list-L1-member"]}},
//	 "action":   {"name": "can_read"},
//	 "resource": {"type": "message", "id": "m-1",
//	              "properties": {"owner": "u-1", "list_id": "L1", "status": "published"}},
//	 "context":  {"time": "2026-06-01T12:00:00Z"}}
//
// POST /access/v1/evaluations takes default subject, action, resource and
// context objects and an evaluations array whose items override them, and
// answers {"evaluations": [{"decision": …}, …]} in the same order. Its
// options.evaluations_semantic is execute_all (the default: every item),
// deny_on_first_deny (stop after the first denial) or
// permit_on_first_permit (stop after the first permit); a request without
// evaluations is one evaluation. With [WithBaseURL], GET
// /.well-known/authzen-configuration gives the PDP's metadata.
//
// The objects map to a decision ([accesscontrol.Policy.AllowedFor]) this
// way: subject.id is the uid and, unless [WithSubjects] resolves the
// subject from the host's records, subject.properties.roles and scopes its
// roles and scopes; action.name is an action letter ("r") or word
// ("read", "can_read"; create, read or view, update, edit or write,
// delete, list, guest, host, invite, join); resource.type is the policy's resource, resource.id the record's
// id, and resource.properties its owner ("owner" or "uid"), "privacy", a
// membership attribute ("list_id") and the fields the policy declares for
// conditions, typed as declared; context.time is @now (default: the
// clock). An unknown action or resource, or a subject WithSubjects cannot
// resolve, is a denial whose context gives the reason (unknown_action,
// unknown_resource, subject_unresolved).
//
// The search endpoints (subjects, resources, actions) are not served: a
// policy decides on the records it is shown and holds none, so it cannot
// enumerate them. The list of records a subject may act on is a query on
// the host's table with the policy's SQL filter (FilterFor).
//
// # Security
//
// Every body is outside input: at most [WithMaxBody] bytes (default 64
// KiB; 413 beyond), application/json only (415), POST only (405), at
// most [WithMaxEvaluations] items per batch, strings of at most 512
// bytes, properties of the declared types; anything else is 400 with an
// RFC 9457 problem naming the member at fault, never a 500. A fuzz target
// and a table of hostile bodies check it. Roles stated by the subject are
// trusted as given: mount the handler behind authentication of the
// enforcement points, or resolve subjects with WithSubjects. Answers carry
// no reason unless [WithReasons] is on, since reasons name roles and
// rules.
//
// # Concurrency
//
// A Handler is safe for concurrent use; a policy reload applies to the
// next request.
package authzen
