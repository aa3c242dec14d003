-- The passkeys table of the first release. IF NOT EXISTS adopts a table
-- that CreateTable made before.

-- +goose Up
CREATE TABLE IF NOT EXISTS apicrud_passkeys (
    cred_id    VARCHAR(1366) NOT NULL PRIMARY KEY,
    uid        VARCHAR(128)  NOT NULL,
    name       VARCHAR(64)   NOT NULL,
    public_key TEXT          NOT NULL,
    sign_count BIGINT        NOT NULL,
    data       TEXT          NOT NULL,
    created_at BIGINT        NOT NULL,
    last_used  BIGINT        NOT NULL
);
CREATE INDEX IF NOT EXISTS apicrud_passkeys_uid ON apicrud_passkeys (uid);

-- +goose Down
DROP TABLE IF EXISTS apicrud_passkeys;
