package session

import (
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/apicrud-go/apicrud/internal/defaults"
)

// Defaults of New. Each With… option that changes one states it.
const (
	DefaultIssuer        = defaults.Issuer
	DefaultAudience      = defaults.Audience
	DefaultLifetime      = 12 * time.Hour
	DefaultIdleTimeout   = 30 * time.Minute
	DefaultIdleRefresh   = 0.1
	DefaultLeeway        = 10 * time.Second
	DefaultPendingTTL    = 5 * time.Minute
	DefaultConfirmTTL    = 24 * time.Hour
	DefaultResetTTL      = time.Hour
	DefaultDeviceTTL     = 30 * 24 * time.Hour
	DefaultCookieName    = "apicrud_session"
	DefaultDeviceCookie  = "apicrud_device"
	MinSecretSize        = 32
	maxLeeway            = 2 * time.Minute
	minLifetime          = time.Second
	maxLifetime          = 366 * 24 * time.Hour
	minRSABits           = 2048
	defaultBackupCodeNum = 10
)

// Option configures New.
type Option func(*config) error

type config struct {
	store        Store
	issuer       string
	audience     string
	lifetime     time.Duration
	idle         time.Duration
	refresh      float64
	leeway       time.Duration
	pendingTTL   time.Duration
	signer       any // nil: HS256 with a key derived from the secret
	accounts     AccountStore
	members      MembershipSource
	notifier     Notifier
	notifyQueue  int
	credentials  func(ctx context.Context, uid string, reason string) error
	apiKeys      APIKeyVerifier
	contextFunc  func(context.Context, *Session) context.Context
	errorHandler func(http.ResponseWriter, *http.Request, error)
	clientIP     func(*http.Request) netip.Addr
	cookie       http.Cookie
	origins      []string
	deviceCookie string
	deviceTTL    time.Duration
	policy       PasswordPolicy
	argon        Argon2Params
	hashSlots    int
	hashWait     time.Duration
	throttle     Throttles
	confirmTTL   time.Duration
	resetTTL     time.Duration
	backupCodes  int
	oauth        oauthConfig
	log          *slog.Logger
}

func defaultConfig() config {
	return config{
		issuer:       DefaultIssuer,
		audience:     DefaultAudience,
		lifetime:     DefaultLifetime,
		idle:         DefaultIdleTimeout,
		refresh:      DefaultIdleRefresh,
		leeway:       DefaultLeeway,
		pendingTTL:   DefaultPendingTTL,
		cookie:       http.Cookie{Name: DefaultCookieName, Path: "/", SameSite: http.SameSiteLaxMode},
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
		errorHandler: defaultErrorHandler,
		log:          slog.New(slog.DiscardHandler),
	}
}

func optionError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrOption}, args...)...)
}

// WithStore sets where sessions and login state live, for example
// sessionredis.New(rdb) to share them between instances. Default: a
// MemoryStore created by New and closed by Manager.Close. A Store given
// here is never closed by the Manager. A nil Store is rejected.
func WithStore(s Store) Option {
	return func(c *config) error {
		if s == nil {
			return optionError("nil Store")
		}
		c.store = s
		return nil
	}
}

// WithIssuer sets the iss claim of issued tokens, required on validation.
// Default: DefaultIssuer.
func WithIssuer(iss string) Option {
	return func(c *config) error {
		if iss == "" {
			return optionError("empty issuer")
		}
		c.issuer = iss
		return nil
	}
}

// WithAudience sets the aud claim of issued tokens, required on
// validation. Default: DefaultAudience.
func WithAudience(aud string) Option {
	return func(c *config) error {
		if aud == "" {
			return optionError("empty audience")
		}
		c.audience = aud
		return nil
	}
}

// WithLifetime sets the absolute timeout: a session ends this long after
// login whatever its activity (Renew keeps the deadline). Default:
// DefaultLifetime (12 h).
func WithLifetime(d time.Duration) Option {
	return func(c *config) error {
		if d < minLifetime || d > maxLifetime {
			return optionError("lifetime %v outside [%v, %v]", d, minLifetime, maxLifetime)
		}
		c.lifetime = d
		return nil
	}
}

// WithIdleTimeout sets the idle timeout (0 disables it) and how often
// activity refreshes it: a request refreshes the idle deadline only when
// at least refreshFraction × idle has passed since the last refresh, so a
// busy client costs one store write per refreshFraction × idle, not one
// per request. The effective idle timeout therefore lies between
// (1-refreshFraction) × idle and idle. Default: DefaultIdleTimeout (30
// min) and DefaultIdleRefresh (0.1); refreshFraction 0 writes on every
// request.
func WithIdleTimeout(idle time.Duration, refreshFraction float64) Option {
	return func(c *config) error {
		if idle < 0 || (idle > 0 && idle < time.Second) {
			return optionError("idle timeout %v: need 0 or at least 1s", idle)
		}
		if refreshFraction < 0 || refreshFraction >= 1 {
			return optionError("idle refresh fraction %v outside [0, 1)", refreshFraction)
		}
		c.idle, c.refresh = idle, refreshFraction
		return nil
	}
}

