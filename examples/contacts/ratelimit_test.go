package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/config"
	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/ratelimit"
)

// TestRateLimitEnabled: ratelimit_enabled: false removes the rate-limit
// middleware (no 429, no RateLimit headers); true (the default) limits.
func TestRateLimitEnabled(t *testing.T) {
	for _, enabled := range []bool{true, false} {
		t.Run(map[bool]string{true: "enabled", false: "disabled"}[enabled], func(t *testing.T) {
			cfg, err := loadConfig("", nil,
				config.Set("database_url", "sqlite://"+filepath.Join(t.TempDir(), "c.db")),
				config.Set("jwt_key", testenv.RandomID(24)), config.Set("encryption_passphrase", testenv.RandomID(12)),
				config.Set("admin_password", "Quiet-meadow 8812"), config.Set("outbox_dir", t.TempDir()),
				config.Set("ratelimit_requests", 2), config.Set("ratelimit_enabled", enabled))
			require.NoError(t, err)
			a, err := newApp(t.Context(), cfg, slog.New(slog.DiscardHandler), io.Discard)
			require.NoError(t, err)
			t.Cleanup(func() { _ = a.close(context.Background()) })
			h := a.handler()
			var codes []int
			var headers []string
			for range 4 {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil))
				codes = append(codes, w.Code)
				headers = append(headers, w.Header().Get("RateLimit-Policy"))
			}
			for range 4 {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/health", nil))
				require.Equal(t, http.StatusOK, w.Code, "/health is never rate-limited")
				require.Empty(t, w.Header().Get("RateLimit-Policy"))
			}
			if enabled {
				require.Equal(t, []int{200, 200, 429, 429}, codes)
				require.NotEmpty(t, headers[0])
				return
			}
			require.Equal(t, []int{200, 200, 200, 200}, codes)
			require.Equal(t, []string{"", "", "", ""}, headers)
		})
	}
}

// TestDefaultGrants: the service's grants are its own defaults, under
// default_grants in the file.
func TestDefaultGrants(t *testing.T) {
	cfg, err := loadConfig("", nil, config.Set("development", true))
	require.NoError(t, err)
	require.Equal(t, defaultGrants, cfg.DefaultGrants())
	require.Equal(t, "default", cfg.Source("default_grants"))
	env := map[string]string{"APICRUD_DEFAULT_GRANTS": "lists=3", "APICRUD_DEVELOPMENT": "true"}
	cfg, err = loadConfig("", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	require.NoError(t, err)
	require.Equal(t, int64(3), cfg.DefaultGrants()["lists"])
	require.Equal(t, int64(10), cfg.DefaultGrants()["albums"], "other entries keep the service's defaults")
}

// TestRateLimitBatchConfig: ratelimit_batch is 0 (exact, the default) or
// a batch of 2 to ratelimit.MaxReservationBatch, ratelimit_batch_hold at
// most ratelimit.MaxReservationHold; bad values stop the start, naming
// the key.
func TestRateLimitBatchConfig(t *testing.T) {
	cfg, err := loadConfig("", nil, config.Set("development", true))
	require.NoError(t, err)
	require.Equal(t, 0, cfg.RateLimitBatch)
	require.Equal(t, 100*time.Millisecond, cfg.RateLimitHold)
	opt, err := rateLimitReservation(cfg)
	require.NoError(t, err)
	require.Nil(t, opt, "exact by default")

	env := map[string]string{"APICRUD_DEVELOPMENT": "true", "APICRUD_RATELIMIT_BATCH": "64", "APICRUD_RATELIMIT_BATCH_HOLD": "250ms"}
	cfg, err = loadConfig("", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	require.NoError(t, err)
	require.Equal(t, 64, cfg.RateLimitBatch)
	require.Equal(t, 250*time.Millisecond, cfg.RateLimitHold)

	for _, c := range []struct {
		key   string
		value any
	}{
		{"ratelimit_batch", -1}, {"ratelimit_batch", ratelimit.MaxReservationBatch + 1},
		{"ratelimit_batch_hold", time.Duration(0)}, {"ratelimit_batch_hold", ratelimit.MaxReservationHold + time.Millisecond},
	} {
		_, err := loadConfig("", nil, config.Set("development", true), config.Set(c.key, c.value))
		require.ErrorIs(t, err, config.ErrInvalid, "%s: %v", c.key, c.value)
		require.ErrorContains(t, err, c.key)
	}
	cfg, err = loadConfig("", nil, config.Set("development", true), config.Set("ratelimit_batch", 1))
	require.NoError(t, err)
	_, err = rateLimitReservation(cfg)
	require.ErrorIs(t, err, config.ErrInvalid)
	require.ErrorContains(t, err, "ratelimit_batch")

	// The bounds of the keys are the library's.
	cfg, err = loadConfig("", nil, config.Set("development", true),
		config.Set("ratelimit_batch", ratelimit.MaxReservationBatch), config.Set("ratelimit_batch_hold", ratelimit.MaxReservationHold))
	require.NoError(t, err)
	opt, err = rateLimitReservation(cfg)
	require.NoError(t, err)
	l, err := ratelimit.New(opt)
	require.NoError(t, err)
	require.NoError(t, l.Close(t.Context()))
}

// TestRateLimitBatchOnRedis: with ratelimit_batch on Redis, a caller
// still gets exactly its limit when it reaches it (reservations are exact
// near the limit).
func TestRateLimitBatchOnRedis(t *testing.T) {
	rdb := testenv.Redis(t)
	_, h := inProcess(t,
		config.Set("redis_url", "redis://"+testenv.RedisAddr()), config.Set("redis_prefix", testenv.Prefix(t, rdb)),
		config.Set("ratelimit_requests", 10), config.Set("ratelimit_batch", 8), config.Set("ratelimit_batch_hold", time.Minute))
	var codes []int
	for range 14 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil))
		codes = append(codes, w.Code)
		if w.Code == http.StatusTooManyRequests {
			require.NotEmpty(t, w.Header().Get("Retry-After"))
		}
	}
	require.Equal(t, []int{200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 429, 429, 429, 429}, codes)
}
