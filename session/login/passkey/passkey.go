package passkey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

// Session methods (Session.Method) of the logins a Manager completes.
const (
	// MethodPasskey is a login with a passkey alone, in place of the
	// password and any second factor.
	MethodPasskey = "passkey"
	// MethodPasskeyFactor is a password login whose second factor was a
	// passkey.
	MethodPasskeyFactor = "passkey_factor"
)

// Ceremony purposes, sealed into the state so that the state of one
// ceremony never serves another.
const (
	purposeRegister = "register"
	purposeLogin    = "login"
	purposeFactor   = "factor"
)

// maxState and maxResponse bound what Finish methods read from a client.
const (
	maxState    = 8 << 10
	maxResponse = 64 << 10
	maxUserID   = 64 // WebAuthn's limit on a user handle, in bytes
)

// Challenge is the start of a ceremony, for the client: Options is the
// JSON object to give navigator.credentials.create (registration) or
// navigator.credentials.get (login), {"publicKey": {…}} with binary
// values in base64url (PublicKeyCredential.parseCreationOptionsFromJSON
// and parseRequestOptionsFromJSON read it); State is the sealed ceremony
// state the client sends back, unchanged, with the authenticator's
// response. State is not secret but works once, until Expires.
type Challenge struct {
	Options json.RawMessage `json:"options"`
	State   string          `json:"state"`
	Expires time.Time       `json:"expires"`
}

// ceremony is the sealed form of a ceremony's state.
type ceremony struct {
	Purpose string               `json:"p"`
	UID     string               `json:"u,omitempty"`
	ID      string               `json:"i"` // the single-use marker
	Expires int64                `json:"e"` // unix ms
	Data    webauthn.SessionData `json:"d"`
}

// Manager runs the passkey ceremonies of a login.Manager's accounts:
// enrolment, passwordless login, and the second factor of a password
// login. It is safe for concurrent use. Use New; the zero value is not
// usable. Its configuration cannot change after New.
type Manager struct {
	cfg      config
	logins   *login.Manager
	sessions *session.Manager
	accounts login.AccountStore
	marks    login.Store
	store    Store
	sealer   session.Sealer
	wa       *webauthn.WebAuthn
	log      *slog.Logger
}

// New returns a Manager for the accounts of logins, keeping passkeys in
// store (NewMemoryStore, or the Redis and SQL stores of the subpackages).
// It seals ceremony state with the Sealer of the logins' session.Manager
// and keeps the single-use markers of challenges in the login Store, so
// that every instance built on the same secret and stores completes the
// ceremonies the others began. rp must name a relying party id and at
// least one origin on it (ErrOption).
func New(logins *login.Manager, store Store, rp RelyingParty, opts ...Option) (*Manager, error) {
	if logins == nil || store == nil {
		return nil, optionError("nil login.Manager or Store")
	}
	c := defaultConfig()
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&c); err != nil {
			return nil, err
		}
	}
	if rp.ID == "" || len(rp.Origins) == 0 {
		return nil, optionError("RelyingParty needs an ID and an origin")
	}
	for _, o := range rp.Origins {
		if !validOrigin(o, rp.ID) {
			return nil, optionError("RelyingParty: origin %q is not an https (or localhost http) origin on %q", o, rp.ID)
		}
	}
	name := rp.Name
	if name == "" {
		name = rp.ID
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID: rp.ID, RPDisplayName: name, RPOrigins: rp.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
	})
	if err != nil {
		return nil, optionError("RelyingParty: %v", err)
	}
	return &Manager{
		cfg: c, logins: logins, sessions: logins.Sessions(), accounts: logins.Accounts(), marks: logins.Store(),
		store: store, sealer: logins.Sessions().Sealer(), wa: wa, log: c.log,
	}, nil
}

// validOrigin reports whether o is a bare origin on host rpID or a
// subdomain of it: https, or http for localhost.
func validOrigin(o, rpID string) bool {
	u, err := url.Parse(o)
	if err != nil || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	host := u.Hostname()
	if host != rpID && !strings.HasSuffix(host, "."+rpID) {
		return false
	}
	return u.Scheme == "https" || (u.Scheme == "http" && (host == "localhost" || strings.HasSuffix(host, ".localhost")))
}

// user is an account as go-webauthn sees it.
type user struct {
	uid, name, display string
	creds              []webauthn.Credential
}

