-- The API keys table of the first release. IF NOT EXISTS adopts a table
-- that CreateTable made before migrations existed. The compared columns are
-- binary strings: the servers' text collations ignore case or trailing
-- spaces.

-- +goose Up
CREATE TABLE IF NOT EXISTS apicrud_apikeys (
    prefix     VARBINARY(32)  NOT NULL PRIMARY KEY,
    hash       CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    uid        VARBINARY(512) NOT NULL,
    name       VARBINARY(256) NOT NULL,
    scopes     BLOB           NOT NULL,
    status     VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at BIGINT         NOT NULL,
    expires_at BIGINT         NOT NULL,
    last_used  BIGINT         NOT NULL,
    UNIQUE (uid, name)
);

-- +goose Down
DROP TABLE IF EXISTS apicrud_apikeys;
