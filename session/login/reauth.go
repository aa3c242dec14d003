package login

import (
	"context"
	"errors"
	"fmt"

	"github.com/apicrud-go/apicrud/session"
)

// Reauthenticate checks the password of the user of session s again, and
// otp when given (a current TOTP code or a backup code), then records the
// new authentication in s (session.Manager.Reauthenticate): AuthTime
// becomes now and AMR "pwd", or "pwd", "otp" and "mfa" with otp. This is
// how a client satisfies a session.StepUp that refused a sensitive request
// (401 "session.reauthentication_required"). Attempts are throttled like
// logins, per (account, client address); a wrong password is
// ErrInvalidCredentials, a wrong code ErrInvalidOTP, otp for an account
// without TOTP ErrTOTPNotEnrolled. A session waiting for its second
// factor, an API-key session and an account without a password (delegated
// logins only) cannot reauthenticate this way (ErrInvalidCredentials).
func (m *Manager) Reauthenticate(ctx context.Context, s *session.Session, password, otp string) error {
	if s == nil || s.ID == "" || s.HasRole(RolePendingTOTP) {
		return ErrInvalidCredentials
	}
	if err := validUID(s.UID); err != nil {
		return err
	}
	client, _ := ClientFromContext(ctx)
	ag, err := m.reserve(ctx, accountThrottleKey("uid\x00"+s.UID, client.IP), m.cfg.throttle.Account)
	if err != nil {
		return err
	}
	amr, err := m.checkReauth(ctx, s.UID, password, otp)
	m.settle(ctx, ag, err, OutcomeCleared)
	if err != nil {
		return err
	}
	return m.sessions.Reauthenticate(ctx, s, amr)
}

// checkReauth is Reauthenticate once its attempt is reserved.
func (m *Manager) checkReauth(ctx context.Context, uid, password, otp string) ([]string, error) {
	acc, found, err := m.accounts.Get(ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("%w: account: %w", session.ErrUnavailable, err)
	}
	usable := found && acc.PasswordHash != "" && acc.Status != StatusDisabled
	hash := m.dummyHash
	if usable {
		hash = acc.PasswordHash
	}
	ok, _, err := m.verify(ctx, hash, password)
	if errors.Is(err, ErrBusy) {
		return nil, err
	}
	if !usable || !ok {
		return nil, ErrInvalidCredentials
	}
	if otp == "" {
		return amrOf(MethodPassword, false), nil
	}
	if acc.TOTPSecret == "" {
		return nil, ErrTOTPNotEnrolled
	}
	if _, err := m.secondFactor(ctx, acc, otp); err != nil {
		return nil, err
	}
	return amrOf(MethodPassword, true), nil
}
