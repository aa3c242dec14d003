package login

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/apicrud-go/apicrud/session"
)

// Login methods recorded in Session.Method.
const (
	MethodPassword   = "password"
	MethodTOTP       = "totp"
	MethodBackupCode = "backup_code"
	MethodDevice     = "device"
	methodExternal   = "external:"
)

// Authentication methods references (RFC 8176) that package login
// records in Session.AMR.
const (
	AMRPassword  = "pwd" // a password
	AMROTP       = "otp" // a one-time code: TOTP or backup code
	AMRFederated = "fed" // an identity provider (LoginWith)
	AMRMFA       = "mfa" // two factors
)

// amrOf returns the AMR of a login whose first factor was first and whose
// second factor (TOTP or backup code) was verified when otp is true. A
// remember-device cookie is no factor: such a login records the password
// only.
func amrOf(first string, otp bool) []string {
	a := AMRPassword
	if strings.HasPrefix(first, methodExternal) {
		a = AMRFederated
	}
	if otp {
		return []string{a, AMROTP, AMRMFA}
	}
	return []string{a}
}

// Login checks a username (or e-mail address) and password and starts a
// session. The client address and remember-device cookie come from ctx
// (NewClientContext; the Clients middleware puts them there).
//
//   - An unknown account, a wrong password and a disabled account all give
//     ErrInvalidCredentials after the same work: an unknown account is
//     verified against a dummy argon2id hash of the current cost.
//   - Failed attempts are throttled per (account, client address) and per
//     client address (see Throttles); a throttled attempt gives a
//     *LockedError (errors.Is ErrLocked) before any password check.
//     Successful logins never count, however many arrive at once, nor do
//     logins with the right password refused because the one-time-code
//     limit holds (a *LockedError from that ladder). A store
//     failure gives session.ErrUnavailable: throttling fails closed.
//   - The password check waits for a hashing slot (WithHashConcurrency);
//     when none comes free in time it gives ErrBusy, having checked and
//     counted nothing.
//   - An account with TOTP needs otp (a current code or a backup code),
//     or a valid remember-device cookie; without either Login returns a
//     session holding only the role "pendingtotp", valid for a few minutes,
//     which CompleteTOTP exchanges for a full session.
//   - A full session holds "admin" and "user" for an admin, "user"
//     otherwise, "pending" alone for an unconfirmed account, plus the
//     roles of the MembershipSource.
//
// A hash under an old scheme (bcrypt, sha256_crypt) or older argon2id
// parameters is replaced after a successful login.
func (m *Manager) Login(ctx context.Context, username, password, otp string) (*session.Session, session.Token, error) {
	if m.tracer != nil {
		return m.traceLogin(ctx, "apicrud.login.Login", func(ctx context.Context) (*session.Session, session.Token, error) {
			return m.login(ctx, username, password, otp)
		})
	}
	return m.login(ctx, username, password, otp)
}

func (m *Manager) login(ctx context.Context, username, password, otp string) (*session.Session, session.Token, error) {
	client, _ := ClientFromContext(ctx)
	login, nerr := normalizeLogin(username)
	var acc Account
	var found bool
	if nerr == nil {
		var err error
		if acc, found, err = m.accounts.Lookup(ctx, login); err != nil {
			return nil, "", fmt.Errorf("%w: account lookup: %w", session.ErrUnavailable, err)
		}
	} else {
		login = username
	}
	subject := "login\x00" + login
	if found {
		subject = "uid\x00" + acc.UID
	}
	ag, err := m.reserve(ctx, accountThrottleKey(subject, client.IP), m.cfg.throttle.Account)
	if err != nil {
		return nil, "", err
	}
	ig, err := m.reserve(ctx, ipThrottleKey(client.IP), m.cfg.throttle.IP)
	if err != nil {
		m.settle(ctx, ag, nil, OutcomePassed) // nothing was checked: not a failure
		return nil, "", err
	}
	s, tok, err := m.checkLogin(ctx, client, acc, found, password, otp)
	m.settle(ctx, ag, err, OutcomeCleared)
	m.settle(ctx, ig, err, OutcomePassed)
	return s, tok, err
}

