// Package session issues and checks session tokens, revokes and lists
// sessions, and authenticates HTTP requests.
//
// It knows what a session is, not how a user proved who they are: the
// login flows (passwords, lockout, TOTP, registration and confirmation,
// reset links, delegated login) are package login
// (github.com/apicrud-go/apicrud/session/login), which starts its
// sessions through a Manager of this package. The dependency goes one
// way: login imports session, session never imports login, and a host
// that authenticates users some other way uses this package alone.
//
// # Overview
//
// A [Manager] is built once per process with [New], from a [Sealer] (the
// apicrud crypto package's *Cipher) and a secret of at least 32 random
// bytes shared by every instance:
//
//	m, err := session.New(cipher, secret,
//		session.WithStore(store),                      // sessionredis.New(rdb); omit for the in-memory store
//		session.WithAPIKeys(keys),                     // X-Api-Key, for example an apikey.Manager
//		session.WithContextFunc(putPrincipal))         // the host's principal
//	defer m.Close(ctx)
//	mux.Handle("/api/v1/", m.Authenticate(api))
//
// [Manager.Create] starts a session and returns a [Token]: a JWT (HS256 by
// default; [WithEdDSA] or [WithRS256] otherwise) whose jti is 256 random
// bits, with claims iss, sub (the uid), aud, iat, nbf, exp (the absolute
// deadline), auth (roles), scope (the granted scopes, space-separated),
// an optional cnonce and the caller's values (ext). [Manager.Validate] verifies the JWT with the algorithm
// pinned, exp required, issuer and audience checked and a small explicit
// leeway, and then requires the session to exist in the [Store]: a JWT
// alone never authenticates, so logout ([Manager.Delete]), "log out
// everywhere" ([Manager.DeleteAll]), idle and absolute timeouts take
// effect at once. Roles and values come from the store, not from the JWT,
// so [Manager.SetRoles] and [Manager.Update] (apicrud's update_auth) act
// on live sessions. [Manager.Renew] rotates a token, keeping the absolute
// deadline. [Manager.List] lists a user's sessions by their public
// [Session.ID], with the client and last use of each (see Devices). [Manager.Load] reads a session again, with the secret
// [Manager.SetSecret] attached to it (package login keeps an enrolment's
// TOTP secret there), and [Manager.DeriveKey] and [Manager.Sealer] give
// another package keys of its own from the same secret and the same
// Sealer.
//
// [Manager.Issue] makes a fresh session refreshable, as an OAuth2 token
// endpoint answers: an access token and an opaque refresh token (256
// random bits, kept only as a hash inside the sealed session record).
// [Manager.Refresh] rotates the refresh token on every use, atomically
// through the Store's compare-and-swap Replace, so that of simultaneous
// refreshes with one token exactly one succeeds; a token rotated out
// more than [WithRefreshGrace] ago that comes back is taken for theft and
// ends the session on every instance ([ErrRefreshReused], logged).
// [WithAccessTTL], [WithRefreshTTL] and [WithRoleLifetime] set the
// lifetimes, [WithRoleScopes] the scopes a login's roles hold.
// [WithTracerProvider] puts validation, creation, renewal and revocation
// in spans (session ids hashed, never a token).
//
// [Manager.Authenticate] is the net/http middleware: "Authorization:
// Bearer", the session cookie ([Manager.SetCookie]: HttpOnly, Secure,
// SameSite=Lax) or X-Api-Key (an [APIKeyVerifier], declared here because
// the middleware is what consumes it); never a token from the URL. Errors
// are problem+json: 401 for a bad credential, 503 when the store is down
// ([WriteError] maps every error of the package to its status; package
// login's WriteError adds the errors of the login flows).
//
// # Backends
//
// The [Store] holds sessions only: six methods, all about sessions.
// [MemoryStore] (the default) serves one process; package redisstore
// (import it as sessionredis) serves any number of instances on one Redis
// (single, Sentinel or Cluster). Both pass the conformance suite of
// package storetest. Every Store method is one critical section in memory
// and one round trip (one Lua script) in Redis; [Manager.Validate] is one
// round trip. When the store fails, validation fails closed with
// [ErrUnavailable] (503 in the middleware); there is no fallback to local
// state.
//
// # Concurrency
//
// A Manager and the stores are safe for concurrent use. Read-modify-write
// of a session ([Manager.Update], [Manager.SetRoles], [Manager.SetSecret])
// is a compare-and-swap on the sealed bytes, retried on conflict, so
// concurrent updates are never lost.
//
// Idle timeout without a write per request: a request refreshes the idle
// deadline only when at least a set fraction of the idle window (default
// 10 %) has passed since the last refresh ([WithIdleTimeout]), or the
// last-use interval ([WithLastUse], default 1 minute) when that is
// shorter; the write happens inside the read's own round trip. A client
// making one request per second against the default 30-minute idle
// timeout costs one store write a minute: 1/60 writes per request, 1/180
// without last uses (TestIdleRefreshWritesPerRequest measures both),
// instead of 1.
//
// # Devices
//
// Each session records the client that logged in — its address and user
// agent ([Client]) — and its last use: time, address and user agent,
// recorded at most once per [WithLastUse] interval (default 1 minute) in
// the store round trip [Manager.Validate] makes anyway, the one that
// refreshes the idle deadline: recording costs no round trip. The
// [Manager.Authenticate] middleware puts every request's client into its
// context ([NewClientContext]); the address comes from [WithClientIP]
// (the connection's peer by default; behind a proxy, a function that
// trusts only the proxies' forwarding headers), the user agent from the
// User-Agent header, cleaned and cut to [MaxUserAgent] bytes
// ([CleanUserAgent]). The last use is sealed apart from the session
// record (bound to its session by the additional data), so that storing
// it needs no read of the record.
//
// [Manager.List] gives a user's sessions with their login client, last
// use and [Session.Method] (one round trip); [Manager.Revoke] ends one of
// them by its id — only ever the user's own: another user's id, an unknown
// one and garbage all report false, so a handler that answers 404 leaks
// nothing — and [Manager.DeleteOthers] ends all but the current one (one
// round trip each).
//
// An address is personal data, and so, to a lesser degree, is a user
// agent: a service that records them says so in its privacy notice and
// keeps them no longer than the session (they are deleted with it).
// [WithClientRecording] turns either off; [WithLastUse](0) records no
// last use.
//
// # Step-up
//
// Each session records how and when its user authenticated: [Session.AMR]
// holds the authentication methods references of RFC 8176 that its creator
// gave in [Extra.AMR] (package login sets "pwd", "otp", "fed", and "mfa"
// for two factors), [Session.AuthTime] the time (the login's, until
// [Manager.Reauthenticate] records a later one). [Manager.Renew],
// [Manager.Issue] and [Manager.Refresh] keep both: a refresh is no
// authentication. Tokens carry them in the amr and auth_time claims as of
// signing (RFC 9068); the server judges from the stored session.
//
// A [StepUp] is what a sensitive operation asks of that authentication: at
// most MaxAge old, and two factors when MFA is set. [Manager.RequireStepUp]
// returns the middleware that refuses other sessions (an API key, which
// records no authentication, among them) with [ErrReauthenticate] inside a
// [*StepUpError]: [WriteError] answers 401, problem code
// "session.reauthentication_required", and the RFC 9470 challenge
//
//	WWW-Authenticate: Bearer error="insufficient_user_authentication",
//	  error_description="…", max_age="600", acr_values="mfa"
//
// ([StepUp.Check] makes the same decision without HTTP). The client then
// authenticates again (package login's Reauthenticate checks the password
// and a code and calls [Manager.Reauthenticate], one read-modify-write of
// the record: one round trip to read, one to write) and retries with the
// same token.
//
// # Security
//
//   - Session tokens carry 256 random bits (crypto/rand). The store keys a
//     session by SHA-256 of that secret and keeps its data sealed with
//     AES-256-GCM, the additional data binding it to its uid and id: a
//     leaked Redis dump or memory snapshot holds no usable token, and
//     stored sessions cannot be altered or swapped.
//   - Tokens are compact JWS (HS256 by default, EdDSA or RS256 by
//     option) written and read by this package without reflection. The
//     header must be exactly the one this Manager writes (its one
//     algorithm: "none" and HS/RS confusion fail before any decoding);
//     the signature is checked next (HMAC compared in constant time), and
//     only then is the payload decoded: exp required, nbf and iat checked
//     with a leeway of 10 s by default, issuer and audience required;
//     exp, nbf and iat must be JSON numbers; base64url is strict,
//     duplicate claims and trailing data are refused.
//   - The session cookie is HttpOnly, Secure and SameSite=Lax, and an
//     unsafe request it authenticates must come from the service's own
//     origin or a trusted one (WithTrustedOrigins; net/http's
//     CrossOriginProtection reads Sec-Fetch-Site and Origin), or it is
//     answered 403: another site's page cannot act with the user's cookie.
//   - A session holding only [RolePendingTOTP] (a login that owes its
//     second factor) is put into the context but never given to the
//     WithContextFunc function: it counts as a login nowhere.
//   - Keys are derived from the secret with HKDF-SHA256, one per use; the
//     HS256 token key is never handed out ([Manager.DeriveKey]).
//   - Token and Session redact their secrets in fmt and log/slog output.
//
// # Decisions on the Python apicrud's quirks
//
// This package fixes rather than replicates:
//   - authentication by Bearer JWT verified server-side (not Basic
//     "sub:jti" with an unverified JWT); OAuth results must not be put in a
//     redirect URL;
//   - session keys are a hash of the whole token (not its last 3
//     characters); Update keeps the remaining TTL (not the default one);
//   - exp is an integer NumericDate.
//
// Package login lists its own decisions (throttling, TOTP, addresses).
package session
