package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/jmoiron/sqlx"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/crud"
	"github.com/apicrud-go/apicrud/metrics"
)

// resources are the service's crud resources and trashcan.
type resources struct {
	person   *crud.Resource[Person]
	contact  *crud.Resource[Contact]
	list     *crud.Resource[List]
	message  *crud.Resource[Message]
	category *crud.Resource[Category]
	settings *crud.Resource[Settings]
	trash    *crud.Trashcan
	api      *crud.API
}

// names lists the top-level resources, for the registry's url_map.
func (r *resources) names() []string {
	return []string{"person", "contact", "list", "message", "category", "settings", "trashcan", "grant"}
}

// writeOps need the "full" scope: an API key with only "readonly" reads.
const writeOps = crud.OpCreate | crud.OpUpdate | crud.OpDelete

func (a *app) newResources(secret []byte) (*resources, error) {
	cursorKey := derive(secret, "cursor")
	common := func(opts ...crud.Option) []crud.Option {
		return append([]crud.Option{
			crud.WithAuthorizer(a.policy),
			crud.WithCursorKey(cursorKey),
			crud.WithScopes(writeOps, "full"),
			crud.WithLogger(a.log),
			crud.WithPrivacyLevels(a.policy.Levels()...),
		}, opts...)
	}
	r := &resources{}
	var err error
	if r.person, err = crud.NewResource[Person](a.db, "person", common(
		crud.WithHooks(crud.Hooks[Person]{BeforeCreate: func(ctx context.Context, p *Person) error {
			return a.defaultPrivacy(ctx, &p.Privacy)
		}}))...); err != nil {
		return nil, err
	}
	if r.contact, err = crud.NewResource[Contact](a.db, "contact", common(
		crud.WithOwnerLimit("contacts", a.grants),
		crud.WithHooks(crud.Hooks[Contact]{BeforeCreate: func(ctx context.Context, c *Contact) error {
			return a.defaultPrivacy(ctx, &c.Privacy)
		}}))...); err != nil {
		return nil, err
	}
	if r.list, err = crud.NewResource[List](a.db, "list", common(
		crud.WithOwnerLimit("lists", a.grants),
		crud.WithDefaultCategory(a.defaultCategory),
		crud.WithHooks(crud.Hooks[List]{
			BeforeCreate: func(ctx context.Context, l *List) error { return a.defaultPrivacy(ctx, &l.Privacy) },
			// Membership roles name active lists only: deleting or
			// restoring a list changes its members' roles.
			AfterDelete: func(ctx context.Context, tx *sqlx.Tx, l *List, force bool) error {
				if force {
					_, err := tx.ExecContext(ctx, tx.Rebind("DELETE FROM listmember WHERE list_id = ?"), l.ID)
					return err
				}
				return nil
			},
		}))...); err != nil {
		return nil, err
	}
	if r.message, err = crud.NewResource[Message](a.db, "message", common(
		crud.WithHooks(crud.Hooks[Message]{
			BeforeCreate: func(ctx context.Context, m *Message) error { return a.defaultPrivacy(ctx, &m.Privacy) },
			// The daily message credit is taken inside the insert's
			// transaction: a refused message is not stored, and a failed
			// insert costs no credit.
			AfterCreate: func(ctx context.Context, _ *sqlx.Tx, m *Message) error {
				_, err := a.metrics.Use(ctx, "message_daily_total", m.UID, 1)
				if errors.Is(err, metrics.ErrGrantExceeded) {
					return &crud.StatusError{Status: http.StatusTooManyRequests, Code: "contacts.message_limit", Detail: "daily message limit reached"}
				}
				return err
			},
		}))...); err != nil {
		return nil, err
	}
	if r.category, err = crud.NewResource[Category](a.db, "category", common()...); err != nil {
		return nil, err
	}
	// Settings are created with the account's profile; clients read and
	// change them.
	if r.settings, err = crud.NewResource[Settings](a.db, "settings", common(
		crud.WithOps(crud.OpGet|crud.OpUpdate|crud.OpList),
		crud.WithHooks(crud.Hooks[Settings]{
			AfterUpdate: func(ctx context.Context, _ *sqlx.Tx, _, s *Settings) error {
				a.uncacheSettings(ctx, s.ID)
				return nil
			},
		}))...); err != nil {
		return nil, err
	}
	if r.trash, err = crud.NewTrashcan(crud.WithTrashCursorKey(derive(secret, "trash cursor")), crud.WithTrashLogger(a.log)); err != nil {
		return nil, err
	}
	if err := r.trash.Register(r.person, r.contact, r.list, r.message, r.category); err != nil {
		return nil, err
	}
	if r.api, err = crud.NewAPI(a.cfg.BaseURL(), crud.WithInfo("contacts", "1.0.0",
		"The example service of apicrud for Go: people, contacts, lists and messages with per-record privacy."),
		crud.WithServers(a.cfg.PublicURL())); err != nil {
		return nil, err
	}
	if err := r.api.Register(r.person, r.contact, r.list, r.message, r.category, r.settings, r.trash); err != nil {
		return nil, err
	}
	return r, nil
}

// defaultPrivacy fills an unset privacy from the caller's settings.
func (a *app) defaultPrivacy(ctx context.Context, privacy *string) error {
	if *privacy != "" {
		return nil
	}
	*privacy = "secret"
	if p, ok := ac.PrincipalFrom(ctx); ok && p.Authenticated() {
		s, err := a.settingsFor(ctx, p.UID())
		if err != nil {
			return err
		}
		if s != nil && s.DefaultPrivacy != "" {
			*privacy = s.DefaultPrivacy
		}
	}
	return nil
}

// defaultCategory is the category of a new list that names none.
func (a *app) defaultCategory(ctx context.Context, uid string) (string, error) {
	s, err := a.settingsFor(ctx, uid)
	if err != nil || s == nil || s.DefaultCategoryID == nil {
		return "", err
	}
	return *s.DefaultCategoryID, nil
}

// settingsFor returns the settings of account uid (nil when it has none).
func (a *app) settingsFor(ctx context.Context, uid string) (*Settings, error) {
	var s Settings
	err := a.db.GetContext(ctx, &s, a.db.Rebind("SELECT * FROM settings WHERE id = ? AND status = 'active'"), uid)
	if err != nil {
		if isNoRows(err) {
			return nil, nil
		}
		return nil, err
	}
	return &s, nil
}

// uncacheSettings drops the cached settings of uid.
func (a *app) uncacheSettings(context.Context, string) {}

// routes registers the resources' routes.
func (r *resources) routes(mux *http.ServeMux, prefix string) {
	r.person.Routes(mux, prefix)
	r.contact.Routes(mux, prefix)
	r.list.Routes(mux, prefix)
	r.message.Routes(mux, prefix)
	r.category.Routes(mux, prefix)
	r.settings.Routes(mux, prefix)
	r.trash.Routes(mux, prefix)
}
