package session

import (
	"errors"
	"net/http"

	"github.com/apicrud-go/apicrud/problem"
)

// Errors of token and session validation. Validate wraps them (with the
// reason of the rejection) so that errors.Is works;
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
	// ErrUnavailable reports that the store (or the API key verifier)
	// could not be reached or answered badly. Validation fails closed: the
	// middleware answers 503 with Retry-After.
	ErrUnavailable = errors.New("session: store unavailable")
	// ErrConflict reports that a record changed between read and write more
	// often than the retry budget allows (concurrent updates).
	ErrConflict = errors.New("session: concurrent update")
	// ErrCrossOrigin reports an unsafe request authenticated by the
	// session cookie that comes from a page of another origin than the
	// service's own and the trusted ones (WithTrustedOrigins): a cross-site
	// request forgery. The middleware answers it 403.
	ErrCrossOrigin = errors.New("session: cross-origin request refused")
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

// WriteError writes err as an RFC 9457 problem+json response with the
// status a client should see: 401 for a bad token (ErrInvalidToken, with
// WWW-Authenticate), 401 for a refused step-up (ErrReauthenticate, with
// WWW-Authenticate error="insufficient_user_authentication"), 403 for ErrCrossOrigin, 409 for ErrConflict, 503 with
// "Retry-After: 5" for an unavailable store and 500 otherwise. It never writes the text of an
// internal error. Package login's WriteError adds the errors of login
// flows and leaves these to this one.
func WriteError(w http.ResponseWriter, err error) {
	problem.Write(w, problemFor(w, err))
}

func problemFor(w http.ResponseWriter, err error) problem.Problem {
	switch {
	case errors.Is(err, ErrUnavailable):
		w.Header().Set("Retry-After", "5")
		return problem.Problem{Status: http.StatusServiceUnavailable, Detail: "authentication is temporarily unavailable", Code: "session.unavailable"}
	case errors.Is(err, ErrCrossOrigin):
		return problem.Problem{Status: http.StatusForbidden, Detail: "cross-origin request refused", Code: "session.cross_origin"}
	case errors.Is(err, ErrReauthenticate):
		var e *StepUpError
		if !errors.As(err, &e) {
			e = &StepUpError{}
		}
		w.Header().Set("WWW-Authenticate", stepUpChallenge(e))
		return problem.Problem{Status: http.StatusUnauthorized, Detail: "authenticate again to do this", Code: "session.reauthentication_required"}
	case errors.Is(err, ErrInvalidToken):
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		return problem.Problem{Status: http.StatusUnauthorized, Detail: "invalid or expired credentials", Code: "session.invalid_token"}
	case errors.Is(err, ErrConflict):
		return problem.Problem{Status: http.StatusConflict, Detail: "concurrent update, try again", Code: "session.conflict"}
	}
	return problem.Problem{Status: http.StatusInternalServerError, Detail: "internal error", Code: "session.internal"}
}
