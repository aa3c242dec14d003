package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/config"
)

const (
	jwtKey     = "k3y-for-tests-0123456789abcdefghijkl" // 36 bytes
	passphrase = "passphrase-for-tests-0123"
)

// env is a lookup function over a map.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// secrets are the options that make a production configuration valid.
func secrets() []config.Option {
	return []config.Option{config.Set("jwt_key", jwtKey), config.Set("encryption_passphrase", passphrase)}
}

func fsWith(content string) config.Option {
	return config.WithFS(fstest.MapFS{"etc/service.yaml": {Data: []byte(content)}})
}

func loadYAML(t *testing.T, content string, opts ...config.Option) (*config.Config, error) {
	t.Helper()
	return config.Load("etc/service.yaml", nil, append(append([]config.Option{fsWith(content)}, secrets()...), opts...)...)
}

// hostGrants are a host's default grants (the library has none).
var hostGrants = config.Default("default_grants", map[string]int64{"albums": 10, "lists": 12, "contacts": 8})

// TestDefaultOption: a host's defaults sit below the file, the
// environment and Set, and keep the source "default".
func TestDefaultOption(t *testing.T) {
	c, err := loadYAML(t, "ratelimit_requests: 7\n", config.Default("ratelimit_requests", 99),
		config.Default("service_name", "host"), config.Default("token_ttl", "2h"), hostGrants)
	require.NoError(t, err)
	require.Equal(t, 7, c.RateLimitRequests(), "the file wins over a host default")
	require.Equal(t, "host", c.ServiceName())
	require.Equal(t, "default", c.Source("service_name"))
	require.Equal(t, 2*time.Hour, c.TokenTTL())
	require.Equal(t, map[string]int64{"albums": 10, "lists": 12, "contacts": 8}, c.DefaultGrants())

	c, err = config.Load("", env(map[string]string{"APICRUD_SERVICE_NAME": "env"}),
		append(secrets(), config.Default("service_name", "host"), config.Set("ratelimit_requests", 3), config.Default("ratelimit_requests", 4))...)
	require.NoError(t, err)
	require.Equal(t, "env", c.ServiceName(), "the environment wins over a host default")
	require.Equal(t, 3, c.RateLimitRequests(), "Set wins over a host default")

	_, err = config.Load("", nil, append(secrets(), config.Default("servce_name", "x"))...)
	require.ErrorIs(t, err, config.ErrUnknownKey)
	require.Contains(t, err.Error(), "service_name")
	_, err = config.Load("", nil, append(secrets(), config.Default("ratelimit_requests", "many"))...)
	require.ErrorIs(t, err, config.ErrType)
	_, err = config.Load("", nil, append(secrets(), config.Default("ratelimit_requests", 0))...)
	require.ErrorIs(t, err, config.ErrInvalid, "a host default is validated like any value")
}

func TestDefaults(t *testing.T) {
	c, err := config.Load("", nil, config.Set("development", true))
	require.NoError(t, err)
	require.True(t, c.Development())
	require.Equal(t, "main", c.ServiceName())
	require.Equal(t, "http://localhost:8080", c.PublicURL())
	require.Equal(t, "/api/v1", c.BaseURL())
	require.Equal(t, ":8080", c.ListenAddr())
	require.Equal(t, slog.LevelInfo, c.LogLevel())
	require.Empty(t, c.RedisURL())
	require.Equal(t, 15*time.Minute, c.JWTTTL())
	require.Equal(t, 24*time.Hour, c.JWTRefreshTTL())
	require.Equal(t, 20*time.Minute, c.SessionIdleTTL())
	require.Equal(t, 2*time.Hour, c.SessionAbsoluteTTL())
	require.Equal(t, 15*time.Minute, c.AdminSessionTTL())
	require.Equal(t, time.Hour, c.TokenTTL())
	require.True(t, c.RateLimitEnabled())
	require.Equal(t, 500, c.RateLimitRequests())
	require.Equal(t, 5*time.Minute, c.RateLimitInterval())
	require.Equal(t, 5, c.LoginAttemptsMax())
	require.Equal(t, 10*time.Minute, c.LoginLockoutInterval())
	require.Equal(t, 50, c.LoginIPAttemptsMax())
	require.Equal(t, 30*time.Second, c.RegistryInterval())
	require.Equal(t, time.Minute, c.RegistryTTL())
	require.Empty(t, c.DefaultGrants(), "grants are the host's: no default grants")
	require.False(t, c.JWTKey().IsSet())
	require.Equal(t, "default", c.Source("service_name"))
	require.Equal(t, "option", c.Source("development"))
	require.Empty(t, c.Source("no_such_key"))

	var zero config.Config
	require.Equal(t, "main", zero.ServiceName(), "the zero Config reads the defaults")
	require.Nil(t, zero.Redacted())
}

