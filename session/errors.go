package session

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/apicrud-go/apicrud/problem"
)

// Errors of token and session validation. Validate wraps them (and the
// golang-jwt error that caused the rejection) so that errors.Is works;
// their text never reaches an HTTP client.
var (
	// ErrInvalidToken reports a token that does not authenticate: malformed,
	// badly signed, of the wrong algorithm, issuer or audience, expired, not
	// yet valid, or naming a session that no longer exists.
	ErrInvalidToken = errors.New("session: invalid token")
	// ErrNoSession reports a well-signed token whose session is not in the
	// store (logged out, revoked, idle or absolute timeout). Validate returns
	// it joined with ErrInvalidToken.
	ErrNoSession = errors.New("session: no such session")
	// ErrUnavailable reports that the store could not be reached or answered
	// badly. Validation fails closed: the middleware answers 503.
	ErrUnavailable = errors.New("session: store unavailable")
	// ErrConflict reports that a record changed between read and write more
	// often than the retry budget allows (concurrent updates).
	ErrConflict = errors.New("session: concurrent update")
)

// Errors of login and account management.
var (
	// ErrInvalidCredentials is the one error for an unknown account, a
	// wrong password and a disabled account, so that callers cannot tell
	// them apart.
	ErrInvalidCredentials = errors.New("session: invalid credentials")
	// ErrInvalidOTP reports a wrong, reused or expired one-time password or
	// backup code. It is only returned after the password was verified.
	ErrInvalidOTP = errors.New("session: invalid one-time password")
	// ErrLocked reports that login attempts are throttled; the error is a
	// *LockedError that says when to retry.
	ErrLocked = errors.New("session: too many attempts")
	// ErrBusy reports that a password could not be hashed or checked
	// because every hashing slot stayed taken for the configured wait
	// (WithHashConcurrency): nothing was checked, retry shortly. The
	// middleware and WriteError answer 503 with Retry-After.
	ErrBusy = errors.New("session: too many password checks in progress")
	// ErrWeakPassword reports a password the policy rejects; the error is a
	// *PasswordError that says why.
	ErrWeakPassword = errors.New("session: password rejected")
	// ErrInvalidUsername reports a username outside [a-z0-9._-]{1,64}.
	ErrInvalidUsername = errors.New("session: invalid username")
	// ErrInvalidIdentity reports an identity (e-mail address) that does not
	// look like one.
	ErrInvalidIdentity = errors.New("session: invalid identity")
	// ErrUsernameTaken reports a username already in use, given to
	// ConfirmUsername. (Register reports neither a taken username nor a
	// taken identity: see Register.)
	ErrUsernameTaken = errors.New("session: username taken")
	// ErrUsernameRequired reports Confirm of a registration whose username
	// was taken: the owner must pick another with ConfirmUsername.
	ErrUsernameRequired = errors.New("session: choose another username")
	// ErrAccountExists is returned by an AccountStore whose Create finds the
	// username or the identity taken.
	ErrAccountExists = errors.New("session: account exists")
	// ErrAccountNotFound is returned by the administrative methods
	// (SetStatus, DeleteAccount, ResetTOTP) for an unknown uid.
	ErrAccountNotFound = errors.New("session: account not found")
	// ErrInvalidLink reports a confirmation or password-reset token that is
	// malformed, forged, expired, already used or meant for another purpose.
	ErrInvalidLink = errors.New("session: invalid or expired link")
	// ErrTOTPEnrolled reports an enrolment attempt on an account that
	// already has TOTP.
	ErrTOTPEnrolled = errors.New("session: TOTP already enrolled")
	// ErrTOTPNotEnrolled reports a TOTP operation on an account without TOTP
	// or a confirmation without a pending enrolment.
	ErrTOTPNotEnrolled = errors.New("session: TOTP not enrolled")
	// ErrNotPendingTOTP reports CompleteTOTP on a session that is not
	// waiting for a second factor.
	ErrNotPendingTOTP = errors.New("session: session is not waiting for a one-time password")
	// ErrUnverifiedIdentity reports a delegated login whose provider did not
	// verify the e-mail address.
	ErrUnverifiedIdentity = errors.New("session: identity not verified by the provider")
	// ErrCrossOrigin reports an unsafe request authenticated by the
	// session cookie that comes from a page of another origin than the
	// service's own and the trusted ones (WithTrustedOrigins): a cross-site
	// request forgery. The middleware answers it 403.
	ErrCrossOrigin = errors.New("session: cross-origin request refused")
	// ErrNoAccountStore reports a login or account operation on a Manager
	// built without WithAccounts.
	ErrNoAccountStore = errors.New("session: no account store configured")
)

