package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"time"

	libdefaults "github.com/apicrud-go/apicrud/internal/defaults"
)

// settings holds the library's own keys. The field tags drive loading:
//
//	config:"key"           the YAML key; the environment variable is the
//	                       prefix plus the key in upper case
//	env:"NAME"             an additional, unprefixed variable (REDIS_URL),
//	                       read when the prefixed one is unset
//	secret:"true"          masked in Redacted; if set, must not be a
//	                       published default outside development mode
//	secret:"required"      as "true", and must be set outside development
//	secret:"url"           the password inside the URL is masked
//	min:"N" / max:"N"      numeric range, or minimum length of a string
//	                       (checked when non-empty)
//	enum:"a,b,c"           allowed string values
//	path:"true"            a relative path is resolved against the
//	                       directory of the YAML file
//	doc:"..."              a one-line description (Keys)
type settings struct {
	ServiceName string `config:"service_name" min:"1" doc:"name of this service in the registry and metrics"`
	PublicURL   string `config:"public_url" doc:"absolute URL clients use to reach this service"`
	BaseURL     string `config:"base_url" doc:"path prefix of the API"`
	ListenAddr  string `config:"listen_addr" doc:"host:port the HTTP server listens on"`
	Development bool   `config:"development" doc:"development mode: allows empty and default secrets"`
	LogLevel    string `config:"log_level" enum:"debug,info,warn,error" doc:"minimum log level"`

	RedisURL    string `config:"redis_url" env:"REDIS_URL" secret:"url" doc:"Redis URL; empty selects the in-memory backends"`
	DatabaseURL string `config:"database_url" env:"DATABASE_URL" secret:"url" doc:"database URL (postgres://, mysql://, sqlite://)"`
	PolicyFile  string `config:"policy_file" path:"true" doc:"access-control policy YAML (rbac.yaml)"`

	JWTIssuer     string        `config:"jwt_issuer" min:"1" doc:"iss claim issued and required"`
	JWTAudience   string        `config:"jwt_audience" min:"1" doc:"aud claim issued and required"`
	JWTTTL        time.Duration `config:"jwt_ttl" min:"1s" doc:"lifetime of an access token"`
	JWTRefreshTTL time.Duration `config:"jwt_refresh_ttl" min:"1s" doc:"lifetime of a refresh token"`
	JWTKey        Secret        `config:"jwt_key" secret:"required" min:"32" doc:"HMAC key for tokens (at least 32 bytes)"`

	SessionIdleTTL     time.Duration `config:"session_idle_ttl" min:"1s" doc:"a session ends after this long without use"`
	SessionAbsoluteTTL time.Duration `config:"session_absolute_ttl" min:"1s" doc:"a session ends this long after login, used or not"`
	AdminSessionTTL    time.Duration `config:"admin_session_ttl" min:"1s" doc:"absolute lifetime of an admin session"`
	TokenTTL           time.Duration `config:"token_ttl" min:"1m" doc:"validity of confirmation and password-reset tokens"`

	RateLimitEnabled  bool          `config:"ratelimit_enabled" doc:"apply the per-principal rate limit"`
	RateLimitRequests int           `config:"ratelimit_requests" min:"1" doc:"default requests per interval"`
	RateLimitInterval time.Duration `config:"ratelimit_interval" min:"1s" doc:"rate-limit interval"`
	TrustedProxies    []string      `config:"trusted_proxies" doc:"CIDRs whose X-Forwarded-For is believed"`
	CORSOrigins       []string      `config:"cors_origins" doc:"origins allowed by CORS"`

	LoginAttemptsMax     int           `config:"login_attempts_max" min:"1" doc:"failed logins before a lockout"`
	LoginLockoutInterval time.Duration `config:"login_lockout_interval" min:"1s" doc:"how long a lockout lasts"`
	LoginIPAttemptsMax   int           `config:"login_ip_attempts_max" min:"1" doc:"failed logins per client IP before it is throttled"`

	PasswordHashConcurrency int           `config:"password_hash_concurrency" min:"0" max:"4096" doc:"password hashes computed at once (argon2id takes 19 MiB each); 0: twice GOMAXPROCS, at most 32"`
	PasswordHashWait        time.Duration `config:"password_hash_wait" min:"1ms" max:"1m" doc:"how long a login, registration or password change waits for a hashing slot before it answers 503"`

	RegistryInterval time.Duration `config:"registry_interval" min:"1s" doc:"heartbeat interval of the service registry"`
	RegistryTTL      time.Duration `config:"registry_ttl" min:"1s" doc:"a registry entry expires this long after its last heartbeat"`

	DefaultGrants map[string]int64 `config:"default_grants" doc:"default usage limits per account"`

	EncryptionPassphrase Secret `config:"encryption_passphrase" secret:"required" min:"16" doc:"passphrase of the AES-GCM keys (at least 16 bytes)"`
	AdminPassword        Secret `config:"admin_password" secret:"true" min:"12" doc:"initial admin password; empty: generated at first start"`
	MetricsScrapeKey     Secret `config:"metrics_scrape_key" secret:"true" min:"16" doc:"key a scraper sends to read /metrics; empty: admins only"`
}