// TestPrecedence: defaults < file < environment < options, per key.
func TestPrecedence(t *testing.T) {
	file := "service_name: from-file\njwt_issuer: from-file\njwt_audience: from-file\nlog_level: debug\n"
	lookup := env(map[string]string{
		"APICRUD_JWT_ISSUER":   "from-env",
		"APICRUD_JWT_AUDIENCE": "from-env",
		"APICRUD_LOG_LEVEL":    "", // empty: ignored
	})
	opts := append([]config.Option{fsWith(file), config.Set("jwt_audience", "from-option")}, secrets()...)
	c, err := config.Load("etc/service.yaml", lookup, opts...)
	require.NoError(t, err)

	tests := []struct{ key, got, want, source string }{
		{"public_url", c.PublicURL(), "http://localhost:8080", "default"},
		{"service_name", c.ServiceName(), "from-file", "file etc/service.yaml:1"},
		{"jwt_issuer", c.JWTIssuer(), "from-env", "env APICRUD_JWT_ISSUER"},
		{"jwt_audience", c.JWTAudience(), "from-option", "option"},
		{"log_level", c.LogLevel().String(), "DEBUG", "file etc/service.yaml:4"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			require.Equal(t, tt.want, tt.got)
			require.Equal(t, tt.source, c.Source(tt.key))
		})
	}
}

func TestEnvironment(t *testing.T) {
	lookup := env(map[string]string{
		"APICRUD_SESSION_IDLE_TTL":      "15m",
		"APICRUD_RATELIMIT_ENABLED":     "no",
		"APICRUD_RATELIMIT_REQUESTS":    " 42 ",
		"APICRUD_CORS_ORIGINS":          "https://a.example.com, https://b.example.com,",
		"APICRUD_DEFAULT_GRANTS":        "lists=3, contacts=100",
		"REDIS_URL":                     "redis://alias:6379/0",
		"APICRUD_DATABASE_URL":          "postgres://u@db/app",
		"DATABASE_URL":                  "mysql://ignored/db",
		"APICRUD_JWT_KEY":               jwtKey,
		"APICRUD_ENCRYPTION_PASSPHRASE": passphrase,
	})
	c, err := config.Load("", lookup, hostGrants)
	require.NoError(t, err)
	require.Equal(t, 15*time.Minute, c.SessionIdleTTL())
	require.False(t, c.RateLimitEnabled())
	require.Equal(t, 42, c.RateLimitRequests())
	require.Equal(t, []string{"https://a.example.com", "https://b.example.com"}, c.CORSOrigins())
	grants := c.DefaultGrants()
	require.Equal(t, int64(3), grants["lists"])
	require.Equal(t, int64(100), grants["contacts"])
	require.Equal(t, int64(10), grants["albums"], "environment entries merge into the defaults")
	require.Equal(t, "redis://alias:6379/0", c.RedisURL(), "unprefixed REDIS_URL is read")
	require.Equal(t, "env REDIS_URL", c.Source("redis_url"))
	require.Equal(t, "postgres://u@db/app", c.DatabaseURL(), "the prefixed name wins over the alias")
	require.Equal(t, jwtKey, c.JWTKey().Reveal())

	c, err = config.Load("", env(map[string]string{"SVC_SERVICE_NAME": "svc", "SVC_DEVELOPMENT": "1"}), config.WithEnvPrefix("svc_"))
	require.NoError(t, err)
	require.Equal(t, "svc", c.ServiceName())
	require.True(t, c.Development())

	_, err = config.Load("", nil, config.WithEnvPrefix("bad prefix"))
	require.ErrorIs(t, err, config.ErrInvalid)
}

