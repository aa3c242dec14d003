package config_test

import (
	"errors"
	"testing"
	"testing/fstest"

	"github.com/apicrud-go/apicrud/config"
)

var sentinels = []error{config.ErrUnknownKey, config.ErrType, config.ErrInvalid, config.ErrInsecureSecret, config.ErrSyntax}

func knownError(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzLoadYAML feeds arbitrary files to Load: it must never panic, and
// every failure must match one of the sentinels.
func FuzzLoadYAML(f *testing.F) {
	for _, seed := range []string{
		"", "service_name: a\n", "session_idle_ttl: 15m\nsession_absolute_ttl: 1h\n",
		"cors_origins: [a, b]\ndefault_grants: {lists: 3}\n", "development: true\n",
		"a: &x 1\nb: *x\n", "- 1\n", "{", "service_name: [\n", "? [a]\n: b\n",
		"ratelimit_requests: 0x7fffffffffffffff\n", "jwt_ttl: 0\n", "---\n---\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"c.yaml": {Data: data}}
		c, err := config.Load("c.yaml", nil, config.WithFS(fsys), config.Set("development", true))
		if err != nil {
			if !knownError(err) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		_ = c.Redacted()
		if _, err := c.MarshalJSON(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzEnv feeds an arbitrary value to every environment variable of a
// host struct with every supported type.
func FuzzEnv(f *testing.F) {
	for _, seed := range []string{"", "1", "15m", "a,b", "x=1,y=2", "true", "-1", "1e400", "NaN", "=", ",,,", "\x00"} {
		f.Add(seed)
	}
	type host struct {
		config.Config
		S  string
		B  bool
		I  int8
		U  uint16
		F  float32
		L  []int
		M  map[string]bool
		Sc config.Secret
	}
	f.Fuzz(func(t *testing.T, value string) {
		lookup := func(string) (string, bool) { return value, true }
		h, err := config.LoadAs[host]("", lookup)
		if err != nil {
			if !knownError(err) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		_ = h.Redacted()
	})
}
