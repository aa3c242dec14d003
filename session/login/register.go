package login

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apicrud-go/apicrud/session"
)

// NewAccount describes an account to create with CreateAccount or
// Register.
type NewAccount struct {
	Username string
	Identity string // e-mail address; required by Register
	Name     string
	Password string // empty: no password login (CreateAccount only)
	Admin    bool   // CreateAccount only
}

// CreateAccount creates an active account at once, without confirmation:
// for seeding an administrator or for administrators adding users. The
// password, when given, must pass the password policy.
func (m *Manager) CreateAccount(ctx context.Context, a NewAccount) (Account, error) {
	acc, err := m.newAccount(ctx, a, a.Identity != "")
	if err != nil {
		return Account{}, err
	}
	acc.Status, acc.Admin = StatusActive, a.Admin
	if err := m.accounts.Create(ctx, acc); err != nil {
		if errors.Is(err, ErrAccountExists) {
			return Account{}, err
		}
		return Account{}, fmt.Errorf("%w: creating account: %w", session.ErrUnavailable, err)
	}
	acc.Version = 1
	return acc, nil
}

// newAccount validates a and hashes its password.
func (m *Manager) newAccount(ctx context.Context, a NewAccount, needIdentity bool) (Account, error) {
	username, err := NormalizeUsername(a.Username)
	if err != nil {
		return Account{}, err
	}
	var identity string
	if needIdentity {
		if identity, err = NormalizeIdentity(a.Identity); err != nil {
			return Account{}, err
		}
	}
	var hash string
	if a.Password != "" {
		if hash, err = m.checkAndHash(ctx, a.Password, username, identity, a.Name); err != nil {
			return Account{}, err
		}
	}
	now := time.Now().UTC()
	return Account{
		UID: newUID(), Username: username, Identity: identity, Name: truncate(a.Name, 128),
		PasswordHash: hash, Created: now, Updated: now,
	}, nil
}

// CheckPassword applies the password policy to a new password of the
// account with username and identity, and then the breach check
// (WithBreachCheck): nil, or a *PasswordError saying why not, or the
// error of a breach check that failed closed. Use it to validate a form
// before submitting it.
func (m *Manager) CheckPassword(ctx context.Context, password, username, identity string) error {
	if err := m.cfg.policy.Check(password, username, identity); err != nil {
		return err
	}
	return m.checkBreached(ctx, password)
}

// Register creates a pending account (role "pending" until confirmed) and
// sends the owner of its identity a confirmation link through the
// Notifier. It returns a uid, and answers the same way whether or not the
// username or the identity is taken, so that registration cannot probe
// which usernames or addresses have accounts:
//
//   - a taken identity: the existing owner gets a NoticeAlreadyRegistered
//     instead (at most 3 an hour, then one per 20 minutes; further ones
//     are silently dropped, so that nobody can flood an inbox), and the
//     uid returned belongs to no account;
//   - a free identity but a taken username: the account is created under
//     a placeholder username, and the confirmation notice says so
//     (Notice.TakenUsername): only the owner of the address learns that
//     the name is taken, and picks another with ConfirmUsername (Confirm
//     alone refuses such a link with ErrUsernameRequired).
//
// When the confirmation cannot be sent (ErrQueueFull, a failing store or
// Notifier), the pending account just created is deleted again and the
// error returned, so that a retry registers afresh.
//
// The confirmation token never appears in the result.
func (m *Manager) Register(ctx context.Context, a NewAccount) (string, error) {
	if m.cfg.notifier == nil {
		return "", fmt.Errorf("%w: Register needs WithNotifier", ErrOption)
	}
	if a.Password == "" {
		return "", &PasswordError{Code: CodePasswordTooShort, Reason: fmt.Sprintf("the password must have at least %d characters", m.cfg.policy.MinLength)}
	}
	acc, err := m.newAccount(ctx, NewAccount{Username: a.Username, Identity: a.Identity, Name: a.Name, Password: a.Password}, true)
	if err != nil {
		return "", err
	}
	acc.Status = StatusPending
	requested := acc.Username
	for range casRetries {
		owner, idTaken, err := m.accounts.Lookup(ctx, acc.Identity)
		if err != nil {
			return "", fmt.Errorf("%w: account lookup: %w", session.ErrUnavailable, err)
		}
		if idTaken {
			if err := m.noticeRegistered(ctx, owner); err != nil {
				return "", err
			}
			return newUID(), nil
		}
		_, nameTaken, err := m.accounts.Lookup(ctx, requested)
		if err != nil {
			return "", fmt.Errorf("%w: account lookup: %w", session.ErrUnavailable, err)
		}
		nameTaken = nameTaken || m.restrictedName(requested)
		acc.Username = requested
		if nameTaken {
			acc.Username = placeholderUsername()
		}
		// The same throttle round trip as a taken address's notice costs,
		// on the fresh uid's key (never over its limit).
		if err := m.attempt(ctx, digestKey("regnotice:", acc.UID), regNoticeLadder); err != nil {
			return "", err
		}
		err = m.accounts.Create(ctx, acc)
		switch {
		case errors.Is(err, ErrAccountExists):
			continue // lost a race for the name or the address: look again
		case err != nil:
			return "", fmt.Errorf("%w: creating account: %w", session.ErrUnavailable, err)
		}
		taken := ""
		if nameTaken {
			taken = requested
		}
		if err := m.sendConfirm(ctx, acc, taken); err != nil {
			m.dropPending(ctx, acc.UID)
			return "", err
		}
		return acc.UID, nil
	}
	return "", session.ErrConflict
}