// defaults returns the built-in defaults. They follow apicrud's
// service_config.yaml where it had one (lockout 5 in 10 min), with
// durations instead of seconds; where a library package has a default of
// its own (issuer, audience, rate limit, registry heartbeat) it is taken
// from the same definition. No secret has a default, and there are no
// default grants: grants are the host's (see Default).
func defaults() settings {
	return settings{
		ServiceName:          "main",
		PublicURL:            "http://localhost:8080",
		BaseURL:              "/api/v1",
		ListenAddr:           ":8080",
		LogLevel:             "info",
		JWTIssuer:            libdefaults.Issuer,
		JWTAudience:          libdefaults.Audience,
		JWTTTL:               15 * time.Minute,
		JWTRefreshTTL:        24 * time.Hour,
		SessionIdleTTL:       20 * time.Minute,
		SessionAbsoluteTTL:   2 * time.Hour,
		AdminSessionTTL:      15 * time.Minute,
		TokenTTL:             time.Hour,
		RateLimitEnabled:     true,
		RateLimitRequests:    libdefaults.RateRequests,
		RateLimitInterval:    libdefaults.RatePeriod,
		LoginAttemptsMax:     5,
		LoginLockoutInterval: 10 * time.Minute,
		LoginIPAttemptsMax:   50,
		PasswordHashWait:     libdefaults.HashWait,
		RegistryInterval:     libdefaults.RegistryInterval,
		RegistryTTL:          libdefaults.RegistryTTL,
		DefaultGrants:        map[string]int64{},
	}
}

// Config is the loaded, validated configuration of the library's settings.
// It is immutable: its fields are unexported, getters return copies of
// lists and maps, and a Config value may be copied and shared freely
// between goroutines (copies share one read-only state).
//
// Host applications embed Config in their own struct and load both with
// LoadAs; the getters, Redacted, MarshalJSON and Source are then promoted
// to the host struct, and Redacted and MarshalJSON cover the host's fields
// too (as loaded).
//
// The zero Config holds the built-in defaults, unvalidated; use Load.
type Config struct {
	st *state
}

type state struct {
	s        settings
	redacted map[string]any
	sources  map[string]string
	keys     []KeyInfo
}

func (c Config) get() *settings {
	if c.st == nil {
		d := defaults()
		return &d
	}
	return &c.st.s
}

// ServiceName is the name this service registers under (service_name,
// default "main").
func (c Config) ServiceName() string { return c.get().ServiceName }

// PublicURL is the absolute URL clients use to reach this service
// (public_url, default "http://localhost:8080").
func (c Config) PublicURL() string { return c.get().PublicURL }

// BaseURL is the path prefix of the API (base_url, default "/api/v1").
func (c Config) BaseURL() string { return c.get().BaseURL }

// ListenAddr is the address the HTTP server listens on (listen_addr,
// default ":8080").
func (c Config) ListenAddr() string { return c.get().ListenAddr }

// Development reports development mode (development, default false), in
// which empty and published default secrets are accepted.
func (c Config) Development() bool { return c.get().Development }

// LogLevel is the minimum log level (log_level: debug, info, warn or error;
// default info).
func (c Config) LogLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.get().LogLevel)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// RedisURL is the Redis URL (redis_url, or REDIS_URL in the environment);
// empty selects the in-memory backends.
func (c Config) RedisURL() string { return c.get().RedisURL }

