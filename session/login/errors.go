package login

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/apicrud-go/apicrud/problem"
	"github.com/apicrud-go/apicrud/session"
)

// The errors of session.Manager keep their meaning here: a failing store
// (login's or the session store) gives an error wrapping
// session.ErrUnavailable, a lost compare-and-swap race session.ErrConflict,
// a malformed uid session.ErrInvalidUID and a bad value
// session.ErrInvalidValue.

// Errors of login and account management.
var (
	// ErrInvalidCredentials is the one error for an unknown account, a
	// wrong password and a disabled account, so that callers cannot tell
	// them apart.
	ErrInvalidCredentials = errors.New("login: invalid credentials")
	// ErrInvalidOTP reports a wrong, reused or expired one-time password or
	// backup code. It is only returned after the password was verified.
	ErrInvalidOTP = errors.New("login: invalid one-time password")
	// ErrLocked reports that login attempts are throttled; the error is a
	// *LockedError that says when to retry.
	ErrLocked = errors.New("login: too many attempts")
	// ErrBusy reports that a password could not be hashed or checked
	// because every hashing slot stayed taken for the configured wait
	// (WithHashConcurrency): nothing was checked, retry shortly. WriteError
	// answers 503 with Retry-After.
	ErrBusy = errors.New("login: too many password checks in progress")
	// ErrWeakPassword reports a password the policy rejects; the error is a
	// *PasswordError that says why.
	ErrWeakPassword = errors.New("login: password rejected")
	// ErrInvalidUsername reports a username outside [a-z0-9._-]{1,64}.
	ErrInvalidUsername = errors.New("login: invalid username")
	// ErrInvalidIdentity reports an identity (e-mail address) that does not
	// look like one.
	ErrInvalidIdentity = errors.New("login: invalid identity")
	// ErrUsernameTaken reports a username already in use, given to
	// ConfirmUsername. (Register reports neither a taken username nor a
	// taken identity: see Register.)
	ErrUsernameTaken = errors.New("login: username taken")
	// ErrUsernameRequired reports Confirm of a registration whose username
	// was taken: the owner must pick another with ConfirmUsername.
	ErrUsernameRequired = errors.New("login: choose another username")
	// ErrAccountExists is returned by an AccountStore whose Create finds the
	// username or the identity taken.
	ErrAccountExists = errors.New("login: account exists")
	// ErrAccountNotFound is returned by the administrative methods
	// (SetStatus, DeleteAccount, ResetTOTP) for an unknown uid.
	ErrAccountNotFound = errors.New("login: account not found")
	// ErrInvalidLink reports a confirmation or password-reset token that is
	// malformed, forged, expired, already used or meant for another purpose.
	ErrInvalidLink = errors.New("login: invalid or expired link")
	// ErrTOTPEnrolled reports an enrolment attempt on an account that
	// already has TOTP.
	ErrTOTPEnrolled = errors.New("login: TOTP already enrolled")
	// ErrTOTPNotEnrolled reports a TOTP operation on an account without TOTP
	// or a confirmation without a pending enrolment.
	ErrTOTPNotEnrolled = errors.New("login: TOTP not enrolled")
	// ErrNotPendingTOTP reports CompleteTOTP on a session that is not
	// waiting for a second factor.
	ErrNotPendingTOTP = errors.New("login: session is not waiting for a one-time password")
	// ErrUnverifiedIdentity reports a delegated login whose provider did not
	// verify the e-mail address.
	ErrUnverifiedIdentity = errors.New("login: identity not verified by the provider")
	// ErrBreachCheck reports a breached-password check that failed or
	// timed out with BreachCheck.FailClosed: the new password was neither
	// accepted nor refused. The error also wraps session.ErrUnavailable
	// (503 in WriteError) and the checker's error.
	ErrBreachCheck = errors.New("login: breached-password check failed")
)

// Errors of the NotifyQueue.
var (
	// ErrQueueFull reports a notice that found the NotifyQueue full until
	// the caller's context ended; it is joined with the context's error.
	// Register and RequestPasswordReset return it, and WriteError answers
	// it 503.
	ErrQueueFull = errors.New("login: notify queue full")
	// ErrQueueClosed reports a notice given to a closed NotifyQueue.
	ErrQueueClosed = errors.New("login: notify queue closed")
)

// ErrOption reports an invalid option given to New or NewNotifyQueue.
var ErrOption = errors.New("login: invalid option")

// LockedError is the error of a throttled login: retry after RetryAfter.
// errors.Is(err, ErrLocked) reports true for it.
type LockedError struct {
	RetryAfter time.Duration
	// key is the throttle key that is locked, so that settling another
	// key's attempt does not count this lock as its failure.
	key string
}

