package config_test

import (
	"testing"
	"testing/fstest"

	"github.com/apicrud-go/apicrud/config"
)

const benchFile = `service_name: contacts
public_url: https://api.example.com
session_idle_ttl: 10m
session_absolute_ttl: 1h
cors_origins: [https://app.example.com]
default_grants: {lists: 20}
`

// BenchmarkLoad measures a whole Load (defaults, a 6-key YAML file, the
// environment through lookup, validation, redacted view): a start-up cost.
func BenchmarkLoad(b *testing.B) {
	fsys := fstest.MapFS{"c.yaml": {Data: []byte(benchFile)}}
	lookup := env(map[string]string{"APICRUD_JWT_KEY": jwtKey, "APICRUD_ENCRYPTION_PASSPHRASE": passphrase, "REDIS_URL": "redis://cache:6379"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := config.Load("c.yaml", lookup, config.WithFS(fsys)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRedacted measures building the /config view.
func BenchmarkRedacted(b *testing.B) {
	c, err := config.Load("", nil, secrets()...)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = c.Redacted()
	}
}

// BenchmarkGetter measures a getter on the hot path (no allocation).
func BenchmarkGetter(b *testing.B) {
	c, err := config.Load("", nil, secrets()...)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if c.SessionIdleTTL() == 0 {
				b.Error("zero")
			}
		}
	})
}
