package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/text/language"

	"github.com/apicrud-go/apicrud/crud"
	"github.com/apicrud-go/apicrud/crud/openapi"
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
	// cache serves settings, read on most requests; every write through
	// the settings resource uncaches, on every instance with Redis.
	cache *crud.Cached[Settings]
	trash *crud.Trashcan
	api   *crud.API
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
			crud.WithDefaultPrivacy(a.defaultPrivacy),
			crud.WithTracerProvider(a.tp),
		}, opts...)
	}
	r := &resources{}
	var err error
	if r.person, err = crud.NewResource[Person](a.db, "person", common()...); err != nil {
		return nil, err
	}
	if r.category, err = crud.NewResource[Category](a.db, "category", common()...); err != nil {
		return nil, err
	}
	// ?expand=owner shows the name of a record's owner (their person
	// record), ?expand=category a list's category name, each only when
	// the caller may read it.
	owner := crud.Expansion{Name: "owner", Field: "uid", Target: r.person}
	if r.list, err = crud.NewResourceWithHooks(a.db, "list", crud.Hooks[List]{
		BeforeCreate: func(ctx context.Context, l *List) error { return a.mayFile(ctx, "category_id", l.CategoryID) },
		BeforeUpdate: func(ctx context.Context, old, l *List) error {
			if l.CategoryID == nil || old.CategoryID != nil && *old.CategoryID == *l.CategoryID {
				return nil
			}
			return a.mayFile(ctx, "category_id", l.CategoryID)
		},
		Committed: a.listCommitted,
	}, common(
		crud.WithOwnerLimit("lists", a.grants),
		crud.WithDefaultCategory(a.defaultCategory),
		crud.WithExpansions(owner, crud.Expansion{Name: "category", Field: "category_id", Target: r.category}))...); err != nil {
		return nil, err
	}
	// A contact shared with a list, and a message posted to one, are
	// written (created, changed, deleted, restored) only by those who may
	// write within the list at the time: its members, whose roles the
	// policy names, and whoever may update the list itself (crud's scope
	// rule). Owning the record is not enough.
	if r.contact, err = crud.NewResource[Contact](a.db, "contact", common(
		crud.WithOwnerLimit("contacts", a.grants),
		crud.WithScopeResource(r.list),
		crud.WithRelation(crud.Relation{Field: "lists", Table: "contact_in_list", Local: "contact_id", Foreign: "list_id", Target: r.list}),
		crud.WithExpansions(owner))...); err != nil {
		return nil, err
	}
	if r.message, err = crud.NewResourceWithHooks(a.db, "message", crud.Hooks[Message]{
		// The daily message credit is taken after the INSERT, inside its
		// transaction: a refused message is not stored, and an insert
		// that fails costs no credit (only a failing COMMIT after a
		// successful take could).
		AfterCreate: func(ctx context.Context, _ *sqlx.Tx, m *Message) error {
			_, err := a.metrics.Use(ctx, "message_daily_total", m.UID, 1)
			if errors.Is(err, metrics.ErrGrantExceeded) {
				return &crud.StatusError{Status: http.StatusForbidden, Code: "contacts.message_limit", Detail: "daily message limit reached"}
			}
			return err
		},
	}, common(crud.WithScopeResource(r.list),
		crud.WithRelation(crud.Relation{Field: "lists", Table: "message_to_list", Local: "message_id", Foreign: "list_id", Target: r.list}),
		crud.WithExpansions(owner))...); err != nil {
		return nil, err
	}
	// Settings are created with the account's profile; clients read and
	// change them.
	if r.settings, err = crud.NewResourceWithHooks(a.db, "settings", crud.Hooks[Settings]{
		BeforeUpdate: func(ctx context.Context, old, s *Settings) error {
			if err := validSettings(s); err != nil {
				return err
			}
			if s.DefaultCategoryID == nil || old.DefaultCategoryID != nil && *old.DefaultCategoryID == *s.DefaultCategoryID {
				return nil
			}
			return a.mayFile(ctx, "default_category_id", s.DefaultCategoryID)
		},
	}, common(crud.WithOps(crud.OpGet|crud.OpUpdate|crud.OpList))...); err != nil {
		return nil, err
	}
	if r.cache, err = crud.NewCached(r.settings, crud.WithCacheStore(a.be.records), crud.WithCacheLogger(a.log)); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, r.cache.Close)
	if r.trash, err = crud.NewTrashcan(crud.WithTrashCursorKey(derive(secret, "trash cursor")), crud.WithTrashLogger(a.log)); err != nil {
		return nil, err
	}
	if err := r.trash.Register(r.person, r.contact, r.list, r.message, r.category); err != nil {
		return nil, err
	}
	if r.api, err = crud.NewAPI(a.cfg.BaseURL(), crud.WithInfo("contacts", "1.0.0",
		"The example service of apicrud for Go: people, contacts, lists and messages with per-record privacy."),
		crud.WithServers(a.cfg.PublicURL()), withTags(apiTags), crud.WithSecuritySchemes(a.securitySchemes())); err != nil {
		return nil, err
	}
	if err := r.api.Register(r.person, r.contact, r.list, r.message, r.category, r.settings, r.trash); err != nil {
		return nil, err
	}
	// Served by the API's own route, documented like the others.
	if err := r.api.Describe(crud.Endpoint{Method: "GET", Path: "/openapi.json", ID: "getOpenAPI", Tag: "ops",
		Summary: "This document", Anonymous: true, Response: map[string]any{}}); err != nil {
		return nil, err
	}
	return r, nil
}

