package config_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/config"
)

// hostSettings is what a host application declares.
type hostSettings struct {
	config.Config
	SMTPHost     string        `config:"smtp_host" default:"localhost" doc:"mail relay"`
	SMTPPort     int           `default:"587" min:"1" max:"65535"`
	SMTPPassword config.Secret `secret:"required" min:"8"`
	APIToken     string        `secret:"true"`
	Greeting     string
	Timeout      time.Duration `default:"3s"`
	Features     []string
	Weights      map[string]float64
	Ignored      chan int `config:"-"`
	unexported   string   //nolint:unused // skipped by LoadAs
}

func TestLoadAs(t *testing.T) {
	file := "service_name: host\nsmtp_host: mail.example.com\ngreeting: hi\nfeatures: [a, b]\nweights: {x: 0.5}\n"
	lookup := env(map[string]string{
		"APICRUD_SMTP_PASSWORD": "smtp-pw-SECRET",
		"APICRUD_SMTP_PORT":     "2525",
		"APICRUD_API_TOKEN":     "tok-SECRET",
	})
	s, err := config.LoadAs[hostSettings]("etc/service.yaml", lookup, append(secrets(), fsWith(file), config.Set("timeout", 10*time.Second))...)
	require.NoError(t, err)
	require.Equal(t, "host", s.ServiceName(), "library getters are promoted")
	require.Equal(t, "mail.example.com", s.SMTPHost)
	require.Equal(t, 2525, s.SMTPPort)
	require.Equal(t, "smtp-pw-SECRET", s.SMTPPassword.Reveal())
	require.Equal(t, "hi", s.Greeting)
	require.Equal(t, 10*time.Second, s.Timeout)
	require.Equal(t, []string{"a", "b"}, s.Features)
	require.Equal(t, map[string]float64{"x": 0.5}, s.Weights)
	require.Empty(t, s.unexported, "unexported fields are not keys")
	require.Equal(t, "env APICRUD_SMTP_PORT", s.Source("smtp_port"))
	require.Equal(t, "file etc/service.yaml:2", s.Source("smtp_host"))

	r := s.Redacted()
	require.Equal(t, "mail.example.com", r["smtp_host"])
	require.Equal(t, "[REDACTED]", r["smtp_password"])
	require.Equal(t, "[REDACTED]", r["api_token"])
	require.Equal(t, "10s", r["timeout"])
	require.Equal(t, "[REDACTED]", r["jwt_key"])

	// Marshaling or printing the host struct goes through the promoted
	// redacted view: host secrets included.
	for _, v := range []any{s, *s} {
		j, err := json.Marshal(v)
		require.NoError(t, err)
		require.NotContains(t, string(j), "SECRET")
		require.Contains(t, string(j), `"smtp_host":"mail.example.com"`)
		for _, verb := range []string{"%v", "%+v", "%#v"} {
			require.NotContains(t, fmt.Sprintf(verb, v), "SECRET")
		}
	}
}

func TestLoadAsDefaultsAndRules(t *testing.T) {
	// The required host secret is missing.
	_, err := config.LoadAs[hostSettings]("", nil, secrets()...)
	require.ErrorIs(t, err, config.ErrInsecureSecret)
	require.Contains(t, err.Error(), `key "smtp_password"`)

	s, err := config.LoadAs[hostSettings]("", nil, append(secrets(), config.Set("smtp_password", "long-enough"))...)
	require.NoError(t, err)
	require.Equal(t, "localhost", s.SMTPHost, "default tag")
	require.Equal(t, 587, s.SMTPPort)
	require.Equal(t, 3*time.Second, s.Timeout)

	_, err = config.LoadAs[hostSettings]("", nil, append(secrets(), config.Set("smtp_password", "long-enough"), config.Set("smtp_port", 70000))...)
	require.ErrorIs(t, err, config.ErrInvalid)
	require.Contains(t, err.Error(), "maximum 65535")
}

type noEmbed struct{ A string }

type twoEmbeds struct {
	config.Config
	Inner struct{ config.Config }
}

type pointerEmbed struct {
	*config.Config
	A string
}

type clash struct {
	config.Config
	Name string `config:"service_name"`
}

type dupHost struct {
	config.Config
	A string `config:"x"`
	B string `config:"x"`
}

type unsupported struct {
	config.Config
	When time.Time
}

type badKey struct {
	config.Config
	A string `config:"Bad-Key"`
}

type badDefault struct {
	config.Config
	N int `default:"many"`
}

type badSecretTag struct {
	config.Config
	S string `secret:"yes"`
}

type badBound struct {
	config.Config
	D time.Duration `min:"5"`
}

func TestLoadAsSchemaErrors(t *testing.T) {
	tests := []struct {
		name string
		load func() error
	}{
		{"not a struct", func() error { _, err := config.LoadAs[int]("", nil); return err }},
		{"no embedded Config", func() error { _, err := config.LoadAs[noEmbed]("", nil); return err }},
		{"unsupported nested struct", func() error { _, err := config.LoadAs[twoEmbeds]("", nil); return err }},
		{"pointer embed", func() error { _, err := config.LoadAs[pointerEmbed]("", nil); return err }},
		{"clash with a library key", func() error { _, err := config.LoadAs[clash]("", nil); return err }},
		{"duplicate host key", func() error { _, err := config.LoadAs[dupHost]("", nil); return err }},
		{"unsupported type", func() error { _, err := config.LoadAs[unsupported]("", nil); return err }},
		{"bad key", func() error { _, err := config.LoadAs[badKey]("", nil); return err }},
		{"bad default", func() error { _, err := config.LoadAs[badDefault]("", nil); return err }},
		{"bad secret tag", func() error { _, err := config.LoadAs[badSecretTag]("", nil); return err }},
		{"bad bound", func() error { _, err := config.LoadAs[badBound]("", nil); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, tt.load(), config.ErrSchema)
		})
	}
}

func TestSnakeCaseKeys(t *testing.T) {
	type names struct {
		config.Config
		SMTPHost   string
		PublicURL2 string
		HTTPSOnly  bool
		MaxRPS     int
		A          string
		ID         string
	}
	s, err := config.LoadAs[names]("", nil, append(secrets(), config.Set("development", true))...)
	require.NoError(t, err)
	var keys []string
	for _, k := range s.Keys() {
		keys = append(keys, k.Key)
	}
	for _, want := range []string{"smtp_host", "public_url2", "https_only", "max_rps", "a", "id"} {
		require.Contains(t, keys, want)
	}
}