// DatabaseURL is the database URL (database_url, or DATABASE_URL in the
// environment); empty lets the host choose its embedded default.
func (c Config) DatabaseURL() string { return c.get().DatabaseURL }

// PolicyFile is the access-control policy file (policy_file); a relative
// path in the YAML file is resolved against the file's directory.
func (c Config) PolicyFile() string { return c.get().PolicyFile }

// JWTIssuer is the iss claim (jwt_issuer, default "apicrud").
func (c Config) JWTIssuer() string { return c.get().JWTIssuer }

// JWTAudience is the aud claim (jwt_audience, default "apicrud").
func (c Config) JWTAudience() string { return c.get().JWTAudience }

// JWTTTL is the lifetime of an access token issued by an OAuth2 token
// endpoint (jwt_ttl, default 15m); the session behind it still follows
// session_idle_ttl and session_absolute_ttl.
func (c Config) JWTTTL() time.Duration { return c.get().JWTTTL }

// JWTRefreshTTL is the lifetime of a refresh token (jwt_refresh_ttl,
// default 24h): each refresh issues a new one, never outliving its
// session.
func (c Config) JWTRefreshTTL() time.Duration { return c.get().JWTRefreshTTL }

// JWTKey is the HMAC key for tokens (jwt_key; at least 32 bytes; required
// outside development mode).
func (c Config) JWTKey() Secret { return c.get().JWTKey }

// SessionIdleTTL ends a session after this long without use
// (session_idle_ttl, default 20m).
func (c Config) SessionIdleTTL() time.Duration { return c.get().SessionIdleTTL }

// SessionAbsoluteTTL ends a session this long after login
// (session_absolute_ttl, default 2h; not shorter than session_idle_ttl).
func (c Config) SessionAbsoluteTTL() time.Duration { return c.get().SessionAbsoluteTTL }

// AdminSessionTTL is the absolute lifetime of an admin session
// (admin_session_ttl, default 15m), when shorter than
// session_absolute_ttl.
func (c Config) AdminSessionTTL() time.Duration { return c.get().AdminSessionTTL }

// TokenTTL is the validity of confirmation and password-reset tokens
// (token_ttl, default 1h).
func (c Config) TokenTTL() time.Duration { return c.get().TokenTTL }

// RateLimitEnabled reports whether the host applies the per-principal
// rate limit (ratelimit_enabled, default true); false means the host
// installs no rate-limit middleware (the example service does so).
func (c Config) RateLimitEnabled() bool { return c.get().RateLimitEnabled }

// RateLimitRequests is the default number of requests per
// RateLimitInterval (ratelimit_requests, default 500).
func (c Config) RateLimitRequests() int { return c.get().RateLimitRequests }

// RateLimitInterval is the rate-limit interval (ratelimit_interval,
// default 5m).
func (c Config) RateLimitInterval() time.Duration { return c.get().RateLimitInterval }

// TrustedProxies are the CIDRs whose X-Forwarded-For header is believed
// (trusted_proxies, default none). The slice is a copy.
func (c Config) TrustedProxies() []string { return slices.Clone(c.get().TrustedProxies) }

// CORSOrigins are the origins whose pages may read the API's answers from a
// browser (cors_origins, default none): exact origins such as
// https://app.example.com, compared as the browser serialises them, or
// "*" for every origin (answered as "*", never with credentials). A host
// gives them to its CORS middleware; examples/contacts uses
// github.com/rs/cors and grants credentials (the session cookie) only to
// an origin it also trusts for cookie-authenticated writes. The slice is
// a copy.
func (c Config) CORSOrigins() []string { return slices.Clone(c.get().CORSOrigins) }

// LoginAttemptsMax is the number of failed logins before a lockout
// (login_attempts_max, default 5).
func (c Config) LoginAttemptsMax() int { return c.get().LoginAttemptsMax }

// LoginLockoutInterval is how long a lockout lasts (login_lockout_interval,
// default 10m).
func (c Config) LoginLockoutInterval() time.Duration { return c.get().LoginLockoutInterval }

// LoginIPAttemptsMax is the number of failed logins from one client IP
// before it is throttled (login_ip_attempts_max, default 50).
func (c Config) LoginIPAttemptsMax() int { return c.get().LoginIPAttemptsMax }

