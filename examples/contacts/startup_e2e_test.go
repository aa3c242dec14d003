package main

import (
	"context"
	"errors"
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