// securitySchemes are the credentials the document lists on every
// operation: a bearer token, an API key, and the OAuth2 password flow of
// the token endpoint with every scope of the policy, so that an OpenAPI
// client (Swagger UI's Authorize dialog) logs in and picks scopes.
func (a *app) securitySchemes() map[string]*openapi.SecurityScheme {
	token := strings.TrimSuffix(a.cfg.PublicURL(), "/") + a.cfg.BaseURL() + "/auth/token"
	return map[string]*openapi.SecurityScheme{
		"bearerAuth": {Type: "http", Scheme: "bearer", BearerFormat: "JWT", Description: "Authorization: Bearer <token> (POST /auth or /auth/token)"},
		"apiKey":     {Type: "apiKey", In: "header", Name: "X-Api-Key", Description: "an API key, prefix.secret"},
		"oauth2": {Type: "oauth2", Description: "OAuth2 password flow of the token endpoint; refresh tokens rotate on every use",
			Flows: &openapi.OAuthFlows{Password: &openapi.OAuthFlow{TokenURL: token, RefreshURL: token, Scopes: a.policy.ScopeDescriptions()}}},
	}
}

// defaultPrivacy is the privacy of a new record whose client sent none:
// the owner's setting (issue 10: the account's default privacy applies to
// new records).
func (a *app) defaultPrivacy(ctx context.Context, uid string) (string, error) {
	s, err := a.settingsFor(ctx, uid)
	if err != nil || s == nil {
		return "", err
	}
	return s.DefaultPrivacy, nil
}

// mayFile checks that a record may name category id in field: a category
// the caller can read (its own). Otherwise a list could point at another
// account's category.
func (a *app) mayFile(ctx context.Context, field string, id *string) error {
	if id == nil {
		return nil
	}
	if _, err := a.res.category.Get(ctx, *id); err != nil {
		if errors.Is(err, crud.ErrNotFound) || errors.Is(err, crud.ErrInvalid) {
			return &crud.StatusError{Status: http.StatusBadRequest, Code: "crud.invalid_value", Field: field, Detail: "no such category"}
		}
		return err
	}
	return nil
}

