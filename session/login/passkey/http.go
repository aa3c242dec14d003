package passkey

import (
	"errors"
	"net/http"

	"github.com/apicrud-go/apicrud/problem"
	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

// WriteError writes err as an RFC 9457 problem+json response: 401 for a
// response that does not verify, a counter that did not advance or a
// used or expired challenge (problem codes "passkey.invalid",
// "passkey.counter", "passkey.ceremony"); 404 for an unknown passkey;
// 409 for a credential already registered or too many passkeys; 400 for
// a bad name; 409 "passkey.none" for a second factor without passkeys;
// the errors of packages login and session as login.WriteError writes
// them. It never writes the text of an internal error.
func WriteError(w http.ResponseWriter, err error) {
	var p problem.Problem
	switch {
	case errors.Is(err, session.ErrUnavailable):
		login.WriteError(w, err)
		return
	case errors.Is(err, ErrCounter):
		p = problem.Problem{Status: http.StatusUnauthorized, Detail: "the passkey's signature counter went backwards", Code: "passkey.counter"}
	case errors.Is(err, ErrInvalidPasskey):
		p = problem.Problem{Status: http.StatusUnauthorized, Detail: "the passkey response did not verify", Code: "passkey.invalid"}
	case errors.Is(err, ErrCeremony):
		p = problem.Problem{Status: http.StatusUnauthorized, Detail: "the passkey challenge has expired or was already used", Code: "passkey.ceremony"}
	case errors.Is(err, ErrNotFound):
		p = problem.Problem{Status: http.StatusNotFound, Detail: "no such passkey", Code: "passkey.not_found"}
	case errors.Is(err, ErrExists):
		p = problem.Problem{Status: http.StatusConflict, Detail: "this passkey is already registered", Code: "passkey.exists"}
	case errors.Is(err, ErrTooMany):
		p = problem.Problem{Status: http.StatusConflict, Detail: "too many passkeys: remove one first", Code: "passkey.too_many"}
	case errors.Is(err, ErrInvalidName):
		p = problem.Problem{Status: http.StatusBadRequest, Detail: "a passkey name has 1 to 64 bytes of printable text", Field: "name", Code: "passkey.invalid_name"}
	case errors.Is(err, ErrNoPasskey):
		p = problem.Problem{Status: http.StatusConflict, Detail: "the account has no passkey", Code: "passkey.none"}
	default:
		login.WriteError(w, err)
		return
	}
	problem.Write(w, p)
}