// Error says when to retry.
func (e *LockedError) Error() string {
	return fmt.Sprintf("login: too many attempts, retry in %s", e.RetryAfter.Round(time.Second))
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
	// CodePasswordBreached: the BreachChecker (WithBreachCheck) found the
	// password in a corpus of breached passwords.
	CodePasswordBreached = "session.password_breached"
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
func (e *PasswordError) Error() string { return "login: password rejected: " + e.Reason }

// Unwrap returns ErrWeakPassword.
func (e *PasswordError) Unwrap() error { return ErrWeakPassword }

// WriteError writes err as an RFC 9457 problem+json response with the
// status a client should see: 401 for bad credentials (with the same body
// for an unknown account and a wrong password), 429 with Retry-After for
// ErrLocked, 400 for rejected input (the PasswordError reason included),
// 409 for a taken username, 503 for an unavailable store or a full notify
// queue, 503 with Retry-After for ErrBusy; the errors of package session
// as session.WriteError writes them (401 for a bad token, 403 for a
// cross-origin request), and 500 otherwise. It never writes the text of
// an internal error. The problem codes keep the "session." prefix that
// clients know.
func WriteError(w http.ResponseWriter, err error) {
	p, ok := problemFor(w, err)
	if !ok {
		session.WriteError(w, err)
		return
	}
	problem.Write(w, p)
}

// problemFor maps the errors of this package; ok is false for the errors
// session.WriteError maps, checked in the same order as before the
// packages were split.
func problemFor(w http.ResponseWriter, err error) (p problem.Problem, ok bool) {
	var locked *LockedError
	var weak *PasswordError
	switch {
	case errors.As(err, &locked):
		secs := int64(math.Ceil(locked.RetryAfter.Seconds()))
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		return problem.Problem{Status: http.StatusTooManyRequests, Detail: "too many attempts, try again later", Code: "session.locked"}, true
	case errors.Is(err, ErrBusy):
		w.Header().Set("Retry-After", "1")
		return problem.Problem{Status: http.StatusServiceUnavailable, Detail: "too many password checks in progress, try again in a moment", Code: "session.busy"}, true
	case errors.Is(err, session.ErrUnavailable), errors.Is(err, session.ErrCrossOrigin), errors.Is(err, session.ErrInvalidToken):
		return problem.Problem{}, false
	case errors.Is(err, ErrQueueFull), errors.Is(err, ErrQueueClosed):
		return problem.Problem{Status: http.StatusServiceUnavailable, Detail: "authentication is temporarily unavailable", Code: "session.unavailable"}, true
	case errors.Is(err, ErrInvalidCredentials):
		return problem.Problem{Status: http.StatusUnauthorized, Detail: "invalid username or password", Code: "session.invalid_credentials"}, true
	case errors.Is(err, ErrInvalidOTP):
		return problem.Problem{Status: http.StatusUnauthorized, Detail: "invalid one-time password", Code: "session.invalid_otp"}, true
	case errors.Is(err, ErrNotPendingTOTP):
		return problem.Problem{Status: http.StatusUnauthorized, Detail: "no login is waiting for a one-time password", Code: "session.not_pending_totp"}, true
	case errors.As(err, &weak):
		return problem.Problem{Status: http.StatusBadRequest, Detail: weak.Reason, Field: "password", Code: weak.Code}, true
	case errors.Is(err, ErrInvalidUsername):
		return problem.Problem{Status: http.StatusBadRequest, Detail: "a username has 1 to 64 characters among a-z, 0-9, '.', '_' and '-'", Field: "username", Code: "session.invalid_username"}, true
	case errors.Is(err, ErrInvalidIdentity):
		return problem.Problem{Status: http.StatusBadRequest, Detail: "not a valid e-mail address", Field: "identity", Code: "session.invalid_identity"}, true
	case errors.Is(err, ErrUsernameRequired):
		return problem.Problem{Status: http.StatusBadRequest, Detail: "the username asked for at registration is taken: choose another", Field: "username", Code: "session.username_required"}, true
	case errors.Is(err, ErrUsernameTaken):
		return problem.Problem{Status: http.StatusConflict, Detail: "that username is already registered", Field: "username", Code: "session.username_taken"}, true
	case errors.Is(err, ErrInvalidLink):
		return problem.Problem{Status: http.StatusBadRequest, Detail: "the link is invalid or has expired", Code: "session.invalid_link"}, true
	case errors.Is(err, ErrTOTPEnrolled):
		return problem.Problem{Status: http.StatusConflict, Detail: "two-factor authentication is already set up", Code: "session.totp_enrolled"}, true
	case errors.Is(err, ErrTOTPNotEnrolled):
		return problem.Problem{Status: http.StatusConflict, Detail: "two-factor authentication is not set up", Code: "session.totp_not_enrolled"}, true
	case errors.Is(err, ErrMFAEnrolmentRequired):
		return problem.Problem{Status: http.StatusForbidden, Detail: "set up two-factor authentication first", Code: "session.mfa_enrolment_required"}, true
	case errors.Is(err, ErrPasswordChangeRequired):
		return problem.Problem{Status: http.StatusForbidden, Detail: "change your password first", Code: "session.password_change_required"}, true
	case errors.Is(err, ErrUnverifiedIdentity):
		return problem.Problem{Status: http.StatusForbidden, Detail: "the identity provider did not verify the e-mail address", Code: "session.unverified_identity"}, true
	}
	return problem.Problem{}, false
}
