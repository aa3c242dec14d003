package passkey

import (
	"fmt"
	"log/slog"
	"time"
)

// Defaults of New.
const (
	// DefaultChallengeTTL is how long a ceremony's challenge stays valid:
	// time to touch a security key or unlock a phone, short enough that a
	// leaked challenge is soon worthless.
	DefaultChallengeTTL = 3 * time.Minute
	// DefaultMaxPasskeys is the most passkeys an account may enrol.
	DefaultMaxPasskeys = 16
)

// RelyingParty names the service to authenticators and browsers.
type RelyingParty struct {
	// ID is the relying party id: the service's registrable domain or a
	// suffix of it ("example.com"; "localhost" in development). Passkeys
	// are bound to it: changing it orphans every passkey.
	ID string
	// Name is shown by the browser and the authenticator ("Contacts").
	Name string
	// Origins are the web origins the ceremonies may come from
	// ("https://example.com", "https://app.example.com"); each must be on
	// ID or a subdomain of it. A response from any other origin fails.
	Origins []string
}

// Option configures New.
type Option func(*config) error

type config struct {
	ttl      time.Duration
	max      int
	uvLogin  bool
	log      *slog.Logger
	factorUV bool
}

func defaultConfig() config {
	return config{ttl: DefaultChallengeTTL, max: DefaultMaxPasskeys, uvLogin: true, log: slog.New(slog.DiscardHandler)}
}

func optionError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrOption}, args...)...)
}

// WithChallengeTTL sets how long a ceremony's challenge stays valid, 10
// seconds to 10 minutes (default DefaultChallengeTTL).
func WithChallengeTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < 10*time.Second || d > 10*time.Minute {
			return optionError("WithChallengeTTL: %v outside 10s–10m", d)
		}
		c.ttl = d
		return nil
	}
}

// WithMaxPasskeys sets the most passkeys an account may enrol, 1 to 100
// (default DefaultMaxPasskeys).
func WithMaxPasskeys(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 100 {
			return optionError("WithMaxPasskeys: %d outside 1–100", n)
		}
		c.max = n
		return nil
	}
}

// WithUserVerification sets whether the authenticator must verify its
// user (PIN, biometrics) in a passwordless login (login, default true)
// and when a passkey is the second factor after a password (factor,
// default false: presence is enough, the password is the other factor).
// A passwordless login without user verification is one factor, a
// device: turn login off only for security keys without a PIN.
//
// It is heavily encouraged to keep login true.
func WithUserVerification(login, factor bool) Option {
	return func(c *config) error { c.uvLogin, c.factorUV = login, factor; return nil }
}

// WithLogger sets the logger of refused ceremonies and store failures
// (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return optionError("WithLogger: nil logger")
		}
		c.log = l
		return nil
	}
}
