package apikey_test

import (
	"context"
	"testing"
	"time"

	"github.com/apicrud-go/apicrud/apikey"
	"github.com/apicrud-go/apicrud/apikey/sqlstore"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

// BenchmarkVerify measures API key verification: parse, SHA-256 of the
// secret, store lookup, constant-time compare, status and expiry, per
// store (the last-used update happens once an hour, so not here).
func BenchmarkVerify(b *testing.B) {
	stores := []struct {
		name string
		opts func(b *testing.B) []apikey.Option
	}{
		{"memory", func(*testing.B) []apikey.Option { return nil }},
		{"memory-cache", func(*testing.B) []apikey.Option { return []apikey.Option{apikey.WithCache(time.Minute)} }},
		{"sqlite", func(b *testing.B) []apikey.Option {
			s, err := sqlstore.New(testenv.SQLiteDB(b))
			if err != nil {
				b.Fatal(err)
			}
			if err := s.CreateTable(b.Context()); err != nil {
				b.Fatal(err)
			}
			return []apikey.Option{apikey.WithStore(s)}
		}},
		{"sqlite-cache", func(b *testing.B) []apikey.Option {
			s, err := sqlstore.New(testenv.SQLiteDB(b))
			if err != nil {
				b.Fatal(err)
			}
			if err := s.CreateTable(b.Context()); err != nil {
				b.Fatal(err)
			}
			return []apikey.Option{apikey.WithStore(s), apikey.WithCache(time.Minute)}
		}},
	}
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			keys, err := apikey.New(s.opts(b)...)
			if err != nil {
				b.Fatal(err)
			}
			defer keys.Close(context.Background())
			k, _, err := keys.Create(b.Context(), "u-1", "bench", []string{"full"}, time.Time{})
			if err != nil {
				b.Fatal(err)
			}
			key := k.Reveal()
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := keys.Verify(ctx, key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
