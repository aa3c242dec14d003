// Package passkey adds passkeys (WebAuthn) to the login flows of package
// login: an account enrols several passkeys, names and removes them, and
// logs in with one instead of a password (a discoverable credential), or
// uses one as the second factor of a password login instead of TOTP.
//
// # Overview
//
// A [Manager] is built once per process with [New], from a login.Manager,
// a [Store] and the [RelyingParty] (the service's domain and web
// origins). Each ceremony has two steps: Begin returns a [Challenge] (the
// options for navigator.credentials.create or .get, and a sealed State),
// the browser asks the authenticator, and Finish verifies its response
// with the State:
//
//	passkeys, err := passkey.New(logins, store, passkey.RelyingParty{
//		ID: "example.com", Name: "Contacts", Origins: []string{"https://example.com"}})
//
//	ch, err := passkeys.BeginRegistration(ctx, uid)                    // signed-in user
//	cred, err := passkeys.FinishRegistration(ctx, uid, ch.State, response, "laptop")
//
//	ch, err := passkeys.BeginLogin(ctx)                                 // no username
//	s, token, err := passkeys.FinishLogin(ctx, ch.State, response)      // a full session
//
//	pending, _, err := logins.Login(ctx, "alice", password, "")         // "pendingtotp"
//	ch, err := passkeys.BeginFactor(ctx, pending)
//	s, token, err := passkeys.FinishFactor(ctx, pending, ch.State, response)
//
// [Manager.List], [Manager.Rename], [Manager.Remove] and
// [Manager.RemoveAll] manage an account's passkeys. Give [Factors] to
// login.WithFactors so that a password login to an account with a
// passkey waits for it, as for a TOTP code. Sessions record how they were
// made: Session.Method is [MethodPasskey] or [MethodPasskeyFactor].
// [WriteError] writes the errors as problem+json.
//
// The verification itself is github.com/go-webauthn/webauthn's: parsing
// the CBOR attestation and authenticator data, checking the client data,
// the relying party id hash, the flags and the signature (ES256, RS256,
// EdDSA …).
//
// # Backends
//
// Passkeys live in a [Store]: [MemoryStore] for one process, package
// passkey/redisstore (import it as passkeyredis) or package
// passkey/sqlstore (passkeysql: PostgreSQL, MySQL/MariaDB, SQLite) for
// several instances; all pass the suite of package passkey/storetest.
// The login.Store's Store interface does not grow: challenges need no
// store of their own (see Security). A passkey login costs, besides the
// new session: one round trip to the login Store (the challenge's
// marker, taken), one Store.Get and one Store.Use (two round trips on
// Redis, a SELECT and an UPDATE on SQL), and one AccountStore.Get;
// beginning it, one more round trip (the marker, put).
//
// # Concurrency
//
// A Manager and the stores are safe for concurrent use. Every instance
// built on the same session secret and Sealer, login Store and passkey
// Store completes the ceremonies the others began.
//
// # Security
//
//   - Challenges are single-use and short-lived: the ceremony state
//     (challenge, account, expected credentials, expiry) is sealed with
//     the session.Manager's Sealer and bound to its purpose and account,
//     and a marker of it (a SHA-256 digest) waits in the login Store for
//     WithChallengeTTL (default 3 minutes). Finish takes the marker
//     (compare-and-delete) before it verifies anything: a state works
//     once, even when its response fails, and a replayed assertion finds
//     its challenge gone (ErrCeremony).
//   - A response must come from one of the relying party's origins and
//     name its id (the authenticator signs the id's hash); a response
//     from a lookalike site fails (ErrInvalidPasskey).
//   - The user handle of a discoverable login names the account; the
//     passkey is looked up in that account only, so a passkey of another
//     account, or a credential id reused with another key, does not
//     verify. Credential ids are unique across accounts (ErrExists).
//   - Signature counters are checked: an authenticator that counts must
//     present a greater counter at every login (the Store updates it
//     atomically, so of two concurrent logins with one value only one
//     wins); a counter that stands still or goes back means a cloned
//     authenticator, and the login fails with ErrCounter. Synced passkeys
//     keep their counter at 0 and are accepted as such, but never back to
//     0 once they counted.
//   - A passwordless login requires user verification (PIN, biometrics)
//     by default (WithUserVerification): the passkey then stands for two
//     factors. As a second factor after a password, presence suffices.
//   - Only an active account logs in; a disabled one gets
//     login.ErrInvalidCredentials. Passkeys survive password changes; a
//     host should remove them (RemoveAll) when it deletes or recovers an
//     account (login.WithCredentialsChanged, reasons "deleted" and
//     "password_reset"), as it revokes API keys.
//   - A failed passkey login is not throttled by login's ladders: an
//     assertion cannot be guessed. Rate-limit the Begin endpoints, whose
//     markers occupy the login Store until they expire.
package passkey