// WithLeeway sets the clock skew tolerated on exp, nbf and iat. Default:
// DefaultLeeway (10 s); at most 2 minutes.
func WithLeeway(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 || d > maxLeeway {
			return optionError("leeway %v outside [0, %v]", d, maxLeeway)
		}
		c.leeway = d
		return nil
	}
}

// WithEdDSA signs tokens with Ed25519 (alg EdDSA) instead of HS256; only
// EdDSA tokens are then accepted. Every instance needs the same key.
func WithEdDSA(key ed25519.PrivateKey) Option {
	return func(c *config) error {
		if len(key) != ed25519.PrivateKeySize {
			return optionError("Ed25519 private key of %d bytes", len(key))
		}
		c.signer = key
		return nil
	}
}

// WithRS256 signs tokens with RSA PKCS#1 v1.5 and SHA-256 (alg RS256)
// instead of HS256; only RS256 tokens are then accepted. The key needs at
// least 2048 bits.
func WithRS256(key *rsa.PrivateKey) Option {
	return func(c *config) error {
		if key == nil || key.N == nil || key.N.BitLen() < minRSABits {
			return optionError("RSA key: need at least %d bits", minRSABits)
		}
		if err := key.Validate(); err != nil {
			return optionError("RSA key: %v", err)
		}
		c.signer = key
		return nil
	}
}

// WithAccounts sets the accounts that Login, Register and the other
// account methods work on. Without it those methods return
// ErrNoAccountStore; sessions and the middleware work regardless.
func WithAccounts(a AccountStore) Option {
	return func(c *config) error {
		if a == nil {
			return optionError("nil AccountStore")
		}
		c.accounts = a
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

// WithAPIKeys makes the middleware accept X-Api-Key headers, verified by v
// on every request. Default: X-Api-Key is refused with 401.
func WithAPIKeys(v APIKeyVerifier) Option {
	return func(c *config) error {
		if v == nil {
			return optionError("nil APIKeyVerifier")
		}
		c.apiKeys = v
		return nil
	}
}

// WithContextFunc sets a function the middleware calls with every
// authenticated session, to put the host's own principal (for example an
// accesscontrol.Principal) into the request context. Default: only the
// Session is stored (see FromContext).
func WithContextFunc(fn func(ctx context.Context, s *Session) context.Context) Option {
	return func(c *config) error {
		c.contextFunc = fn
		return nil
	}
}

// WithErrorHandler sets the function the middleware calls to answer a
// request whose credential is refused (err wraps ErrInvalidToken) or could
// not be checked (err wraps ErrUnavailable). Default: WriteError (401 or
// 503 as problem+json). A nil fn is rejected.
func WithErrorHandler(fn func(w http.ResponseWriter, r *http.Request, err error)) Option {
	return func(c *config) error {
		if fn == nil {
			return optionError("nil error handler")
		}
		c.errorHandler = fn
		return nil
	}
}

// WithClientIP sets how the middleware finds the client address that login
// throttling keys on. Default: RemoteAddrIP. Behind a reverse proxy use a
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

// WithCookie sets the Name, Path, Domain and SameSite of the session
// cookie. HttpOnly and Secure are always set. Default: DefaultCookieName,
// Path "/", SameSite=Lax. SameSite=None is rejected.
func WithCookie(template http.Cookie) Option {
	return func(c *config) error {
		if !validCookieName(template.Name) {
			return optionError("cookie name %q", template.Name)
		}
		if template.SameSite == http.SameSiteNoneMode {
			return optionError("SameSite=None session cookie")
		}
		if template.SameSite == 0 || template.SameSite == http.SameSiteDefaultMode {
			template.SameSite = http.SameSiteLaxMode
		}
		if template.Path == "" {
			template.Path = "/"
		}
		c.cookie = http.Cookie{Name: template.Name, Path: template.Path, Domain: template.Domain, SameSite: template.SameSite}
		return nil
	}
}

// WithTrustedOrigins adds origins ("https://app.example.com", scheme,
// host and optional port, nothing else) whose pages may send unsafe
// requests (POST, PUT, PATCH, DELETE) authenticated by the session cookie.
// The middleware refuses such a request from any other origin with 403
// (ErrCrossOrigin), judged by net/http's CrossOriginProtection from the
// Sec-Fetch-Site and Origin headers; requests authenticated by a Bearer
// token or an API key are not affected (a browser never adds those on its
// own). Default: none (only same-origin pages).
func WithTrustedOrigins(origins ...string) Option {
	return func(c *config) error {
		check := http.NewCrossOriginProtection()
		for _, o := range origins {
			if err := check.AddTrustedOrigin(o); err != nil {
				return optionError("trusted origin %q: %v", o, err)
			}
		}
		c.origins = append(c.origins, origins...)
		return nil
	}
}

// WithRememberDevice sets the name and lifetime of the signed "remember
// this device" cookie that lets a login skip the second factor (0 disables
// the feature). Default: DefaultDeviceCookie, DefaultDeviceTTL (30 days).
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
// (a failed best-effort cleanup, a password re-hash that lost a race).
// Default: discard.
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
