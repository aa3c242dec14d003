package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDefect20_20_InsecureSecretsRefuseToStart starts the service with missing or
// published secrets outside development mode: it must exit with status 1
// naming the key, before it serves anything (§20.20).
func TestDefect20_20_InsecureSecretsRefuseToStart(t *testing.T) {
	bin := binary(t)
	t.Parallel()
	dir := t.TempDir()
	sqlite := "DATABASE_URL=sqlite://" + filepath.Join(dir, "c.db")
	pg := "DATABASE_URL=postgres://nobody@127.0.0.1:1/none"
	for _, tc := range []struct {
		name string
		env  []string
		key  string
	}{
		{"a shared database without a JWT key", []string{pg, "APICRUD_ENCRYPTION_PASSPHRASE=Long-Enough-Passphrase-1"}, "jwt_key"},
		{"a shared database without an encryption passphrase", []string{pg, "APICRUD_JWT_KEY=" + strings.Repeat("k1", 20)}, "encryption_passphrase"},
		{"Redis without secrets, even on SQLite", []string{sqlite, "REDIS_URL=redis://127.0.0.1:1"}, "jwt_key"},
		{"a JWT key of one repeated character", []string{pg, "APICRUD_JWT_KEY=" + strings.Repeat("a", 40), "APICRUD_ENCRYPTION_PASSPHRASE=Long-Enough-Passphrase-1"}, "jwt_key"},
		{"a short JWT key", []string{pg, "APICRUD_JWT_KEY=short-key-1", "APICRUD_ENCRYPTION_PASSPHRASE=Long-Enough-Passphrase-1"}, "jwt_key"},
		{"a placeholder admin password", []string{sqlite, "APICRUD_ADMIN_PASSWORD=please-change-me"}, "admin_password"},
		{"a published apicrud secret", []string{pg, "APICRUD_JWT_KEY=" + strings.Repeat("x", 32), "APICRUD_ENCRYPTION_PASSPHRASE=6VYFX61SSx63VGw5"}, "encryption_passphrase"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0")
			cmd.Dir = dir
			cmd.Env = (&deployment{}).environ(tc.env)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1; output:\n%s", err, out)
			}
			if !strings.Contains(string(out), `"`+tc.key+`"`) || strings.Contains(string(out), "serving") {
				t.Errorf("output does not name %s, or the service served:\n%s", tc.key, out)
			}
		})
	}
}

var adminLine = regexp.MustCompile(`contacts: created account admin with password (\S+) \(shown once`)

// TestFirstStartGeneratesSecrets starts the service as `make run` does, on
// SQLite with nothing configured: it generates the development keys and
// the admin password, shows the password once, and keeps both across a
// restart.
func TestFirstStartGeneratesSecrets(t *testing.T) {
	binary(t)
	t.Parallel()
	d := sqliteDeployment(t)
	delete(d.env, "APICRUD_ADMIN_PASSWORD")

	var password, id string
	t.Run("the first start prints a generated admin password once", func(t *testing.T) {
		in := d.start(t, "first start")
		// On standard output, beside the URL: never in the log stream.
		m := adminLine.FindStringSubmatch(in.stdout.String())
		if m == nil {
			t.Fatalf("no generated admin password on stdout:\n%s", in.stdout)
		}
		password = m[1]
		if strings.Contains(in.stderr.String(), password) {
			t.Errorf("the admin password is in the log stream")
		}
		if len(password) < 20 || strings.Count(in.stdout.String(), password) != 1 {
			t.Errorf("admin password %q: want a long one, shown exactly once", password)
		}
		admin := in.anonymous()
		admin.username, admin.password = "admin", password
		admin.login(t)
		id = admin.create(t, "contact", map[string]any{"info": "admin@example.com", "privacy": "secret"})
		info, err := os.Stat(filepath.Join(d.dir, "contacts.keys"))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("contacts.keys: %v, mode %v; want mode 0600", err, info.Mode())
		}
		in.stop(t)
	})
	if password == "" {
		t.FailNow()
	}
	t.Run("a restart keeps the password, the keys and the data", func(t *testing.T) {
		keys, _ := os.ReadFile(filepath.Join(d.dir, "contacts.keys"))
		in := d.start(t, "restart")
		if adminLine.MatchString(in.stdout.String() + in.stderr.String()) {
			t.Errorf("the restart printed a new admin password")
		}
		admin := in.anonymous()
		admin.username, admin.password = "admin", password
		admin.login(t)
		admin.get(t, "/contact/"+id).want(t, http.StatusOK)
		if again, _ := os.ReadFile(filepath.Join(d.dir, "contacts.keys")); string(again) != string(keys) {
			t.Errorf("the restart replaced contacts.keys")
		}
	})
}

