package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/apicrud-go/apicrud/internal/testenv"
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

// TestSchemaIndexes: createTables creates the tables and their indexes,
// the privacy indexes among them, and running it again (every start of the
// service does) changes nothing and fails on no dialect.
func TestSchemaIndexes(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		dialect := testenv.Dialect(db)
		for range 2 {
			if err := createTables(t.Context(), db, dialect); err != nil {
				t.Fatal(err)
			}
		}
		q := map[string]string{
			dialectSQLite:   "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?",
			dialectPostgres: "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1",
			dialectMySQL:    "SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = ?",
		}[dialect]
		for _, name := range []string{"person_privacy", "list_privacy", "contact_privacy", "message_privacy", "contact_uid", "contact_in_list_list", "message_to_list_list"} {
			var n int
			if err := db.GetContext(t.Context(), &n, q, name); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("index %s: %d found, want 1", name, n)
			}
		}
	})
}
