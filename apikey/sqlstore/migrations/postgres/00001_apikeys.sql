-- The API keys table of the first release. IF NOT EXISTS adopts a table
-- that CreateTable made before migrations existed.

-- +goose Up
CREATE TABLE IF NOT EXISTS apicrud_apikeys (
    prefix     VARCHAR(32)  NOT NULL PRIMARY KEY,
    hash       CHAR(64)     NOT NULL,
    uid        VARCHAR(128) NOT NULL,
    name       VARCHAR(64)  NOT NULL,
    scopes     TEXT         NOT NULL,
    status     VARCHAR(16)  NOT NULL,
    created_at BIGINT       NOT NULL,
    expires_at BIGINT       NOT NULL,
    last_used  BIGINT       NOT NULL,
    UNIQUE (uid, name)
);

-- +goose Down
DROP TABLE IF EXISTS apicrud_apikeys;
