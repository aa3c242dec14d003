-- The account requirements: TOTP required (mfa_required) and a password
-- change due (password_must_change).

-- +goose Up
ALTER TABLE apicrud_accounts ADD COLUMN mfa_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE apicrud_accounts ADD COLUMN password_must_change BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE apicrud_accounts DROP COLUMN password_must_change;
ALTER TABLE apicrud_accounts DROP COLUMN mfa_required;
