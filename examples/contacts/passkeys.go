package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/passkey"
)

// The bodies of the passkey operations, as the OpenAPI document shows
// them.
type (
	passkeyChallenge struct {
		Options object    `json:"options" doc:"for navigator.credentials.create (enrolment) or .get (login): {publicKey: {...}}, binary values in base64url (PublicKeyCredential.parseCreationOptionsFromJSON / parseRequestOptionsFromJSON)"`
		State   string    `json:"state" doc:"send it back, unchanged, with the authenticator's answer; it works once"`
		Expires time.Time `json:"expires"`
	}
	passkeyFinish struct {
		State      string `json:"state" doc:"the state of the challenge"`
		Credential object `json:"credential" doc:"the PublicKeyCredential as its toJSON() gives it"`
		Name       string `json:"name,omitempty" doc:"enrolment only: a label for the passkey (default Passkey)"`
	}
	passkeyBody struct {
		ID       string    `json:"id" doc:"the credential id, base64url"`
		Name     string    `json:"name"`
		Created  time.Time `json:"created"`
		LastUsed time.Time `json:"last_used,omitzero"`
		Synced   bool      `json:"synced" doc:"the authenticator may copy the passkey to the user's other devices"`
	}
	passkeyName struct {
		Name string `json:"name"`
	}
)

// relyingParty derives the passkeys' relying party from public_url and
// trusted_origins: its id is public_url's host name. WebAuthn refuses IP
// addresses as relying party ids, so a service reached by address has no
// passkeys (ok false).
func relyingParty(publicURL, name string, origins []string) (passkey.RelyingParty, bool) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Hostname() == "" || net.ParseIP(u.Hostname()) != nil {
		return passkey.RelyingParty{}, false
	}
	rp := passkey.RelyingParty{ID: u.Hostname(), Name: name}
	for _, o := range origins {
		ou, err := url.Parse(o)
		if err != nil {
			continue
		}
		if h := ou.Hostname(); h == rp.ID || (len(h) > len(rp.ID) && h[len(h)-len(rp.ID)-1:] == "."+rp.ID) {
			rp.Origins = append(rp.Origins, o)
		}
	}
	return rp, len(rp.Origins) > 0
}

// newPasskeys builds a.passkeys on the passkey store, or leaves it nil
// when public_url names no domain.
func (a *app) newPasskeys(store passkey.Store, origins []string) error {
	rp, ok := relyingParty(a.cfg.PublicURL(), a.cfg.ServiceName(), origins)
	if !ok {
		a.log.Info("passkeys off: public_url must name a host (WebAuthn refuses IP addresses)", "public_url", a.cfg.PublicURL())
		return nil
	}
	var err error
	if a.passkeys, err = passkey.New(a.logins, store, rp, passkey.WithLogger(a.log)); err != nil {
		return fmt.Errorf("passkeys: %w", err)
	}
	return nil
}

// passkeysOn answers 404 when passkeys are off.
func (a *app) passkeysOn(w http.ResponseWriter) bool {
	if a.passkeys == nil {
		writeProblem(w, http.StatusNotFound, "crud.not_found", "passkeys need a public_url with a host name")
		return false
	}
	return true
}

// beginPasskeyRegistration is POST /auth/passkey/challenge: the options
// of an enrolment for the signed-in user.
func (a *app) beginPasskeyRegistration(w http.ResponseWriter, r *http.Request) {
	s, ok := loginSession(w, r)
	if !ok || !a.passkeysOn(w) {
		return
	}
	ch, err := a.passkeys.BeginRegistration(r.Context(), s.UID)
	if err != nil {
		passkey.WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, ch)
}

// finishPasskeyRegistration is POST /auth/passkey {state, credential,
// name}: the passkey is enrolled.
func (a *app) finishPasskeyRegistration(w http.ResponseWriter, r *http.Request) {
	var in struct {
		State      string          `json:"state"`
		Credential json.RawMessage `json:"credential"`
		Name       string          `json:"name"`
	}
	s, ok := loginSession(w, r)
	if !ok || !a.passkeysOn(w) || !readJSON(w, r, &in) {
		return
	}
	c, err := a.passkeys.FinishRegistration(r.Context(), s.UID, in.State, in.Credential, in.Name)
	if err != nil {
		passkey.WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, newPasskeyBody(c))
}

func newPasskeyBody(c passkey.Credential) passkeyBody {
	return passkeyBody{ID: passkey.EncodeID(c.ID), Name: c.Name, Created: c.Created, LastUsed: c.LastUsed, Synced: c.BackupEligible}
}