func TestEnvironmentHostile(t *testing.T) {
	tests := []struct {
		name, variable, value string
		want                  error
	}{
		{"bool", "APICRUD_DEVELOPMENT", "maybe", config.ErrType},
		{"int", "APICRUD_RATELIMIT_REQUESTS", "5x", config.ErrType},
		{"int overflow", "APICRUD_RATELIMIT_REQUESTS", "99999999999999999999999", config.ErrType},
		{"int below min", "APICRUD_RATELIMIT_REQUESTS", "0", config.ErrInvalid},
		{"duration without unit", "APICRUD_JWT_TTL", "900", config.ErrType},
		{"negative duration", "APICRUD_JWT_TTL", "-5m", config.ErrInvalid},
		{"map without =", "APICRUD_DEFAULT_GRANTS", "lists", config.ErrType},
		{"map bad value", "APICRUD_DEFAULT_GRANTS", "lists=many", config.ErrType},
		{"map empty name", "APICRUD_DEFAULT_GRANTS", "=3", config.ErrType},
		{"enum", "APICRUD_LOG_LEVEL", "verbose", config.ErrInvalid},
		{"redis scheme", "APICRUD_REDIS_URL", "http://localhost", config.ErrInvalid},
		{"public url relative", "APICRUD_PUBLIC_URL", "/relative", config.ErrInvalid},
		{"public url with credentials", "APICRUD_PUBLIC_URL", "https://u:p@example.com", config.ErrInvalid},
		{"proxy", "APICRUD_TRUSTED_PROXIES", "10.0.0.0/8,not-an-ip", config.ErrInvalid},
		{"origin", "APICRUD_CORS_ORIGINS", "example.com", config.ErrInvalid},
		{"origin wildcard", "APICRUD_CORS_ORIGINS", "https://*.example.com", config.ErrInvalid},
		{"origin null", "APICRUD_CORS_ORIGINS", "null", config.ErrInvalid},
		{"origin scheme", "APICRUD_CORS_ORIGINS", "file:///etc", config.ErrInvalid},
		{"origin userinfo", "APICRUD_CORS_ORIGINS", "https://good.example@evil.example", config.ErrInvalid},
		{"origin path", "APICRUD_CORS_ORIGINS", "https://good.example/app", config.ErrInvalid},
		{"origin query", "APICRUD_CORS_ORIGINS", "https://good.example?x", config.ErrInvalid},
		{"listen addr", "APICRUD_LISTEN_ADDR", "8080", config.ErrInvalid},
		{"NUL bytes", "APICRUD_RATELIMIT_REQUESTS", "1\x002", config.ErrType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load("", env(map[string]string{tt.variable: tt.value}), secrets()...)
			require.ErrorIs(t, err, tt.want)
			var ke *config.KeyError
			require.ErrorAs(t, err, &ke)
			require.Equal(t, strings.ToLower(strings.TrimPrefix(tt.variable, "APICRUD_")), ke.Key)
			require.Contains(t, err.Error(), strings.ToLower(strings.TrimPrefix(tt.variable, "APICRUD_")))
		})
	}
}

