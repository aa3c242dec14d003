package main

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestRedisURLForms: REDIS_URL picks one server, a cluster or a Sentinel
// group from its form; a bad URL is an error that does not echo a password.
func TestRedisURLForms(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want string // client type, or "" for an error
	}{
		{"redis://127.0.0.1:6379/0", "*redis.Client"},
		{"rediss://user:pw@127.0.0.1:6380", "*redis.Client"},
		{"redis://127.0.0.1:7000?addr=127.0.0.1:7001&addr=127.0.0.1:7002", "*redis.ClusterClient"},
		{"redis://127.0.0.1:7000?cluster=true", "*redis.ClusterClient"},
		{"redis://127.0.0.1:26379?master_name=mymaster&addr=127.0.0.1:26380", "*redis.Client"},
		{"redis://127.0.0.1:7000?cluster=yes", ""},
		{"redis://127.0.0.1:7000?cluster=true&bogus=1", ""},
		{"redis://127.0.0.1:6379?bogus=1", ""},
		{"redis://127.0.0.1:6379/x", ""},
		{"http://127.0.0.1:6379", ""},
		{"redis://u:secret@[::1", ""},
		{"redis://u:secret@127.0.0.1:70000%zz", ""},
		{"", ""},
	} {
		rdb, err := redisClient(tc.url)
		if tc.want == "" {
			if err == nil {
				_ = rdb.Close()
				t.Errorf("redisClient(%q): no error", tc.url)
			} else if strings.Contains(err.Error(), "secret") {
				t.Errorf("redisClient(%q) = %v: the error shows the password", tc.url, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("redisClient(%q): %v", tc.url, err)
			continue
		}
		got := ""
		switch rdb.(type) {
		case *redis.Client:
			got = "*redis.Client"
		case *redis.ClusterClient:
			got = "*redis.ClusterClient"
		}
		if got != tc.want {
			t.Errorf("redisClient(%q) = %T, want %s", tc.url, rdb, tc.want)
		}
		_ = rdb.Close()
	}
}

func FuzzRedisURL(f *testing.F) {
	for _, s := range []string{"redis://h:1/0", "redis://h:1?addr=h:2", "redis://h:1?master_name=m", "redis://h?cluster=true", "%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rdb, err := redisClient(s)
		if err == nil {
			_ = rdb.Close()
		}
	})
}
