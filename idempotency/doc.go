// Package idempotency makes POST and PATCH requests safe to retry, as the
// IETF httpapi "Idempotency-Key" draft describes: a client sends
// Idempotency-Key: "<unique value>" with a request; the first answer is
// stored (with a TTL) and replayed for a retry carrying the same key and the
// same request, so a create whose answer was lost (a dropped connection, a
// crashed server after its commit) is not done twice.
//
// Rules (Keeper.Handler):
//   - A request without the header passes through untouched.
//   - The key is an RFC 8941 string ("..."), or a bare token of visible
//     ASCII; 1 to 255 characters. Anything else answers 400
//     idempotency.bad_key.
//   - A retry with the same key and the same method, path, query,
//     Content-Type and body gets the stored status, headers and body, with
//     Idempotent-Replayed: true. Answers 5xx, 408 and 429 are not stored: a
//     retry runs the request again.
//   - The same key with another request answers 422 idempotency.key_reused.
//   - A retry that arrives while the first request still runs answers 409
//     idempotency.in_progress with Retry-After: 1; exactly one executes.
//   - Keys are per scope (WithScope, for example the authenticated account),
//     so that two clients cannot see each other's answers.
//   - The store failing answers 503 idempotency.unavailable: a request whose
//     retry could not be recognised is not run.
//
// # Backends
//
// The in-memory store (the default, NewMemoryStore) serves one process;
// idempotency/redisstore shares keys across instances (one key per
// idempotency key, one round trip per step, Redis Cluster hash tags).
// idempotency/storetest is the conformance suite both pass.
//
// # Limits
//
// The answer is stored after the handler returns. A process that dies
// between its database commit and that store write (a window of one round
// trip) leaves the key reserved until the lock TTL (WithLockTTL) ends; a
// retry is then answered 409 until it does, and runs again after. Closing
// that window needs the answer written in the same database transaction as
// the change. Request bodies are read whole to fingerprint them (at most
// WithMaxBody bytes, 413 beyond).
//
// # Concurrency
//
// A Keeper and the stores are safe for concurrent use.
package idempotency
