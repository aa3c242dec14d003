package main

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

// maxTokenForm bounds the body of a token request.
const maxTokenForm = 8 << 10

// tokenResponse is the token endpoint's success answer: 200 with a
// Bearer access token, its lifetime in seconds, a refresh token and the
// granted scopes, sent with Cache-Control: no-store and Pragma: no-cache
// so that no cache keeps the tokens.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type" doc:"always Bearer"`
	ExpiresIn    int64  `json:"expires_in" doc:"seconds until the access token expires"`
	RefreshToken string `json:"refresh_token" doc:"valid once: each refresh returns a new one"`
	Scope        string `json:"scope" doc:"the scopes granted, space-separated"`
}

// tokenError is the token endpoint's error answer: 400 with one of the
// four error codes below and an optional human-readable description
// (lockouts, the hashing bound and rate limits answer 429 or 503 with
// Retry-After instead).
type tokenError struct {
	Error       string `json:"error" doc:"invalid_request, invalid_grant, unsupported_grant_type or invalid_scope"`
	Description string `json:"error_description,omitempty"`
}

// OAuth2 error codes of the token endpoint.
const (
	errInvalidRequest       = "invalid_request"
	errInvalidGrant         = "invalid_grant"
	errUnsupportedGrantType = "unsupported_grant_type"
	errInvalidScope         = "invalid_scope"
)

// tokenRequest is a parsed token request.
type tokenRequest struct {
	grantType string
	form      url.Values
	scopes    []string
}

// parseTokenRequest reads an OAuth2 token request: a POST whose body is
// application/x-www-form-urlencoded, at most maxTokenForm bytes, with every
// parameter at most once and none in the URL (a password must never be
// logged with it), and a well-formed scope. The error is the tokenError to
// answer.
func parseTokenRequest(w http.ResponseWriter, r *http.Request) (*tokenRequest, *tokenError) {
	bad := func(code, why string) (*tokenRequest, *tokenError) {
		return nil, &tokenError{Error: code, Description: why}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return bad(errInvalidRequest, "the body must be application/x-www-form-urlencoded")
	}
	if r.URL.RawQuery != "" {
		return bad(errInvalidRequest, "parameters belong in the body, not the URL")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTokenForm))
	if err != nil {
		return bad(errInvalidRequest, "the body is too large or unreadable")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return bad(errInvalidRequest, "the body is not a valid form")
	}
	for k, v := range form {
		if len(v) > 1 {
			return bad(errInvalidRequest, "parameter "+k+" given more than once")
		}
	}
	scopes, ok := parseScope(form.Get("scope"))
	if !ok {
		return bad(errInvalidScope, "scope must be space-separated scope names")
	}
	gt := form.Get("grant_type")
	if gt == "" {
		return bad(errInvalidRequest, "grant_type is required")
	}
	return &tokenRequest{grantType: gt, form: form, scopes: scopes}, nil
}

// parseScope splits a scope parameter: names of printable ASCII other than
// '"' and '\', separated by single spaces. An empty parameter is no scope.
func parseScope(s string) ([]string, bool) {
	if s == "" {
		return nil, true
	}
	if len(s) > 1024 {
		return nil, false
	}
	var out []string
	for name := range strings.SplitSeq(s, " ") {
		if name == "" || len(name) > 128 {
			return nil, false
		}
		for i := 0; i < len(name); i++ {
			if c := name[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
				return nil, false
			}
		}
		out = append(out, name)
	}
	return out, true
}

// token is POST /auth/token, the OAuth2 token endpoint: grant_type=password
// (username, password, otp for an account with a second factor, scope) and
// grant_type=refresh_token (refresh_token, scope). The scopes granted are
// those asked for that the account's roles hold (all of them when none is
// asked for); a refresh may narrow them. Errors are 400 with an OAuth2
// error; a lockout answers 429 and a busy or unavailable backend 503, both
// with Retry-After, as the JSON login does. Client authentication is not
// used: the client is public.
func (a *app) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	req, terr := parseTokenRequest(w, r)
	if terr != nil {
		writeJSON(w, http.StatusBadRequest, terr)
		return
	}
	var tk *session.Tokens
	var err error
	switch req.grantType {
	case "password":
		tk, terr, err = a.passwordGrant(r, req)
	case "refresh_token":
		rt := req.form.Get("refresh_token")
		if rt == "" {
			terr = &tokenError{Error: errInvalidRequest, Description: "refresh_token is required"}
			break
		}
		tk, err = a.sessions.Refresh(r.Context(), rt, req.scopes)
	default:
		terr = &tokenError{Error: errUnsupportedGrantType, Description: "grant_type must be password or refresh_token"}
	}
	switch {
	case terr != nil:
		writeJSON(w, http.StatusBadRequest, terr)
	case errors.Is(err, session.ErrInvalidGrant), errors.Is(err, login.ErrInvalidCredentials), errors.Is(err, login.ErrInvalidOTP):
		writeJSON(w, http.StatusBadRequest, tokenError{Error: errInvalidGrant, Description: "invalid credentials or refresh token"})
	case errors.Is(err, session.ErrInvalidScope):
		writeJSON(w, http.StatusBadRequest, tokenError{Error: errInvalidScope, Description: "a scope asked for is not granted"})
	case err != nil:
		login.WriteError(w, err) // 429 locked, 503 busy or unavailable, with Retry-After
	default:
		writeJSON(w, http.StatusOK, tokenResponse{
			AccessToken: string(tk.AccessToken), TokenType: "Bearer", ExpiresIn: int64(tk.ExpiresIn.Seconds()),
			RefreshToken: string(tk.RefreshToken), Scope: strings.Join(tk.Scopes, " "),
		})
	}
}

// passwordGrant logs in with the resource owner's password and makes the
// session refreshable with the scopes asked for that the account holds.
func (a *app) passwordGrant(r *http.Request, req *tokenRequest) (*session.Tokens, *tokenError, error) {
	ctx := r.Context()
	username, password := req.form.Get("username"), req.form.Get("password")
	if username == "" || password == "" {
		return nil, &tokenError{Error: errInvalidRequest, Description: "username and password are required"}, nil
	}
	s, _, err := a.logins.Login(ctx, username, password, req.form.Get("otp"))
	a.countLogin(r, err)
	if err != nil {
		return nil, nil, err
	}
	if s.HasRole(session.RolePendingTOTP) {
		_ = a.sessions.Delete(ctx, s)
		return nil, &tokenError{Error: errInvalidGrant, Description: "this account needs its one-time password in the otp parameter"}, nil
	}
	granted := s.Scopes
	if len(req.scopes) > 0 {
		granted = nil
		for _, sc := range req.scopes {
			if slices.Contains(s.Scopes, sc) {
				granted = append(granted, sc)
			}
		}
		if len(granted) == 0 {
			_ = a.sessions.Delete(ctx, s)
			return nil, &tokenError{Error: errInvalidScope, Description: "none of the scopes asked for is available to this account"}, nil
		}
	}
	if err := a.ensureProfileFor(r, s.UID); err != nil {
		_ = a.sessions.Delete(ctx, s)
		return nil, nil, err
	}
	tk, err := a.sessions.Issue(ctx, s, granted)
	return tk, nil, err
}