// Errors of the NotifyQueue.
var (
	// ErrQueueFull reports a notice that found the NotifyQueue full until
	// the caller's context ended; it is joined with the context's error.
	// Register and RequestPasswordReset return it, and the middleware's
	// WriteError answers it 503.
	ErrQueueFull = errors.New("session: notify queue full")
	// ErrQueueClosed reports a notice given to a closed NotifyQueue.
	ErrQueueClosed = errors.New("session: notify queue closed")
)

// Errors of configuration and input values.
var (
	// ErrOption reports an invalid option given to New.
	ErrOption = errors.New("session: invalid option")
	// ErrInvalidUID reports a uid that is empty, longer than 128 bytes, or
	// holds braces, whitespace or control characters.
	ErrInvalidUID = errors.New("session: invalid uid")
	// ErrInvalidValue reports a session value key that is empty or too long,
	// or a value too large.
	ErrInvalidValue = errors.New("session: invalid session value")
)

// LockedError is the error of a throttled login: retry after RetryAfter.
// errors.Is(err, ErrLocked) reports true for it.
type LockedError struct {
	RetryAfter time.Duration
}

// Error says when to retry.
func (e *LockedError) Error() string {
	return fmt.Sprintf("session: too many attempts, retry in %s", e.RetryAfter.Round(time.Second))
}

// Unwrap returns ErrLocked.
func (e *LockedError) Unwrap() error { return ErrLocked }

// Password rejection codes, the Code of a PasswordError. They are stable
// message ids usable as keys of a message catalogue.
const (
	CodePasswordTooShort = "session.password_too_short"
	CodePasswordTooLong  = "session.password_too_long"
	CodePasswordCommon   = "session.password_common"
	CodePasswordSimilar  = "session.password_similar"
	// The strength estimate's reasons (PasswordPolicy.MinScore).
	CodePasswordRepetitive = "session.password_repetitive"
	CodePasswordSequence   = "session.password_sequence"
	CodePasswordKeyboard   = "session.password_keyboard"
	CodePasswordGuessable  = "session.password_guessable"
)

// PasswordError explains why the password policy rejected a password.
// errors.Is(err, ErrWeakPassword) reports true for it. Its message is safe
// to show to the user who typed the password.
type PasswordError struct {
	Code   string // one of the CodePassword… constants
	Reason string // a sentence for the user
}

// Error returns the reason, prefixed with the package name.
func (e *PasswordError) Error() string { return "session: password rejected: " + e.Reason }

// Unwrap returns ErrWeakPassword.
func (e *PasswordError) Unwrap() error { return ErrWeakPassword }

// WriteError writes err as an RFC 9457 problem+json response with the
// status a client should see: 401 for bad tokens and credentials (with the
// same body for an unknown account and a wrong password), 429 with
// Retry-After for ErrLocked, 400 for rejected input (the PasswordError
// reason included), 403 for ErrCrossOrigin, 409 for a taken username, 503
// for an unavailable store, 503 with Retry-After for ErrBusy and 500
// otherwise. It never writes the text of an internal error.
func WriteError(w http.ResponseWriter, err error) {
	problem.Write(w, problemFor(w, err))
}

