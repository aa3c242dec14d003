package login

import (
	"context"
	"fmt"
	"time"

	"github.com/apicrud-go/apicrud/session"
)

// BreachChecker tells whether a password appears in a corpus of breached
// passwords: package hibp's Client asks the Pwned Passwords API of Have I
// Been Pwned (only five hexadecimal digits of the password's SHA-1 leave
// the process), and a host may plug its own corpus. Implementations must
// be safe for concurrent use and return soon after ctx ends.
type BreachChecker interface {
	// Breached reports whether password is in the corpus. An error means
	// the check could not be made (the corpus is unreachable, slow or
	// answered nonsense), never "not breached"; BreachCheck.FailClosed
	// decides what follows.
	Breached(ctx context.Context, password string) (bool, error)
}

// DefaultBreachTimeout bounds each breached-password check unless
// BreachCheck.Timeout says otherwise.
const DefaultBreachTimeout = 2 * time.Second

// maxBreachTimeout bounds BreachCheck.Timeout: the check runs while the
// user waits for their registration or password change.
const maxBreachTimeout = 30 * time.Second

// BreachCheck configures the breached-password check of new passwords
// (WithBreachCheck). Its zero value checks nothing.
type BreachCheck struct {
	// Checker answers the check; nil turns it off.
	Checker BreachChecker
	// Timeout bounds each check (at most 30 s); 0 means
	// DefaultBreachTimeout (2 s).
	Timeout time.Duration
	// FailClosed refuses the new password when the check fails or times
	// out: the registration, reset or change answers an error wrapping
	// session.ErrUnavailable and ErrBreachCheck (503 in WriteError), and
	// the user retries later. The default, false, fails open: the password
	// is accepted on the strength of the local checks (the embedded list
	// of common passwords and the strength estimate, which always run),
	// and the failure is logged as a warning (WithLogger).
	//
	// Failing open is the default because the check is a second layer over
	// those local ones, and because failing closed makes every
	// registration, password reset and password change depend on a third
	// party's availability, including the reset a user needs after an
	// account was taken over. Ory Kratos makes the same choice
	// (ignore_network_errors). Fail closed when every new password must be
	// screened against the corpus, and the corpus is one you run.
	FailClosed bool
}

// checkBreached runs the breach check on a new password that passed the
// local policy, outside any hashing slot: it waits on the network. nil
// when the password is not breached, when no check is configured, or when
// the check failed open; a *PasswordError (CodePasswordBreached) when it
// is breached.
func (m *Manager) checkBreached(ctx context.Context, password string) error {
	b := m.cfg.breach
	if b.Checker == nil {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, b.Timeout)
	breached, err := b.Checker.Breached(cctx, password)
	cancel()
	switch {
	case err != nil && b.FailClosed:
		return fmt.Errorf("%w: %w: %w", session.ErrUnavailable, ErrBreachCheck, err)
	case err != nil:
		m.log.WarnContext(ctx, "login: breached-password check failed; password accepted (fail open)", "err", err)
		return nil
	case breached:
		return &PasswordError{Code: CodePasswordBreached, Reason: "the password appears in a known data breach; choose another"}
	}
	return nil
}