// checkLogin is Login once its attempts are reserved: the password, the
// second factor, the session.
func (m *Manager) checkLogin(ctx context.Context, client Client, acc Account, found bool, password, otp string) (*session.Session, session.Token, error) {
	usable := found && acc.PasswordHash != "" && acc.Status != StatusDisabled
	hash := m.dummyHash
	if usable {
		hash = acc.PasswordHash
	}
	ok, rehash, err := m.verify(ctx, hash, password)
	switch {
	case errors.Is(err, ErrBusy):
		return nil, "", err
	case err != nil:
		m.log.WarnContext(ctx, "login: stored password hash unusable", "uid", acc.UID, "err", err)
	}
	if !usable || !ok {
		return nil, "", ErrInvalidCredentials
	}
	if rehash {
		m.rehash(ctx, acc, password)
	}

	method, amr := MethodPassword, amrOf(MethodPassword, false)
	factor, err := m.needsFactor(ctx, acc)
	if err != nil {
		return nil, "", err
	}
	if factor {
		switch {
		case otp != "" && acc.TOTPSecret != "":
			if method, err = m.secondFactor(ctx, acc, otp); err != nil {
				return nil, "", err
			}
			amr = amrOf(MethodPassword, true)
		case m.deviceOK(client.Device, acc):
			method = MethodDevice
		default:
			return m.sessions.Create(ctx, acc.UID, []string{RolePendingTOTP}, session.Extra{Method: MethodPassword, AMR: amr, Lifetime: m.cfg.pendingTTL})
		}
	}
	return m.startSession(ctx, acc, method, amr)
}

// startSession creates the full session of acc, or its restricted session
// when the account owes an action (see Requirements).
func (m *Manager) startSession(ctx context.Context, acc Account, method string, amr []string) (*session.Session, session.Token, error) {
	roles := restrictions(acc)
	if roles == nil {
		var err error
		if roles, err = m.rolesFor(ctx, acc); err != nil {
			return nil, "", err
		}
	}
	return m.sessions.Create(ctx, acc.UID, roles, session.Extra{Method: method, AMR: amr, Values: map[string]string{"username": acc.Username}})
}

// CompleteTOTP finishes a login that is waiting for its second factor:
// pending must hold the role "pendingtotp" (from Login or LoginWith) and
// otp must be a current TOTP code or an unused backup code. On success
// the pending session ends and a full session starts. Attempts are
// throttled per account (Throttles.OTP) and per (account, client address).
func (m *Manager) CompleteTOTP(ctx context.Context, pending *session.Session, otp string) (*session.Session, session.Token, error) {
	if m.tracer != nil {
		return m.traceLogin(ctx, "apicrud.login.CompleteTOTP", func(ctx context.Context) (*session.Session, session.Token, error) {
			return m.completeTOTPLogin(ctx, pending, otp)
		})
	}
	return m.completeTOTPLogin(ctx, pending, otp)
}

func (m *Manager) completeTOTPLogin(ctx context.Context, pending *session.Session, otp string) (*session.Session, session.Token, error) {
	if pending == nil || !pending.HasRole(RolePendingTOTP) {
		return nil, "", ErrNotPendingTOTP
	}
	stored, _, err := m.sessions.Load(ctx, pending)
	if err != nil {
		return nil, "", err
	}
	if !stored.HasRole(RolePendingTOTP) {
		return nil, "", ErrNotPendingTOTP
	}
	client, _ := ClientFromContext(ctx)
	ag, err := m.reserve(ctx, accountThrottleKey("uid\x00"+stored.UID, client.IP), m.cfg.throttle.Account)
	if err != nil {
		return nil, "", err
	}
	s, tok, err := m.completeTOTP(ctx, stored, otp)
	m.settle(ctx, ag, err, OutcomeCleared)
	return s, tok, err
}

// completeTOTP is CompleteTOTP once its attempt is reserved.
func (m *Manager) completeTOTP(ctx context.Context, stored *session.Session, otp string) (*session.Session, session.Token, error) {
	acc, found, err := m.accounts.Get(ctx, stored.UID)
	if err != nil {
		return nil, "", fmt.Errorf("%w: account: %w", session.ErrUnavailable, err)
	}
	if !found || acc.Status != StatusActive || acc.TOTPSecret == "" {
		return nil, "", ErrInvalidCredentials
	}
	method, err := m.secondFactor(ctx, acc, otp)
	if err != nil {
		return nil, "", err
	}
	if err := m.sessions.Delete(ctx, stored); err != nil {
		return nil, "", err
	}
	return m.startSession(ctx, acc, method, amrOf(stored.Method, true))
}

