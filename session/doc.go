// Package session issues and checks session tokens, logs users in
// (password, TOTP, remember-device, delegated login), throttles login
// attempts, registers and confirms accounts, resets passwords, and
// authenticates HTTP requests.
//
// # Overview
//
// A [Manager] is built once per process with [New], from a [Sealer] (the
// apicrud crypto package's *Cipher) and a secret of at least 32 random
// bytes shared by every instance:
//
//	m, err := session.New(cipher, secret,
//		session.WithStore(store),                      // sessionredis.New(rdb); omit for the in-memory store
//		session.WithAccounts(accounts),                // login, registration
//		session.WithNotifier(mailer),                  // confirmation and reset links
//		session.WithContextFunc(putPrincipal))         // the host's principal
//	defer m.Close(ctx)
//	mux.Handle("/api/v1/", m.Authenticate(api))
//
// [Manager.Create] starts a session and returns a [Token]: a JWT (HS256 by
// default; [WithEdDSA] or [WithRS256] otherwise) whose jti is 256 random
// bits, with claims iss, sub (the uid), aud, iat, nbf, exp (the absolute
// deadline), auth (roles), scopes, an optional cnonce and the caller's
// values (ext). [Manager.Validate] verifies the JWT with the algorithm
// pinned, exp required, issuer and audience checked and a small explicit
// leeway, and then requires the session to exist in the [Store]: a JWT
// alone never authenticates, so logout ([Manager.Delete]), "log out
// everywhere" ([Manager.DeleteAll]), idle and absolute timeouts take
// effect at once. Roles and values come from the store, not from the JWT,
// so [Manager.SetRoles], [Manager.Update] and [Manager.RefreshRoles]
// (apicrud's update_auth) act on live sessions. [Manager.Renew] rotates a
// token, keeping the absolute deadline. [Manager.List] lists a user's
// sessions by their public [Session.ID].
//
// [Manager.Login] checks a username or e-mail address and a password
// against an [AccountStore] ([NewMemoryAccounts], or package sqlaccounts
// for PostgreSQL, MySQL/MariaDB and SQLite). Roles: "admin" and "user"
// for an administrator, "user" otherwise, "pending" alone until the
// account is confirmed, plus the membership roles of a [MembershipSource]
// ("list-<id>-member" …, built by the host). An account with TOTP
// gets a "pendingtotp" session until [Manager.CompleteTOTP] (or the otp
// argument of Login, or a remember-device cookie) supplies the second
// factor. Delegated logins (OAuth2/OIDC) go through [Manager.LoginWith]
// and an [IdentityProvider]; API keys through an [APIKeyVerifier] in the
// middleware. A delegated login that proves the address of a pending
// account activates it without anything set before (password, TOTP,
// sessions, and through [WithCredentialsChanged] the host's API keys):
// whoever registered an address need not own it.
//
// [Manager.Register] creates a pending account and sends a confirmation
// link through the [Notifier]; [Manager.Confirm] activates it, and
// [Manager.ConfirmUsername] also sets the username, which the owner must
// choose there when the one registered was taken. Notices go through a
// [NotifyQueue] that New puts in front of the Notifier ([WithNotifyQueue])
// and Close drains.
// [Manager.RequestPasswordReset] and [Manager.ResetPassword] use the same
// link mechanism. [Manager.ChangePassword], [Manager.SetStatus] and
// [Manager.DeleteAccount] end the account's live sessions, and so do
// [Manager.Confirm] and [Manager.ResetPassword]; then the
// [WithCredentialsChanged] function runs, so that the host can end the
// credentials it keeps itself, such as API keys.
// [Manager.EnrollTOTP], [Manager.ConfirmTOTP], [Manager.DisableTOTP] and
// [Manager.RememberDevice] manage the second factor.
//
// [Manager.Authenticate] is the net/http middleware: "Authorization:
// Bearer", the session cookie ([Manager.SetCookie]: HttpOnly, Secure,
// SameSite=Lax) or X-Api-Key; never a token from the URL. Errors are
// problem+json: 401 for a bad credential, 503 when the store is down
// ([WriteError] maps every error of the package to its status).
//
// # Backends
//
// The [Store] holds sessions and the login state every instance must
// share: throttling counters, the last accepted TOTP step per account,
// and the digests of outstanding links. [MemoryStore] (the default) serves
// one process; package redisstore (import it as sessionredis) serves any
// number of instances on one Redis (single, Sentinel or Cluster). Both
// pass the conformance suite of package storetest. Every Store method is
// one critical section in memory and one round trip (one Lua script) in
// Redis; [Manager.Validate] is one round trip. A successful password
// [Manager.Login] is five round trips on Redis (the attempt reserved on
// the account and on the client-address ladder, both settled after the
// check, and the new session), a failed one four; a TOTP code adds three.
// When the store fails,
// validation and login fail closed with [ErrUnavailable] (503 in the
// middleware); there is no fallback to local state.
//
// # Concurrency
//
// A Manager, the stores and [MemoryAccounts] are safe for concurrent use.
// Read-modify-write of a session ([Manager.Update], [Manager.SetRoles]) is
// a compare-and-swap on the sealed bytes, retried on conflict; accounts
// carry a version for the same purpose, so concurrent logins cannot both
// use one backup code and concurrent updates are never lost. Throttling
// counts failures only. Each attempt is reserved before the password is
// checked and settled after; while attempts are in flight, one that their
// failing would make wait is held back (polling every few milliseconds)
// until they settle. So parallel guesses cannot slip between a check and a
// count, and correct logins arriving together — 200 from one address, 10
// to one account — all succeed and lock nothing.
//
// Idle timeout without a write per request: a request refreshes the idle
// deadline only when at least a set fraction of the idle window (default
// 10 %) has passed since the last refresh ([WithIdleTimeout]). A client
// making one request per second against the default 30-minute idle
// timeout costs one store write every 3 minutes: 1/180 writes per request
// (TestIdleRefreshWritesPerRequest measures it), instead of 1.
//
// # Security
//
//   - Session tokens carry 256 random bits (crypto/rand). The store keys a
//     session by SHA-256 of that secret and keeps its data sealed with
//     AES-256-GCM, the additional data binding it to its uid and id: a
//     leaked Redis dump or memory snapshot holds no usable token, and
//     stored sessions cannot be altered or swapped.
//   - Tokens are verified with golang-jwt v5 (v5.2.2 or later fixes
//     CVE-2025-30204) with WithValidMethods (the one configured
//     algorithm, so "none" and HS/RS confusion fail), WithExpirationRequired,
//     WithIssuedAt, issuer, audience, strict base64 and a leeway of 10 s by
//     default; exp, nbf and iat must be JSON numbers.
//   - The session cookie is HttpOnly, Secure and SameSite=Lax, and an
//     unsafe request it authenticates must come from the service's own
//     origin or a trusted one (WithTrustedOrigins; net/http's
//     CrossOriginProtection reads Sec-Fetch-Site and Origin), or it is
//     answered 403: another site's page cannot act with the user's cookie.
//   - Password hashing is bounded ([WithHashConcurrency]): at most
//     [DefaultHashConcurrency] hashes or verifications at once (twice
//     GOMAXPROCS, at most 32), each waiting at most 2 s and never past its
//     context for a slot, else [ErrBusy] (503 with Retry-After, problem
//     code session.busy) with nothing checked and nothing counted toward
//     a lock. argon2id allocates its whole memory cost per hash, so
//     hashing takes at most slots × Memory: 4 × 19 MiB = 76 MiB on 2
//     cores, 608 MiB at the cap of 32; without the bound, 300 concurrent
//     bad logins took the example service to 5.7 GiB resident; with it
//     the service peaks at about 240 MiB in all. Login, registration,
//     account creation, password reset and change, and turning TOTP off
//     all go through it; a login waiting for a slot holds its throttle
//     reservation, so the reservations bound the waiters of one address.
//   - Passwords are hashed with argon2id ([DefaultArgon2Params]: OWASP's
//     19 MiB, 2 passes, 1 lane, about 20–40 ms per hash); bcrypt and the
//     Python apicrud's sha256_crypt hashes are verified and replaced at the
//     next login. New passwords must pass a [PasswordPolicy]: length, not
//     among the 10,000 most common leaked passwords (data/, embedded), not
//     similar to the username or address, and a zxcvbn strength score of
//     at least 3 (no repetitions, sequences, keyboard walks, or words of
//     the account or the service); a [PasswordError] says why, with a
//     code per reason. The estimator reads at most 64 characters, so a
//     long password cannot make it run for seconds.
//   - An unknown account and a wrong password give the same error after
//     the same work (a dummy argon2id verification).
//   - Throttling ([Throttles]) keys on the account and the client address
//     together (so nobody elsewhere can lock the owner out) with a per
//     address budget across accounts; the account is the resolved uid, so
//     alternating username and e-mail address gains nothing.
//   - TOTP codes (RFC 6238, ±1 step) are accepted once per account across
//     instances: the store keeps the last accepted time step. Backup codes
//     are stored as HMAC-SHA256 digests and work once. The remember-device
//     cookie is signed, expires, and is bound to the account, its password
//     hash and its TOTP secret.
//   - Confirmation and reset links are signed, bound to (purpose, uid),
//     expire, work once, and are stored only as SHA-256 digests; they
//     reach the user only through the Notifier, never an HTTP response.
//     Password reset never reveals whether an account exists, and
//     registration reveals neither a taken address nor a taken username
//     (only the address's owner learns the name is taken, and picks
//     another with ConfirmUsername). Notices go through a bounded
//     NotifyQueue, so both paths take the same time (measured with
//     Welch's z in the tests), and none is dropped.
//   - Keys are derived from the secret with HKDF-SHA256, one per use.
//   - Token, TOTPEnrollment, Notice, Account and Session redact their
//     secrets in fmt and log/slog output.
//
// # Decisions on the Python apicrud's quirks
//
// This package fixes rather than replicates:
//   - authentication by Bearer JWT verified server-side (not Basic
//     "sub:jti" with an unverified JWT); OAuth results must not be put in a
//     redirect URL;
//   - session keys are a hash of the whole token (not its last 3
//     characters); Update keeps the remaining TTL (not the default one);
//   - exp is an integer NumericDate;
//   - a throttled login answers 429 with Retry-After at once (no sleep(5)
//     and 403), and the lockout lifts after its own delay, not at an
//     interval boundary; successful logins do not count;
//   - the pendingtotp session ends when the second factor succeeds; a
//     TOTP code is tied to the account that enrolled it; disabling TOTP
//     needs the password and a code; the bypass cookie is a dedicated
//     signed value, not any session token;
//   - login by e-mail normalises the address the same way as
//     registration: trimmed and lower-cased. Unlike the original, Gmail
//     dots and "+tag" suffixes are not removed: that rewriting is
//     provider-specific, and the original's unanchored regex applied it to
//     the wrong domains;
//   - status and password changes end live sessions.
//
// Not kept: 405 for validation errors (400/409 here, with stable
// problem+json codes), and LDAP login.
package session
