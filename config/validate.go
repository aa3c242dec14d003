package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"
)

// knownDefaultSecrets are secrets published with apicrud's
// service_config.yaml and example secrets, and common placeholders. Outside
// development mode no secret may equal one of them (case-insensitively).
var knownDefaultSecrets = []string{
	"6VYFX61SSx63VGw5",                 // db_aes_secret
	"e6b6935e45ea4fb381e7a0167862788d", // flask_secret_key
	"PY07l0g0FSqeKsyx",                 // jwt_secret
	"must.be.set",                      // ldap_bind_password
	"5bj27gMy6Kbb37A7P",                // redis_aes_secret
	"YI31A26j6f4&0#X*8&7QBNF",          // token_salt
	"6OoN6JYPp3t80BMf",                 // token_secret
	"changeme", "change-me", "change_me", "changeit", "secret", "password",
	"admin", "default", "example", "test", "development", "insecure",
	"please-change-me", "replace-me", "todo", "xxx",
}

// isKnownDefault reports whether s is a published default or placeholder,
// or a single character repeated.
func isKnownDefault(s string) bool {
	t := strings.TrimSpace(s)
	for _, d := range knownDefaultSecrets {
		if strings.EqualFold(t, d) {
			return true
		}
	}
	return len(t) > 0 && strings.Count(t, t[:1]) == len(t)
}

// validate checks every field's tag rules and the library's cross-key
// rules; it appends a *KeyError per problem.
func (l *loader) validate(st *state) {
	dev := st.s.Development
	for _, f := range l.fields {
		l.validateField(f, dev)
	}
	s := &st.s
	check := func(key string, ok bool, format string, args ...any) {
		if !ok {
			l.fail(l.byKey[key], fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
		}
	}
	// pick names, of two related keys, the one that was set explicitly, so
	// that the error points at the line to fix.
	pick := func(a, b string) string {
		if l.byKey[a].srcKind == "default" && l.byKey[b].srcKind != "default" {
			return b
		}
		return a
	}
	u, err := url.Parse(s.PublicURL)
	check("public_url", err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil,
		"want an absolute http or https URL without credentials, got %q", s.PublicURL)
	check("base_url", strings.HasPrefix(s.BaseURL, "/") && !strings.ContainsAny(s.BaseURL, "?#{} "),
		"want a path starting with /, got %q", s.BaseURL)
	_, _, err = net.SplitHostPort(s.ListenAddr)
	check("listen_addr", err == nil, "want host:port or :port, got %q", s.ListenAddr)
	if s.RedisURL != "" {
		u, err := url.Parse(s.RedisURL)
		check("redis_url", err == nil && (u.Scheme == "redis" || u.Scheme == "rediss" || u.Scheme == "unix"),
			"want a redis://, rediss:// or unix:// URL")
	}
	if s.DatabaseURL != "" {
		u, err := url.Parse(s.DatabaseURL)
		check("database_url", err == nil && u.Scheme != "", "want a URL such as postgres://host/db, mysql://host/db or sqlite://file.db")
	}
	check(pick("session_absolute_ttl", "session_idle_ttl"), s.SessionAbsoluteTTL >= s.SessionIdleTTL,
		"session_absolute_ttl %s is shorter than session_idle_ttl %s", s.SessionAbsoluteTTL, s.SessionIdleTTL)
	check(pick("jwt_refresh_ttl", "jwt_ttl"), s.JWTRefreshTTL >= s.JWTTTL,
		"jwt_refresh_ttl %s is shorter than jwt_ttl %s", s.JWTRefreshTTL, s.JWTTTL)
	check(pick("registry_ttl", "registry_interval"), s.RegistryTTL > s.RegistryInterval,
		"registry_ttl %s must be longer than registry_interval %s (two heartbeats per TTL are advised)", s.RegistryTTL, s.RegistryInterval)
	for _, p := range s.TrustedProxies {
		_, perr := netip.ParsePrefix(p)
		_, aerr := netip.ParseAddr(p)
		check("trusted_proxies", perr == nil || aerr == nil, "%q is not an IP address or CIDR prefix", p)
	}
	for _, o := range s.CORSOrigins {
		u, err := url.Parse(o)
		check("cors_origins", o == "*" || (err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil &&
			!strings.Contains(u.Host, "*") && (u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.Fragment == ""),
			"%q is not an origin such as https://app.example.com (exact origins only, or \"*\" alone)", o)
	}
	for name, n := range s.DefaultGrants {
		check("default_grants", n >= 0, "grant %q is negative", name)
	}
}

func (l *loader) validateField(f *field, dev bool) {
	v := f.v
	if f.secret == "true" || f.secret == "required" || f.typ == secretType {
		l.validateSecret(f, dev)
		return
	}
	if len(f.enum) > 0 && v.Kind() == reflect.String && !slices.Contains(f.enum, v.String()) {
		l.fail(f, fmt.Errorf("%w: want one of %s, got %s", ErrInvalid, strings.Join(f.enum, ", "), f.quote(v.String())))
	}
	for _, b := range []struct {
		tag string
		min bool
	}{{f.min, true}, {f.max, false}} {
		if b.tag == "" {
			continue
		}
		bound, _ := f.bound(b.tag) // checked in addFields
		var x float64
		var what string
		switch {
		case v.Kind() == reflect.String || v.Kind() == reflect.Slice || v.Kind() == reflect.Map:
			if v.Len() == 0 && v.Kind() != reflect.String {
				continue
			}
			x, what = float64(v.Len()), "length"
		case v.Kind() >= reflect.Int && v.Kind() <= reflect.Int64:
			x, what = float64(v.Int()), "value"
		case v.Kind() >= reflect.Uint && v.Kind() <= reflect.Uint64:
			x, what = float64(v.Uint()), "value"
		case v.Kind() == reflect.Float32 || v.Kind() == reflect.Float64:
			x, what = v.Float(), "value"
		default:
			continue
		}
		shown := b.tag
		if f.typ == durationType {
			shown = time.Duration(bound).String()
		}
		if b.min && x < bound {
			l.fail(f, fmt.Errorf("%w: %s below the minimum %s", ErrInvalid, what, shown))
		}
		if !b.min && x > bound {
			l.fail(f, fmt.Errorf("%w: %s above the maximum %s", ErrInvalid, what, shown))
		}
	}
}

// validateSecret applies the secret rules. In development mode a violation
// is logged as a warning instead.
func (l *loader) validateSecret(f *field, dev bool) {
	var s string
	if f.v.Kind() == reflect.String {
		s = f.v.String()
	}
	var problem string
	switch {
	case s == "" && f.secret == "required":
		problem = fmt.Sprintf("required outside development mode (set %s in the file or %s in the environment)", f.key, f.env)
	case s == "":
		return
	case isKnownDefault(s):
		problem = "is a published default or placeholder secret"
	case f.min != "":
		if n, _ := f.bound(f.min); float64(len(s)) < n {
			problem = fmt.Sprintf("shorter than %s bytes", f.min)
		}
	}
	if problem == "" {
		return
	}
	if dev {
		l.log.Warn("config: insecure secret accepted in development mode", "key", f.key, "problem", problem)
		return
	}
	l.fail(f, fmt.Errorf("%w: %s", ErrInsecureSecret, problem))
}