func (u *user) WebAuthnID() []byte                         { return []byte(u.uid) }
func (u *user) WebAuthnName() string                       { return u.name }
func (u *user) WebAuthnDisplayName() string                { return u.display }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// toWebAuthn converts a stored passkey for verification.
func toWebAuthn(c Credential) webauthn.Credential {
	tr := make([]protocol.AuthenticatorTransport, len(c.Transports))
	for i, t := range c.Transports {
		tr[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID: c.ID, PublicKey: c.PublicKey, AttestationFormat: c.AttestationFormat, Transport: tr,
		Flags: webauthn.CredentialFlags{UserPresent: true, UserVerified: c.UserVerified,
			BackupEligible: c.BackupEligible, BackupState: c.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: c.AAGUID, SignCount: c.SignCount},
	}
}

func unavailable(what string, err error) error {
	return fmt.Errorf("%w: passkey %s: %w", session.ErrUnavailable, what, err)
}

func invalid(err error) error { return fmt.Errorf("%w: %w", ErrInvalidPasskey, err) }

// activeAccount returns the account uid if it is active.
func (m *Manager) activeAccount(ctx context.Context, uid string) (login.Account, error) {
	if uid == "" || len(uid) > maxUserID {
		return login.Account{}, session.ErrInvalidUID
	}
	acc, found, err := m.accounts.Get(ctx, uid)
	if err != nil {
		return login.Account{}, unavailable("account", err)
	}
	if !found || acc.Status != login.StatusActive {
		return login.Account{}, login.ErrInvalidCredentials
	}
	return acc, nil
}

// userOf returns acc with its passkeys as go-webauthn's User.
func (m *Manager) userOf(ctx context.Context, acc login.Account) (*user, []Credential, error) {
	stored, err := m.store.List(ctx, acc.UID)
	if err != nil {
		return nil, nil, unavailable("store", err)
	}
	u := &user{uid: acc.UID, name: acc.Username, display: acc.Name}
	if u.display == "" {
		u.display = acc.Username
	}
	for _, c := range stored {
		u.creds = append(u.creds, toWebAuthn(c))
	}
	return u, stored, nil
}

// begin seals the state of a ceremony and stores its single-use marker.
func (m *Manager) begin(ctx context.Context, purpose, uid string, options any, data *webauthn.SessionData) (Challenge, error) {
	opts, err := json.Marshal(options)
	if err != nil {
		return Challenge{}, fmt.Errorf("passkey: encoding options: %w", err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	exp := time.Now().Add(m.cfg.ttl)
	data.Expires = exp
	cer := ceremony{Purpose: purpose, UID: uid, ID: hex.EncodeToString(id), Expires: exp.UnixMilli(), Data: *data}
	plain, err := json.Marshal(cer)
	if err != nil {
		return Challenge{}, fmt.Errorf("passkey: encoding state: %w", err)
	}
	sealed, err := m.sealer.Seal(plain, stateAD(purpose, uid))
	if err != nil {
		return Challenge{}, fmt.Errorf("passkey: sealing state: %w", err)
	}
	state := base64.RawURLEncoding.EncodeToString(sealed)
	digest := sha256.Sum256([]byte(state))
	if err := m.marks.PutToken(ctx, markKey(cer.ID), digest[:], m.cfg.ttl); err != nil {
		return Challenge{}, unavailable("challenge store", err)
	}
	return Challenge{Options: opts, State: state, Expires: exp.UTC().Truncate(time.Millisecond)}, nil
}

func stateAD(purpose, uid string) []byte {
	return []byte("apicrud/passkey\x00" + purpose + "\x00" + uid)
}

func markKey(id string) string { return "passkey:" + id }

// finish opens the state of a ceremony of purpose for uid and takes its
// single-use marker: a state works once, before it expires.
func (m *Manager) finish(ctx context.Context, purpose, uid, state string) (webauthn.SessionData, error) {
	if len(state) > maxState {
		return webauthn.SessionData{}, ErrCeremony
	}
	sealed, err := base64.RawURLEncoding.DecodeString(state)
	if err != nil {
		return webauthn.SessionData{}, ErrCeremony
	}
	plain, err := m.sealer.Open(sealed, stateAD(purpose, uid))
	if err != nil {
		return webauthn.SessionData{}, ErrCeremony
	}
	var cer ceremony
	if err := json.Unmarshal(plain, &cer); err != nil || cer.Purpose != purpose || cer.UID != uid {
		return webauthn.SessionData{}, ErrCeremony
	}
	if time.Now().UnixMilli() >= cer.Expires {
		return webauthn.SessionData{}, ErrCeremony
	}
	digest := sha256.Sum256([]byte(state))
	ok, err := m.marks.TakeToken(ctx, markKey(cer.ID), digest[:])
	if err != nil {
		return webauthn.SessionData{}, unavailable("challenge store", err)
	}
	if !ok {
		return webauthn.SessionData{}, ErrCeremony
	}
	return cer.Data, nil
}

// BeginRegistration starts the enrolment of a passkey for account uid
// (an active account; the caller has authenticated its owner, recently
// enough for its policy). The passkey is discoverable (a resident key)
// so that it can log in without a username; the account's passkeys are
// excluded, so one authenticator is not enrolled twice.
func (m *Manager) BeginRegistration(ctx context.Context, uid string) (Challenge, error) {
	acc, err := m.activeAccount(ctx, uid)
	if err != nil {
		return Challenge{}, err
	}
	u, stored, err := m.userOf(ctx, acc)
	if err != nil {
		return Challenge{}, err
	}
	if len(stored) >= m.cfg.max {
		return Challenge{}, ErrTooMany
	}
	opts, data, err := m.wa.BeginRegistration(u,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationPreferred,
		}),
		webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return Challenge{}, fmt.Errorf("passkey: begin registration: %w", err)
	}
	return m.begin(ctx, purposeRegister, uid, opts, data)
}

// FinishRegistration completes an enrolment BeginRegistration started
// for account uid: state is the Challenge's State, response the JSON the
// browser's PublicKeyCredential gives (its toJSON()), name the label the
// owner chose (ErrInvalidName; empty gives "Passkey"). It returns the
// stored passkey. A response that does not verify (wrong challenge,
// origin or relying party) gives ErrInvalidPasskey; a credential id
// already registered, to this account or another, ErrExists.
func (m *Manager) FinishRegistration(ctx context.Context, uid, state string, response []byte, name string) (Credential, error) {
	if name == "" {
		name = "Passkey"
	}
	if err := checkName(name); err != nil {
		return Credential{}, err
	}
	data, err := m.finish(ctx, purposeRegister, uid, state)
	if err != nil {
		return Credential{}, err
	}
	if len(response) > maxResponse {
		return Credential{}, invalid(errors.New("response too large"))
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return Credential{}, invalid(err)
	}
	acc, err := m.activeAccount(ctx, uid)
	if err != nil {
		return Credential{}, err
	}
	u, stored, err := m.userOf(ctx, acc)
	if err != nil {
		return Credential{}, err
	}
	if len(stored) >= m.cfg.max {
		return Credential{}, ErrTooMany
	}
	wc, err := m.wa.CreateCredential(u, data, parsed)
	if err != nil {
		return Credential{}, invalid(err)
	}
	if len(wc.ID) == 0 || len(wc.ID) > MaxIDLen {
		return Credential{}, invalid(errors.New("credential id length"))
	}
	c := Credential{
		ID: wc.ID, UID: uid, Name: name, PublicKey: wc.PublicKey, SignCount: wc.Authenticator.SignCount,
		AAGUID: wc.Authenticator.AAGUID, BackupEligible: wc.Flags.BackupEligible, BackupState: wc.Flags.BackupState,
		UserVerified: wc.Flags.UserVerified, AttestationFormat: wc.AttestationFormat,
		Created: time.Now().UTC().Truncate(time.Millisecond),
	}
	for _, t := range wc.Transport {
		c.Transports = append(c.Transports, string(t))
	}
	if err := m.store.Add(ctx, c); err != nil {
		if errors.Is(err, ErrExists) {
			return Credential{}, ErrExists
		}
		return Credential{}, unavailable("store", err)
	}
	return c, nil
}

// BeginLogin starts a passwordless login: the browser offers the
// passkeys it holds for the relying party, and the one the user picks
// names its account (a discoverable credential).
func (m *Manager) BeginLogin(ctx context.Context) (Challenge, error) {
	uv := protocol.VerificationPreferred
	if m.cfg.uvLogin {
		uv = protocol.VerificationRequired
	}
	opts, data, err := m.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(uv))
	if err != nil {
		return Challenge{}, fmt.Errorf("passkey: begin login: %w", err)
	}
	return m.begin(ctx, purposeLogin, "", opts, data)
}