// rolesFor returns the roles of a full session of acc.
func (m *Manager) rolesFor(ctx context.Context, acc Account) ([]string, error) {
	if acc.Status == StatusPending {
		return []string{RolePending}, nil
	}
	roles := []string{RoleUser}
	if acc.Admin {
		roles = []string{RoleAdmin, RoleUser}
	}
	if m.cfg.members != nil {
		mr, err := m.cfg.members.MembershipRoles(ctx, acc.UID)
		if err != nil {
			return nil, fmt.Errorf("login: membership roles of %s: %w", acc.UID, err)
		}
		for _, r := range mr {
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	return roles, nil
}

// RefreshRoles recomputes the roles of every live session of uid from the
// account and the MembershipSource (apicrud's update_auth), for example
// after the user joined or left a list, or became admin. Sessions waiting
// for a second factor keep their role; a session holding "pending" of an
// account that is no longer pending ends instead of being upgraded. When
// the account is gone or disabled, all its sessions end.
func (m *Manager) RefreshRoles(ctx context.Context, uid string) error {
	if err := validUID(uid); err != nil {
		return err
	}
	acc, found, err := m.accounts.Get(ctx, uid)
	if err != nil {
		return fmt.Errorf("%w: account: %w", session.ErrUnavailable, err)
	}
	if !found || acc.Status == StatusDisabled {
		_, err := m.sessions.DeleteAll(ctx, uid)
		return err
	}
	roles := restrictions(acc) // a restricted account's sessions stay restricted
	if roles == nil {
		if roles, err = m.rolesFor(ctx, acc); err != nil {
			return err
		}
	}
	list, err := m.sessions.List(ctx, uid)
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range list {
		if s.HasRole(RolePendingTOTP) {
			continue
		}
		if s.HasRole(RolePending) && acc.Status != StatusPending {
			// A session of the account before it was activated: activation
			// ends those, and one that a login racing the activation made
			// ends here rather than gaining the roles of the address owner.
			if err := m.sessions.Delete(ctx, s); err != nil && !errors.Is(err, session.ErrNoSession) {
				errs = append(errs, err)
			}
			continue
		}
		if err := m.sessions.SetRoles(ctx, s, roles); err != nil && !errors.Is(err, session.ErrNoSession) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// updateAccount applies fn to account uid with optimistic concurrency,
// retrying when another writer got there first.
func (m *Manager) updateAccount(ctx context.Context, uid string, fn func(*Account) error) (Account, error) {
	for range casRetries {
		acc, found, err := m.accounts.Get(ctx, uid)
		if err != nil {
			return Account{}, fmt.Errorf("%w: account: %w", session.ErrUnavailable, err)
		}
		if !found {
			return Account{}, ErrAccountNotFound
		}
		if err := fn(&acc); err != nil {
			return Account{}, err
		}
		acc.Updated = time.Now().UTC()
		ok, err := m.accounts.Update(ctx, acc)
		if err != nil {
			return Account{}, fmt.Errorf("login: updating account %s: %w", uid, err)
		}
		if ok {
			acc.Version++
			return acc, nil
		}
	}
	return Account{}, session.ErrConflict
}

// rehash replaces the password hash of acc after a successful login; it
// gives up silently when hashing is busy (the next login tries again) and
// logged when the account changed meanwhile.
func (m *Manager) rehash(ctx context.Context, acc Account, password string) {
	h, err := m.hash(ctx, password)
	if err != nil {
		return
	}
	acc.PasswordHash = h
	acc.Updated = time.Now().UTC()
	if ok, err := m.accounts.Update(ctx, acc); err != nil || !ok {
		m.log.WarnContext(ctx, "login: password re-hash not stored", "uid", acc.UID, "err", err)
	}
}

// LoginWith completes a delegated login through p (OAuth2/OpenID Connect)
// with the parameters of the provider's callback. The provider must have
// verified the e-mail address (ErrUnverifiedIdentity otherwise). The
// account with that identity logs in; on the first login of an unknown
// identity an active account is created with the role "user" and no
// password.
//
// A pending account becomes active (the provider proved the address), but
// nothing set on it before the address was proven survives: whoever
// registered it need not own the address. Its password, TOTP enrolment
// and backup codes are discarded and its live sessions end; then the
// WithCredentialsChanged function runs with ReasonDelegatedActivation so
// that the host ends its own credentials (API keys). The owner sets a
// password later through a reset link.
//
// An active account with TOTP still needs its second factor: the result
// is then a "pendingtotp" session, as with Login.
//
// Deliver the resulting token to the client in a response body or cookie,
// never in a redirect URL.
func (m *Manager) LoginWith(ctx context.Context, p IdentityProvider, params url.Values) (*session.Session, session.Token, error) {
	id, err := p.Exchange(ctx, params)
	if err != nil {
		return nil, "", fmt.Errorf("%w: identity provider: %w", ErrInvalidCredentials, err)
	}
	if !id.EmailVerified {
		return nil, "", ErrUnverifiedIdentity
	}
	email, err := NormalizeIdentity(id.Email)
	if err != nil {
		return nil, "", err
	}
	provider := strings.ToLower(id.Provider)
	if len(provider) > 32 || provider == "" {
		provider = "oidc"
	}
	acc, found, err := m.accounts.Lookup(ctx, email)
	if err != nil {
		return nil, "", fmt.Errorf("%w: account lookup: %w", session.ErrUnavailable, err)
	}
	if !found {
		if acc, err = m.createExternal(ctx, email, id.Name); err != nil {
			return nil, "", err
		}
	}
	switch acc.Status {
	case StatusDisabled:
		return nil, "", ErrInvalidCredentials
	case StatusPending:
		if acc, err = m.activateDelegated(ctx, acc.UID); err != nil {
			return nil, "", err
		}
	}
	factor, err := m.needsFactor(ctx, acc)
	if err != nil {
		return nil, "", err
	}
	if factor {
		client, _ := ClientFromContext(ctx)
		if !m.deviceOK(client.Device, acc) {
			return m.sessions.Create(ctx, acc.UID, []string{RolePendingTOTP}, session.Extra{Method: methodExternal + provider, AMR: amrOf(methodExternal, false), Lifetime: m.cfg.pendingTTL})
		}
	}
	return m.startSession(ctx, acc, methodExternal+provider, amrOf(methodExternal, false))
}

// activateDelegated activates pending account uid after an identity
// provider proved its address, discarding every credential set before:
// the registrant may have been someone else. It ends the account's live
// sessions and tells the host (ReasonDelegatedActivation).
func (m *Manager) activateDelegated(ctx context.Context, uid string) (Account, error) {
	activated := false
	acc, err := m.updateAccount(ctx, uid, func(a *Account) error {
		if a.Status == StatusDisabled { // disabled meanwhile
			return ErrInvalidCredentials
		}
		activated = a.Status == StatusPending
		if activated {
			a.Status = StatusActive
			a.PasswordHash, a.TOTPSecret, a.BackupCodes = "", "", nil
		}
		return nil
	})
	if err != nil || !activated {
		return acc, err
	}
	if err := m.endSessions(ctx, uid, ReasonDelegatedActivation); err != nil {
		return Account{}, err
	}
	return acc, nil
}

func (m *Manager) createExternal(ctx context.Context, email, name string) (Account, error) {
	local, _, _ := strings.Cut(email, "@")
	base := make([]byte, 0, 15)
	for i := 0; i < len(local) && len(base) < 15; i++ {
		if b := local[i]; (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '.' || b == '_' || b == '-' {
			base = append(base, b)
		}
	}
	if len(base) == 0 {
		base = append(base, "user"...)
	}
	now := time.Now().UTC()
	for range 4 {
		acc := Account{
			UID: newUID(), Username: string(base) + "-" + randomName(6), Identity: email, Name: truncate(name, 128),
			Status: StatusActive, Created: now, Updated: now,
		}
		err := m.accounts.Create(ctx, acc)
		if err == nil {
			acc.Version = 1
			return acc, nil
		}
		if !errors.Is(err, ErrAccountExists) {
			return Account{}, fmt.Errorf("%w: creating account: %w", session.ErrUnavailable, err)
		}
		// The identity may have been registered concurrently.
		if a, found, err := m.accounts.Lookup(ctx, email); err == nil && found {
			return a, nil
		}
	}
	return Account{}, session.ErrConflict
}

// newUID returns a new account id: "u-" and 80 random bits in hex.
func newUID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return "u-" + hex.EncodeToString(b)
}

const nameAlphabet = "abcdefghijkmnpqrstuvwxyz23456789" // 32 symbols, no 0/o/1/l

// randomName returns n random symbols of nameAlphabet (5 bits each).
func randomName(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = nameAlphabet[b[i]&31]
	}
	return string(b)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 { // do not cut a UTF-8 sequence
		n--
	}
	return s[:n]
}
