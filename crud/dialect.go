package crud

import (
	"errors"
	"reflect"
	"strings"
)

const (
	dialectPostgres = "postgres"
	dialectMySQL    = "mysql"
	dialectSQLite   = "sqlite"
)

func dialectOf(driver string) string {
	switch driver {
	case "pgx", "pgx/v5", "postgres", "pq", "cloudsqlpostgres", "nrpostgres":
		return dialectPostgres
	case "mysql", "nrmysql":
		return dialectMySQL
	case "sqlite3", "sqlite", "nrsqlite3":
		return dialectSQLite
	}
	return ""
}

// quote quotes a validated identifier (possibly schema-qualified).
func quote(dialect, ident string) string {
	q := `"`
	if dialect == dialectMySQL {
		q = "`"
	}
	parts := strings.Split(ident, ".")
	for i, p := range parts {
		parts[i] = q + p + q
	}
	return strings.Join(parts, ".")
}

// validIdent reports whether s is a plain SQL identifier, optionally
// schema-qualified once: [A-Za-z_][A-Za-z0-9_]* (max 63 bytes each).
func validIdent(s string, qualified bool) bool {
	parts := []string{s}
	if qualified {
		parts = strings.SplitN(s, ".", 3)
		if len(parts) > 2 {
			return false
		}
	}
	for _, p := range parts {
		if p == "" || len(p) > 63 {
			return false
		}
		for i := 0; i < len(p); i++ {
			c := p[i]
			switch {
			case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			case c >= '0' && c <= '9' && i > 0:
			default:
				return false
			}
		}
	}
	return true
}

// dbClass is what a database error means to crud.
type dbClass int

const (
	dbOther      dbClass = iota
	dbUnique             // unique or primary-key violation → 409
	dbForeignKey         // foreign-key violation → 409
	dbData               // bad value (not null, check, too long, out of range) → 400
	dbRetry              // deadlock, serialization failure, busy → retry the transaction
	dbSchema             // undefined table or column → a configuration error naming the table
)

// classify maps driver errors without importing the drivers: pgx's
// *pgconn.PgError has SQLState(), modernc's *sqlite.Error has Code(), and
// go-sql-driver's *mysql.MySQLError has a Number field.
func classify(err error) dbClass {
	if err == nil {
		return dbOther
	}
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		return classifySQLState(pg.SQLState())
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		return classifySQLite(lite.Code(), err.Error())
	}
	if n, ok := mysqlNumber(err); ok {
		return classifyMySQL(n)
	}
	return dbOther
}

func classifySQLState(s string) dbClass {
	switch {
	case s == "23505":
		return dbUnique
	case s == "23503":
		return dbForeignKey
	case s == "23502", s == "23514", strings.HasPrefix(s, "22"):
		return dbData
	case s == "40001", s == "40P01", s == "55P03":
		return dbRetry
	case s == "42P01", s == "42703": // undefined_table, undefined_column
		return dbSchema
	}
	return dbOther
}

func classifySQLite(code int, msg string) dbClass {
	switch code {
	case 2067, 1555: // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
		return dbUnique
	case 787: // SQLITE_CONSTRAINT_FOREIGNKEY
		return dbForeignKey
	case 1299, 275, 20, 18: // NOTNULL, CHECK, MISMATCH, TOOBIG
		return dbData
	}
	switch code & 0xff {
	case 5, 6: // SQLITE_BUSY (incl. BUSY_SNAPSHOT), SQLITE_LOCKED
		return dbRetry
	case 1: // SQLITE_ERROR: the message tells a missing table or column
		if strings.HasPrefix(msg, "no such table") || strings.HasPrefix(msg, "no such column") ||
			strings.Contains(msg, ": no such table") || strings.Contains(msg, ": no such column") {
			return dbSchema
		}
	case 19: // SQLITE_CONSTRAINT without an extended code
		switch {
		case strings.Contains(msg, "UNIQUE"):
			return dbUnique
		case strings.Contains(msg, "FOREIGN KEY"):
			return dbForeignKey
		}
		return dbData
	}
	return dbOther
}

func classifyMySQL(n uint64) dbClass {
	switch n {
	case 1062, 1586:
		return dbUnique
	case 1451, 1452, 1216, 1217:
		return dbForeignKey
	case 1048, 1406, 1264, 1366, 1292, 1265, 3819, 1690, 1367:
		return dbData
	case 1213, 1205:
		return dbRetry
	case 1146, 1054: // ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR
		return dbSchema
	}
	return dbOther
}

// mysqlNumber reads the Number field of a *mysql.MySQLError in err's chain.
func mysqlNumber(err error) (uint64, bool) {
	for e := err; e != nil; e = errors.Unwrap(e) {
		v := reflect.ValueOf(e)
		if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
			continue
		}
		if v.Elem().Type().Name() != "MySQLError" {
			continue
		}
		f := v.Elem().FieldByName("Number")
		if f.IsValid() && f.CanUint() {
			return f.Uint(), true
		}
	}
	return 0, false
}
