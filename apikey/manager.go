package apikey

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/memstore"
	"github.com/apicrud-go/apicrud/internal/tracing"
)

// Method is the authentication method of callers authenticated by an API
// key (accesscontrol's Identity.AuthMethod, session's Session.Method).
const Method = "apikey"

// Caller is who a verified key authenticates: the key's owner with the
// owner's current roles and account id (from the OwnerSource), the key's
// scopes and its prefix. A host turns it into its authorization layer's
// principal (accesscontrol.Identity has the same fields, KeyID as
// APIKeyID and Method as AuthMethod). The zero Caller is nobody.
type Caller struct {
	// UID is the key's owner.
	UID string
	// Roles are the owner's roles, sorted, without duplicates.
	Roles []string
	// Scopes are the key's scopes, sorted, without duplicates; never nil.
	Scopes []string
	// AccountID is the owner's account id, from the OwnerSource.
	AccountID string
	// KeyID is the public prefix of the key.
	KeyID string
}

// Manager creates and verifies API keys: apicrud's apikey_create,
// apikey_hash and apikey_verify, done properly. It is safe for concurrent
// use. Its VerifyAPIKey method is the session package's APIKeyVerifier.
// Use New: the zero value is not usable.
type Manager struct {
	tracer   trace.Tracer // nil without WithTracerProvider
	o        options
	ownStore *MemoryStore
	cache    *memstore.Store[Record]
	closed   atomic.Bool
}

// New returns a Manager, on a MemoryStore of its own unless WithStore
// gives another. It returns an error wrapping ErrOption for an invalid
// option. Close releases what it created.
func New(opts ...Option) (*Manager, error) {
	a := &Manager{o: options{touch: DefaultTouchInterval, maxScopes: DefaultMaxScopes, log: slog.New(slog.DiscardHandler)}}
	for _, opt := range opts {
		if err := opt(&a.o); err != nil {
			return nil, err
		}
	}
	if a.o.store == nil {
		a.ownStore = NewMemoryStore()
		a.o.store = a.ownStore
	}
	if a.o.owners == nil {
		a.o.owners = OwnerFunc(func(context.Context, string) (Owner, error) {
			return Owner{Roles: []string{"user"}}, nil
		})
	}
	if a.o.cacheTTL > 0 {
		a.cache = memstore.New[Record](max(a.o.cacheTTL, time.Second))
	}
	a.tracer = tracing.New(a.o.tp, "github.com/apicrud-go/apicrud/apikey")
	return a, nil
}

// Close releases the cache and the default store. Later calls return
// ErrClosed.
func (a *Manager) Close(ctx context.Context) error {
	if a.closed.Swap(true) {
		return nil
	}
	var err error
	if a.cache != nil {
		err = a.cache.Close(ctx)
	}
	if a.ownStore != nil {
		err = errors.Join(err, a.ownStore.Close(ctx))
	}
	return err
}

func (a *Manager) hash(secret string) [32]byte {
	if a.o.pepper == nil {
		return sha256.Sum256([]byte(secret))
	}
	m := hmac.New(sha256.New, a.o.pepper)
	m.Write([]byte(secret))
	var out [32]byte
	copy(out[:], m.Sum(nil))
	return out
}

// Create generates a key for owner uid with a name unique among the
// owner's keys (1 to 64 printable characters), scopes (each 1 to 128 of
// letters, digits and "._:-/", at most WithMaxScopes)
// and an expiry (zero: never; else in the future). It returns the key,
// whose secret is never stored and cannot be recovered: show
// key.Reveal() once to its owner. A prefix collision (about 2^-31 for a
// billion keys) is retried.
func (a *Manager) Create(ctx context.Context, uid, name string, scopes []string, expires time.Time) (Key, Record, error) {
	if a.tracer != nil {
		return a.traceCreate(ctx, uid, name, scopes, expires)
	}
	return a.create(ctx, uid, name, scopes, expires)
}