// PasswordHashConcurrency is the number of password hashes computed at
// once (password_hash_concurrency, default 0: the login package's
// default, twice GOMAXPROCS and at most 32).
func (c Config) PasswordHashConcurrency() int { return c.get().PasswordHashConcurrency }

// PasswordHashWait is how long a request waits for a hashing slot
// (password_hash_wait, default 2s).
func (c Config) PasswordHashWait() time.Duration { return c.get().PasswordHashWait }

// RegistryInterval is the registry heartbeat interval (registry_interval,
// default 30s).
func (c Config) RegistryInterval() time.Duration { return c.get().RegistryInterval }

// RegistryTTL is how long a registry entry outlives its last heartbeat
// (registry_ttl, default 60s; longer than registry_interval).
func (c Config) RegistryTTL() time.Duration { return c.get().RegistryTTL }

// DefaultGrants are the default usage limits per account (default_grants;
// a file or environment value replaces single entries, keeping the other
// defaults). The map is a copy.
func (c Config) DefaultGrants() map[string]int64 { return maps.Clone(c.get().DefaultGrants) }

// EncryptionPassphrase is the passphrase of the AES-GCM keys
// (encryption_passphrase; at least 16 bytes; required outside development
// mode).
func (c Config) EncryptionPassphrase() Secret { return c.get().EncryptionPassphrase }

// AdminPassword is the initial admin password (admin_password); empty means
// the host generates one.
func (c Config) AdminPassword() Secret { return c.get().AdminPassword }

// MetricsScrapeKey is the key a scraper presents to read /metrics
// (metrics_scrape_key); empty means only admins may read it.
func (c Config) MetricsScrapeKey() Secret { return c.get().MetricsScrapeKey }

// Redacted returns the configuration as loaded (the library's keys and, for
// LoadAs, the host's), keyed by configuration key, with every secret
// masked: secrets read "[REDACTED]" ("" when unset) and URLs lose their
// password. Durations are strings in Go syntax. The map is a fresh copy,
// ready for a /config endpoint.
func (c Config) Redacted() map[string]any {
	if c.st == nil {
		return nil
	}
	out := make(map[string]any, len(c.st.redacted))
	for k, v := range c.st.redacted {
		switch v := v.(type) {
		case []any:
			out[k] = slices.Clone(v)
		case map[string]any:
			out[k] = maps.Clone(v)
		default:
			out[k] = v
		}
	}
	return out
}

// MarshalJSON encodes Redacted: a Config (and a host struct embedding it)
// never marshals a secret.
func (c Config) MarshalJSON() ([]byte, error) { return json.Marshal(c.Redacted()) }

// String is a one-line redacted description.
func (c Config) String() string {
	b, err := c.MarshalJSON()
	if err != nil {
		return "config.Config{}"
	}
	return "config.Config" + string(b)
}

// GoString is String.
func (c Config) GoString() string { return c.String() }

// Format prints String for every fmt verb, so %+v and %#v cannot reach the
// secrets.
func (c Config) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue logs the redacted view.
func (c Config) LogValue() slog.Value {
	r := c.Redacted()
	attrs := make([]slog.Attr, 0, len(r))
	for _, k := range slices.Sorted(maps.Keys(r)) {
		attrs = append(attrs, slog.Any(k, r[k]))
	}
	return slog.GroupValue(attrs...)
}

// Source says where the value of key came from: "default", "file
// service.yaml:12", "env APICRUD_SESSION_IDLE_TTL" or "option"; "" for an
// unknown key.
func (c Config) Source(key string) string {
	if c.st == nil {
		return ""
	}
	return c.st.sources[key]
}

// KeyInfo describes one configuration key.
type KeyInfo struct {
	Key     string // YAML key
	Env     string // prefixed environment variable
	Aliases []string
	Type    string // "string", "bool", "int", "duration", "list", "map", ...
	Secret  bool
	Doc     string
}

// Keys lists every key of the loaded configuration (library and host), in
// declaration order.
func (c Config) Keys() []KeyInfo {
	if c.st == nil {
		return nil
	}
	out := slices.Clone(c.st.keys)
	for i := range out {
		out[i].Aliases = slices.Clone(out[i].Aliases)
	}
	return out
}
