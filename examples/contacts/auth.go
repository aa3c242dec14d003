package main

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/apikey"
	"github.com/apicrud-go/apicrud/metrics"
	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

// tokenBody is the answer to a successful login.
type tokenBody struct {
	Token   string    `json:"token"`
	UID     string    `json:"uid"`
	Roles   []string  `json:"roles"`
	Expires time.Time `json:"expires"`
	// Resources is the registry's url_map (login_url_map): the "resources"
	// of the Python original's login answer.
	Resources map[string]string `json:"resources,omitempty" doc:"with login_url_map on: each top-level resource of the services in the registry and the URL of the API that serves it (the registry's url_map)"`
}

func newTokenBody(s *session.Session, tok session.Token) tokenBody {
	return tokenBody{Token: string(tok), UID: s.UID, Roles: s.Roles, Expires: s.Expires}
}

// login is POST /auth {username, password, otp?}: 201 with a token; 401
// for any bad credential (the same answer for an unknown user and a wrong
// password); 429 with Retry-After while throttled. An account with TOTP
// and no otp gets a token holding only "pendingtotp", which POST /auth/otp
// exchanges for a full one.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
		OTP      string `json:"otp"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	s, tok, err := a.logins.Login(r.Context(), in.Username, in.Password, in.OTP)
	a.countLogin(r, err)
	if err != nil {
		login.WriteError(w, err)
		return
	}
	if !s.HasRole(session.RolePendingTOTP) {
		if err := a.ensureProfileFor(r, s.UID); err != nil {
			a.log.ErrorContext(r.Context(), "profile", "uid", s.UID, "err", err)
			writeProblem(w, http.StatusInternalServerError, "http.500", "")
			return
		}
	}
	body := newTokenBody(s, tok)
	body.Resources = a.urlMap(r.Context(), s)
	writeJSON(w, http.StatusCreated, body)
}

// urlMap is the "resources" of a login answer: with login_url_map on, the
// registry's url_map of every service in it (one registry Find: one round
// trip on Redis), as the Python original's login answered; nil when it is
// off, for a session still waiting for its second factor, and when the
// registry cannot be read (the login stands; the failure is logged).
func (a *app) urlMap(ctx context.Context, s *session.Session) map[string]string {
	if !a.cfg.LoginURLMap || s.HasRole(session.RolePendingTOTP) {
		return nil
	}
	res, err := a.registry.Find(ctx, "")
	if err != nil {
		a.log.WarnContext(ctx, "login url_map: registry", "err", err)
		return nil
	}
	return res.URLMap
}

// countLogin counts login attempts by outcome.
func (a *app) countLogin(r *http.Request, err error) {
	outcome := "success"
	switch {
	case errors.Is(err, login.ErrLocked):
		outcome = "locked"
	case err != nil:
		outcome = "failure"
	}
	if err := a.metrics.Inc(r.Context(), "contacts_logins_total", metrics.Labels{"outcome": outcome}); err != nil {
		a.log.WarnContext(r.Context(), "metrics", "err", err)
	}
}

// ensureProfileFor creates the records of a freshly confirmed account at
// its first login.
func (a *app) ensureProfileFor(r *http.Request, uid string) error {
	acct, ok, err := a.accounts.Get(r.Context(), uid)
	if err != nil || !ok || acct.Status != login.StatusActive {
		return err
	}
	return a.ensureProfile(r.Context(), uid, acct.Name, acct.Identity)
}

// logout is DELETE /auth: the token stops working at once, on every
// instance.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	s, ok := session.FromContext(r.Context())
	if !ok || s.Method == session.MethodAPIKey {
		writeProblem(w, http.StatusUnauthorized, ac.CodeUnauthenticated, "")
		return
	}
	if err := a.sessions.Delete(r.Context(), s); err != nil {
		login.WriteError(w, err)
		return
	}
	a.sessions.ClearCookie(w)
	w.WriteHeader(http.StatusNoContent)
}

// completeTOTP is POST /auth/otp {otp} with a "pendingtotp" token.
func (a *app) completeTOTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OTP string `json:"otp"`
	}
	pending, ok := session.FromContext(r.Context())
	if !ok {
		writeProblem(w, http.StatusUnauthorized, ac.CodeUnauthenticated, "")
		return
	}
	if !readJSON(w, r, &in) {
		return
	}
	s, tok, err := a.logins.CompleteTOTP(r.Context(), pending, in.OTP)
	if err != nil {
		login.WriteError(w, err)
		return
	}
	if err := a.ensureProfileFor(r, s.UID); err != nil {
		a.log.ErrorContext(r.Context(), "profile", "uid", s.UID, "err", err)
		writeProblem(w, http.StatusInternalServerError, "http.500", "")
		return
	}
	body := newTokenBody(s, tok)
	body.Resources = a.urlMap(r.Context(), s)
	writeJSON(w, http.StatusCreated, body)
}

// stepUp lets through the requests whose session authenticated within
// stepup_max_age (session.StepUp.Check, as the session.Manager's
// RequireStepUp middleware decides); the others get 401
// session.reauthentication_required with an RFC 9470 challenge.
func (a *app) stepUp(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := session.FromContext(r.Context())
		if err := a.stepUpRule.Check(s, time.Now()); err != nil {
			a.authError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// reauth is POST /auth/reauth {password, otp?}: the session's
// authentication is renewed (auth_time now; amr pwd, or pwd otp mfa).
func (a *app) reauth(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Password string `json:"password"`
		OTP      string `json:"otp"`
	}
	s, ok := loginSession(w, r)
	if !ok || !readJSON(w, r, &in) {
		return
	}
	if err := a.logins.Reauthenticate(r.Context(), s, in.Password, in.OTP); err != nil {
		login.WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"auth_time": s.AuthTime.UTC(), "amr": s.AMR})
}

// loginSession returns the caller's interactive session (not an API key),
// or answers 401.
func loginSession(w http.ResponseWriter, r *http.Request) (*session.Session, bool) {
	s, ok := session.FromContext(r.Context())
	if !ok || s.Method == session.MethodAPIKey || s.HasRole(session.RolePendingTOTP) {
		writeProblem(w, http.StatusUnauthorized, ac.CodeUnauthenticated, "")
		return nil, false
	}
	return s, true
}

// enrollTOTP is POST /auth/totp: a new secret and its otpauth URI.
func (a *app) enrollTOTP(w http.ResponseWriter, r *http.Request) {
	s, ok := loginSession(w, r)
	if !ok {
		return
	}
	e, err := a.logins.EnrollTOTP(r.Context(), s)
	if err != nil {
		login.WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"secret": e.Secret, "uri": e.URI})
}

// confirmTOTP is PUT /auth/totp {otp}: TOTP is required from now on; the
// backup codes are shown once.
func (a *app) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OTP string `json:"otp"`
	}
	s, ok := loginSession(w, r)
	if !ok || !readJSON(w, r, &in) {
		return
	}
	codes, err := a.logins.ConfirmTOTP(r.Context(), s, in.OTP)
	if err != nil {
		login.WriteError(w, err)
		return
	}
	out := map[string]any{"backup_codes": codes}
	if login.Restricted(s) {
		// The enrolment the session owed is done: a full session
		// replaces it.
		full, tok, err := a.logins.Unrestrict(r.Context(), s)
		if err != nil {
			login.WriteError(w, err)
			return
		}
		if tok != "" {
			if err := a.ensureProfileFor(r, full.UID); err != nil {
				a.internalError(w, r, "profile", err)
				return
			}
			out["token"] = string(tok)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// disableTOTP is DELETE /auth/totp {password, otp}.
func (a *app) disableTOTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Password string `json:"password"`
		OTP      string `json:"otp"`
	}
	s, ok := loginSession(w, r)
	if !ok || !readJSON(w, r, &in) {
		return
	}
	if err := a.logins.DisableTOTP(r.Context(), s.UID, in.Password, in.OTP); err != nil {
		login.WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// register is POST /account {username, name, identity, password}: 202 and
// a confirmation link sent to the identity. The answer is the same whether
// or not the address or the username already has an account; a taken
// username is told only to the owner of the address, in the link's
// message, and they pick another at confirmation.
func (a *app) register(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Name     string `json:"name"`
		Identity string `json:"identity"`
		Password string `json:"password"`
	}
	if a.cfg.Registration == "closed" {
		// The Python original declared registration policies and never
		// enforced them. Admins still create accounts.
		if p, ok := ac.PrincipalFrom(r.Context()); !ok || !p.HasRole(login.RoleAdmin) {
			writeProblem(w, http.StatusForbidden, "contacts.registration_closed", "registration is closed")
			return
		}
		if _, ok := a.writer(w, r); !ok || !readJSON(w, r, &in) {
			return
		}
		acct, err := a.logins.CreateAccount(r.Context(), login.NewAccount{Username: in.Username, Name: in.Name, Identity: in.Identity, Password: in.Password})
		if err != nil {
			login.WriteError(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]string{"uid": acct.UID, "status": string(acct.Status)})
		return
	}
	if !readJSON(w, r, &in) {
		return
	}
	_, err := a.logins.Register(r.Context(), login.NewAccount{Username: in.Username, Name: in.Name, Identity: in.Identity, Password: in.Password})
	if err != nil {
		login.WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": string(login.StatusPending)})
}

// confirm is POST /account/confirm {token, password, username?}, the token
// of a confirmation link, the password chosen at registration (401 when
// wrong: the owner of an address someone else registered cannot activate
// the stranger's password; they reset the password instead) and
// optionally another username: required (400 session.username_required)
// when the one registered was taken, which only the link's message tells;
// 409 when the new one is taken too.
func (a *app) confirm(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
		Username string `json:"username"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if err := a.logins.ConfirmUsername(r.Context(), in.Token, in.Username, in.Password); err != nil {
		login.WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// requestReset is POST /account/password_reset {login}: 202 whether or not
// the account exists; the link goes to the account's address.
func (a *app) requestReset(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Login string `json:"login"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	// The answer is 202 whatever happened: a delivery failure happens only
	// for accounts that exist, so reporting it would tell which do.
	if err := a.logins.RequestPasswordReset(r.Context(), in.Login); err != nil {
		a.log.ErrorContext(r.Context(), "password reset", "err", err)
	}
	w.WriteHeader(http.StatusAccepted)
}

// setPassword is PUT /account/password: {token, password} with a reset
// link, or {old_password, password} with a login session. Either ends the
// account's live sessions.
func (a *app) setPassword(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token       string `json:"token"`
		OldPassword string `json:"old_password"`
		Password    string `json:"password"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	var err error
	if in.Token != "" {
		err = a.logins.ResetPassword(r.Context(), in.Token, in.Password)
	} else {
		s, ok := loginSession(w, r)
		if !ok {
			return
		}
		if err := a.stepUpRule.Check(s, time.Now()); err != nil {
			a.authError(w, r, err)
			return
		}
		err = a.logins.ChangePassword(r.Context(), s.UID, in.OldPassword, in.Password)
	}
	if err != nil {
		login.WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiKeyBody is an API key as listed (never its secret or hash).
type apiKeyBody struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	UID      string     `json:"uid"`
	Scopes   []string   `json:"scopes"`
	Status   string     `json:"status"`
	Created  time.Time  `json:"created"`
	Expires  *time.Time `json:"expires,omitempty"`
	LastUsed *time.Time `json:"last_used,omitempty"`
	APIKey   string     `json:"apikey,omitempty"` // only in the answer to create
}

func newAPIKeyBody(k apikey.Record) apiKeyBody {
	b := apiKeyBody{ID: k.Prefix, Name: k.Name, UID: k.UID, Scopes: k.Scopes, Status: k.Status, Created: k.Created}
	if !k.Expires.IsZero() {
		b.Expires = &k.Expires
	}
	if !k.LastUsed.IsZero() {
		b.LastUsed = &k.LastUsed
	}
	return b
}

// createAPIKey is POST /apikey {name, scopes, expires?}: 201 with the key
// "prefix.secret", shown this once. The scopes must be among those the
// caller's roles allow; the number of active keys is capped by the grant
// "apikeys".
func (a *app) createAPIKey(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name    string    `json:"name"`
		Scopes  []string  `json:"scopes"`
		Expires time.Time `json:"expires"`
	}
	s, ok := loginSession(w, r)
	if !ok || !readJSON(w, r, &in) {
		return
	}
	if !s.HasRole(login.RoleUser) {
		// A pending account's key would start working once the address
		// is confirmed, or recovered by its real owner.
		writeProblem(w, http.StatusForbidden, ac.CodeForbidden, "")
		return
	}
	allowed := a.policy.ScopesFor(s.Roles)
	for _, sc := range in.Scopes {
		if !slices.Contains(allowed, sc) {
			writeProblemField(w, http.StatusBadRequest, "contacts.bad_scope", "scopes", "scope "+sc+" is not available to this account")
			return
		}
	}
	// Counting the keys and creating one is one step per account, on
	// every instance.
	lock, err := a.locks.Acquire(r.Context(), "apikeys:"+s.UID, 10*time.Second)
	if err != nil {
		a.log.ErrorContext(r.Context(), "apikeys lock", "err", err)
		writeProblem(w, http.StatusServiceUnavailable, "http.503", "")
		return
	}
	defer func() { _ = lock.Release(context.WithoutCancel(r.Context())) }()
	limit, err := a.grants.Limit(r.Context(), "apikeys", s.UID)
	if err != nil {
		a.log.ErrorContext(r.Context(), "grants", "err", err)
		writeProblem(w, http.StatusInternalServerError, "http.500", "")
		return
	}
	keys, err := a.apikeys.List(r.Context(), s.UID)
	if err != nil {
		a.log.ErrorContext(r.Context(), "apikeys", "err", err)
		writeProblem(w, http.StatusInternalServerError, "http.500", "")
		return
	}
	active := 0
	for _, k := range keys {
		if k.Status == apikey.StatusActive {
			active++
		}
	}
	if limit >= 0 && int64(active) >= limit {
		writeProblem(w, http.StatusForbidden, "contacts.apikey_limit", "the account has as many API keys as its grant allows")
		return
	}
	key, rec, err := a.apikeys.Create(r.Context(), s.UID, in.Name, in.Scopes, in.Expires)
	switch {
	case errors.Is(err, apikey.ErrExists):
		problemConflict(w, "name", "an API key of this name exists")
		return
	case errors.Is(err, apikey.ErrInvalidData):
		writeProblemField(w, http.StatusBadRequest, "contacts.bad_apikey", "name", "invalid name, scopes or expiry")
		return
	case err != nil:
		a.log.ErrorContext(r.Context(), "apikeys", "err", err)
		writeProblem(w, http.StatusInternalServerError, "http.500", "")
		return
	}
	b := newAPIKeyBody(rec)
	b.APIKey = key.Reveal()
	writeJSON(w, http.StatusCreated, b)
}

// listAPIKeys is GET /apikey: the caller's keys.
func (a *app) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	p, ok := caller(w, r)
	if !ok {
		return
	}
	keys, err := a.apikeys.List(r.Context(), p.UID())
	if err != nil {
		a.log.ErrorContext(r.Context(), "apikeys", "err", err)
		writeProblem(w, http.StatusInternalServerError, "http.500", "")
		return
	}
	items := make([]apiKeyBody, 0, len(keys))
	for _, k := range keys {
		items = append(items, newAPIKeyBody(k))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "count": len(items)})
}