func (a *Manager) create(ctx context.Context, uid, name string, scopes []string, expires time.Time) (Key, Record, error) {
	if a.closed.Load() {
		return Key{}, Record{}, ErrClosed
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	switch {
	case uid == "" || len(uid) > 128:
		return Key{}, Record{}, fmt.Errorf("%w: owner uid", ErrInvalidData)
	case !validKeyName(name):
		return Key{}, Record{}, fmt.Errorf("%w: name must be 1 to 64 printable characters", ErrInvalidData)
	case len(scopes) > a.o.maxScopes:
		return Key{}, Record{}, fmt.Errorf("%w: more than %d scopes", ErrInvalidData, a.o.maxScopes)
	case !expires.IsZero() && !expires.After(now):
		return Key{}, Record{}, fmt.Errorf("%w: expiry in the past", ErrInvalidData)
	}
	for _, s := range scopes {
		if !validToken(s) {
			return Key{}, Record{}, fmt.Errorf("%w: scope %s", ErrInvalidData, quote(s))
		}
	}
	sc := sortedUnique(scopes)
	if sc == nil {
		sc = []string{}
	}
	if !expires.IsZero() {
		expires = expires.UTC().Truncate(time.Millisecond)
	}
	for range 3 {
		k := newKey()
		rec := Record{Prefix: k.prefix, Hash: a.hash(k.secret), UID: uid, Name: name, Scopes: sc,
			Status: StatusActive, Created: now, Expires: expires}
		err := a.o.store.Create(ctx, rec)
		if err == nil {
			return k, rec, nil
		}
		if !errors.Is(err, ErrExists) {
			return Key{}, Record{}, err
		}
		// Taken: the name (final) or, astronomically rarely, the prefix.
		if list, lerr := a.o.store.List(ctx, uid); lerr == nil && slices.ContainsFunc(list, func(k Record) bool { return k.Name == name }) {
			return Key{}, Record{}, err
		}
	}
	return Key{}, Record{}, ErrExists
}

func validKeyName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f || r == '\uFFFD' {
			return false
		}
	}
	return true
}

// lookup returns the stored key, from the cache when enabled.
func (a *Manager) lookup(ctx context.Context, prefix string) (Record, error) {
	if a.cache != nil {
		if k, ok := a.cache.Get(prefix); ok {
			return k, nil
		}
	}
	k, err := a.o.store.Get(ctx, prefix)
	if err != nil {
		return Record{}, err
	}
	if a.cache != nil {
		a.cache.Set(prefix, k, a.o.cacheTTL)
	}
	return k, nil
}

var zeroHash [32]byte

// Verify authenticates key and returns its Caller: the owner's uid,
// roles and account id (WithOwners), the key's scopes and its prefix. On
// every call it hashes the
// presented secret and compares it with the stored hash in constant time,
// whatever is cached; then it checks status and expiry and asks the
// OwnerSource. It records the use (LastUsed) at most once per
// WithTouchInterval. Errors: ErrMalformed, ErrInvalid (unknown prefix
// or wrong secret alike), ErrRevoked, ErrExpired, ErrOwner, or, when it
// cannot decide now (a failed store lookup, an OwnerSource error wrapping
// ErrUnavailable), an error wrapping ErrUnavailable.
func (a *Manager) Verify(ctx context.Context, key string) (Caller, error) {
	if a.tracer != nil {
		return a.traceVerify(ctx, key)
	}
	return a.verify(ctx, key)
}

