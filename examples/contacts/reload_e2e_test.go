package main

import (
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestGrantDefaultsReload changes default_grants in the configuration
// file of two instances on one Redis and sends SIGHUP to one of them:
// both answer with the new default, without a restart.
func TestGrantDefaultsReload(t *testing.T) {
	binary(t)
	t.Parallel()
	d := postgresRedisDeployment(t)
	file := filepath.Join(d.dir, "contacts.yaml")
	write := func(n string) {
		if err := os.WriteFile(file, []byte("default_grants:\n  contacts: "+n+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("9")
	d.args = []string{"-config", file}
	a := d.launch(t, "instance A")
	b := d.launch(t, "instance B", "APICRUD_METRICS_SHARED=false")
	a.ready(t)
	b.ready(t)
	ua := a.newUser(t, "reload")
	ub := ua.on(b)
	contacts := func(c *client) string {
		t.Helper()
		for _, g := range decode[struct {
			Items []struct{ Name, Value string }
		}](t, c.get(t, "/grant").want(t, http.StatusOK)).Items {
			if g.Name == "contacts" {
				return g.Value
			}
		}
		return ""
	}
	if got := contacts(ub); got != "9" {
		t.Fatalf("contacts before the reload = %q, want 9", got)
	}
	write("30")
	if err := a.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for contacts(ub) != "30" || contacts(ua) != "30" {
		if time.Now().After(deadline) {
			t.Fatalf("after SIGHUP to A: contacts = %q on A, %q on B; want 30 on both", contacts(ua), contacts(ub))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