func TestWithEnviron(t *testing.T) {
	environ := []string{"PATH=/bin", "APICRUD_SESION_IDLE_TTL=5m", "APICRUD_SERVICE_NAME=x", "OTHER_THING=1"}
	_, err := config.Load("", nil, append(secrets(), config.WithEnviron(environ))...)
	require.ErrorIs(t, err, config.ErrUnknownKey)
	require.Contains(t, err.Error(), "APICRUD_SESION_IDLE_TTL")
	require.Contains(t, err.Error(), `did you mean "session_idle_ttl"`)
}

func TestFile(t *testing.T) {
	file := `# service configuration
service_name: contacts
public_url: https://api.example.com
development: false
ratelimit_requests: 1_000
session_idle_ttl: 10m
session_absolute_ttl: 1h30m
jwt_ttl: 0          # an unquoted 0 is a valid duration; min rejects it below
cors_origins:
  - https://app.example.com
  - "*"
trusted_proxies: []
default_grants:
  lists: 20
  custom: 7
policy_file: rbac.yaml
`
	_, err := loadYAML(t, file)
	require.ErrorIs(t, err, config.ErrInvalid)
	require.Contains(t, err.Error(), `etc/service.yaml:8: key "jwt_ttl"`)

	c, err := loadYAML(t, strings.Replace(file, "jwt_ttl: 0", "jwt_ttl: 5m", 1), hostGrants)
	require.NoError(t, err)
	require.Equal(t, "contacts", c.ServiceName())
	require.Equal(t, "https://api.example.com", c.PublicURL())
	require.Equal(t, 1000, c.RateLimitRequests())
	require.Equal(t, 10*time.Minute, c.SessionIdleTTL())
	require.Equal(t, 90*time.Minute, c.SessionAbsoluteTTL())
	require.Equal(t, 5*time.Minute, c.JWTTTL())
	require.Equal(t, []string{"https://app.example.com", "*"}, c.CORSOrigins())
	require.Empty(t, c.TrustedProxies())
	require.Equal(t, int64(20), c.DefaultGrants()["lists"])
	require.Equal(t, int64(7), c.DefaultGrants()["custom"])
	require.Equal(t, int64(10), c.DefaultGrants()["albums"], "file entries merge into the defaults")
	require.Equal(t, "etc/rbac.yaml", c.PolicyFile(), "relative to the file's directory")
	require.Equal(t, "file etc/service.yaml:2", c.Source("service_name"))
}

func TestFileOnDisk(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/service.yaml"
	require.NoError(t, writeFile(path, "service_name: disk\npolicy_file: policy/rbac.yaml\n"))
	c, err := config.Load(path, nil, secrets()...)
	require.NoError(t, err)
	require.Equal(t, "disk", c.ServiceName())
	require.Equal(t, dir+"/policy/rbac.yaml", c.PolicyFile())

	_, err = config.Load(dir+"/missing.yaml", nil, secrets()...)
	require.Error(t, err)
	require.Contains(t, err.Error(), "missing.yaml")
}