func problemFor(w http.ResponseWriter, err error) problem.Problem {
	var locked *LockedError
	var weak *PasswordError
	switch {
	case errors.As(err, &locked):
		secs := int64(math.Ceil(locked.RetryAfter.Seconds()))
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		return problem.Problem{Status: http.StatusTooManyRequests, Detail: "too many attempts, try again later", Code: "session.locked"}
	case errors.Is(err, ErrBusy):
		w.Header().Set("Retry-After", "1")
		return problem.Problem{Status: http.StatusServiceUnavailable, Detail: "too many password checks in progress, try again in a moment", Code: "session.busy"}
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrQueueFull), errors.Is(err, ErrQueueClosed):
		return problem.Problem{Status: http.StatusServiceUnavailable, Detail: "authentication is temporarily unavailable", Code: "session.unavailable"}
	case errors.Is(err, ErrCrossOrigin):
		return problem.Problem{Status: http.StatusForbidden, Detail: "cross-origin request refused", Code: "session.cross_origin"}
	case errors.Is(err, ErrInvalidToken):
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		return problem.Problem{Status: http.StatusUnauthorized, Detail: "invalid or expired credentials", Code: "session.invalid_token"}
	case errors.Is(err, ErrInvalidCredentials):
		return problem.Problem{Status: http.StatusUnauthorized, Detail: "invalid username or password", Code: "session.invalid_credentials"}
	case errors.Is(err, ErrInvalidOTP):
		return problem.Problem{Status: http.StatusUnauthorized, Detail: "invalid one-time password", Code: "session.invalid_otp"}
	case errors.Is(err, ErrNotPendingTOTP):
		return problem.Problem{Status: http.StatusUnauthorized, Detail: "no login is waiting for a one-time password", Code: "session.not_pending_totp"}
	case errors.As(err, &weak):
		return problem.Problem{Status: http.StatusBadRequest, Detail: weak.Reason, Field: "password", Code: weak.Code}
	case errors.Is(err, ErrInvalidUsername):
		return problem.Problem{Status: http.StatusBadRequest, Detail: "a username has 1 to 64 characters among a-z, 0-9, '.', '_' and '-'", Field: "username", Code: "session.invalid_username"}
	case errors.Is(err, ErrInvalidIdentity):
		return problem.Problem{Status: http.StatusBadRequest, Detail: "not a valid e-mail address", Field: "identity", Code: "session.invalid_identity"}
	case errors.Is(err, ErrUsernameRequired):
		return problem.Problem{Status: http.StatusBadRequest, Detail: "the username asked for at registration is taken: choose another", Field: "username", Code: "session.username_required"}
	case errors.Is(err, ErrUsernameTaken):
		return problem.Problem{Status: http.StatusConflict, Detail: "that username is already registered", Field: "username", Code: "session.username_taken"}
	case errors.Is(err, ErrInvalidLink):
		return problem.Problem{Status: http.StatusBadRequest, Detail: "the link is invalid or has expired", Code: "session.invalid_link"}
	case errors.Is(err, ErrTOTPEnrolled):
		return problem.Problem{Status: http.StatusConflict, Detail: "two-factor authentication is already set up", Code: "session.totp_enrolled"}
	case errors.Is(err, ErrTOTPNotEnrolled):
		return problem.Problem{Status: http.StatusConflict, Detail: "two-factor authentication is not set up", Code: "session.totp_not_enrolled"}
	case errors.Is(err, ErrUnverifiedIdentity):
		return problem.Problem{Status: http.StatusForbidden, Detail: "the identity provider did not verify the e-mail address", Code: "session.unverified_identity"}
	case errors.Is(err, ErrConflict):
		return problem.Problem{Status: http.StatusConflict, Detail: "concurrent update, try again", Code: "session.conflict"}
	}
	return problem.Problem{Status: http.StatusInternalServerError, Detail: "internal error", Code: "session.internal"}
}
