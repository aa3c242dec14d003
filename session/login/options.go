package login

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/defaults"
)

// Defaults of New. Each With… option that changes one states it.
const (
	DefaultPendingTTL    = 5 * time.Minute
	DefaultConfirmTTL    = 24 * time.Hour
	DefaultResetTTL      = time.Hour
	DefaultDeviceTTL     = 30 * 24 * time.Hour
	DefaultDeviceCookie  = "apicrud_device"
	DefaultIssuer        = defaults.Issuer
	defaultBackupCodeNum = 10
)

// Option configures New.
type Option func(*config) error

type config struct {
	store        Store
	issuer       string
	pendingTTL   time.Duration
	members      MembershipSource
	notifier     Notifier
	notifyQueue  int
	credentials  func(ctx context.Context, uid string, reason string) error
	clientIP     func(*http.Request) netip.Addr
	deviceCookie string
	deviceTTL    time.Duration
	policy       PasswordPolicy
	breach       BreachCheck
	argon        Argon2Params
	hashSlots    int
	hashWait     time.Duration
	throttle     Throttles
	confirmTTL   time.Duration
	resetTTL     time.Duration
	backupCodes  int
	restricted   map[string]bool
	log          *slog.Logger
	tp           trace.TracerProvider
	factors      FactorSource
}

func defaultConfig() config {
	return config{
		issuer:       DefaultIssuer,
		pendingTTL:   DefaultPendingTTL,
		deviceCookie: DefaultDeviceCookie,
		deviceTTL:    DefaultDeviceTTL,
		policy:       DefaultPasswordPolicy(),
		argon:        DefaultArgon2Params(),
		throttle:     DefaultThrottles(),
		confirmTTL:   DefaultConfirmTTL,
		resetTTL:     DefaultResetTTL,
		backupCodes:  defaultBackupCodeNum,
		notifyQueue:  DefaultNotifyQueueSize,
		clientIP:     RemoteAddrIP,
		log:          slog.New(slog.DiscardHandler),
		restricted:   restrictedSet(RestrictedUsernames()),
	}
}

func optionError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrOption}, args...)...)
}

// WithStore sets where login state lives (throttling counters, TOTP
// replay steps, link digests), for example loginredis.New(rdb) to share
// it between instances. Default: a MemoryStore created by New and closed
// by Manager.Close. A Store given here is never closed by the Manager. A
// nil Store is rejected.
func WithStore(s Store) Option {
	return func(c *config) error {
		if s == nil {
			return optionError("nil Store")
		}
		c.store = s
		return nil
	}
}

// WithIssuer sets the issuer name that authenticator apps show beside a
// TOTP enrolment (the otpauth URI's issuer). Default: DefaultIssuer, the
// default issuer of session tokens too.
func WithIssuer(iss string) Option {
	return func(c *config) error {
		if iss == "" {
			return optionError("empty issuer")
		}
		c.issuer = iss
		return nil
	}
}

// WithMemberships adds the membership roles of a MembershipSource to the
// roles of every login and of RefreshRoles. Default: none.
func WithMemberships(ms MembershipSource) Option {
	return func(c *config) error {
		if ms == nil {
			return optionError("nil MembershipSource")
		}
		c.members = ms
		return nil
	}
}

// WithNotifier sets who delivers confirmation and password-reset links.
// Without it Register and RequestPasswordReset return an error.
func WithNotifier(n Notifier) Option {
	return func(c *config) error {
		if n == nil {
			return optionError("nil Notifier")
		}
		c.notifier = n
		return nil
	}
}

// WithNotifyQueue sets the size of the NotifyQueue that New puts in front
// of the Notifier of WithNotifier, so that Register and
// RequestPasswordReset return before a notice is delivered and take the
// same time whether or not they send one (their timing would otherwise
// tell which accounts exist). The Manager owns the queue: Close delivers
// what is queued. 0 calls the Notifier directly, for a Notifier that
// returns at once itself (a NotifyQueue of the host's, a message queue).
// Default: DefaultNotifyQueueSize (1024) notices, delivered by
// DefaultNotifyWorkers workers no sooner than DefaultNotifyDelay (10 ms)
// after the request queued them; failed deliveries are logged
// (WithLogger).
func WithNotifyQueue(size int) Option {
	return func(c *config) error {
		if size < 0 || size > maxNotifyQueueSize {
			return optionError("notify queue size %d outside [0, %d]", size, maxNotifyQueueSize)
		}
		c.notifyQueue = size
		return nil
	}
}

// Reasons passed to the WithCredentialsChanged function.
const (
	ReasonConfirmed      = "confirmed"       // Confirm activated the account
	ReasonPasswordReset  = "password_reset"  // ResetPassword: the account was recovered
	ReasonPasswordChange = "password_change" // ChangePassword
	ReasonStatus         = "status"          // SetStatus
	ReasonDeleted        = "deleted"         // DeleteAccount
	// ReasonDelegatedActivation: LoginWith activated a pending account
	// whose address an identity provider proved; every credential set
	// before that (password, TOTP, and the host's, such as API keys) is
	// void.
	ReasonDelegatedActivation = "delegated_activation"
)

// WithCredentialsChanged sets a function the Manager calls after it has
// ended the live sessions of account uid because its credentials or
// status changed (reason: one of the Reason constants), so that the host
// can end the credentials the Manager does not own, such as API keys: an
// account recovered by a password reset should not keep keys an intruder
// made. The method that made the change returns the function's error.
// Default: none.
func WithCredentialsChanged(fn func(ctx context.Context, uid string, reason string) error) Option {
	return func(c *config) error { c.credentials = fn; return nil }
}

