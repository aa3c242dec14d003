-- The accounts table of the first release. IF NOT EXISTS adopts a table
-- that CreateTable made before migrations existed.

-- +goose Up
CREATE TABLE IF NOT EXISTS apicrud_accounts (
    uid           VARCHAR(128) NOT NULL PRIMARY KEY,
    username      VARCHAR(64)  NOT NULL UNIQUE,
    identity      VARCHAR(254) UNIQUE,
    name          VARCHAR(128) NOT NULL DEFAULT '',
    password_hash VARCHAR(255) NOT NULL DEFAULT '',
    status        VARCHAR(16)  NOT NULL,
    is_admin      BOOLEAN      NOT NULL DEFAULT FALSE,
    totp_secret   TEXT,
    backup_codes  TEXT,
    version       BIGINT       NOT NULL,
    created_at    BIGINT       NOT NULL,
    updated_at    BIGINT       NOT NULL
);

-- +goose Down
DROP TABLE IF EXISTS apicrud_accounts;