// dropPending deletes the pending account uid that Register just created
// when its confirmation could not be sent (a full notify queue, a failing
// store): otherwise it would hold the address, unconfirmable, and a retry
// would only send an "already registered" notice. Best effort, even after
// ctx ended; a failure is logged.
func (m *Manager) dropPending(ctx context.Context, uid string) {
	if _, err := m.accounts.Delete(context.WithoutCancel(ctx), uid); err != nil {
		m.log.WarnContext(ctx, "login: deleting an unconfirmable pending account failed", "uid", uid, "err", err)
	}
}

// regNoticeLadder limits the "already registered" notices an account
// gets from registrations naming its address, as resetLadder limits reset
// links: 3 at once, then one per 20 minutes; forgotten an hour after the
// last request.
var regNoticeLadder = Ladder{Free: 2, Delays: []time.Duration{20 * time.Minute}, Window: time.Hour}

// noticeRegistered tells the owner of a taken address that someone tried
// to register it, at most as often as regNoticeLadder allows; past the
// limit the notice is silently dropped. Either way it does the store work
// of a free address's registration: one throttle round trip (Register
// counts the fresh uid too) and one link token stored (on a key no token
// uses, expiring in a second, as the confirmation link is), and the same
// queue work.
func (m *Manager) noticeRegistered(ctx context.Context, owner Account) error {
	err := m.attempt(ctx, digestKey("regnotice:", owner.UID), regNoticeLadder)
	if err != nil && !errors.Is(err, ErrLocked) {
		return err
	}
	send := err == nil
	tok, err := m.keys.newLink(purposeConfirm, "-", time.Now().Add(time.Minute))
	if err != nil {
		return err
	}
	if err := m.store.PutToken(ctx, digestKey("link:none:", "regnotice\x00"+owner.UID), linkDigest(tok), time.Second); err != nil {
		return fmt.Errorf("%w: storing link: %w", session.ErrUnavailable, err)
	}
	if !send {
		return m.pace(ctx)
	}
	n := Notice{Purpose: NoticeAlreadyRegistered, UID: owner.UID, Username: owner.Username, Identity: owner.Identity}
	if err := m.cfg.notifier.Notify(ctx, n); err != nil {
		return fmt.Errorf("login: notifier: %w", err)
	}
	return nil
}

// placeholderPrefix starts the username of an account registered under a
// taken name, until its owner picks another at confirmation.
const placeholderPrefix = "pending-"

// placeholderUsername returns a fresh, valid, unguessable username.
func placeholderUsername() string {
	return placeholderPrefix + strings.ToLower(rand.Text()[:16])
}

// sendConfirm sends the confirmation link of a pending account; taken is
// the username asked for when it was taken (the link then requires a new
// one, see ConfirmUsername).
func (m *Manager) sendConfirm(ctx context.Context, acc Account, taken string) error {
	exp := time.Now().Add(m.cfg.confirmTTL)
	tok, err := m.keys.newLinkFor(purposeConfirm, acc.UID, exp, taken != "")
	if err != nil {
		return err
	}
	return m.deliverLink(ctx, acc, purposeConfirm, tok, Notice{Purpose: NoticeConfirm, TakenUsername: taken}, exp)
}

// sendLink issues a single-use link token for (purpose, acc.UID), stores
// its digest (voiding the previous link of that purpose), and hands it to
// the Notifier.
func (m *Manager) sendLink(ctx context.Context, acc Account, purpose, notice string, ttl time.Duration) error {
	exp := time.Now().Add(ttl)
	tok, err := m.keys.newLink(purpose, acc.UID, exp)
	if err != nil {
		return err
	}
	return m.deliverLink(ctx, acc, purpose, tok, Notice{Purpose: notice}, exp)
}

