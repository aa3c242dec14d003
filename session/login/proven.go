package login

import (
	"context"
	"fmt"
	"slices"

	"github.com/apicrud-go/apicrud/session"
)

// Proof is an authentication that a verifier outside this package
// established, such as a passkey assertion (package passkey): the
// account it proved and how. It is not a credential: whoever builds one
// vouches for the check behind it.
type Proof struct {
	// UID is the account the proof is for.
	UID string
	// Method is recorded in Session.Method ("passkey" …), at most 128
	// bytes.
	Method string
	// AMR are the authentication methods references (RFC 8176) of the
	// proof itself ("hwk", "swk", "user" …): LoginProven records them as
	// they are; CompleteProven adds them to those of the first factor,
	// with "mfa".
	AMR []string
}

// FactorSource tells whether an account has a second factor other than
// TOTP, such as a passkey: a password login to such an account waits for
// it (a "pendingtotp" session) as it waits for a TOTP code. Package
// passkey provides one. Implementations must be safe for concurrent use;
// an error fails the login with session.ErrUnavailable.
type FactorSource interface {
	HasFactor(ctx context.Context, uid string) (bool, error)
}

// WithFactors makes a password login (Login, LoginWith) to an account for
// which fs reports a factor end in a "pendingtotp" session, as an account
// with TOTP does, unless a remember-device cookie vouches for the
// browser; CompleteProven then finishes it. It costs one FactorSource
// call per login of an account without TOTP. Default: none, TOTP is the
// only second factor.
func WithFactors(fs FactorSource) Option {
	return func(c *config) error {
		if fs == nil {
			return optionError("WithFactors: nil FactorSource")
		}
		c.factors = fs
		return nil
	}
}

// Sessions returns the session.Manager given to New, for packages that
// verify factors of their own (package passkey seals its ceremony state
// with its Sealer).
func (m *Manager) Sessions() *session.Manager { return m.sessions }

// Accounts returns the AccountStore given to New.
func (m *Manager) Accounts() AccountStore { return m.accounts }

// Store returns the login Store (WithStore, or the MemoryStore New
// created), for packages that keep one-time markers in the state every
// instance shares (PutToken, TakeToken).
func (m *Manager) Store() Store { return m.store }

// LoginProven starts a full session for the account of p, whose
// authentication a verifier outside this package has done (a passkey
// login in place of a password and a second factor). The account must be
// active: an unknown, pending or disabled account gives
// ErrInvalidCredentials. The session holds the roles a full login gives.
func (m *Manager) LoginProven(ctx context.Context, p Proof) (*session.Session, session.Token, error) {
	acc, err := m.provenAccount(ctx, p)
	if err != nil {
		return nil, "", err
	}
	return m.startSession(ctx, acc, p.Method, slices.Clone(p.AMR))
}

// CompleteProven finishes a login waiting for its second factor (a
// "pendingtotp" session from Login or LoginWith) with p, a second factor
// a verifier outside this package has checked, such as a passkey. p.UID
// must be the pending session's account (ErrInvalidCredentials
// otherwise). The pending session ends and a full session starts, as
// with CompleteTOTP.
func (m *Manager) CompleteProven(ctx context.Context, pending *session.Session, p Proof) (*session.Session, session.Token, error) {
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
	if stored.UID != p.UID {
		return nil, "", ErrInvalidCredentials
	}
	acc, err := m.provenAccount(ctx, p)
	if err != nil {
		return nil, "", err
	}
	if err := m.sessions.Delete(ctx, stored); err != nil {
		return nil, "", err
	}
	amr := amrOf(stored.Method, false)
	for _, a := range p.AMR {
		if !slices.Contains(amr, a) && a != AMRMFA {
			amr = append(amr, a)
		}
	}
	return m.startSession(ctx, acc, p.Method, append(amr, AMRMFA))
}

// provenAccount returns the active account of p.
func (m *Manager) provenAccount(ctx context.Context, p Proof) (Account, error) {
	if err := validUID(p.UID); err != nil {
		return Account{}, ErrInvalidCredentials
	}
	acc, found, err := m.accounts.Get(ctx, p.UID)
	if err != nil {
		return Account{}, fmt.Errorf("%w: account: %w", session.ErrUnavailable, err)
	}
	if !found || acc.Status != StatusActive {
		return Account{}, ErrInvalidCredentials
	}
	return acc, nil
}

// needsFactor reports whether a login to acc waits for a second factor:
// TOTP, or one of the WithFactors source.
func (m *Manager) needsFactor(ctx context.Context, acc Account) (bool, error) {
	if acc.Status != StatusActive {
		return false, nil
	}
	if acc.TOTPSecret != "" {
		return true, nil
	}
	if m.cfg.factors == nil {
		return false, nil
	}
	ok, err := m.cfg.factors.HasFactor(ctx, acc.UID)
	if err != nil {
		return false, fmt.Errorf("%w: second factors: %w", session.ErrUnavailable, err)
	}
	return ok, nil
}