// listCommitted keeps the members' sessions in step with their lists:
// membership roles name active lists only, so once a list is deleted,
// restored from the trashcan or purged, every live session of its members
// gets its roles again, at once and on every instance. The memberships of
// a purged list go with it.
func (a *app) listCommitted(ctx context.Context, change crud.Change, ids ...string) {
	if change != crud.ChangeDeleted && change != crud.ChangeRestored && change != crud.ChangePurged {
		return
	}
	q, args, err := sqlx.In("SELECT DISTINCT uid FROM listmember WHERE list_id IN (?)", ids)
	var uids []string
	if err == nil {
		err = a.db.SelectContext(ctx, &uids, a.db.Rebind(q), args...)
	}
	if err != nil {
		a.log.ErrorContext(ctx, "list members", "err", err)
	}
	for _, uid := range uids {
		if err := a.logins.RefreshRoles(ctx, uid); err != nil {
			a.log.ErrorContext(ctx, "refreshing roles", "uid", uid, "err", err)
		}
	}
	if change == crud.ChangePurged {
		q, args, err := sqlx.In("DELETE FROM listmember WHERE list_id IN (?)", ids)
		if err == nil {
			_, err = a.db.ExecContext(ctx, a.db.Rebind(q), args...)
		}
		if err != nil {
			a.log.ErrorContext(ctx, "purging list members", "err", err)
		}
	}
}

// defaultCategory is the category of a new list that names none.
func (a *app) defaultCategory(ctx context.Context, uid string) (string, error) {
	s, err := a.settingsFor(ctx, uid)
	if err != nil || s == nil || s.DefaultCategoryID == nil {
		return "", err
	}
	return *s.DefaultCategoryID, nil
}

// settingsFor returns the settings of account uid from the cache (nil when
// the account has none). Reading them costs no query once cached.
func (a *app) settingsFor(ctx context.Context, uid string) (*Settings, error) {
	s, err := a.res.cache.Get(ctx, uid)
	if errors.Is(err, crud.ErrNotFound) || errors.Is(err, crud.ErrInvalid) {
		return nil, nil
	}
	return s, err
}

// withTags describes every tag of the document.
func withTags(tags map[string]string) crud.APIOption {
	return func(api *crud.API) error {
		for name, d := range tags {
			if err := crud.WithTag(name, d)(api); err != nil {
				return err
			}
		}
		return nil
	}
}

// validSettings checks what crud's tags cannot: the locale is a BCP 47
// language tag ("de", "pt-BR", "zh-Hant") and the time zone an IANA zone
// name ("Europe/Berlin", "UTC"). Both are used to pick messages and render
// times, so a free string (CRLF, "../../etc/passwd") must never be stored.
func validSettings(s *Settings) error {
	if s.Locale != "" {
		tag, err := language.Parse(s.Locale)
		if err != nil || !isTagText(s.Locale) || tag == language.Und {
			return &crud.FieldError{Field: "locale", Code: crud.CodeInvalidValue, Reason: "not a BCP 47 language tag"}
		}
	}
	if s.Timezone != "" {
		if !isZoneText(s.Timezone) || s.Timezone == "Local" {
			return &crud.FieldError{Field: "timezone", Code: crud.CodeInvalidValue, Reason: "not an IANA time zone name"}
		}
		if _, err := time.LoadLocation(s.Timezone); err != nil {
			return &crud.FieldError{Field: "timezone", Code: crud.CodeInvalidValue, Reason: "not an IANA time zone name"}
		}
	}
	return nil
}

// isTagText reports whether s holds only the characters of a language tag.
func isTagText(s string) bool {
	for _, r := range s {
		if !(r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// isZoneText reports whether s looks like an IANA zone name: letters,
// digits, '/', '_', '-', '+', no "..", no leading '/'. time.LoadLocation
// refuses ".." and absolute names too, but it reads files: what reaches it
// is kept to names.
func isZoneText(s string) bool {
	if s == "" || s[0] == '/' || strings.Contains(s, "..") || strings.Contains(s, "//") {
		return false
	}
	for _, r := range s {
		if !(r == '/' || r == '_' || r == '-' || r == '+' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
