// Package crud is a generic REST resource controller over sqlx: apicrud's
// BasicCRUD and Trashcan, and the route flags of its FastAPI port's
// ManageResource, with Go generics and real SQL.
//
// # Overview
//
// A [Resource] serves one table whose rows are records of a struct type T:
//
//	type Contact struct {
//		ID      string    `db:"id" json:"id"`
//		UID     string    `db:"uid" json:"uid"`
//		Name    string    `db:"name" json:"name" crud:"writable,required,maxlen=64"`
//		Privacy string    `db:"privacy" json:"privacy" crud:"writable,default=member"`
//		Status  string    `db:"status" json:"status"`
//		Created time.Time `db:"created" json:"created"`
//		Version int64     `db:"version" json:"version"`
//	}
//
//	contacts, err := crud.NewResource[Contact](db, "contact",
//		crud.WithAuthorizer(policy),                        // required
//		crud.WithOwnerLimit("contacts", grants),            // at most N per owner
//		crud.WithScopes(crud.OpDelete, "contacts.admin"))   // optional scope guards
//	contacts.Routes(mux, "/api/v1")
//
// Fields with a `db` tag are columns; the `json` names are the API's names;
// `json:"-"` stores a field (a hash, a secret) that the API never shows or
// accepts. Columns with a role are found by name (id, uid, privacy,
// list_id, status, created, modified, version, category_id), by a `crud`
// tag, or with [WithColumns]. Which operations are served is a choice
// ([WithOps]: [OpCreate], [OpGet], [OpUpdate], [OpDelete], [OpList], or the
// presets [ReadOnly] and [ReadWrite]); [Hooks] run before and after each
// operation for special cases, so most endpoints need no code. A resource
// with hooks is made by [NewResourceWithHooks], which takes the hooks as
// an argument typed by the record type: hooks for another type do not
// compile.
//
// Every operation has a Go method ([Resource.Create], [Resource.Get],
// [Resource.Update], [Resource.UpdateIfMatch], [Resource.Delete],
// [Resource.Find]) and an HTTP handler that makes the same decision.
//
// # Operations
//
//	POST   /name        201 {"id"}, Location, ETag. The server sets id (prefix "x-" and 96
//	                    random bits), owner (the caller), created, status "active",
//	                    version 1, defaults, the default category, and the default
//	                    privacy (WithDefaultPrivacy, else the most restrictive level).
//	GET    /name/{id}   200 record, ETag. 404 when absent, soft-deleted or unreadable.
//	PUT    /name/{id}   200 updated record, ETag. Partial: only fields present change.
//	                    403 when readable but not writable; If-Match → 412 when stale.
//	DELETE /name/{id}   204. Soft delete (status "disabled") unless ?force=true; the id
//	                    may list up to 100 ids, all or none are deleted.
//	GET    /name        200 {"items", "count", "cursor_next"} of the readable records.
//
// Errors are RFC 9457 problem+json with a stable "code" (the Code
// constants): 400 names the field ("name", "filter.rank", "sort",
// "cursor_next", ...), 401 for anonymous callers where an identity is
// needed, 403, 404, 409 for unique or reference conflicts, 412, 413 for a
// body over [WithMaxBody], 415 for a content type other than JSON, and a
// bare 500 whose cause is only logged. Database error texts never reach
// clients.
//
// # Any router
//
// [Resource.Routes] registers on a ServeMux; [Resource.Handler],
// [Trashcan.Handler] and [API.Handler] return the same routes as one
// http.Handler that a host mounts under any router at any prefix (chi's
// Mount, echo's or gin's Any with a wildcard, a ServeMux pattern ending in
// "/"). The handler matches the request's whole path with its own
// patterns, so it needs no path parameters from the host's router, and it
// answers what it does not serve as problem+json (404, or 405 with Allow).
// Each route records its pattern (such as "/api/v1/contact/{id}") for the
// metrics middleware, which labels requests by it whatever the router.
//
// # Lists
//
// filter is a JSON object whose keys are ANDed. A field key takes a value
// (equality; a string containing % is a LIKE pattern in which only % is a
// wildcard, _ being literal), a list (IN), "*" (no condition), null (IS
// NULL), or an object of operators, ANDed:
//
//	{"rank": {"gte": 1, "lt": 5}}       eq ne gt gte lt lte: comparisons
//	{"label": {"in": ["home", "work"]}} in: one of the values
//	{"name": {"like": "An%"}}           like: % the only wildcard; ilike ignores case
//	{"label": {"is": null}}             is null; {"ne": null} is IS NOT NULL
//	{"or": [{"rank": 0}, {"label": "work"}]}  any of the objects (nested at most 3 deep)
//	{"q": "ann"}                        the text, ignoring case, in any filterable text field
//	{"rank_gte": 1, "name_ilike": "a%"} react-admin's keys: field_op with the operators above (and _neq)
//
// Only filterable fields may be named ([WithFilterable]; default: the
// visible scalar fields); every value is a bound argument of the field's
// type; a filter holds at most 32 conditions. An OR group is one
// parenthesized condition ANDed with the rest, so the Authorizer's filter
// always applies outside it. A bad key, operator or value is a 400 with code
// crud.bad_filter (or crud.invalid_value) and field filter.<key>. sort is
// field, field:asc or field:desc (or react-admin's ["field","ASC"], or a
// separate order parameter), over sortable fields ([WithSortable];
// default: the visible non-nullable scalar fields); the id breaks ties.
// limit has a default and a maximum ([WithPageSize]). Pages are keyset
// pages: cursor_next is an HMAC-signed opaque cursor ([WithCursorKey])
// holding the last row's sort value and id, so paging is stable while rows
// are inserted, and a tampered cursor, or one reused with another sort or
// filter, is a 400. offset is kept for old clients.
//
// Counting every match costs a read of every match, so lists count as
// PostgREST does, by the Prefer header ([Query].Count in Go): count=exact
// counts every match (COUNT(*) OVER () in the page query; pages after the
// first compute it as position + remaining rows, exact unless rows before
// the cursor changed meanwhile); count=planned takes the query planner's
// estimate (EXPLAIN on PostgreSQL and MySQL/MariaDB; SQLite counts
// exactly); count=estimated counts exactly while the estimate is at most
// the maximum page size, and takes the estimate above it. The answer
// carries Preference-Applied: count=<mode applied>. Without the header,
// pages by range or offset are counted exactly (react-admin needs the
// total) and keyset pages are not counted: their JSON has no "count".
// A page of 100 rows by id over 1M rows on PostgreSQL took 0.32 ms
// uncounted, 0.42 ms planned and 2.2 s exact (BenchmarkCountModes).
//
// The rows a caller may read are selected in SQL by [Authorizer.Filter]
// (never filtered after fetching), so counts and pages are exact. An
// Authorizer whose rules read other fields of a record (conditions such as
// "status = 'published'") implements [RecordAuthorizer] too: crud then
// gives it the stored record's values by column wherever it decides on a
// record, and every model column, by its column name, in Filter's columns.
//
// react-admin: every list answers Content-Range: <resource> <start>-<end>/<total>
// (total "*" when not counted) and, when counted, X-Total-Count, both listed
// in Access-Control-Expose-Headers. react-admin's simple REST data provider
// works unmodified: with its range=[start,end] parameter the body is a bare
// array, and so is the answer to a filter of ids alone (GET
// ?filter={"id":[...]}, its getMany; a client that adds limit or a cursor
// gets the page object); a DELETE whose client names application/json in
// Accept (or sends Prefer: return=representation) gets the deleted record
// back, status 200 (its delete and deleteMany read the id from it), others
// 204; its q filter is the full-text filter; nullable columns sort, NULLs
// last ascending and first descending on every database.
//
// # Actions
//
// A UI shows or hides edit and delete buttons by what the caller may do
// with each record. A get or a list with ?actions=true (Query.Actions in
// Go) adds to each record "rbac", apicrud's action string: "r", with "d"
// and "u" when a Delete or an Update of the record would be allowed ("dru",
// "r", …). They come from the Authorizer's in-process decisions on the
// records read, as the write itself would ask them, so they cost no query
// (a scope resource's check, WithScopeResource, at most one per scope in
// the page). [Resource.Actions] gives the string of one record. A record
// type with a JSON field named "rbac" cannot ask for them (400).
//
// # Relations
//
// [WithRelation] declares a many-to-many field: an exported []string field
// of T without a db tag (Groups []string `json:"groups"`) holding the ids
// of the records of another resource (the [Relation]'s Target) linked
// through a join table of two columns. Reads fill it with the linked
// records that are active and that the caller may read on the target (its
// Authorizer's filter, in SQL); writes (Create, Update naming the field,
// PUT with it in the body; [Resource.SetRelated], [Resource.AddRelated],
// [Resource.RemoveRelated] in Go) accept only ids the caller may read (else
// 400 for the field), replace only the links the caller can see, and run
// in the record's transaction after a lock on its row. The Relation's
// Limit (apicrud's limit_related, such as members per list, which a host
// backs with a grant) is checked under that lock: concurrent adds cannot
// pass it (403 crud.limit_exceeded). A purge deletes the record's links.
// Queries: one per relation for a get, a write's answer or a whole list
// page (never one per record); a write adds a lock, a read of the
// record's links and one of the ids' targets, and at most one DELETE and
// one INSERT per relation.
//
// # Expansion
//
// [WithExpansions] declares what a read may carry of the records a field
// points at: ?expand=owner,category (Query.Expand; [Resource.GetExpanded])
// adds to each record a member per name holding a text field of the
// target (by default its title, such as "name"), as apicrud's get showed
// a record's owner and category names. Each expansion is a LEFT JOIN in
// the record's own query whose condition carries the target's read
// filter: the text of a target the caller may not read, or that is gone,
// is null, and a list page costs the same queries with expansions as
// without. An expand value that is not declared is a 400 that lists the
// declared ones.
//
// # Trashcan
//
// A [Trashcan] lists, shows, restores and purges the soft-deleted records
// of the resources registered with it, with their own permissions: a
// deleted record is visible to callers who may read ('r') and delete ('d')
// it. Items are named "<resource>-<id>". GET and PUT (restore) on an item
// answer the record as its resource shows it plus "resource", its resource
// name; the OpenAPI document describes that answer as a oneOf of one schema
// per resource, each requiring its own name in "resource", with a
// discriminator on it, so a record matches exactly one schema (a record
// type with a field named "resource" cannot be registered). Restoring and
// purging are writes: the record's scope is checked as for any write.
//
// # Cache
//
// A [Cached] is a read-through cache of one resource's records by id, for
// records that handlers read on almost every request, such as account
// settings (apicrud's AccountSettings):
//
//	cache, err := crud.NewCached(settings, // a *Resource[Settings]
//		crud.WithCacheStore(store),        // crudredis.New(rdb); default: in-memory
//		crud.WithCacheTTL(20*time.Minute)) // default: DefaultCacheTTL
//	defer cache.Close(ctx)
//	s, err := cache.Get(ctx, accountSettingsID)
//
// [Cached.Get] loads a missing record with one SELECT (the resource's own
// query, without authorization or hooks) and keeps it for the TTL; later
// reads cost no query. Absent and soft-deleted records are ErrNotFound and
// are not cached. Each hit decodes a fresh copy (every column, hidden ones
// included), so callers may modify what they get.
//
// Invalidation is automatic: NewCached attaches the cache to its Resource,
// and every write of a record through the Resource — [Resource.Update],
// [Resource.UpdateIfMatch], [Resource.Delete] (soft or forced), the PUT and
// DELETE handlers, and a [Trashcan]'s restore and purge — calls
// [Cached.Uncache] for it, once inside the write's transaction (if that
// fails, the write is rolled back: fail closed) and once after the commit
// (so that a read during the commit cannot stay cached; a failure there is
// logged). Writes that bypass the Resource (raw SQL, another program) must
// call Uncache, or are seen when the entry expires. Create needs no
// invalidation: absent records are never cached.
//
// Instances: the [CacheStore] holds the cached bytes. With
// crud/redisstore (import it as crudredis) all instances share them, so an
// Uncache on one instance is seen by every instance on its next read — no
// pub/sub and no version check against the database. Every instance that
// writes the table must attach a cache on the same store and prefix. With
// [MemoryCacheStore] (the default) each process has its own entries, and
// another instance's writes are seen when the local entry expires.
//
// A generation counter per key (the scheme of the grants cache) makes an
// Uncache that races a load win: a load that read the row before the
// Uncache cannot store it afterwards ([DefaultGenerationTTL] bounds how
// long a load may take for that guarantee). An entry that does not decode
// (corrupt, or written by an instance with another version of the record
// type: a fingerprint of the columns and their Go types is part of every
// entry) is a miss. Field types outside crud's scalar kinds are stored as
// JSON and must round-trip through encoding/json.
//
// Round trips per read: memory hit 0, Redis hit 1 (an MGET); a miss adds
// one SELECT and one store write. A write of n records adds 2n store
// round trips per attached cache.
//
// Authorization: [Cached.Get] does not authorize; it is a server-side
// read for code that has already decided (a handler reading the caller's
// own settings). [Cached.GetAuthorized] makes the decision of
// [Resource.Get] (operation, scopes, 'r' on the record, AfterGet hook) on
// the cached record. Store errors are returned, never replaced by a
// database read; a failed cache write after a load is only logged.
//
// # OpenAPI
//
// An [API] registers resources and a trashcan under one prefix, serves
// them and GET {prefix}/openapi.json, and builds the OpenAPI 3.1 document
// from the same definitions ([API.Spec]): a schema per record type (JSON
// types from the Go types, readOnly for what clients cannot write, enums,
// maximum lengths, nullability), create and update schemas that reject
// unknown fields, the list parameters, the problem responses and the
// security schemes. Package [github.com/apicrud-go/apicrud/crud/openapi]
// has the document types and a structural validator.
//
// # Backends
//
// PostgreSQL (pgx stdlib), MySQL/MariaDB (go-sql-driver/mysql) and SQLite
// (modernc.org/sqlite), told apart by the sqlx driver name ([WithDialect]
// for others). Identifiers come only from struct tags and options,
// validated and quoted; every value is a bound parameter. crud keeps no
// state besides the database, so any number of instances can serve the
// same tables (give them the same [WithCursorKey]). SQL statements per
// operation:
//
//	Get      1 SELECT
//	Create   1 transaction: INSERT (+ with an owner limit: an advisory lock on
//	         PostgreSQL and a COUNT)
//	Update   1 SELECT, then 1 transaction: UPDATE
//	Delete   1 SELECT … IN, then 1 transaction: one UPDATE (or DELETE) per id
//	List     1 SELECT with COUNT(*) OVER () (+1 COUNT for an empty page past an offset)
//	Trashcan list: 1 COUNT and at most 1 SELECT per registered resource
//	Cached   0 on a hit, 1 SELECT on a miss (see Cache)
//
// MySQL tables should use a binary collation for id columns (keyset
// paging compares ids), and DATETIME(6) for timestamps, which are stored in
// UTC with microseconds.
//
// # Concurrency
//
// Resource, Trashcan, API, Cached and the cache stores are safe for
// concurrent use; register resources (and attach caches) before serving. Writes are guarded by the row version (or,
// without a version column, by the authorization attributes): the UPDATE
// or DELETE matches only the row as it was read and authorized, so a
// concurrent change makes crud read, authorize and try again, and If-Match
// is checked by the UPDATE itself — of two writers holding the same ETag
// exactly one succeeds. Deadlocks, serialization failures and busy SQLite
// databases are retried a few times. With [WithOwnerLimit], creators of the
// same owner are serialized (an advisory lock on PostgreSQL, a locking
// COUNT on MySQL, SQLite's single writer), so concurrent creates never
// exceed the limit.
//
// # Security
//
//   - Authorization comes before any write: get, update and delete read the
//     record and ask the [Authorizer] ('r', then 'u' or 'd') before the
//     transaction starts; create asks 'c' on the final record; update asks
//     'u' again when the owner, privacy or membership changes. After-hooks
//     (related rows) run inside the same transaction, after the checks, and
//     their failure rolls everything back.
//   - Writes within a scope are authorized at the time of the write. A record
//     whose membership column names a scope (a message posted to a list) is
//     created, updated, deleted, restored or purged only by a caller who,
//     besides the record-level permission, holds a role within that scope
//     allowing the action or 'c' there (the Authorizer asked with the
//     membership attribute alone, no owner), or who may update ('u') the
//     active scope record itself ([WithScopeResource]: the list's owner or
//     managers). Owning the record is not enough: a member removed from a list
//     keeps no write access to what they posted to it, from their next request
//     on, as soon as their roles no longer name the list. Moving a record into
//     a scope is checked the same way; a record outside any scope is its
//     owner's alone.
//   - Clients write only the fields of the writable allow-list (`crud:"writable"`
//     or [WithWritable]). id, owner, status, created, modified, version and
//     hidden fields are server-controlled and cannot be made writable; sending
//     one is a 400 unless it echoes the stored value (clients send back records
//     they read; an echoed version acts as If-Match). Unknown fields, wrong
//     types, NUL characters, values outside an enum or over maxlen are 400s
//     naming the field.
//   - A record that is absent or unreadable answers 404 alike.
//   - Responses carry Cache-Control: no-store; errors never echo request bodies.
//   - The Authorizer's Filter error, and a Limits error, fail closed.
//
// # Compatibility with the Python apicrud
//
// Decisions on the quirks of the Python apicrud:
//
//   - Validation errors are 400 (not 405), limits 403, conflicts 409: fixed.
//   - filter={} returns every readable record (was: none): fixed.
//   - sort on an unknown field is a 400 (was: 500); order is honoured: fixed.
//   - count is the total number of matching records: kept (react-admin needs it).
//   - Owner limits count active records only (was: disabled ones too): fixed.
//   - Soft-deleted records are not served by GET /name/{id} (the original
//     served them); they are served by the trashcan: changed, because status is
//     server-controlled and the trashcan is the place for deleted records.
//   - Deleting a nonexistent id is a 404 (the original answered 204 to admins).
//   - A record the caller may not read is a 404 for everyone (the original
//     answered 403, or 401 to callers without roles, revealing that it exists).
//   - The per-owner quota (the original's grant check on create, e.g. at most
//     "contacts" records) is [WithOwnerLimit]; it is enforced in the same
//     transaction as the insert, and again when the trashcan restores a record.
//   - Unknown body fields are rejected (the original passed them through).
//   - IDs are "x-" + 96 random bits instead of the 10-character day-stamped
//     format, which is not interoperable by default; [WithIDPrefix] sets the prefix.
//   - The per-record "rbac" string is added on request only: ?actions=true
//     (Query.Actions), see Actions.
//   - Many-to-many relations, expansion of what a record points to and the
//     limit_related cap are not part of crud yet: a host writes them with
//     hooks and its own queries, as examples/contacts does for list members.
package crud