// deliverLink stores the digest of link token tok and sends n, completed
// with the account and the token, to the Notifier.
func (m *Manager) deliverLink(ctx context.Context, acc Account, purpose, tok string, n Notice, exp time.Time) error {
	if err := m.store.PutToken(ctx, linkKey(purpose, acc.UID), linkDigest(tok), time.Until(exp)); err != nil {
		return fmt.Errorf("%w: storing link: %w", session.ErrUnavailable, err)
	}
	n.UID, n.Username, n.Identity, n.Token, n.Expires = acc.UID, acc.Username, acc.Identity, tok, exp
	if err := m.cfg.notifier.Notify(ctx, n); err != nil {
		return fmt.Errorf("login: notifier: %w", err)
	}
	return nil
}

// takeLink checks and consumes a link token of purpose and returns its
// uid. Any failure is ErrInvalidLink (or session.ErrUnavailable).
func (m *Manager) takeLink(ctx context.Context, token, purpose string) (string, error) {
	uid, err := m.keys.parseLink(token, purpose, time.Now())
	if err != nil {
		return "", err
	}
	ok, err := m.store.TakeToken(ctx, linkKey(purpose, uid), linkDigest(token))
	if err != nil {
		return "", fmt.Errorf("%w: taking link: %w", session.ErrUnavailable, err)
	}
	if !ok {
		return "", fmt.Errorf("%w: already used or superseded", ErrInvalidLink)
	}
	return uid, nil
}

// Confirm activates the pending account a confirmation link was sent to,
// given the password chosen at registration. The link works once, expires
// (WithLinkTTL), is bound to its purpose and account, and is void once a
// newer link was sent. The account's live sessions (which hold only
// "pending") end: the user logs in again. A link sent for a registration
// whose username was taken is refused with ErrUsernameRequired, and stays
// usable with ConfirmUsername.
//
// The password is what makes confirmation safe against pre-hijacking:
// someone who registers another person's address chooses the password,
// and the owner of the address who follows the link without knowing it
// gets ErrInvalidCredentials (the link stays usable), never an account
// whose password a stranger holds. An owner who did not register takes
// the address over with RequestPasswordReset instead, whose link sets a
// password of their own and activates the account. Wrong passwords are
// throttled as logins are (a *LockedError past the limit); the check
// holds a password-hashing slot (ErrBusy when none came free).
func (m *Manager) Confirm(ctx context.Context, token, password string) error {
	return m.ConfirmUsername(ctx, token, "", password)
}

// ConfirmUsername is Confirm that also gives the account the username
// (when not empty): the owner of the address picks a name at confirmation,
// which they must when the one they registered was taken. A taken name is
// ErrUsernameTaken and an invalid one ErrInvalidUsername; the link then
// stays usable. Only the holder of a valid confirmation link who knows
// the registration's password learns whether a name is taken.
func (m *Manager) ConfirmUsername(ctx context.Context, token, username, password string) error {
	uid, rename, err := m.keys.parseLinkFor(token, purposeConfirm, time.Now())
	if err != nil {
		return err
	}
	if err := m.confirmPassword(ctx, uid, password); err != nil {
		return err
	}
	if username == "" && rename {
		return ErrUsernameRequired
	}
	if username != "" {
		if err := m.rename(ctx, uid, username); err != nil {
			return err
		}
	}
	if _, err := m.takeLink(ctx, token, purposeConfirm); err != nil {
		return err
	}
	if _, err := m.updateAccount(ctx, uid, func(a *Account) error {
		if a.Status == StatusPending {
			a.Status = StatusActive
		}
		return nil
	}); err != nil {
		if errors.Is(err, ErrAccountNotFound) {
			return fmt.Errorf("%w: account gone", ErrInvalidLink)
		}
		return err
	}
	return m.endSessions(ctx, uid, ReasonConfirmed)
}

// confirmPassword checks the registration's password of account uid for
// ConfirmUsername, throttled like a login of that account from the
// caller's address. A gone account is ErrInvalidLink.
func (m *Manager) confirmPassword(ctx context.Context, uid, password string) error {
	client, _ := ClientFromContext(ctx)
	ag, err := m.reserve(ctx, accountThrottleKey("uid\x00"+uid, client.IP), m.cfg.throttle.Account)
	if err != nil {
		return err
	}
	_, found, err := m.checkPassword(ctx, uid, password)
	m.settle(ctx, ag, err, OutcomeCleared)
	if errors.Is(err, ErrInvalidCredentials) && !found {
		return fmt.Errorf("%w: account gone", ErrInvalidLink)
	}
	return err
}

