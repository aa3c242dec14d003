// Package sqlstore is the SQL implementation of grants.Store: per-account
// grant overrides in a table of the service's database (PostgreSQL through
// pgx, MySQL/MariaDB, or SQLite), compatible with apicrud's grants table.
// Import it as grantssql.
//
// # Schema
//
// The table (default name "grants", see WithTable) has one row per account
// and grant. Only rows with status 'active' and an expires that is NULL or in
// the future apply. CreateTable creates it; Schema returns the statement for
// the Store's dialect. PostgreSQL:
//
//	CREATE TABLE IF NOT EXISTS grants (
//	  id       VARCHAR(64)  NOT NULL PRIMARY KEY,
//	  name     VARCHAR(64)  NOT NULL,
//	  value    VARCHAR(64)  NOT NULL,
//	  uid      VARCHAR(128) NOT NULL,
//	  expires  TIMESTAMP WITH TIME ZONE NULL,
//	  status   VARCHAR(16)  NOT NULL DEFAULT 'active',
//	  created  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
//	  modified TIMESTAMP WITH TIME ZONE NULL,
//	  CONSTRAINT grants_uid_name UNIQUE (uid, name)
//	)
//
// MySQL/MariaDB use DATETIME(6) (UTC) and SQLite DATETIME for the
// timestamps. The unique (uid, name) constraint is required: Put is an
// upsert on it. A CRUD endpoint may write the same table (apicrud's
// GET/PUT /grant); it must then call grants.Grants.Uncache for the account.
//
// # Round trips
//
// Overrides is one SELECT; Put one INSERT … ON CONFLICT (ON DUPLICATE KEY
// on MySQL); Delete one DELETE. Lookups are meant to go through the
// grants cache, so the table is read once per account per cache TTL.
//
// # Security
//
// The table name comes from WithTable (validated as an identifier), never
// from input; every value is a bound parameter.
package sqlstore
