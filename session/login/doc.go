// Package login runs the login flows on top of package session: password
// login with throttling and lockout, TOTP and backup codes, the
// remember-device cookie, registration and confirmation, password reset
// links, and delegated login (OAuth2/OIDC).
//
// # Why a package of its own, and why this name
//
// A session is what a user holds after proving who they are; login is how
// they prove it. The two change for different reasons and have different
// state: package session keeps sessions (six Store methods), this package
// keeps throttling counters, TOTP replay steps and the digests of
// one-time links (its own six-method [Store]) and reads accounts through
// an [AccountStore]. A host that keeps its sessions in PostgreSQL writes a
// session.Store and never a lockout counter; a host that authenticates
// users elsewhere (a gateway, mTLS) uses package session alone. It lives
// at session/login because it is the way into a session and builds on
// one: the path says what it is and what it needs.
//
// The dependency goes one way: login imports session (its Manager, its
// Session, Token and Sealer, and its errors ErrUnavailable, ErrConflict,
// ErrInvalidUID and ErrInvalidValue, which keep their meaning here), and
// session imports nothing of login. This package owns the types of
// accounts and login flows: [AccountStore], [Account], [IdentityProvider],
// [Notifier] and [NotifyQueue], [MembershipSource]. session.APIKeyVerifier
// stays in package session, whose middleware is what consumes it.
//
// # Overview
//
// A [Manager] is built once per process with [New], from a
// session.Manager and an [AccountStore] ([NewMemoryAccounts], or package
// sqlaccounts for PostgreSQL, MySQL/MariaDB and SQLite):
//
//	sessions, err := session.New(cipher, secret, session.WithStore(sessionStore))
//	logins, err := login.New(sessions, accounts,
//		login.WithStore(loginStore),                   // loginredis.New(rdb); omit for the in-memory store
//		login.WithNotifier(mailer))                    // confirmation and reset links
//	defer logins.Close(ctx)
//	mux.Handle("/api/v1/", logins.Clients(sessions.Authenticate(api)))
//
// It seals TOTP secrets with the session.Manager's Sealer and derives its
// keys (links, remember-device cookies, backup codes) from the
// session.Manager's secret, so that every instance built on the same
// secret accepts the others' links and cookies.
//
// The [Manager.Clients] middleware puts the [Client] of each request into
// its context: its address (the key of throttling, per [WithClientIP])
// and its remember-device cookie.
//
// [Manager.Login] checks a username or e-mail address and a password.
// Roles: "admin" and "user" for an administrator, "user" otherwise,
// "pending" alone until the account is confirmed, plus the membership
// roles of a [MembershipSource] ("list-<id>-member" …, built by the
// host). An account with TOTP gets a "pendingtotp" session until
// [Manager.CompleteTOTP] (or the otp argument of Login, or a
// remember-device cookie) supplies the second factor. Delegated logins
// (OAuth2/OIDC) go through [Manager.LoginWith] and an [IdentityProvider].
// A delegated login that proves the address of a pending account
// activates it without anything set before (password, TOTP, sessions, and
// through [WithCredentialsChanged] the host's API keys): whoever
// registered an address need not own it.
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
// credentials it keeps itself, such as API keys. [Manager.RefreshRoles]
// recomputes the roles of live sessions.
// [Manager.EnrollTOTP], [Manager.ConfirmTOTP], [Manager.DisableTOTP] and
// [Manager.RememberDevice] manage the second factor.
//
// # Step-up and restricted sessions
//
// Every session records its login's methods in session.Session.AMR: "pwd"
// for a password, "fed" for a delegated login, plus "otp" and "mfa" when
// a TOTP or backup code was given (a remember-device cookie is no
// factor: such a login records "pwd" only). [Manager.Reauthenticate]
// checks the password again (and a code, for two factors), throttled like
// a login, and records the new authentication in the same session: what
// a client does when a session.StepUp refuses a sensitive request.
//
// An administrator may require of an account ([Manager.SetRequirements],
// [Requirements]; stored as [Account.MFARequired] and
// [Account.PasswordMustChange] by every AccountStore) that it enrol TOTP,
// or change its password, before anything else. Until it does, every
// login — Login, CompleteTOTP, LoginWith, and so the OAuth2 token
// endpoint built on them — gives a restricted session: it holds only
// [RoleMFAEnrolment] or [RolePasswordChange] (both when both are owed),
// none of the account's roles, so its token carries none of their scopes;
// a refresh keeps it so (a refresh never widens scopes) and
// [Manager.RefreshRoles] too. The [Manager.Restrict] middleware refuses
// such a session every request but those its [Restrictions] allow, with
// 403 "session.password_change_required" (owed first) or
// "session.mfa_enrolment_required". A password change clears the
// requirement and ends the sessions (the next login is full); after
// ConfirmTOTP, [Manager.Unrestrict] replaces the restricted session with a
// full one. Requiring something new ends the account's sessions.
//
// [WriteError] writes every error of this package and of package session
// as problem+json; the problem codes keep the "session." prefix
// ("session.invalid_credentials", "session.locked", "session.busy" …)
// that clients already know.
//
// # Backends
//
// The [Store] holds the login state every instance must share:
// throttling counters, the last accepted TOTP step per account, and the
// digests of outstanding links. [MemoryStore] (the default) serves one
// process; package redisstore (import it as loginredis) serves any number
// of instances on one Redis (single, Sentinel or Cluster), with the key
// prefix and layout the session store used when it held this state too.
// Both pass the conformance suite of package storetest. Every Store
// method is one critical section in memory and one round trip (one Lua
// script) in Redis. A successful password [Manager.Login] is five round
// trips on Redis (the attempt reserved on the account and on the
// client-address ladder, both settled after the check, and the new
// session in the session store), a failed one four; a TOTP code adds
// three. When a store fails, login fails closed with
// session.ErrUnavailable (503 in WriteError); there is no fallback to
// local state.
//
// # Concurrency
//
// A Manager, the stores and [MemoryAccounts] are safe for concurrent use.
// Accounts carry a version for optimistic concurrency, so concurrent
// logins cannot both use one backup code and concurrent updates are never
// lost. Throttling counts failures only. Each attempt is reserved before
// the password is checked and settled after; while attempts are in
// flight, one that their failing would make wait is held back (polling
// every few milliseconds) until they settle. So parallel guesses cannot
// slip between a check and a count, and correct logins arriving together
// — 200 from one address, 10 to one account — all succeed and lock
// nothing.
//
// # Security
//
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
//   - Optionally ([WithBreachCheck]), a new password that passed those
//     checks is looked up in a corpus of breached passwords through a
//     [BreachChecker]: package hibp asks the Pwned Passwords API of Have
//     I Been Pwned with k-anonymity (five hexadecimal digits of the
//     SHA-1 leave the process, the answer is padded), or a host plugs its
//     own corpus. A breached password is a [PasswordError] of code
//     session.password_breached (400). Each check has a timeout (2 s by
//     default) and runs outside the hashing slots, so a slow corpus holds
//     none; a failed or timed-out check fails open by default (the
//     password is accepted on the local checks, with a warning logged)
//     or, with BreachCheck.FailClosed, answers 503 and changes nothing.
//     Logins never consult the corpus.
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
//     hash and its TOTP secret. The TOTP secret of an enrolment waits in
//     the session (session.Manager.SetSecret), sealed, until confirmed.
//   - Confirmation and reset links are signed, bound to (purpose, uid),
//     expire, work once, and are stored only as SHA-256 digests; they
//     reach the user only through the Notifier, never an HTTP response.
//     Password reset never reveals whether an account exists, and
//     registration reveals neither a taken address nor a taken username
//     (only the address's owner learns the name is taken, and picks
//     another with ConfirmUsername). Notices go through a bounded
//     NotifyQueue, so both paths take the same time (measured with
//     Welch's z in the tests), and none is dropped.
//   - TOTPEnrollment, Notice and Account redact their secrets in fmt and
//     log/slog output.
//
// # Decisions on the Python apicrud's quirks
//
// This package fixes rather than replicates:
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
package login