// TestDefect20_19_ClosedRegistration runs the service with registration closed: the
// form is refused whatever it holds (§20.19: the original declared
// registration policies and never enforced them).
func TestDefect20_19_ClosedRegistration(t *testing.T) {
	binary(t)
	t.Parallel()
	in := sqliteDeployment(t).start(t, "closed", "APICRUD_REGISTRATION=closed")
	c := in.anonymous()
	c.post(t, "/account", map[string]string{"username": "eve-" + randomText(6), "identity": "eve@example.com", "password": "Closed-Door-Policy-9"}).
		wantProblem(t, http.StatusForbidden, "contacts.registration_closed")
	c.post(t, "/account", "{").wantProblem(t, http.StatusForbidden, "contacts.registration_closed")
	if files, _ := os.ReadDir(in.d.outbox); len(files) != 0 {
		t.Errorf("the outbox holds %d notices, want none", len(files))
	}
	in.admin(t).get(t, "/person/"+in.admin(t).uid).want(t, http.StatusOK)
}

// TestFailedStartLeavesNothing starts the service in ways that cannot
// work: it must exit with status 1 and one line that names the cause, and
// leave no file behind (no contacts.keys, no database).
func TestFailedStartLeavesNothing(t *testing.T) {
	bin := binary(t)
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = busy.Close() })
	keys := []string{"APICRUD_JWT_KEY=" + rand.Text() + rand.Text(), "APICRUD_ENCRYPTION_PASSPHRASE=" + rand.Text(), "APICRUD_ENCRYPTION_SALT=" + rand.Text()}
	for _, tc := range []struct {
		name, addr string
		env        []string
		want       string
	}{
		{"port in use", busy.Addr().String(), nil, "address already in use"},
		{"bad address", "127.0.0.1:99999", nil, `listen_addr "127.0.0.1:99999"`},
		{"bad SQLite path", "127.0.0.1:0", []string{"DATABASE_URL=sqlite:///nonexistent-" + randomText(8) + "/c.db"}, "/c.db does not exist"},
		{"closed Redis port", "127.0.0.1:0", append([]string{"REDIS_URL=redis://127.0.0.1:1"}, keys...), "redis: dial tcp 127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-addr", tc.addr)
			cmd.Dir = dir
			cmd.Env = append((&deployment{}).environ(nil), tc.env...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1; output:\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("output: want one line with %q, got:\n%s", tc.want, out)
			}
			if files, _ := os.ReadDir(dir); len(files) != 0 {
				t.Errorf("the failed start left %d files behind (%s, …)", len(files), files[0].Name())
			}
		})
	}
}

// TestResetAdminPassword: a later APICRUD_ADMIN_PASSWORD alone changes
// nothing (with a warning); -reset-admin-password sets it, says so, and
// exits; the old password stops working and the new one logs in.
func TestResetAdminPassword(t *testing.T) {
	bin := binary(t)
	t.Parallel()
	d := sqliteDeployment(t)
	in := d.start(t, "first start")
	in.admin(t)
	in.stop(t)

	const newPassword = "Copper-Harbor-Lantern-77"
	in = d.start(t, "new password in the environment", "APICRUD_ADMIN_PASSWORD="+newPassword)
	if !strings.Contains(in.stderr.String(), "-reset-admin-password") {
		t.Errorf("no warning that admin_password is ignored:\n%s", in.stderr)
	}
	in.admin(t) // still the first password
	in.stop(t)

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-reset-admin-password")
	cmd.Dir = d.dir
	cmd.Env = d.environ([]string{"APICRUD_ADMIN_PASSWORD=" + newPassword})
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "password of account admin was reset") || strings.Contains(string(out), newPassword) {
		t.Fatalf("reset: %v; output:\n%s", err, out)
	}
	if strings.Contains(string(out), "serving") {
		t.Errorf("the reset served:\n%s", out)
	}

	in = d.start(t, "after the reset")
	old := in.anonymous()
	old.post(t, "/auth", map[string]string{"username": "admin", "password": adminPassword}).want(t, http.StatusUnauthorized)
	admin := in.anonymous()
	admin.username, admin.password = "admin", newPassword
	admin.login(t)
	admin.login(t) // again, after the first login re-hashed the password
}

// TestPublicURLFollowsListenAddress: without public_url, the OpenAPI
// document and the registry name the address the service listens on.
func TestPublicURLFollowsListenAddress(t *testing.T) {
	binary(t)
	t.Parallel()
	in := sqliteDeployment(t).start(t, "no public_url")
	want := strings.TrimSuffix(in.base, "/api/v1")
	var doc struct {
		Servers []struct{ URL string } `json:"servers"`
	}
	if err := json.Unmarshal(in.anonymous().get(t, "/openapi.json").want(t, http.StatusOK).body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != want {
		t.Errorf("servers %+v, want %s", doc.Servers, want)
	}
	reg := string(in.admin(t).get(t, "/registry").want(t, http.StatusOK).body)
	if !strings.Contains(reg, want) {
		t.Errorf("registry %s does not name %s", reg, want)
	}
}