// revokeAPIKey is DELETE /apikey/{id}: the key stops working at once.
// Another user's key is a 404, as an absent one.
func (a *app) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	p, ok := a.writer(w, r)
	if !ok {
		return
	}
	k, err := a.apikeys.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, apikey.ErrNotFound) || errors.Is(err, apikey.ErrMalformed) || err == nil && !a.policy.AllowedFor(p, 'd', "apikey", ac.Record{ID: k.Prefix, Owner: k.UID}) {
		writeProblem(w, http.StatusNotFound, "crud.not_found", "")
		return
	}
	if err == nil {
		err = a.apikeys.Revoke(r.Context(), k.Prefix)
	}
	if err != nil {
		a.log.ErrorContext(r.Context(), "apikeys", "err", err)
		writeProblem(w, http.StatusInternalServerError, "http.500", "")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func problemConflict(w http.ResponseWriter, field, detail string) {
	writeProblemField(w, http.StatusConflict, "contacts.conflict", field, detail)
}

// setAccountStatus is PUT /account/{uid} {status: active|disabled}
// (admins): disabling an account ends its live sessions and stops its API
// keys at once.
func (a *app) setAccountStatus(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Status             string `json:"status"`
		MFARequired        *bool  `json:"mfa_required"`
		PasswordMustChange *bool  `json:"password_must_change"`
	}
	if !admin(w, r) {
		return
	}
	if _, ok := a.writer(w, r); !ok || !readJSON(w, r, &in) {
		return
	}
	st := login.Status(in.Status)
	if st != login.StatusActive && st != login.StatusDisabled && (st != "" || in.MFARequired == nil && in.PasswordMustChange == nil) {
		writeProblemField(w, http.StatusBadRequest, "contacts.bad_status", "status", "must be active or disabled")
		return
	}
	uid := r.PathValue("uid")
	acct, ok, err := a.accounts.Get(r.Context(), uid)
	if err != nil || !ok {
		if err != nil {
			a.internalError(w, r, "accounts", err)
			return
		}
		writeProblem(w, http.StatusNotFound, "crud.not_found", "")
		return
	}
	if in.MFARequired != nil || in.PasswordMustChange != nil {
		req := login.Requirements{MFA: acct.MFARequired, PasswordChange: acct.PasswordMustChange}
		if in.MFARequired != nil {
			req.MFA = *in.MFARequired
		}
		if in.PasswordMustChange != nil {
			req.PasswordChange = *in.PasswordMustChange
		}
		if err := a.logins.SetRequirements(r.Context(), uid, req); err != nil {
			login.WriteError(w, err)
			return
		}
	}
	if st != "" {
		if err := a.logins.SetStatus(r.Context(), uid, st); err != nil {
			login.WriteError(w, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
