package config_test

import (
	"encoding/json"
	"fmt"
	"log"
	"testing/fstest"
	"time"

	"github.com/apicrud-go/apicrud/config"
)

// Defaults < file < environment < options. A real service passes
// os.LookupEnv and a path on disk.
func ExampleLoad() {
	files := fstest.MapFS{"service.yaml": {Data: []byte("service_name: contacts\nsession_idle_ttl: 10m\n")}}
	environment := map[string]string{
		"APICRUD_SESSION_IDLE_TTL":      "15m",
		"APICRUD_JWT_KEY":               "0123456789abcdef0123456789abcdef-jwt",
		"APICRUD_ENCRYPTION_PASSPHRASE": "a long random passphrase",
	}
	lookup := func(k string) (string, bool) { v, ok := environment[k]; return v, ok }

	c, err := config.Load("service.yaml", lookup, config.WithFS(files), config.Set("ratelimit_requests", 100))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.ServiceName(), c.SessionIdleTTL(), c.RateLimitRequests())
	fmt.Println(c.Source("session_idle_ttl"))
	fmt.Println(c.JWTKey()) // secrets redact themselves
	// Output:
	// contacts 15m0s 100
	// env APICRUD_SESSION_IDLE_TTL
	// [REDACTED]
}

// Outside development mode, missing or published default secrets are
// refused, naming the key.
func ExampleLoad_defaultSecrets() {
	_, err := config.Load("", nil, config.Set("encryption_passphrase", "a long random passphrase"))
	fmt.Println(err)
	// Output:
	// config: key "jwt_key": insecure secret: required outside development mode (set jwt_key in the file or APICRUD_JWT_KEY in the environment)
}

// A host application embeds Config and adds its own keys.
func ExampleLoadAs() {
	type Settings struct {
		config.Config
		SMTPHost     string        `config:"smtp_host" default:"localhost"`
		SMTPPassword config.Secret `config:"smtp_password" secret:"true"`
		SendTimeout  time.Duration `default:"5s"` // key send_timeout
	}
	s, err := config.LoadAs[Settings]("", nil,
		config.Set("development", true),
		config.Set("smtp_password", "hunter2-but-longer"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.SMTPHost, s.SendTimeout, s.ServiceName())
	fmt.Println(s.Redacted()["smtp_password"])
	// Output:
	// localhost 5s main
	// [REDACTED]
}

// Redacted (and MarshalJSON) is the view for a /config endpoint.
func ExampleConfig_Redacted() {
	c, err := config.Load("", nil,
		config.Set("development", true),
		config.Set("database_url", "postgres://app:s3cret@db:5432/app"))
	if err != nil {
		log.Fatal(err)
	}
	r := c.Redacted()
	b, _ := json.Marshal(map[string]any{"database_url": r["database_url"], "jwt_key": r["jwt_key"], "jwt_ttl": r["jwt_ttl"]})
	fmt.Println(string(b))
	// Output:
	// {"database_url":"postgres://app:[REDACTED]@db:5432/app","jwt_key":"","jwt_ttl":"15m0s"}
}
