// Package accesscontrol decides who may do what on which record: role-based
// access control with per-record privacy and memberships, OAuth2-style
// scopes, SQL filters that select exactly the readable rows, and net/http
// middleware. It reads apicrud's rbac.yaml (extended with scopes),
// compiles it at load into lookup tables, and answers a decision without
// parsing, regular expressions, locks or allocation.
//
//	policy, err := accesscontrol.LoadFile("rbac.yaml")
//	…
//	who := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: uid, Roles: roles})
//	if policy.AllowedFor(who, 'u', "contact", accesscontrol.Record{ID: id, Owner: owner, Privacy: privacy}) { … }
//
// A [*Policy] is also crud's Authorizer (UID, Allowed, Filter, HasScopes read
// the caller from the request context, see [WithPrincipal]). The package
// keeps no state besides the policy: who the caller is comes from
// authentication (session, package apikey), which the host turns into an
// [Identity].
//
// # The policy file
//
// A YAML file, compatible with apicrud's rbac.yaml:
//
//	privacy_levels: [public, invitee, member, manager, secret]   # first must be public
//	private_resources:                                            # membership-defining resources
//	  - {resource: list, attr: list_id}
//	policies:
//	  person:
//	    - {principal: "*",            resource: "{resource}:*",         actions: cr}
//	    - {principal: admin,          resource: "{resource}:*",         actions: cdru}
//	    - {principal: "user/{{uid}}", resource: "{resource}:{{uid}}",   actions: cdru}
//	    - {principal: "list-*",       resource: "{resource}:{{uid}}",   actions: ru}
//	  message:
//	    - {principal: "list-{{list_id}}-manager", resource: "{resource}:{{list_id}}", actions: cdhr}
//	  list: []           # declared: private_resources names it
//	  catalogue: []      # declared: a scope names it
//	scopes:                                   # optional: OAuth2-style scopes granted to roles
//	  - {name: catalogue.read, roles: [auditor, admin], resources: {catalogue: lr}}
//	  - {name: payments.approve, roles: [admin], services: [approve_payment]}
//
// The top-level keys are:
//
//   - privacy_levels: the privacy levels, least restrictive first; the first
//     must be "public". Names are lower-case letters, digits and '_'; at
//     most 16. Default: public, invitee, member, manager, secret.
//   - private_resources: the membership-defining resources (a list, an
//     event…) and the attribute that attaches other records to one of them
//     (list_id). Every entry is used (apicrud used only the first). Default:
//     {resource: list, attr: list_id} when a "list" resource is declared,
//     else none.
//   - policies: one key per resource, each a sequence of rules {principal,
//     resource, actions}, with an optional condition when (see Conditions);
//     an optional description is ignored. The keys
//     declare the resources: a rule, a scope or a private resource that
//     names a resource without an entry here is a load error, and a
//     decision on an undeclared resource is a denial. An empty sequence
//     declares a resource without rules. (That is why the example above
//     has the two lines marked "declared".)
//   - fields: optional, the record fields conditions may read, per
//     resource, with their types; see Conditions.
//   - scopes: optional, see Scopes.
//   - definition, and any key starting with "x-": ignored, a place for
//     YAML anchors. Anchors, aliases and merge keys ("<<") work anywhere,
//     as in apicrud's example (apikey: *base_policy).
//
// Loading is validation. Bad YAML, an unknown key or field, a duplicate key,
// an unknown action letter, an unknown privacy level, a principal or
// resource template that does not parse, a principal and resource that
// cannot match together, or a resource that is not declared is a
// [*PolicyError] naming the file, the line and the entry, in the form of Go
// tools:
//
//	rbac.yaml:12: policies.person[2]: unknown action "x"
//
// errors.Is matches its cause ([ErrSyntax], [ErrSchema], [ErrUnknownAction],
// [ErrUnknownPrivacy], [ErrTemplate], [ErrUndeclaredResource],
// [ErrTooLarge]). [Load] reads an io.Reader, [LoadFile] a file, [LoadBytes]
// memory; files over [WithMaxSize] (16 MiB) and alias expansions over a
// fixed budget ("billion laughs") are refused.
//
// # Templates
//
// "{resource}" is the policy's own key, substituted at load (writing the
// key itself is the same). Double braces are the record's values at
// decision time. '*' in a principal matches any run of characters; there
// are no regular expressions.
//
//	principal
//	"*"                          anyone, anonymous callers included
//	admin                        a caller holding the role
//	list-*, *-ops, team-*-lead   a caller holding a role that matches the pattern
//	user/{{uid}}, person/{{uid}} a caller holding the role (user, person) who owns the record
//	mfarequired:{{uid}}          the same, with ':' (apicrud's spelling)
//	list-{{list_id}}-member      a caller whose level in the record's list is member or above
//	list-{{eid}}-manager         the same ({{eid}} is the record's membership id)
//	list-{{list_id}}-*           any level in the record's list
//
//	resource
//	{resource}:*                 every record
//	{resource}:{{uid}}           the records the caller owns
//	{resource}:{{list_id}}       the records of the membership the principal names
//	{resource}:{{eid}}           the same
//
// A membership resource selector needs a membership principal (a load
// error otherwise). A membership principal with {resource}:* or
// {resource}:{{uid}} applies to the records of that membership (all of
// them, or those the caller owns).
//
// # Conditions
//
// A rule may carry a condition, when:, on the record's fields, the
// principal and the request time; the rule gives its actions only on the
// records where the condition is true:
//
//	fields:
//	  message: {status: string, locked: bool, published_at: time}
//	  invoice: {amount: float, region: string}
//	policies:
//	  message:
//	    - {principal: "list-{{list_id}}-member", resource: "{resource}:{{list_id}}", actions: r,
//	       when: "status = 'published' and published_at <= @now"}
//	    - {principal: "user/{{uid}}", resource: "{resource}:{{uid}}", actions: u, when: "not locked"}
//	  invoice:
//	    - {principal: auditor, resource: "{resource}:*", actions: lr, when: "amount < 10000"}
//	    - {principal: "*", resource: "{resource}:*", actions: r, when: "region in @roles"}
//
// The fields section declares, per resource, the fields a condition may
// name and their types: string, int, float, bool or time. It is the
// whitelist: a condition naming anything else is a load error, and the
// names are also the keys of the columns map a list filter reads (crud
// gives every column of its model by its column name). id, uid, privacy
// and the membership attributes are not fields: the rule's principal and
// resource templates decide those.
//
// The language: comparisons = (or ==), != (or <>), <, <=, >, >=; in and
// not in with a list of constants ['a', 'b'] or ('a', 'b'), or with @roles
// or @scopes; is null and is not null; and (&&), or (||), not (!) and
// parentheses; a bool field alone is true when the field is. Operands are
// fields, constants ('single' or "double" quoted strings, integers,
// decimals, true, false) and the principal and request: @uid (null for an
// anonymous caller), @roles (the caller's roles), @scopes (the scopes it
// holds, as HasScopesFor counts them) and @now (the request time,
// Record.Now or WithNow, else the clock). Times are compared with @now or
// with RFC 3339 strings ('2026-01-02T15:04:05Z'). Types are checked at
// load: comparing a string with a number, ordering strings or booleans
// (the database's collation would order strings otherwise than bytes),
// or naming an unknown field or @name is an [ErrCondition] load error
// naming the file, line, rule and column. A condition is at most 4096
// bytes, 32 levels deep, with lists of at most 256 values.
//
// Nulls follow SQL: a comparison with a null (a field the record lacks, a
// nil value, a value of another Go type than the declared one, @uid of an
// anonymous caller) is unknown; not unknown is unknown; and a rule
// applies only when its condition is true. x in @roles is false when the
// caller has no roles (SQL has no empty IN list), whatever x is.
//
// One compiled tree serves both forms. A decision ([Policy.AllowedFor]
// with [Record.Fields], crud's AllowedRecord with the stored record)
// evaluates it on the record's values, without allocating. A list filter
// ([Policy.FilterFor]) translates it for the principal: the principal's
// values and @now become bound arguments, fields become the caller's
// columns (a field without a column is null), the parts that do not
// depend on the row are folded, and the rest is SQL text with the same
// three-valued meaning on PostgreSQL, MySQL/MariaDB and SQLite. Every
// construct the parser accepts has a SQL form, so no rule is ever dropped
// from a filter. A test generates random policies with conditions, random
// records with nulls and random principals, and checks on the three
// databases that the rows each filter selects are exactly those the
// single decisions accept.
//
// For that equality the columns must hold what the fields section says:
// strings in a binary collation on MySQL (as for ids), numbers as integer
// or double columns (not NaN, which PostgreSQL orders as a number), times
// as timestamp columns in UTC (on SQLite, as the driver writes time.Time).
//
// The parser is this package's own (about 500 lines, fuzzed) rather than
// cel-go or expr-lang: neither compiles to SQL, so either would need the
// same tree walk to translate, while cel-go would bring ANTLR and protobuf
// into every host and both accept far more (functions, macros, arithmetic)
// than can be pushed down safely. A closed grammar makes "every condition
// that loads translates" true by construction.
//
// Conditional rules cost nothing where they are not: a resource without
// them decides as before (0 allocations, under 100 ns). On a resource with
// them, the tables decide first and a conditional rule is evaluated only
// when it could add an action the caller lacks: about 60 to 90 ns more
// for a two-comparison condition, still without allocation.
//
// # Actions
//
// Actions are letters ([Letters]): c create, r read, u update, d delete,
// l list, g guest/member, h host/manager, i invitee, j join. A CRUD layer
// checks c, r, u and d (apicrud's find used r, not l); the others are the
// application's, surfaced to user interfaces as the per-record action
// string ([ActionSet.String], apicrud's rbac field).
//
// # Roles and memberships
//
// Roles come from the authentication layer (a session, an API key's owner)
// in [Identity.Roles]: "admin", "user", "pending", "pendingtotp", "person",
// and membership roles "<resource>-<id>-<level>", such as
// "list-x-12345678-member" (ids may contain '-'). Membership levels are
// cumulative: a level implies every lower one, so "list-x-1-manager" alone
// makes its holder a member and an invitee of x-1. The public level is no
// membership. This package owns the format both ways: the host writes a
// caller's membership roles with [MembershipRoles] (from its membership
// table and [Policy.Levels]) and hands them to authentication (login's
// MembershipSource, an API key's owner lookup), and decisions parse them
// back.
//
// A [Record] is what a decision knows of one record: its ID, its Owner
// (uid), its Privacy level and its Parent, the id of the membership record
// it is attached to (its list_id) with ParentResource naming which private
// resource ("" for the first). For a private resource itself (a list), the
// membership id is the record's own ID and Parent is ignored. Membership
// rules and privacy apply only to the record's own membership: a member of
// list L1 is nobody in list L2.
//
// A decision is the union of what every applicable source gives:
//
//   - "*" rules, for everyone (their {{uid}} form for authenticated owners);
//   - the rules of each role the caller holds or matches (their {{uid}}
//     form only on the records the caller owns);
//   - membership rules, at the caller's level in the record's membership;
//   - the resources of the declared scopes the caller holds;
//   - privacy: read ('r') on a public record, and on a record whose privacy
//     level is at most the caller's level in the record's membership.
//
// Ownership needs an authenticated caller (a uid) equal to the record's
// Owner; a record without owner is owned by nobody. A record without
// privacy, or with a privacy level the policy does not declare, is readable
// only through rules. [Policy.Actions] returns the set, [Policy.AllowedFor]
// answers for one action, [Policy.MayPerform] tells whether an action is
// possible on some record of a resource (a route-level check).
//
// # Scopes
//
// A scope (FastAPI's permissions.yml idea) names a set of grants: actions on
// resources, and named services such as approve_payment that are not
// resources. A scope lists the roles it may be granted to. The credential
// (an API key, an OAuth token, a session) carries scopes in
// [Identity.Scopes]; a declared scope is held only while one of the
// caller's roles is among the scope's roles, so a demoted owner's keys lose
// it at once. A scope the policy does not declare is held as the
// credential carries it. [Policy.ScopesFor] gives the scopes roles are
// entitled to: what an interactive login may carry, and the bound for the
// scopes of a key its owner creates. [Policy.HasScopesFor] requires every
// scope asked for (all-of); [Policy.ServiceAllowed] tells whether a held
// scope lists a service.
//
// # Explaining decisions
//
// [Policy.Explain] makes the same decision as AllowedFor and says why: the
// rule that granted it (entry and line in the file), or for each rule,
// scope and privacy default that could have granted it, why it did not.
// It is the slow path (it allocates), meant for logs, audits and policy
// tests:
//
//	denied: u-me may not u person "u-other": policies.person[1]: lacks role "admin"; policies.person[2]: holds role "user", the record's owner "u-other" is not the caller "u-me"
//
// # SQL filters
//
// [Policy.FilterFor] (and [Policy.Filter], crud's form) turns the same rules
// into a SQL condition and its arguments for list queries: "1=1" when a
// rule, scope or "*" gives the action on every record, "1=0" when nothing
// can, otherwise an OR of the caller's own rows, the rows of its
// memberships at a sufficient level and, for reads, public rows and member
// rows by privacy level. A test proves on PostgreSQL, MariaDB and SQLite,
// over random data, that the rows it selects are exactly those AllowedFor
// accepts. Column expressions come from a map the program supplies, are
// checked to be plain (optionally qualified or quoted) identifiers, and are
// never taken from a request; values are always arguments. Placeholders
// are '?' unless [WithBindType] asks for $n or @pn (numerically sqlx's bind
// types, so WithBindType(sqlx.BindType(db.DriverName())) works), and
// [WithArgOffset] numbers them after the caller's own.
//
// # Tools
//
// [Policy.Lint] reports rules shadowed by others and fields no condition
// reads; [Policy.RuleInfos], [Policy.Fields] and [Policy.PrivateResources]
// describe the policy in force. Package accesscontrol/policytest runs test
// suites written next to a policy (principals, records, expected actions
// and list members, rule coverage); package accesscontrol/authzen serves
// decisions over the OpenID AuthZEN access evaluation API; the apicrud
// command (cmd/apicrud) lints, tests and explains policy files and prints
// a principal's SQL filter.
//
// # Middleware
//
// [Policy.RequireScopes], [Policy.RequireAction] and [Policy.RequireService]
// return func(http.Handler) http.Handler middleware that reads the
// principal authentication put in the request context ([WithPrincipal],
// [PrincipalFrom]). A request without an authenticated principal gets 401
// (with a WWW-Authenticate challenge, [WithChallenge], default "Bearer"), a
// principal that lacks what is required 403, both as RFC 9457
// application/problem+json with a stable code ([CodeUnauthenticated],
// [CodeForbidden]) and no detail an attacker could use. Each refusal is
// reported first to the audit hook ([WithAudit]) as an [AuditEvent] (who,
// what was required, why) and to the logger at debug level. RequireAction
// is a route-level check; the handler (crud) still decides per record.
//
// # Hot reload
//
// [Policy.Reload] (ReloadFile, ReloadBytes) parses and compiles a new file
// and swaps it in with one atomic pointer store. Decisions never wait: a
// decision running during a reload uses the version it started with, and
// sees either the old version or the new one, never a mix. A file that
// does not load is an error and the policy in force stays. Reloads are
// serialised among themselves by a mutex decisions never take. A test
// reloads a 10,000-rule policy while 8 goroutines decide and finds no
// decision over 1 ms (50 ms under the race detector, which slows a reload
// to seconds); casbin's enforcer holds a lock for the whole LoadPolicy
// (casbin#987, #1109).
//
// # Performance
//
// Measured on the project's 2-core machine (Go 1.26; BenchmarkDecide and
// the other benchmarks of this package, BenchmarkAccess in bench/):
//
//   - A decision (AllowedFor, Actions) on a policy of 1,000 rules for a
//     principal holding 50 roles: 0 allocations and about 30 ns for owner
//     and role grants, 60 ns for membership and privacy (one more lookup),
//     below 100 ns in every case on an idle machine. The crud path (Allowed: principal from the
//     context, record as an attribute map) adds the map lookups: about
//     110 to 160 ns.
//   - NewPrincipal allocates nothing for a uid and up to eight roles
//     (256 bytes) and nothing else: a single role is kept as given, several
//     are copied into one string (one allocation); scopes, an account id,
//     an authentication method, an API key id or more roles add one
//     allocation. A decision finds the index of the principal's roles in
//     the policy's index cache, which keeps the indexes of up to 2,048 role
//     sets (pairs of slots chosen by a hash of the roles and scopes; sets
//     of up to 64 roles and scopes and 4 KB): one hash and one comparison
//     of the roles, no allocation; a principal with the extra allocation
//     keeps the index it found, so that only its first decision under a
//     policy version pays that. A role set not in the cache is indexed in
//     time and memory proportional to its roles, whatever the size of the
//     policy (about 50 ns of CPU per role), and put in the cache. A
//     decision then intersects the resource's grants with the index (the
//     last eight resources' answers are kept with the index, shared by the
//     principals holding the same roles). NewPrincipal and a first decision
//     for a principal of 3 roles: about 110 to 150 ns and one allocation
//     on the 100,000-rule policy; for casbin's own workload (one role
//     per user), no allocation.
//     BenchmarkScaling measures 100 to 100,000 rules and 3 to 500 roles,
//     cached and not.
//   - FilterFor: about 1 µs for an owner, 7 µs for a member of 20 lists.
//   - Explain: 15 to 25 µs (the slow path).
//   - Loading or reloading a 10,000-rule file: about 80 ms, YAML parsing
//     most of it; decisions meanwhile run at full speed.
//   - casbin/v2 with an equivalent model, same policy and principal: 250
//     to 10,000 times slower per decision (it evaluates its matcher on the
//     policy lines in turn, 35 µs to 1 ms). casbin's CachedEnforcer
//     answers a repeated request from its cache; bench/RESULTS.md compares
//     it with a decision and with a principal built per request.
//
// # Concurrency
//
// A Policy is safe for concurrent use by multiple goroutines; decisions
// are lock-free. A Principal is immutable and safe to share; it caches its
// index for the policy version it last met, so use one Principal per
// Policy (a Principal that alternates between two Policies re-indexes, and
// allocates, on every switch). The audit hook is called from request
// goroutines, concurrently, with no lock held; it must be safe for
// concurrent use and should return quickly.
//
// # Zero values
//
// The zero [Principal] is the anonymous caller; the zero [Record] has no
// owner, privacy or membership; the zero [ActionSet] is empty; the zero
// [Decision] is a denial. A Policy must come from Load, LoadFile or
// LoadBytes: its zero value is not usable.
//
// # Security
//
//   - Decisions fail closed: an undeclared resource, an action that is not a
//     letter, an unknown privacy level or a record without owner gives
//     nothing. There is no regular expression anywhere, so no policy or
//     input can make a decision slow.
//   - Roles, scopes and the uid are trusted input: they must come from
//     authentication (a session, a verified API key), never from the
//     request.
//   - The policy is what it says. apicrud's example gives "*: cr" on person,
//     which lets anyone, anonymous callers included, read every person
//     (their identity email included); review such rules rather than rely on
//     the library to narrow them.
//   - SQL filters compare in the database's collation, decisions compare
//     bytes: on MySQL/MariaDB give the id, uid, privacy and membership
//     columns a binary type or collation (the default collations ignore case,
//     and PAD SPACE ones trailing spaces), or the filter may select a row
//     that AllowedFor refuses.
//   - The scopes of a credential the host issues (an API key, a token)
//     should be bounded by ScopesFor(the owner's roles) when it is made.
//   - The middleware's answers say only "authentication required" or "not
//     allowed"; the reason goes to the audit hook and the logger.
//
// # Differences from apicrud's rbac_permissions
//
// The semantics follow apicrud's AccessControl with its known holes fixed.
// Each difference:
//
//   - Union, not override. apicrud returned the role grants if any matched,
//     else the "defaults" (privacy read, replaced by the actions of any "*"
//     rule). Here every source adds up: "*" rules, role, owner, membership
//     and scope grants, and privacy read. A caller with some grant on a
//     resource thus still reads its public records, and a "*" rule no
//     longer cancels the privacy read.
//   - Membership rules work. apicrud's list-{{list_id}}-<level> and
//     list-{{eid}}-<level> rules never matched (the record side formatted to
//     "<res>:None"), so membership only ever gave 'r' through privacy; here
//     they give their actions to members at that level or above.
//   - Membership is the record's own. apicrud checked privacy against the
//     caller's first membership id for records without a list_id column, so
//     any member of any list could read every member-privacy contact of
//     every user (its TODO: "a membership role must really be attached to
//     the record's list"). Here privacy and membership rules use the
//     record's Parent, or its own id for a private resource, and nothing
//     else.
//   - Levels are cumulative in the decision, so a session may carry only
//     the highest membership role (apicrud relied on get_roles writing every
//     level).
//   - All private_resources entries are used (apicrud: the first), and the
//     list/list_id default applies only when "list" is declared.
//   - mfarequired:{{uid}} and person/{{uid}} work like user/{{uid}} (apicrud's
//     mfarequired rule never matched).
//   - Patterns are globs on role names ('*' only), not regular expressions;
//     resource templates are the four forms above (apicrud accepted any
//     regex, such as "{resource}:.*", which is now a load error naming the
//     entry).
//   - Strict loading: unknown keys and fields, duplicate keys, undeclared
//     resources and bad letters are load errors (apicrud ignored them, or
//     failed at request time with a KeyError for a resource without
//     policies; here such a decision is a denial).
//   - The list filter honours memberships and privacy, matches AllowedFor
//     exactly, and is "1=0" when nothing applies (apicrud's with_filter
//     ignored membership privacy, and an empty condition list meant no
//     filter at all).
//   - Scopes are enforced (connexion never passed them to apicrud), all-of,
//     and a declared scope also needs one of its roles.
//   - The per-resource special cases of rbac_permissions are not policy:
//     a contact's referrer acting as owner, no 'd' on a primary contact, a
//     person owned by its referrer. The host expresses them by what it puts
//     in Record.Owner or by its own checks.
//   - Record privacy has no default here: a record without privacy is
//     readable only through rules. (apicrud's list default differed between
//     migration and model; the schema's default, such as crud's, is
//     what applies.)
package accesscontrol
