// Package apikey creates, stores and verifies API keys: long-lived
// credentials a user makes for scripts and services, sent in the X-Api-Key
// header as "prefix.secret". It is the Go successor of apicrud's
// apikey_create, apikey_hash and apikey_verify.
//
//	keys, err := apikey.New(apikey.WithStore(store), apikey.WithOwners(owners), apikey.WithPepper(pepper))
//	defer keys.Close(ctx)
//
//	key, rec, err := keys.Create(ctx, uid, "deploy bot", []string{"readonly"}, time.Time{})
//	show(key.Reveal()) // once: only a hash is stored
//
//	c, err := keys.Verify(ctx, r.Header.Get("X-Api-Key")) // c.UID, c.Roles, c.Scopes, c.KeyID
//
// A [*Manager] is also session's APIKeyVerifier ([Manager.VerifyAPIKey]):
// session.WithAPIKeys(keys) makes the session middleware accept X-Api-Key.
// Authorization is not this package's job: the host turns the [Caller]
// into its principal (accesscontrol.Identity has the same fields, with
// AuthMethod [Method] and APIKeyID the key's prefix), and the policy
// decides what the owner's roles and the key's scopes allow.
//
// # Keys
//
// A key is "prefix.secret". [Manager.Create] draws both from crypto/rand:
// a prefix of 12 lower-case letters and digits ([PrefixLen]), public, the
// key's id in lists and logs; a secret of 256 bits ([SecretBytes]) in 43
// characters of unpadded base64url, shown once ([Key.Reveal]) and never
// stored. [Parse] accepts prefixes of 8 to 32 and secrets of 32 to 128
// characters of [A-Za-z0-9_-], at most [MaxLen] bytes in all (so
// apicrud's 8.32 keys parse); anything else is [ErrMalformed]. A key has
// an owner uid, a name unique per owner (1 to 64 printable characters),
// scopes (at most [WithMaxScopes], 16 by default), an expiry and a status
// ([StatusActive], [StatusRevoked]).
//
// # Verification
//
// [Manager.Verify] parses the key, hashes the presented secret and
// compares it with the stored hash in constant time on every call, cache
// or not, then checks the status and the expiry (only for a caller who
// presented the right secret: an unknown prefix and a wrong secret are
// both [ErrInvalid]), asks the [OwnerSource] for the owner's current roles
// and account id ([ErrOwner] when it refuses), and returns the [Caller].
// When the store (or the OwnerSource, by wrapping [ErrUnavailable]) cannot
// answer, Verify returns [ErrUnavailable]: the key is neither valid nor
// invalid, and session's middleware answers 503, not 401.
// It records the use in the store at most once per [WithTouchInterval]
// (default one hour), so that a busy key does not write on every request.
// [WithCache] keeps stored records (never secrets) in memory for a TTL; a
// revocation through the same Manager is immediate, through another
// instance visible within the TTL. Without the option every verification
// reads the store.
//
// # Backends
//
// Keys live in a [Store]: [MemoryStore] (the default, one process; New
// creates and closes its own) or apikey/sqlstore (PostgreSQL,
// MySQL/MariaDB, SQLite), whose package documentation gives the table
// schema per dialect: prefix (primary key), hash (hex), uid, name (unique
// per uid), scopes (space-separated), status, and created_at, expires_at,
// last_used in Unix milliseconds. There is no Redis store: keys are
// durable records that belong with the accounts in the service's
// database, and [WithCache] takes the reads off it. apikey/storetest is
// the conformance suite both stores pass, for anyone writing another.
//
// # Round trips
//
// A verification is one store read (none on a cache hit) plus, at most
// once per touch interval, one write of last_used; on apikey/sqlstore
// that is one SELECT by primary key and one UPDATE. Create is one INSERT
// (a prefix collision, about 2^-31 for a billion keys, is retried);
// Revoke and Delete are one statement each (plus an existence check when
// no row changed).
//
// Measured on a 2-core machine (BenchmarkVerify): a verification takes
// about 1.5 µs on the memory store and 40 µs on SQLite, 1.3 µs with
// WithCache on either; SHA-256 and the store dominate.
//
// # Concurrency
//
// A Manager and a MemoryStore are safe for concurrent use by multiple
// goroutines, and a Store must be. The OwnerSource is called from request
// goroutines, concurrently, with no lock held; it must be safe for
// concurrent use and should return quickly. Close stops what the Manager
// created (its cache and its own MemoryStore) and never closes a Store it
// was given.
//
// # Zero values
//
// The zero [Key] is no key (IsZero), the zero [Record] and [Caller] are
// nobody. A Manager must come from New and a MemoryStore from
// NewMemoryStore: their zero values are not usable.
//
// # Security
//
//   - Only hashes are stored: SHA-256 of the secret, or HMAC-SHA-256 with
//     a server pepper ([WithPepper]) so that a stolen table cannot even
//     test guesses. A 256-bit random secret needs no slow hash.
//   - Secrets are compared in constant time on every request, cached or
//     not; an unknown prefix costs the same comparison as a known one, and
//     gives the same error as a wrong secret.
//   - Key values redact themselves in fmt, slog and JSON ([Key.String],
//     [Key.LogValue], [Key.MarshalText]); a Record logs without its hash;
//     errors never quote a presented key.
//   - The owner's roles are looked up on every verification, so a disabled
//     or demoted owner's keys follow at once.
//   - Create accepts any well-formed scope: bound it by what the owner's
//     roles allow (accesscontrol's Policy.ScopesFor) before calling it.
//   - Keys migrated from apicrud came from a non-cryptographic generator
//     and should be rotated.
//
// # Differences from apicrud
//
//   - Secrets come from crypto/rand (256 bits); apicrud drew 192 bits from
//     Python's random.
//   - The secret is verified on every request; apicrud skipped it on a
//     cache hit, so a known prefix was enough.
//   - last_used is written when older than the touch interval; apicrud
//     wrote it only for keys without expiry or already expired.
//   - The owner's roles and account id are looked up on every
//     verification, so the caller carries an account id (apicrud's
//     API-key callers had none).
//   - Revocation is immediate unless WithCache is given (apicrud waited up
//     to its redis_ttl per process).
//   - The stored digest is apicrud's (SHA-256 of the secret), hex-encoded
//     instead of base64 in an encrypted column: a migration can convert
//     apicrud's rows.
package apikey