// TestFileHostile is the table of bad configuration files: each fails with
// the right sentinel, and the message names the key and the line.
func TestFileHostile(t *testing.T) {
	tests := []struct {
		name, file string
		want       error
		contains   string
	}{
		{"unknown key", "service_name: a\nsesion_idle_ttl: 5m\n", config.ErrUnknownKey, `service.yaml:2: key "sesion_idle_ttl": unknown key; did you mean "session_idle_ttl"?`},
		{"unknown key far from any", "zzzzzzzzzz: 1\n", config.ErrUnknownKey, `service.yaml:1: key "zzzzzzzzzz"`},
		{"upper-case key", "SERVICE_NAME: a\n", config.ErrUnknownKey, `"SERVICE_NAME"`},
		{"string for int", "ratelimit_requests: lots\n", config.ErrType, `service.yaml:1: key "ratelimit_requests": wrong type: want an integer, got str "lots"`},
		{"quoted int", "ratelimit_requests: \"10\"\n", config.ErrType, "want an integer"},
		{"float for int", "ratelimit_requests: 1.5\n", config.ErrType, "want an integer"},
		{"int overflow", "ratelimit_requests: 99999999999999999999\n", config.ErrType, "want an integer"},
		{"int for string", "service_name: 123\n", config.ErrType, `want a string, got int "123"`},
		{"bool for string", "service_name: true\n", config.ErrType, `want a string, got bool "true"`},
		{"int for bool", "development: 1\n", config.ErrType, "want a boolean"},
		{"string for bool", "development: \"true\"\n", config.ErrType, "want a boolean"},
		{"bare seconds for duration", "session_idle_ttl: 900\n", config.ErrType, `want a duration such as "15m"`},
		{"bad duration", "session_idle_ttl: 15 minutes\n", config.ErrType, "want a duration"},
		{"list for scalar", "service_name: [a, b]\n", config.ErrType, "got a list"},
		{"mapping for scalar", "service_name: {a: b}\n", config.ErrType, "got a mapping"},
		{"scalar for list", "cors_origins: https://a.example.com\n", config.ErrType, "want a list of strings"},
		{"nested list", "cors_origins: [[a]]\n", config.ErrType, "want a string"},
		{"map value type", "default_grants: {lists: many}\n", config.ErrType, "want an integer"},
		{"map int key", "default_grants: {1: 2}\n", config.ErrType, "map keys"},
		{"map duplicate key", "default_grants: {a: 1, a: 2}\n", config.ErrSyntax, "duplicate"},
		{"null", "service_name:\n", config.ErrType, "null"},
		{"tilde null", "service_name: ~\n", config.ErrType, "null"},
		{"duplicate key", "service_name: a\nservice_name: b\n", config.ErrSyntax, "service.yaml:2: key \"service_name\": syntax error: duplicate key (first on line 1)"},
		{"anchor", "service_name: &x a\njwt_issuer: *x\n", config.ErrSyntax, "anchors"},
		{"merge key", "<<: {service_name: a}\n", config.ErrSyntax, "keys must be plain strings"},
		{"root list", "- a\n- b\n", config.ErrSyntax, "mapping"},
		{"root scalar", "just text\n", config.ErrSyntax, "mapping"},
		{"two documents", "service_name: a\n---\nservice_name: b\n", config.ErrSyntax, "more than one"},
		{"bad indentation", "service_name: a\n  jwt_issuer: b\n", config.ErrSyntax, "service.yaml:2"},
		{"tab indentation", "cors_origins:\n\t- a\n", config.ErrSyntax, ""},
		// Parser errors are reported by the YAML library one line too
		// low; the loader reports the line of the construct at fault.
		{"unclosed list", "service_name: a\ncors_origins: [a\n", config.ErrSyntax, "service.yaml:2: syntax error: invalid YAML: did not find expected ',' or ']'"},
		{"sequence after mapping", "service_name: a\njwt_issuer: b\n- c\n", config.ErrSyntax, "service.yaml:3: syntax error: invalid YAML: did not find expected key"},
		{"second document line", "service_name: a\n\n---\njwt_issuer: b\n", config.ErrSyntax, "service.yaml:3: syntax error: more than one YAML document"},
		{"unterminated quote", "service_name: \"abc\n", config.ErrSyntax, ""},
		{"non-string key", "? [a]\n: b\n", config.ErrSyntax, "keys"},
		{"NaN", "ratelimit_requests: .nan\n", config.ErrType, ""},
		{"invalid enum", "log_level: loud\n", config.ErrInvalid, "want one of debug, info, warn, error"},
		{"idle longer than absolute", "session_idle_ttl: 3h\n", config.ErrInvalid, "session_absolute_ttl"},
		{"ttl not above interval", "registry_ttl: 30s\n", config.ErrInvalid, "registry_ttl"},
		{"negative grant", "default_grants: {lists: -1}\n", config.ErrInvalid, "negative"},
		{"base url", "base_url: api\n", config.ErrInvalid, "base_url"},
		{"huge file", "service_name: a\n" + strings.Repeat("# padding\n", 110_000), config.ErrSyntax, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadYAML(t, tt.file)
			require.ErrorIs(t, err, tt.want)
			require.Contains(t, err.Error(), tt.contains)
			require.Contains(t, err.Error(), "etc/service.yaml", "the error names the file")
		})
	}
}