// listPasskeys is GET /auth/passkey: the caller's passkeys.
func (a *app) listPasskeys(w http.ResponseWriter, r *http.Request) {
	s, ok := loginSession(w, r)
	if !ok || !a.passkeysOn(w) {
		return
	}
	cs, err := a.passkeys.List(r.Context(), s.UID)
	if err != nil {
		passkey.WriteError(w, err)
		return
	}
	out := make([]passkeyBody, len(cs))
	for i, c := range cs {
		out[i] = newPasskeyBody(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out, "count": len(out)})
}

// renamePasskey is PUT /auth/passkey/{id} {name}.
func (a *app) renamePasskey(w http.ResponseWriter, r *http.Request) {
	var in passkeyName
	s, ok := loginSession(w, r)
	if !ok || !a.passkeysOn(w) || !readJSON(w, r, &in) {
		return
	}
	id, err := passkey.DecodeID(r.PathValue("id"))
	if err == nil {
		err = a.passkeys.Rename(r.Context(), s.UID, id, in.Name)
	}
	if err != nil {
		passkey.WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// removePasskey is DELETE /auth/passkey/{id}.
func (a *app) removePasskey(w http.ResponseWriter, r *http.Request) {
	s, ok := loginSession(w, r)
	if !ok || !a.passkeysOn(w) {
		return
	}
	id, err := passkey.DecodeID(r.PathValue("id"))
	if err == nil {
		err = a.passkeys.Remove(r.Context(), s.UID, id)
	}
	if err != nil {
		passkey.WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// beginPasskeyLogin is POST /auth/passkey/login/challenge: the options
// of a passwordless login, for anyone.
func (a *app) beginPasskeyLogin(w http.ResponseWriter, r *http.Request) {
	if !a.passkeysOn(w) {
		return
	}
	ch, err := a.passkeys.BeginLogin(r.Context())
	if err != nil {
		passkey.WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, ch)
}

// finishPasskeyLogin is POST /auth/passkey/login {state, credential}: a
// session, as a password and second factor give.
func (a *app) finishPasskeyLogin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		State      string          `json:"state"`
		Credential json.RawMessage `json:"credential"`
	}
	if !a.passkeysOn(w) || !readJSON(w, r, &in) {
		return
	}
	s, tok, err := a.passkeys.FinishLogin(r.Context(), in.State, in.Credential)
	a.countLogin(r, err)
	a.passkeyAnswer(w, r, s, tok, err)
}

// passkeyAnswer answers a passkey login: the token, or the error.
func (a *app) passkeyAnswer(w http.ResponseWriter, r *http.Request, s *session.Session, tok session.Token, err error) {
	if err != nil {
		passkey.WriteError(w, err)
		return
	}
	if err := a.ensureProfileFor(r, s.UID); err != nil {
		a.log.ErrorContext(r.Context(), "profile", "uid", s.UID, "err", err)
		writeProblem(w, http.StatusInternalServerError, "http.500", "")
		return
	}
	writeJSON(w, http.StatusCreated, newTokenBody(s, tok))
}

// pendingSession returns the caller's "pendingtotp" session, or answers
// 401.
func pendingSession(w http.ResponseWriter, r *http.Request) (*session.Session, bool) {
	s, ok := session.FromContext(r.Context())
	if !ok || !s.HasRole(login.RolePendingTOTP) {
		writeProblem(w, http.StatusUnauthorized, ac.CodeUnauthenticated, "")
		return nil, false
	}
	return s, true
}

// beginPasskeyFactor is POST /auth/passkey/factor/challenge with a
// "pendingtotp" token: the options asking for one of the account's
// passkeys.
func (a *app) beginPasskeyFactor(w http.ResponseWriter, r *http.Request) {
	pending, ok := pendingSession(w, r)
	if !ok || !a.passkeysOn(w) {
		return
	}
	ch, err := a.passkeys.BeginFactor(r.Context(), pending)
	if err != nil {
		passkey.WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, ch)
}

// finishPasskeyFactor is POST /auth/passkey/factor {state, credential}
// with a "pendingtotp" token: the full session.
func (a *app) finishPasskeyFactor(w http.ResponseWriter, r *http.Request) {
	var in struct {
		State      string          `json:"state"`
		Credential json.RawMessage `json:"credential"`
	}
	pending, ok := pendingSession(w, r)
	if !ok || !a.passkeysOn(w) || !readJSON(w, r, &in) {
		return
	}
	s, tok, err := a.passkeys.FinishFactor(r.Context(), pending, in.State, in.Credential)
	a.passkeyAnswer(w, r, s, tok, err)
}
