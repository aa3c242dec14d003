-- The passkeys table of the first release. IF NOT EXISTS adopts a table
-- that CreateTable made before. The compared columns are binary strings:
-- the servers' text collations ignore case or trailing spaces.

-- +goose Up
CREATE TABLE IF NOT EXISTS apicrud_passkeys (
    cred_id    VARBINARY(1366) NOT NULL PRIMARY KEY,
    uid        VARBINARY(512)  NOT NULL,
    name       VARBINARY(256)  NOT NULL,
    public_key BLOB            NOT NULL,
    sign_count BIGINT          NOT NULL,
    data       BLOB            NOT NULL,
    created_at BIGINT          NOT NULL,
    last_used  BIGINT          NOT NULL,
    INDEX apicrud_passkeys_uid (uid)
);

-- +goose Down
DROP TABLE IF EXISTS apicrud_passkeys;
