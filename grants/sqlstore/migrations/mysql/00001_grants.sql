-- The grants table of the first release. IF NOT EXISTS adopts a table that
-- CreateTable made before migrations existed.

-- +goose Up
CREATE TABLE IF NOT EXISTS grants (
  id       VARCHAR(64)  NOT NULL PRIMARY KEY,
  name     VARCHAR(64)  NOT NULL,
  value    VARCHAR(64)  NOT NULL,
  uid      VARCHAR(128) NOT NULL,
  expires  DATETIME(6) NULL,
  status   VARCHAR(16)  NOT NULL DEFAULT 'active',
  created  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  modified DATETIME(6) NULL,
  CONSTRAINT grants_uid_name UNIQUE (uid, name)
);

-- +goose Down
DROP TABLE IF EXISTS grants;