// WithClientIP sets how the Clients middleware finds the client address
// that login throttling keys on. Default: RemoteAddrIP. Behind a reverse proxy use a
// function that trusts only your proxies' forwarding header; a header any
// client can set lets an attacker choose its own throttling bucket.
func WithClientIP(fn func(*http.Request) netip.Addr) Option {
	return func(c *config) error {
		if fn == nil {
			return optionError("nil client IP function")
		}
		c.clientIP = fn
		return nil
	}
}

// WithRememberDevice sets the name and lifetime of the signed "remember
// this device" cookie that lets a login skip the second factor (0 disables
// the feature). The cookie's Path is "/". Default: DefaultDeviceCookie,
// DefaultDeviceTTL (30 days).
func WithRememberDevice(name string, ttl time.Duration) Option {
	return func(c *config) error {
		if !validCookieName(name) || ttl < 0 {
			return optionError("remember-device cookie %q for %v", name, ttl)
		}
		c.deviceCookie, c.deviceTTL = name, ttl
		return nil
	}
}

// WithPasswordPolicy sets the rules for new passwords. Default:
// DefaultPasswordPolicy().
func WithPasswordPolicy(p PasswordPolicy) Option {
	return func(c *config) error {
		if err := p.validate(); err != nil {
			return err
		}
		p.Words = slices.Clone(p.Words)
		c.policy = p
		return nil
	}
}

// WithBreachCheck turns on the breached-password check of new passwords
// (Register, CreateAccount, ResetPassword, ChangePassword, CheckPassword):
// a password the Checker finds is refused with a PasswordError of code
// CodePasswordBreached, as a common password is. The check runs after the
// local policy passed (so a password the policy refuses never reaches the
// Checker) and outside the hashing slots of WithHashConcurrency (so a slow
// corpus never holds a slot). Default: none; with a Checker, a 2 s timeout
// and fail open (see BreachCheck.FailClosed for why).
func WithBreachCheck(b BreachCheck) Option {
	return func(c *config) error {
		if b.Timeout < 0 || b.Timeout > maxBreachTimeout {
			return optionError("breach check timeout %v outside [0, %v]", b.Timeout, maxBreachTimeout)
		}
		if b.Timeout == 0 {
			b.Timeout = DefaultBreachTimeout
		}
		c.breach = b
		return nil
	}
}

// WithArgon2 sets the argon2id cost of new password hashes. Hashes made
// with other parameters are re-hashed at the next login. Default:
// DefaultArgon2Params() (OWASP: 19 MiB, 2 passes, 1 lane).
func WithArgon2(p Argon2Params) Option {
	return func(c *config) error {
		if err := p.validate(); err != nil {
			return err
		}
		c.argon = p
		return nil
	}
}

// WithHashConcurrency bounds password hashing: at most n hashes or
// verifications run at once, and each waits at most wait (and never past
// its context) for a slot, then fails with ErrBusy (503 with Retry-After
// in WriteError). Login, Register, CreateAccount, ResetPassword,
// ChangePassword and DisableTOTP all go through the bound, so hashing
// takes at most n × the argon2id memory (19 MiB by default). n <= 0 and
// wait <= 0 keep their defaults. Default: DefaultHashConcurrency() slots
// (twice GOMAXPROCS, at most 32) and DefaultHashWait (2 s).
func WithHashConcurrency(n int, wait time.Duration) Option {
	return func(c *config) error {
		if n > 4096 || wait > time.Minute {
			return optionError("hash concurrency %d, wait %v: need n <= 4096 and wait <= 1m", n, wait)
		}
		c.hashSlots, c.hashWait = n, wait
		return nil
	}
}

// WithThrottle sets the login throttling ladders. Default:
// DefaultThrottles().
func WithThrottle(t Throttles) Option {
	return func(c *config) error {
		for _, l := range []Ladder{t.Account, t.IP, t.OTP} {
			if err := l.validate(); err != nil {
				return err
			}
		}
		c.throttle = t
		return nil
	}
}

// WithLinkTTL sets how long confirmation and password-reset links stay
// valid. Default: DefaultConfirmTTL (24 h), DefaultResetTTL (1 h).
func WithLinkTTL(confirm, reset time.Duration) Option {
	return func(c *config) error {
		if confirm < time.Minute || reset < time.Minute || confirm > 30*24*time.Hour || reset > 30*24*time.Hour {
			return optionError("link lifetimes %v, %v outside [1m, 30d]", confirm, reset)
		}
		c.confirmTTL, c.resetTTL = confirm, reset
		return nil
	}
}

// WithPendingTTL sets the lifetime of the pendingtotp session a password
// login yields while the second factor is outstanding. Default:
// DefaultPendingTTL (5 min).
func WithPendingTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < 10*time.Second || d > time.Hour {
			return optionError("pending TOTP lifetime %v outside [10s, 1h]", d)
		}
		c.pendingTTL = d
		return nil
	}
}

// WithLogger sets the logger for events that are not returned as errors
// (a failed best-effort cleanup, a password re-hash that lost a race, a
// notice that could not be delivered). Default: discard.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l != nil {
			c.log = l
		}
		return nil
	}
}

func validCookieName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		if !(b == '_' || b == '-' || b == '.' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')) {
			return false
		}
	}
	return true
}