// checkPassword returns account uid if password is its password, and
// ErrInvalidCredentials otherwise (found tells whether the account
// exists). It hashes once whatever the case.
func (m *Manager) checkPassword(ctx context.Context, uid, password string) (acc Account, found bool, err error) {
	acc, found, err = m.accounts.Get(ctx, uid)
	if err != nil {
		return acc, false, fmt.Errorf("%w: account: %w", session.ErrUnavailable, err)
	}
	hash := m.dummyHash
	if found && acc.PasswordHash != "" {
		hash = acc.PasswordHash
	}
	ok, _, err := m.verify(ctx, hash, password)
	switch {
	case errors.Is(err, ErrBusy):
		return acc, found, err
	case !found || acc.PasswordHash == "" || !ok:
		return acc, found, ErrInvalidCredentials
	}
	return acc, true, nil
}

// rename gives the pending account uid the username.
func (m *Manager) rename(ctx context.Context, uid, username string) error {
	norm, err := NormalizeUsername(username)
	if err != nil {
		return err
	}
	if strings.HasPrefix(norm, placeholderPrefix) || m.restrictedName(norm) {
		return ErrUsernameTaken // reserved for placeholders or restricted
	}
	_, err = m.updateAccount(ctx, uid, func(a *Account) error {
		if a.Status != StatusPending {
			return fmt.Errorf("%w: account already confirmed", ErrInvalidLink)
		}
		a.Username = norm
		return nil
	})
	switch {
	case errors.Is(err, ErrAccountExists):
		return ErrUsernameTaken
	case errors.Is(err, ErrAccountNotFound):
		return fmt.Errorf("%w: account gone", ErrInvalidLink)
	}
	return err
}

// RequestPasswordReset sends a password-reset link to the owner of the
// account named by login (username or e-mail address), if there is such
// an account that is not disabled. It returns nil either way — and does
// the same store work either way — so that it never reveals whether an
// account exists; only a failing store or Notifier gives an error. An
// account gets at most 3 links per hour, then one per 20 minutes; further
// requests are silently dropped.
func (m *Manager) RequestPasswordReset(ctx context.Context, login string) error {
	if m.cfg.notifier == nil {
		return fmt.Errorf("%w: RequestPasswordReset needs WithNotifier", ErrOption)
	}
	norm, err := normalizeLogin(login)
	var acc Account
	var found bool
	if err == nil {
		if acc, found, err = m.accounts.Lookup(ctx, norm); err != nil {
			return fmt.Errorf("%w: account lookup: %w", session.ErrUnavailable, err)
		}
	}
	usable := found && acc.Status != StatusDisabled && acc.Identity != ""
	// At most a few links per account and hour: nobody can flood an inbox.
	// Unknown logins are counted too, so both paths do the same store work.
	subject := "login\x00" + login
	if norm != "" {
		subject = "login\x00" + norm
	}
	if usable {
		subject = "uid\x00" + acc.UID
	}
	if err := m.attempt(ctx, digestKey("reset:", subject), resetLadder); err != nil {
		if errors.Is(err, ErrLocked) {
			return nil
		}
		return err
	}
	if !usable {
		// Same store round trip as a real request, on a key no token uses
		// (one per login, as a real link has one per account; it expires
		// in a second), and the same queue work (pace).
		tok, err := m.keys.newLink(purposeReset, "-", time.Now().Add(time.Minute))
		if err != nil {
			return err
		}
		if err := m.store.PutToken(ctx, digestKey("link:none:", subject), linkDigest(tok), time.Second); err != nil {
			return fmt.Errorf("%w: storing link: %w", session.ErrUnavailable, err)
		}
		return m.pace(ctx)
	}
	return m.sendLink(ctx, acc, purposeReset, NoticeReset, m.cfg.resetTTL)
}

// pace does what handing a notice to the notify queue does, without a
// notice, where a request that sends one for an existing account sends
// none for an unknown one.
func (m *Manager) pace(ctx context.Context) error {
	if m.queue == nil {
		return nil
	}
	if err := m.queue.pace(ctx); err != nil {
		return fmt.Errorf("login: notifier: %w", err)
	}
	return nil
}

// resetLadder limits password-reset links per account: 3 at once (the
// third sets the first wait), then one per 20 minutes; forgotten an hour
// after the last request.
var resetLadder = Ladder{Free: 2, Delays: []time.Duration{20 * time.Minute}, Window: time.Hour}

