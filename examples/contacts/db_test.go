package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSQLiteFilesPrivate: the database and its -wal and -shm files hold
// password hashes and sealed secrets; only the service's user may read
// them, whatever the umask, also when the file existed with a wider mode.
func TestSQLiteFilesPrivate(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		prepare func(path string)
	}{
		{"new file", func(string) {}},
		{"existing file readable by all", func(path string) {
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".db")
			tc.prepare(path)
			db, _, err := openDB(t.Context(), "sqlite://"+path, 2)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ExecContext(t.Context(), "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)"); err != nil {
				t.Fatal(err)
			}
			for _, suffix := range []string{"", "-wal", "-shm"} {
				fi, err := os.Stat(path + suffix)
				if err != nil {
					t.Fatalf("%s: %v", suffix, err)
				}
				if mode := fi.Mode().Perm(); mode != 0o600 {
					t.Errorf("%s%s: mode %o, want 600", filepath.Base(path), suffix, mode)
				}
			}
		})
	}
}
