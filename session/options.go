package session

import (
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/defaults"
)

// Defaults of New. Each With… option that changes one states it.
const (
	defaultIssuer      = defaults.Issuer
	defaultAudience    = defaults.Audience
	DefaultLifetime    = 12 * time.Hour
	defaultIdleTimeout = 30 * time.Minute
	defaultIdleRefresh = 0.1
	defaultLeeway      = 10 * time.Second
	defaultCookieName  = "apicrud_session"
	defaultLastUse     = time.Minute
	minSecretSize      = 32
	maxLeeway          = 2 * time.Minute
	minLifetime        = time.Second
	maxLifetime        = 366 * 24 * time.Hour
	minRSABits         = 2048
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
	signer       any // nil: HS256 with a key derived from the secret
	apiKeys      APIKeyVerifier
	contextFunc  func(context.Context, *Session) context.Context
	errorHandler func(http.ResponseWriter, *http.Request, error)
	cookie       http.Cookie
	origins      []string
	oauth        oauthConfig
	log          *slog.Logger
	tp           trace.TracerProvider
	clientIP     func(*http.Request) netip.Addr
	recordIP     bool
	recordUA     bool
	lastUse      time.Duration
}

func defaultConfig() config {
	return config{
		issuer:       defaultIssuer,
		audience:     defaultAudience,
		lifetime:     DefaultLifetime,
		idle:         defaultIdleTimeout,
		refresh:      defaultIdleRefresh,
		leeway:       defaultLeeway,
		cookie:       http.Cookie{Name: defaultCookieName, Path: "/", SameSite: http.SameSiteLaxMode},
		errorHandler: defaultErrorHandler,
		log:          slog.New(slog.DiscardHandler),
		oauth:        oauthConfig{refreshTTL: defaultRefreshTTL, grace: defaultRefreshGrace},
		clientIP:     RemoteAddrIP,
		recordIP:     true,
		recordUA:     true,
		lastUse:      defaultLastUse,
	}
}

// writeInterval is the refreshAfter of Validate: the idle refresh
// interval, or the last-use interval when that is shorter (or when there
// is no idle timeout).
func writeInterval(c *config) time.Duration {
	after := time.Duration(float64(c.idle) * c.refresh)
	if c.lastUse > 0 && (c.idle == 0 || c.lastUse < after) {
		after = c.lastUse
	}
	return after
}

func optionError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrOption}, args...)...)
}

// WithStore sets where sessions live, for example
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
// Default: "apicrud".
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
// validation. Default: "apicrud".
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
// (1-refreshFraction) × idle and idle. Default: 30 min and 0.1;
// refreshFraction 0 writes on every request.
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
// 10 s; at most 2 minutes.
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

// WithCookie sets the Name, Path, Domain and SameSite of the session
// cookie. HttpOnly and Secure are always set. Default: "apicrud_session",
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
//
// The check needs the cookie: a request without it, such as a login, a
// registration or a reset request, is not checked, and a cross-site form
// could log a victim's browser into the attacker's account. Handlers that
// take credentials without a cookie should accept only application/json
// bodies (a page on another site cannot send those without a CORS
// preflight) or be wrapped in http.CrossOriginProtection.
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

// WithClientIP sets how the Authenticate middleware finds the address of
// the client, which sessions record: behind a reverse proxy, a function
// that trusts the forwarding headers of known proxies only (the
// ClientIP method of a ratelimit middleware, or what package login's
// WithClientIP is given). Default: RemoteAddrIP. A nil fn is rejected.
func WithClientIP(fn func(*http.Request) netip.Addr) Option {
	return func(c *config) error {
		if fn == nil {
			return optionError("nil client address function")
		}
		c.clientIP = fn
		return nil
	}
}

// WithClientRecording sets what sessions record of their clients, at
// creation and at each recorded use: the address (ip) and the user agent
// (userAgent). Default: both. An address is personal data (so is a user
// agent, to a lesser degree): a service that records it says so in its
// privacy notice; with ip false no address is stored anywhere, and
// Session.Client.IP is always the zero Addr.
func WithClientRecording(ip, userAgent bool) Option {
	return func(c *config) error {
		c.recordIP, c.recordUA = ip, userAgent
		return nil
	}
}

// WithLastUse sets how often at most a session's last use (time, client
// address and user agent, as WithClientRecording allows) is recorded:
// Validate stores it in the store round trip it makes anyway, the one
// that refreshes the idle deadline, at most once per every (or per idle
// refresh interval, when that is shorter). 0 records no last use:
// List then gives the creation time and client as the last use. Default:
// 1 minute; otherwise at least 1 s.
func WithLastUse(every time.Duration) Option {
	return func(c *config) error {
		if every < 0 || (every > 0 && every < time.Second) {
			return optionError("last use interval %v: need 0 or at least 1s", every)
		}
		c.lastUse = every
		return nil
	}
}

// WithLogger sets the logger for events that are not returned as errors
// (a stored session that does not open).
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
