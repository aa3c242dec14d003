package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// installOpenAPIValidator installs the validator once per test binary, so
// that parallel tests do not run npm install into one directory at once.
var installOpenAPIValidator = sync.OnceValues(func() ([]byte, error) {
	script, err := openAPIScript()
	if err != nil {
		return nil, err
	}
	return exec.Command("bash", script, "--install").CombinedOutput()
})

// openAPIScript finds scripts/openapi-validator.sh above the working
// directory (the package directory under go test).
func openAPIScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "scripts", "openapi-validator.sh")
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("scripts/openapi-validator.sh not found above the working directory")
		}
		dir = parent
	}
}

// ValidateOpenAPI checks doc (a JSON OpenAPI document) with
// scripts/openapi-validator.sh, a maintained validator against the
// official OpenAPI JSON schemas. It returns nil when the document is
// valid, else an error holding the validator's report. It skips the test
// (fails it under CI=true) when the validator cannot be installed or run
// (node or npm missing, registry unreachable).
func ValidateOpenAPI(t testing.TB, doc []byte) error {
	t.Helper()
	if out, err := installOpenAPIValidator(); err != nil {
		unavailable(t, "the OpenAPI validator", "scripts/openapi-validator.sh", fmt.Errorf("%w: %s", err, out))
		return nil
	}
	script, _ := openAPIScript()
	path := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", script, path).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		return errors.New(strings.TrimSpace(string(out)))
	}
	unavailable(t, "the OpenAPI validator", script, fmt.Errorf("%w: %s", err, out))
	return nil
}
