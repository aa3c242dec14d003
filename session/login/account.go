package login

import (
	"context"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apicrud-go/apicrud/session"
)

// Status is the state of an account.
type Status string

// Account states. A pending account has registered but not confirmed its
// identity: it can log in with the single role "pending". A disabled
// account cannot log in (the login error does not say so).
const (
	StatusPending  Status = "pending"
	StatusActive   Status = "active"
	StatusDisabled Status = "disabled"
)

// Role names the Manager hands out.
const (
	RoleAdmin       = "admin"
	RoleUser        = "user"
	RolePending     = "pending"
	RolePendingTOTP = session.RolePendingTOTP
)

// Account is a login account as an AccountStore keeps it. Secrets are
// stored only in protected form: PasswordHash is a PHC string (argon2id,
// or bcrypt/sha256_crypt awaiting re-hash), TOTPSecret is sealed with the
// session.Manager's Sealer, BackupCodes are keyed HMAC digests.
type Account struct {
	UID          string
	Username     string // lower case, [a-z0-9._-]{1,64}
	Identity     string // e-mail address, lower case; may be empty
	Name         string // display name
	PasswordHash string // empty: no password login (delegated only)
	Status       Status
	Admin        bool
	TOTPSecret   string   // sealed; empty: no TOTP
	BackupCodes  []string // digests of the unused backup codes
	// MFARequired requires TOTP: a login without it gives a session that
	// may only enrol it (RoleMFAEnrolment).
	MFARequired bool
	// PasswordMustChange requires a new password: a login gives a session
	// that may only change it (RolePasswordChange). ChangePassword and
	// ResetPassword clear it.
	PasswordMustChange bool
	// Version is the optimistic-concurrency counter: Create stores 1,
	// every successful Update adds one.
	Version int64
	Created time.Time
	Updated time.Time
}

// LogValue logs the account without its secrets.
func (a Account) LogValue() slog.Value {
	return slog.GroupValue(slog.String("uid", a.UID), slog.String("username", a.Username), slog.String("status", string(a.Status)), slog.Bool("admin", a.Admin))
}

// AccountStore keeps accounts. Implementations must be safe for concurrent
// use. A missing account is (Account{}, false, nil), never an error.
type AccountStore interface {
	// Lookup finds the account whose Username (when login has no '@') or
	// Identity (when it has) equals login, which is already lower case.
	Lookup(ctx context.Context, login string) (Account, bool, error)
	// Get finds the account with uid.
	Get(ctx context.Context, uid string) (Account, bool, error)
	// Create stores a new account with Version 1. It returns an error
	// wrapping ErrAccountExists when the uid, the username or a non-empty
	// identity is taken.
	Create(ctx context.Context, a Account) error
	// Update replaces the stored account a.UID if its Version still equals
	// a.Version, storing Version+1, and reports whether it did (false when
	// the version differs or the account is gone).
	Update(ctx context.Context, a Account) (bool, error)
	// Delete removes the account with uid and reports whether it existed.
	Delete(ctx context.Context, uid string) (bool, error)
}

// MembershipSource supplies a user's membership roles, already built
// (for example "list-x-12345678-invitee", "list-x-12345678-member"): the
// session stores them as given, beside the account's own roles. The
// authorization layer owns their format; with accesscontrol, build them
// with accesscontrol.MembershipRoles. Implementations must be safe for
// concurrent use.
type MembershipSource interface {
	MembershipRoles(ctx context.Context, uid string) ([]string, error)
}

// Notice purposes.
const (
	// NoticeConfirm asks the owner of Identity to confirm it with Token.
	NoticeConfirm = "confirm"
	// NoticeReset carries a password-reset Token.
	NoticeReset = "reset"
	// NoticeAlreadyRegistered tells the owner of Identity that someone
	// tried to register it again (no token): registration never reveals
	// which identities have accounts.
	NoticeAlreadyRegistered = "already_registered"
)

// Notice is a message for the owner of an account, to be delivered out of
// band (e-mail, SMS). Token is a credential: it must only ever reach
// Identity, never an HTTP response or a log.
type Notice struct {
	Purpose  string
	UID      string
	Username string
	Identity string
	Token    string
	Expires  time.Time
	// TakenUsername, in a NoticeConfirm, is the username the registrant
	// asked for when another account already has it: the message should
	// say so, and let them pick another at confirmation (ConfirmUsername).
	// Only the owner of Identity sees it.
	TakenUsername string
}

// LogValue logs the notice without its token.
func (n Notice) LogValue() slog.Value {
	return slog.GroupValue(slog.String("purpose", n.Purpose), slog.String("uid", n.UID), slog.String("identity", n.Identity))
}

// Notifier delivers notices; the host implements it (e-mail, queue). The
// Manager calls it from the workers of its NotifyQueue (WithNotifyQueue),
// after the request that caused the notice has been answered, with the
// request's context values but not its deadline; with WithNotifyQueue(0)
// it is called during the request and must return at once, since its
// duration would tell whether an account exists.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// Identity is what an identity provider asserts about a user after a
// delegated login (OAuth2/OpenID Connect).
type Identity struct {
	Provider      string // short name, for example "google"
	Subject       string // the provider's stable user id
	Email         string
	EmailVerified bool
	Name          string
}