// FinishLogin completes a login BeginLogin started and starts a full
// session for the passkey's account (login.Manager.LoginProven; Method
// MethodPasskey), in place of the password and any second factor. The
// assertion must answer the challenge of state, come from an origin of
// the relying party, be signed by a passkey the account holds (the user
// handle names the account; a passkey of another account does not
// verify), carry user verification (WithUserVerification) and advance
// the signature counter (ErrCounter). Any other failure is
// ErrInvalidPasskey, a used or expired state ErrCeremony, and an
// account that is not active login.ErrInvalidCredentials.
func (m *Manager) FinishLogin(ctx context.Context, state string, response []byte) (*session.Session, session.Token, error) {
	data, err := m.finish(ctx, purposeLogin, "", state)
	if err != nil {
		return nil, "", err
	}
	parsed, err := parseAssertion(response)
	if err != nil {
		return nil, "", err
	}
	var (
		uid      string
		storeErr error
	)
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		uid = string(userHandle)
		if len(uid) > maxUserID {
			return nil, ErrNotFound
		}
		c, err := m.store.Get(ctx, uid, rawID)
		if err != nil {
			storeErr = err
			return nil, err
		}
		return &user{uid: uid, creds: []webauthn.Credential{toWebAuthn(c)}}, nil
	}
	_, wc, err := m.wa.ValidatePasskeyLogin(handler, data, parsed)
	if storeErr != nil && !errors.Is(storeErr, ErrNotFound) {
		return nil, "", unavailable("store", storeErr)
	}
	if err != nil {
		return nil, "", invalid(err)
	}
	if err := m.use(ctx, uid, wc, parsed); err != nil {
		return nil, "", err
	}
	amr := []string{keyAMR(wc)}
	if parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		amr = append(amr, login.AMRMFA) // the key and the PIN or biometric that unlocked it
	}
	return m.logins.LoginProven(ctx, login.Proof{UID: uid, Method: MethodPasskey, AMR: amr})
}