func TestFileAccepted(t *testing.T) {
	for name, file := range map[string]string{
		"empty":         "",
		"comments only": "# nothing here\n",
		"explicit doc":  "---\nservice_name: a\n...\n",
		"BOM":           "\xef\xbb\xbfservice_name: a\n",
		"CRLF":          "service_name: a\r\njwt_issuer: b\r\n",
		"flow mapping":  "{service_name: a, development: true}",
		"hex int":       "ratelimit_requests: 0x10\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadYAML(t, file)
			require.NoError(t, err)
		})
	}
}

func TestErrorsAreJoined(t *testing.T) {
	_, err := loadYAML(t, "nope: 1\nratelimit_requests: x\nsession_idle_ttl: 7\n")
	require.ErrorIs(t, err, config.ErrUnknownKey)
	require.ErrorIs(t, err, config.ErrType)
	for _, key := range []string{`"nope"`, `"ratelimit_requests"`, `"session_idle_ttl"`} {
		require.Contains(t, err.Error(), key)
	}
	var joined interface{ Unwrap() []error }
	require.True(t, errors.As(err, &joined))
	require.Len(t, joined.Unwrap(), 3)
}

func TestSetOption(t *testing.T) {
	tests := []struct {
		name  string
		key   string
		value any
		want  error
	}{
		{"typed duration", "jwt_ttl", 5 * time.Minute, nil},
		{"duration string", "jwt_ttl", "5m", nil},
		{"int for duration", "jwt_ttl", 5, config.ErrType},
		{"int64 for int", "ratelimit_requests", int64(7), nil},
		{"uint for int", "ratelimit_requests", uint8(7), nil},
		{"float for int", "ratelimit_requests", 7.5, config.ErrType},
		{"string for int", "ratelimit_requests", "7", nil},
		{"bad string for int", "ratelimit_requests", "seven", config.ErrType},
		{"bool", "development", true, nil},
		{"string for bool", "development", "yes", nil},
		{"nil", "service_name", nil, config.ErrType},
		{"list", "cors_origins", []string{"https://x.example.com"}, nil},
		{"wrong list", "cors_origins", []int{1}, config.ErrType},
		{"map", "default_grants", map[string]int64{"a": 1}, nil},
		{"secret as string", "jwt_key", jwtKey, nil},
		{"secret as Secret", "jwt_key", config.Secret(jwtKey), nil},
		{"unknown", "jwt_tll", "5m", config.ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load("", nil, append(secrets(), config.Set(tt.key, tt.value))...)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			require.Contains(t, err.Error(), tt.key)
		})
	}

	c, err := config.Load("", nil, append(secrets(), config.Set("default_grants", map[string]int64{"only": 1}))...)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"only": 1}, c.DefaultGrants(), "a map given to Set replaces the map")
}

