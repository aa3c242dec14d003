// Package sqlaccounts is a login.AccountStore over sqlx, for PostgreSQL
// (pgx stdlib), MySQL/MariaDB (go-sql-driver/mysql) and SQLite
// (modernc.org/sqlite, sqlx driver name "sqlite3").
//
// # Schema
//
// One table (default name "apicrud_accounts", see WithTable), created by
// CreateTable or by your migrations from Schema:
//
//	CREATE TABLE IF NOT EXISTS apicrud_accounts (
//	    uid           VARCHAR(128) NOT NULL PRIMARY KEY,
//	    username      VARCHAR(64)  NOT NULL UNIQUE,  -- lower case
//	    identity      VARCHAR(254) UNIQUE,           -- e-mail, lower case; NULL when none
//	    name          VARCHAR(128) NOT NULL DEFAULT '',
//	    password_hash VARCHAR(255) NOT NULL DEFAULT '', -- PHC string (argon2id)
//	    status        VARCHAR(16)  NOT NULL,          -- pending, active, disabled
//	    is_admin      BOOLEAN      NOT NULL DEFAULT FALSE,
//	    totp_secret   TEXT,                           -- sealed (AES-GCM), base64url
//	    backup_codes  TEXT,                           -- JSON array of HMAC digests
//	    version       BIGINT       NOT NULL,          -- optimistic concurrency
//	    created_at    BIGINT       NOT NULL,          -- unix milliseconds, UTC
//	    updated_at    BIGINT       NOT NULL
//	)
//
// The same statement runs unchanged on the three databases. Timestamps are
// integers so that no driver's time-zone handling is involved.
//
// The second release adds the account requirements (migration 00002;
// CreateTable adds them to a table that lacks them):
//
//	mfa_required         BOOLEAN NOT NULL DEFAULT FALSE -- Account.MFARequired
//	password_must_change BOOLEAN NOT NULL DEFAULT FALSE -- Account.PasswordMustChange
//
// # Concurrency
//
// The Store is safe for concurrent use. Update is a compare-and-swap on
// the version column (UPDATE … WHERE uid = ? AND version = ?), so
// concurrent writers never lose each other's changes: the login Manager
// retries on a lost race.
package sqlaccounts
