package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/apikey"
	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/sqlaccounts"
)

// memberLevels are the levels a list member may hold.
var memberLevels = []string{"invitee", "member", "manager"}

// memberships reads list memberships from the listmember table: the
// session package's MembershipSource.
type memberships struct {
	db     *sqlx.DB
	levels []string // the policy's privacy levels
}

// MembershipRoles returns the cumulative roles list-<id>-<level> of uid.
func (m *memberships) MembershipRoles(ctx context.Context, uid string) ([]string, error) {
	var rows []struct {
		ListID string `db:"list_id"`
		Level  string `db:"level"`
	}
	err := m.db.SelectContext(ctx, &rows, m.db.Rebind(
		`SELECT m.list_id, m.level FROM listmember m JOIN list l ON l.id = m.list_id
		 WHERE m.uid = ? AND l.status = 'active' ORDER BY m.list_id`), uid)
	if err != nil {
		return nil, fmt.Errorf("memberships: %w", err)
	}
	var roles []string
	for _, r := range rows {
		roles = append(roles, ac.MembershipRoles("list", r.ListID, r.Level, m.levels)...)
	}
	return roles, nil
}

// keyOwners tells the API keys the current roles of an API key's owner at
// every verification, so that a disabled or demoted owner's keys follow at
// once.
type keyOwners struct {
	accounts *sqlaccounts.Store
	members  *memberships
}

var errOwnerInactive = errors.New("key owner is not an active account")

// KeyOwner implements apikey.OwnerSource.
func (o *keyOwners) KeyOwner(ctx context.Context, uid string) (apikey.Owner, error) {
	acct, ok, err := o.accounts.Get(ctx, uid)
	if err != nil {
		// The database is down: not an inactive owner, so the request is
		// answered 503 and not counted as a guess.
		return apikey.Owner{}, fmt.Errorf("%w: key owner: %w", apikey.ErrUnavailable, err)
	}
	if !ok || acct.Status != login.StatusActive {
		return apikey.Owner{}, errOwnerInactive
	}
	roles := []string{login.RoleUser}
	if acct.Admin {
		roles = append(roles, login.RoleAdmin)
	}
	mr, err := o.members.MembershipRoles(ctx, uid)
	if err != nil {
		return apikey.Owner{}, fmt.Errorf("%w: key owner roles: %w", apikey.ErrUnavailable, err)
	}
	return apikey.Owner{Roles: append(roles, mr...), AccountID: uid}, nil
}

// seedAdmin creates the "admin" account on first start, with the
// configured admin_password or a generated one, printed once.
func (a *app) seedAdmin(ctx context.Context) error {
	if _, ok, err := a.accounts.Lookup(ctx, "admin"); err != nil || ok {
		return err
	}
	pw := a.cfg.AdminPassword().Reveal()
	generated := pw == ""
	if generated {
		pw = rand.Text() // 26 base32 characters: 130 bits
	}
	acct, err := a.logins.CreateAccount(ctx, login.NewAccount{Username: "admin", Name: "Administrator", Password: pw, Admin: true})
	if err != nil {
		return fmt.Errorf("creating the admin account: %w", err)
	}
	if err := a.ensureProfile(ctx, acct.UID, acct.Name, ""); err != nil {
		return err
	}
	a.seeded = true
	if generated {
		// Shown once, on the service's standard output next to its URL,
		// not in the log stream (standard error).
		fmt.Fprintf(a.out, "contacts: created account admin with password %s (shown once; set APICRUD_ADMIN_PASSWORD to choose it)\n", pw)
	}
	return nil
}

// resetAdminPassword sets the password of account "admin" to
// admin_password, ends its sessions and revokes its API keys (as a
// password reset does), and logs that it did. The password must pass the
// password policy. It is stored as a bcrypt hash, which the session
// manager accepts and replaces with argon2id at the admin's next login,
// so bcrypt's limit applies: at most 72 bytes.
func (a *app) resetAdminPassword(ctx context.Context) error {
	pw := a.cfg.AdminPassword().Reveal()
	acct, ok, err := a.accounts.Lookup(ctx, "admin")
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("-reset-admin-password: there is no admin account")
	}
	if err := a.logins.CheckPassword(ctx, pw, acct.Username, acct.Identity); err != nil {
		return fmt.Errorf("-reset-admin-password: admin_password: %w", err)
	}
	if len(pw) > 72 {
		return errors.New("-reset-admin-password: admin_password: at most 72 bytes")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), 12)
	if err != nil {
		return err
	}
	acct.PasswordHash = string(hash)
	acct.Updated = time.Now().UTC()
	if acct.Status == login.StatusPending {
		acct.Status = login.StatusActive
	}
	if ok, err := a.accounts.Update(ctx, acct); err != nil || !ok {
		return errors.Join(errors.New("-reset-admin-password: the admin account changed meanwhile; run it again"), err)
	}
	if _, err := a.sessions.DeleteAll(ctx, acct.UID); err != nil {
		return err
	}
	if err := a.credentialsChanged(ctx, acct.UID, login.ReasonPasswordReset); err != nil {
		return err
	}
	a.log.WarnContext(ctx, "the admin password was reset from admin_password; its sessions and API keys were ended", "uid", acct.UID)
	fmt.Fprintln(a.out, "contacts: the password of account admin was reset from APICRUD_ADMIN_PASSWORD; its sessions and API keys were ended")
	return nil
}

// ensureProfile creates the person, default category and settings records
// of account uid if they do not exist yet (at first login, or when the
// admin is seeded). Registration cannot create them, because it must not
// reveal whether an address already has an account.
func (a *app) ensureProfile(ctx context.Context, uid, name, identity string) error {
	var n int
	if err := a.db.GetContext(ctx, &n, a.db.Rebind("SELECT COUNT(*) FROM settings WHERE id = ?"), uid); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if n > 0 {
		return nil
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var ident *string
	if identity != "" {
		ident = &identity
	}
	if name == "" {
		name = uid
	}
	category := "x-" + rand.Text()[:20]
	tx, err := a.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO person (id, uid, name, identity, privacy, status, created, version) VALUES (?, ?, ?, ?, 'secret', 'active', ?, 1)`,
			[]any{uid, uid, name, ident, now}},
		{`INSERT INTO category (id, uid, name, status, created, version) VALUES (?, ?, 'default', 'active', ?, 1)`,
			[]any{category, uid, now}},
		{`INSERT INTO settings (id, uid, locale, timezone, default_privacy, default_category_id, notify_email, status, created, version)
			VALUES (?, ?, '', 'UTC', 'member', ?, ?, 'active', ?, 1)`,
			[]any{uid, uid, category, true, now}},
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, tx.Rebind(s.q), s.args...); err != nil {
			if a.isDuplicate(err) { // a concurrent first login won
				return nil
			}
			return fmt.Errorf("profile: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	return nil
}