func (a *Manager) verify(ctx context.Context, key string) (Caller, error) {
	if a.closed.Load() {
		return Caller{}, ErrClosed
	}
	k, err := Parse(key)
	if err != nil {
		return Caller{}, err
	}
	h := a.hash(k.secret)
	rec, err := a.lookup(ctx, k.prefix)
	if errors.Is(err, ErrNotFound) {
		subtle.ConstantTimeCompare(h[:], zeroHash[:]) // same work as a found key
		a.o.log.DebugContext(ctx, "apikey: API key refused", "prefix", k.prefix, "reason", "unknown")
		return Caller{}, ErrInvalid
	}
	if err != nil {
		return Caller{}, fmt.Errorf("%w: API key lookup: %w", ErrUnavailable, err)
	}
	if subtle.ConstantTimeCompare(h[:], rec.Hash[:]) != 1 {
		a.o.log.DebugContext(ctx, "apikey: API key refused", "prefix", k.prefix, "reason", "secret")
		return Caller{}, ErrInvalid
	}
	now := time.Now()
	if rec.Status != StatusActive {
		return Caller{}, ErrRevoked
	}
	if !rec.Expires.IsZero() && !now.Before(rec.Expires) {
		return Caller{}, ErrExpired
	}
	owner, err := a.o.owners.KeyOwner(ctx, rec.UID)
	if errors.Is(err, ErrUnavailable) {
		return Caller{}, fmt.Errorf("apikey: API key owner: %w", err)
	}
	if err != nil {
		return Caller{}, fmt.Errorf("%w: %w", ErrOwner, err)
	}
	if now.Sub(rec.LastUsed) >= a.o.touch {
		at := now.UTC().Truncate(time.Millisecond)
		if err := a.o.store.Touch(ctx, rec.Prefix, at); err != nil {
			a.o.log.WarnContext(ctx, "apikey: recording API key use", "prefix", rec.Prefix, "err", err)
		} else if a.cache != nil {
			a.cache.Update(rec.Prefix, func(v Record, ttl time.Duration, ok bool) (Record, time.Duration, memstore.Action) {
				if !ok || !at.After(v.LastUsed) {
					return v, ttl, memstore.Keep
				}
				v.LastUsed = at
				return v, ttl, memstore.PutKeepTTL
			})
		}
	}
	scopes := sortedUnique(rec.Scopes)
	if scopes == nil {
		scopes = []string{}
	}
	return Caller{UID: rec.UID, Roles: sortedUnique(owner.Roles), Scopes: scopes, AccountID: owner.AccountID,
		KeyID: rec.Prefix}, nil
}

// VerifyAPIKey is Verify with builtin types, the session package's
// APIKeyVerifier.
func (a *Manager) VerifyAPIKey(ctx context.Context, key string) (uid string, roles, scopes []string, err error) {
	c, err := a.Verify(ctx, key)
	if err != nil {
		return "", nil, nil, err
	}
	return c.UID, c.Roles, c.Scopes, nil
}

// Get returns the stored key with prefix (ErrNotFound).
func (a *Manager) Get(ctx context.Context, prefix string) (Record, error) {
	if a.closed.Load() {
		return Record{}, ErrClosed
	}
	if !validPrefix(prefix) {
		return Record{}, ErrNotFound
	}
	return a.o.store.Get(ctx, prefix)
}

// List returns the keys of owner uid, oldest first.
func (a *Manager) List(ctx context.Context, uid string) ([]Record, error) {
	if a.closed.Load() {
		return nil, ErrClosed
	}
	return a.o.store.List(ctx, uid)
}

// Revoke marks a key revoked: verifications fail with ErrRevoked at
// once on this Manager, and on others within their WithCache ttl.
func (a *Manager) Revoke(ctx context.Context, prefix string) error {
	if a.tracer != nil {
		ctx, span := a.tracer.Start(ctx, "apicrud.apikey.Revoke", trace.WithAttributes(attrKeyID.String(prefix)))
		err := a.revoke(ctx, prefix)
		tracing.End(span, err, errCode(err))
		return err
	}
	return a.revoke(ctx, prefix)
}

func (a *Manager) revoke(ctx context.Context, prefix string) error {
	if a.closed.Load() {
		return ErrClosed
	}
	if !validPrefix(prefix) {
		return ErrNotFound
	}
	err := a.o.store.SetStatus(ctx, prefix, StatusRevoked)
	if a.cache != nil {
		a.cache.Delete(prefix)
	}
	return err
}

// Delete removes a key.
func (a *Manager) Delete(ctx context.Context, prefix string) error {
	if a.closed.Load() {
		return ErrClosed
	}
	if !validPrefix(prefix) {
		return ErrNotFound
	}
	err := a.o.store.Delete(ctx, prefix)
	if a.cache != nil {
		a.cache.Delete(prefix)
	}
	return err
}

// maxScope bounds the length of a scope name.
const maxScope = 128

// validToken reports whether s is a scope name: 1 to maxScope bytes among
// letters, digits and "._:-/" (an OAuth scope-token subset, the names
// accesscontrol accepts in a policy).
func validToken(s string) bool {
	if s == "" || len(s) > maxScope {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == ':', c == '-', c == '/':
		default:
			return false
		}
	}
	return true
}

// sortedUnique returns a sorted copy of s without duplicates (nil for
// nil).
func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