// AMR values (RFC 8176) of a passkey.
const (
	// AMRHardwareKey is a passkey bound to its authenticator (a security
	// key, a platform authenticator that does not sync).
	AMRHardwareKey = "hwk"
	// AMRSoftwareKey is a passkey that may be synced to other devices
	// (backup eligible).
	AMRSoftwareKey = "swk"
)

// keyAMR is the AMR value of the passkey of wc: "swk" when it may be
// synced, "hwk" otherwise.
func keyAMR(wc *webauthn.Credential) string {
	if wc.Flags.BackupEligible {
		return AMRSoftwareKey
	}
	return AMRHardwareKey
}

func parseAssertion(response []byte) (*protocol.ParsedCredentialAssertionData, error) {
	if len(response) > maxResponse {
		return nil, invalid(errors.New("response too large"))
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, invalid(err)
	}
	return parsed, nil
}

// use checks the signature counter of a verified assertion and records
// it: a counter that does not advance fails the login.
func (m *Manager) use(ctx context.Context, uid string, wc *webauthn.Credential, parsed *protocol.ParsedCredentialAssertionData) error {
	if wc.Authenticator.CloneWarning {
		m.log.WarnContext(ctx, "passkey: signature counter did not advance", "uid", uid, "id", EncodeID(wc.ID))
		return fmt.Errorf("%w: %w", ErrInvalidPasskey, ErrCounter)
	}
	ok, err := m.store.Use(ctx, uid, wc.ID, parsed.Response.AuthenticatorData.Counter, time.Now())
	switch {
	case errors.Is(err, ErrNotFound): // removed meanwhile
		return invalid(err)
	case err != nil:
		return unavailable("store", err)
	case !ok:
		m.log.WarnContext(ctx, "passkey: signature counter did not advance", "uid", uid, "id", EncodeID(wc.ID))
		return fmt.Errorf("%w: %w", ErrInvalidPasskey, ErrCounter)
	}
	return nil
}

// pendingUID returns the account of pending, a live "pendingtotp"
// session.
func (m *Manager) pendingUID(ctx context.Context, pending *session.Session) (string, error) {
	if pending == nil || !pending.HasRole(login.RolePendingTOTP) {
		return "", login.ErrNotPendingTOTP
	}
	stored, _, err := m.sessions.Load(ctx, pending)
	if err != nil {
		return "", err
	}
	if !stored.HasRole(login.RolePendingTOTP) {
		return "", login.ErrNotPendingTOTP
	}
	return stored.UID, nil
}