// TestDefect20_20DefaultSecrets is the issue 11 rule (behaviour §20.20):
// default secrets refuse to start outside development mode.
func TestDefect20_20DefaultSecrets(t *testing.T) {
	tests := []struct {
		name string
		opts []config.Option
		key  string
	}{
		{"jwt_key missing", []config.Option{config.Set("encryption_passphrase", passphrase)}, "jwt_key"},
		{"passphrase missing", []config.Option{config.Set("jwt_key", jwtKey)}, "encryption_passphrase"},
		{"published apicrud jwt_secret", []config.Option{config.Set("jwt_key", "PY07l0g0FSqeKsyx"), config.Set("encryption_passphrase", passphrase)}, "jwt_key"},
		{"published redis_aes_secret", []config.Option{config.Set("jwt_key", jwtKey), config.Set("encryption_passphrase", "5bj27gMy6Kbb37A7P")}, "encryption_passphrase"},
		{"placeholder", append(secrets(), config.Set("admin_password", "ChangeMe")), "admin_password"},
		{"repeated character", []config.Option{config.Set("jwt_key", strings.Repeat("a", 40)), config.Set("encryption_passphrase", passphrase)}, "jwt_key"},
		{"jwt_key too short", []config.Option{config.Set("jwt_key", "only-twenty-bytes-xx"), config.Set("encryption_passphrase", passphrase)}, "jwt_key"},
		{"scrape key too short", append(secrets(), config.Set("metrics_scrape_key", "short-key")), "metrics_scrape_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load("", nil, tt.opts...)
			require.ErrorIs(t, err, config.ErrInsecureSecret)
			require.Contains(t, err.Error(), fmt.Sprintf("key %q", tt.key))

			var buf bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&buf, nil))
			c, err := config.Load("", nil, append(tt.opts, config.Set("development", true), config.WithLogger(logger))...)
			require.NoError(t, err, "development mode accepts it")
			require.True(t, c.Development())
			require.Contains(t, buf.String(), "key="+tt.key, "and warns")
		})
	}
	t.Run("development from the environment", func(t *testing.T) {
		_, err := config.Load("", env(map[string]string{"APICRUD_DEVELOPMENT": "true"}))
		require.NoError(t, err)
	})
	t.Run("empty optional secrets are fine", func(t *testing.T) {
		c, err := config.Load("", nil, secrets()...)
		require.NoError(t, err)
		require.False(t, c.AdminPassword().IsSet())
		require.False(t, c.MetricsScrapeKey().IsSet())
	})
}

// TestSecretsNeverInErrors: a secret of the wrong type or rejected value
// is not echoed.
func TestSecretsNeverInErrors(t *testing.T) {
	const value = "12345678901234567890123456789012345"
	_, err := loadYAML(t, "jwt_key: "+value+"\n")
	require.ErrorIs(t, err, config.ErrType)
	require.NotContains(t, err.Error(), value)
	_, err = config.Load("", env(map[string]string{"APICRUD_DEFAULT_GRANTS": "x"}), config.Set("jwt_key", "PY07l0g0FSqeKsyx"))
	require.Error(t, err)
	require.NotContains(t, err.Error(), "PY07l0g0FSqeKsyx")
}

func TestRedacted(t *testing.T) {
	lookup := env(map[string]string{
		"APICRUD_REDIS_URL":             "redis://user:redispw-SECRET@cache:6379/0",
		"APICRUD_DATABASE_URL":          "postgres://app:dbpw-SECRET@db:5432/app?sslmode=disable&password=qpw-SECRET",
		"APICRUD_ADMIN_PASSWORD":        "adminpw-SECRET-long",
		"APICRUD_JWT_KEY":               jwtKey,
		"APICRUD_ENCRYPTION_PASSPHRASE": passphrase,
	})
	c, err := config.Load("", lookup)
	require.NoError(t, err)
	r := c.Redacted()
	require.Equal(t, "[REDACTED]", r["jwt_key"])
	require.Equal(t, "[REDACTED]", r["encryption_passphrase"])
	require.Equal(t, "[REDACTED]", r["admin_password"])
	require.Equal(t, "", r["metrics_scrape_key"], "an unset secret shows as empty")
	require.Equal(t, "redis://user:[REDACTED]@cache:6379/0", r["redis_url"])
	require.Contains(t, r["database_url"], "app:[REDACTED]@db:5432/app")
	require.Equal(t, "15m0s", r["jwt_ttl"])
	require.Equal(t, int64(500), r["ratelimit_requests"])
	require.Equal(t, true, r["ratelimit_enabled"])
	require.Len(t, r, len(c.Keys()))

	// Every way of printing: nothing secret comes out.
	j, err := json.Marshal(c)
	require.NoError(t, err)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "cfg", c, "key", c.JWTKey())
	outputs := []string{string(j), logs.String(), c.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs = append(outputs, fmt.Sprintf(verb, c), fmt.Sprintf(verb, *c), fmt.Sprintf(verb, c.JWTKey()))
	}
	for _, out := range outputs {
		require.NotContains(t, out, "SECRET")
		require.NotContains(t, out, jwtKey)
		require.NotContains(t, out, passphrase)
	}

	// The view is a copy.
	r["service_name"] = "changed"
	require.Equal(t, "main", c.Redacted()["service_name"])
}