// ResetPassword sets a new password with a reset link: the link names the
// account (there is no uid parameter to tamper with), works once, expires
// and is void once a newer link was sent. The new password must pass the
// policy (the link stays usable when it does not). A pending account
// becomes active (the link proved the address), and every live session of
// the account ends.
func (m *Manager) ResetPassword(ctx context.Context, token, newPassword string) error {
	uid, err := m.keys.parseLink(token, purposeReset, time.Now())
	if err != nil {
		return err
	}
	acc, found, err := m.accounts.Get(ctx, uid)
	if err != nil {
		return fmt.Errorf("%w: account: %w", session.ErrUnavailable, err)
	}
	if !found {
		return fmt.Errorf("%w: account gone", ErrInvalidLink)
	}
	hash, err := m.checkAndHash(ctx, newPassword, acc.Username, acc.Identity, acc.Name) // before the link is used up: busy keeps it
	if err != nil {
		return err
	}
	if _, err := m.takeLink(ctx, token, purposeReset); err != nil {
		return err
	}
	if _, err := m.updateAccount(ctx, uid, func(a *Account) error {
		a.PasswordHash, a.PasswordMustChange = hash, false
		if a.Status == StatusPending {
			a.Status = StatusActive
		}
		return nil
	}); err != nil {
		return err
	}
	return m.endSessions(ctx, uid, ReasonPasswordReset)
}

// ChangePassword replaces the password of account uid after checking the
// current one (throttled like Login), and ends every live session of the
// account, the caller's included: the user logs in again with the new
// password.
func (m *Manager) ChangePassword(ctx context.Context, uid, oldPassword, newPassword string) error {
	if err := validUID(uid); err != nil {
		return err
	}
	client, _ := ClientFromContext(ctx)
	ag, err := m.reserve(ctx, accountThrottleKey("uid\x00"+uid, client.IP), m.cfg.throttle.Account)
	if err != nil {
		return err
	}
	err = m.changePassword(ctx, uid, oldPassword, newPassword)
	m.settle(ctx, ag, err, OutcomeCleared)
	if err != nil {
		return err
	}
	return m.endSessions(ctx, uid, ReasonPasswordChange)
}

// changePassword is ChangePassword once its attempt is reserved.
func (m *Manager) changePassword(ctx context.Context, uid, oldPassword, newPassword string) error {
	acc, _, err := m.checkPassword(ctx, uid, oldPassword)
	if err != nil {
		return err
	}
	if acc.Status == StatusDisabled {
		return ErrInvalidCredentials
	}
	newHash, err := m.checkAndHash(ctx, newPassword, acc.Username, acc.Identity, acc.Name)
	if err != nil {
		return err
	}
	_, err = m.updateAccount(ctx, uid, func(a *Account) error {
		a.PasswordHash, a.PasswordMustChange = newHash, false
		return nil
	})
	return err
}

// SetStatus changes the status of account uid and ends all its live
// sessions, whatever the new status: a disabled account is locked out at
// once, and an activated one logs in again to get its new roles.
func (m *Manager) SetStatus(ctx context.Context, uid string, status Status) error {
	if status != StatusPending && status != StatusActive && status != StatusDisabled {
		return fmt.Errorf("%w: status %q", session.ErrInvalidValue, status)
	}
	if err := validUID(uid); err != nil {
		return err
	}
	if _, err := m.updateAccount(ctx, uid, func(a *Account) error {
		a.Status = status
		return nil
	}); err != nil {
		return err
	}
	return m.endSessions(ctx, uid, ReasonStatus)
}

// DeleteAccount deletes account uid and ends all its live sessions, so
// that no token of a deleted user keeps working. Deleting an unknown
// account gives ErrAccountNotFound (after ending any sessions of uid).
func (m *Manager) DeleteAccount(ctx context.Context, uid string) error {
	if err := validUID(uid); err != nil {
		return err
	}
	existed, err := m.accounts.Delete(ctx, uid)
	if err != nil {
		return fmt.Errorf("%w: deleting account: %w", session.ErrUnavailable, err)
	}
	if err := m.endSessions(ctx, uid, ReasonDeleted); err != nil {
		return err
	}
	if !existed {
		return ErrAccountNotFound
	}
	return nil
}

// endSessions ends every live session of uid after a change of its
// credentials or status, then lets the host end its own credentials
// (WithCredentialsChanged).
func (m *Manager) endSessions(ctx context.Context, uid, reason string) error {
	if _, err := m.sessions.DeleteAll(ctx, uid); err != nil {
		return err
	}
	if m.cfg.credentials != nil {
		if err := m.cfg.credentials(ctx, uid, reason); err != nil {
			return fmt.Errorf("login: credentials changed (%s): %w", reason, err)
		}
	}
	return nil
}