// BeginFactor starts the second factor of a password login waiting for
// it (pending holds the role "pendingtotp", from login.Manager.Login):
// the browser is asked for one of the account's passkeys. An account
// without passkeys gives ErrNoPasskey.
func (m *Manager) BeginFactor(ctx context.Context, pending *session.Session) (Challenge, error) {
	uid, err := m.pendingUID(ctx, pending)
	if err != nil {
		return Challenge{}, err
	}
	acc, err := m.activeAccount(ctx, uid)
	if err != nil {
		return Challenge{}, err
	}
	u, _, err := m.userOf(ctx, acc)
	if err != nil {
		return Challenge{}, err
	}
	if len(u.creds) == 0 {
		return Challenge{}, ErrNoPasskey
	}
	uv := protocol.VerificationDiscouraged
	if m.cfg.factorUV {
		uv = protocol.VerificationRequired
	}
	opts, data, err := m.wa.BeginLogin(u, webauthn.WithUserVerification(uv))
	if err != nil {
		return Challenge{}, fmt.Errorf("passkey: begin second factor: %w", err)
	}
	return m.begin(ctx, purposeFactor, uid, opts, data)
}

// FinishFactor completes the second factor BeginFactor started for
// pending: the assertion must verify as in FinishLogin, with a passkey of
// the pending session's account. The pending session ends and a full
// session starts (login.Manager.CompleteProven; Method
// MethodPasskeyFactor).
func (m *Manager) FinishFactor(ctx context.Context, pending *session.Session, state string, response []byte) (*session.Session, session.Token, error) {
	uid, err := m.pendingUID(ctx, pending)
	if err != nil {
		return nil, "", err
	}
	data, err := m.finish(ctx, purposeFactor, uid, state)
	if err != nil {
		return nil, "", err
	}
	parsed, err := parseAssertion(response)
	if err != nil {
		return nil, "", err
	}
	acc, err := m.activeAccount(ctx, uid)
	if err != nil {
		return nil, "", err
	}
	u, _, err := m.userOf(ctx, acc)
	if err != nil {
		return nil, "", err
	}
	wc, err := m.wa.ValidateLogin(u, data, parsed)
	if err != nil {
		return nil, "", invalid(err)
	}
	if err := m.use(ctx, uid, wc, parsed); err != nil {
		return nil, "", err
	}
	return m.logins.CompleteProven(ctx, pending, login.Proof{UID: uid, Method: MethodPasskeyFactor, AMR: []string{keyAMR(wc)}})
}

// List returns the passkeys of account uid, oldest first.
func (m *Manager) List(ctx context.Context, uid string) ([]Credential, error) {
	cs, err := m.store.List(ctx, uid)
	if err != nil {
		return nil, unavailable("store", err)
	}
	return cs, nil
}

// Rename sets the name of passkey id of account uid (ErrInvalidName,
// ErrNotFound).
func (m *Manager) Rename(ctx context.Context, uid string, id []byte, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	return storeErr(m.store.Rename(ctx, uid, id, name))
}

// Remove deletes passkey id of account uid (ErrNotFound): it stops
// working at once. Sessions it started stay; end them with the
// session.Manager when the passkey was lost.
func (m *Manager) Remove(ctx context.Context, uid string, id []byte) error {
	return storeErr(m.store.Remove(ctx, uid, id))
}

// RemoveAll deletes every passkey of account uid, for a deleted or
// recovered account (call it from login.WithCredentialsChanged).
func (m *Manager) RemoveAll(ctx context.Context, uid string) (int, error) {
	n, err := m.store.RemoveAll(ctx, uid)
	if err != nil {
		return 0, unavailable("store", err)
	}
	return n, nil
}

func storeErr(err error) error {
	if err == nil || errors.Is(err, ErrNotFound) {
		return err
	}
	return unavailable("store", err)
}

// checkName checks a passkey name: 1 to MaxNameLen bytes of UTF-8
// without control characters, not only spaces.
func checkName(name string) error {
	if strings.TrimSpace(name) == "" || len(name) > MaxNameLen || !utf8.ValidString(name) {
		return ErrInvalidName
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ErrInvalidName
		}
	}
	return nil
}

// Factors returns the login.FactorSource of the passkeys in store: give
// it to login.New (login.WithFactors) so that a password login to an
// account with a passkey waits for it as a second factor (BeginFactor,
// FinishFactor), as it waits for a TOTP code. It costs one Store.List per
// password login of an account without TOTP.
func Factors(store Store) login.FactorSource { return factors{store} }

type factors struct{ s Store }

// HasFactor reports whether uid has a passkey.
func (f factors) HasFactor(ctx context.Context, uid string) (bool, error) {
	cs, err := f.s.List(ctx, uid)
	return len(cs) > 0, err
}