func TestRedactURLForms(t *testing.T) {
	tests := []struct{ in, want string }{
		{"redis://cache:6379", "redis://cache:6379"},
		{"postgres://app@db/app", "postgres://app@db/app"},
		{"redis://:pw@cache:6379", "redis://:[REDACTED]@cache:6379"},
		{"user:pw@tcp(db:3306)/app", "[REDACTED]"},
		{"postgres://db/app?password=pw&sslmode=disable", "postgres://db/app?password=[REDACTED]&sslmode=disable"},
		{"mysql://db/app?api_key=k", "mysql://db/app?api_key=[REDACTED]"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := config.Load("", nil, append(secrets(), config.Set("database_url", tt.in))...)
			require.NoError(t, err)
			require.Equal(t, tt.want, c.Redacted()["database_url"])
		})
	}
}

func TestImmutable(t *testing.T) {
	c, err := config.Load("", nil, append(secrets(), hostGrants, config.Set("cors_origins", []string{"https://a.example.com"}))...)
	require.NoError(t, err)
	origins := c.CORSOrigins()
	origins[0] = "https://evil.example.com"
	require.Equal(t, []string{"https://a.example.com"}, c.CORSOrigins())
	grants := c.DefaultGrants()
	grants["lists"] = 1e9
	require.Equal(t, int64(12), c.DefaultGrants()["lists"])
	copyOfC := *c
	require.Equal(t, c.ServiceName(), copyOfC.ServiceName())

	// A slice passed to Set is copied too.
	in := []string{"https://a.example.com"}
	c, err = config.Load("", nil, append(secrets(), config.Set("cors_origins", in))...)
	require.NoError(t, err)
	in[0] = "https://evil.example.com"
	require.Equal(t, []string{"https://a.example.com"}, c.CORSOrigins())
}

func TestKeys(t *testing.T) {
	c, err := config.Load("", nil, secrets()...)
	require.NoError(t, err)
	keys := c.Keys()
	byKey := map[string]config.KeyInfo{}
	for _, k := range keys {
		byKey[k.Key] = k
		require.NotEmpty(t, k.Doc, k.Key)
	}
	require.Equal(t, "APICRUD_REDIS_URL", byKey["redis_url"].Env)
	require.Equal(t, []string{"REDIS_URL"}, byKey["redis_url"].Aliases)
	require.True(t, byKey["jwt_key"].Secret)
	require.True(t, byKey["redis_url"].Secret)
	require.False(t, byKey["service_name"].Secret)
	require.Equal(t, "duration", byKey["jwt_ttl"].Type)
	require.Equal(t, "map", byKey["default_grants"].Type)
	require.ElementsMatch(t, keys, c.Keys())
	require.Len(t, maps.Collect(func(yield func(string, bool) bool) {
		for _, k := range keys {
			if !yield(k.Key, true) {
				return
			}
		}
	}), len(keys), "keys are unique")
}

func TestConcurrentReads(t *testing.T) {
	c, err := config.Load("", nil, secrets()...)
	require.NoError(t, err)
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 200 {
				_ = c.Redacted()
				_ = c.DefaultGrants()
				_ = c.SessionIdleTTL()
			}
		}()
	}
	for range 4 {
		<-done
	}
}