// IdentityProvider completes a delegated login: it exchanges the
// parameters of the provider's callback (an OAuth2 authorization code and
// state, checked against what the host stored when it redirected) for the
// verified identity of the user. LoginWith maps that identity to an
// account.
type IdentityProvider interface {
	Exchange(ctx context.Context, params url.Values) (Identity, error)
}

// NormalizeUsername lower-cases and trims a username and checks it is 1 to
// 64 characters among a-z, 0-9, '.', '_' and '-'.
func NormalizeUsername(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > 64 {
		return "", ErrInvalidUsername
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b == '.' || b == '_' || b == '-' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z')) {
			return "", ErrInvalidUsername
		}
	}
	return s, nil
}

// NormalizeIdentity lower-cases and trims an e-mail address and checks its
// shape: one '@', a local part of 1 to 64 and a domain of 1 to 253
// printable ASCII characters, the domain holding a dot, 254 in all. It
// does not rewrite addresses (no removal of "+tag" or of Gmail dots: see
// the package documentation).
func NormalizeIdentity(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || len(local) > 64 || len(domain) > 253 || len(s) > 254 ||
		strings.Contains(domain, "@") || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", ErrInvalidIdentity
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b <= ' ' || b >= 0x7f || b == '{' || b == '}' {
			return "", ErrInvalidIdentity
		}
	}
	return s, nil
}

// normalizeLogin normalises what a user typed to log in: an identity when
// it holds '@', a username otherwise.
func normalizeLogin(s string) (string, error) {
	if strings.Contains(s, "@") {
		return NormalizeIdentity(s)
	}
	return NormalizeUsername(s)
}

// MemoryAccounts is an in-memory AccountStore, for tests, examples and
// single-process hosts that keep accounts elsewhere. It is safe for
// concurrent use. Use NewMemoryAccounts.
type MemoryAccounts struct {
	mu         sync.Mutex // guards the maps
	byUID      map[string]Account
	byUsername map[string]string
	byIdentity map[string]string
}

var _ AccountStore = (*MemoryAccounts)(nil)

// NewMemoryAccounts returns an empty MemoryAccounts.
func NewMemoryAccounts() *MemoryAccounts {
	return &MemoryAccounts{byUID: map[string]Account{}, byUsername: map[string]string{}, byIdentity: map[string]string{}}
}

func cloneAccount(a Account) Account {
	a.BackupCodes = slices.Clone(a.BackupCodes)
	return a
}

// Lookup implements AccountStore.
func (s *MemoryAccounts) Lookup(_ context.Context, login string) (Account, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	idx := s.byUsername
	if strings.Contains(login, "@") {
		idx = s.byIdentity
	}
	uid, ok := idx[login]
	if !ok {
		return Account{}, false, nil
	}
	return cloneAccount(s.byUID[uid]), true, nil
}

// Get implements AccountStore.
func (s *MemoryAccounts) Get(_ context.Context, uid string) (Account, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.byUID[uid]
	return cloneAccount(a), ok, nil
}

// Create implements AccountStore.
func (s *MemoryAccounts) Create(_ context.Context, a Account) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, uidTaken := s.byUID[a.UID]
	_, nameTaken := s.byUsername[a.Username]
	_, idTaken := s.byIdentity[a.Identity]
	if uidTaken || nameTaken || (a.Identity != "" && idTaken) {
		return ErrAccountExists
	}
	a.Version = 1
	s.byUID[a.UID] = cloneAccount(a)
	s.byUsername[a.Username] = a.UID
	if a.Identity != "" {
		s.byIdentity[a.Identity] = a.UID
	}
	return nil
}

// Update implements AccountStore.
func (s *MemoryAccounts) Update(_ context.Context, a Account) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.byUID[a.UID]
	if !ok || old.Version != a.Version {
		return false, nil
	}
	if a.Username != old.Username {
		if _, taken := s.byUsername[a.Username]; taken {
			return false, ErrAccountExists
		}
	}
	if a.Identity != old.Identity && a.Identity != "" {
		if _, taken := s.byIdentity[a.Identity]; taken {
			return false, ErrAccountExists
		}
	}
	delete(s.byUsername, old.Username)
	delete(s.byIdentity, old.Identity)
	a.Version++
	s.byUID[a.UID] = cloneAccount(a)
	s.byUsername[a.Username] = a.UID
	if a.Identity != "" {
		s.byIdentity[a.Identity] = a.UID
	}
	return true, nil
}

// Delete implements AccountStore.
func (s *MemoryAccounts) Delete(_ context.Context, uid string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.byUID[uid]
	if !ok {
		return false, nil
	}
	delete(s.byUID, uid)
	delete(s.byUsername, a.Username)
	if a.Identity != "" {
		delete(s.byIdentity, a.Identity)
	}
	return true, nil
}
