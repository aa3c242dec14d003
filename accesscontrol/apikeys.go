package accesscontrol

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

	"github.com/apicrud-go/apicrud/internal/memstore"
)

// Defaults of APIKeys.
const (
	// DefaultTouchInterval is how stale LastUsed may get before a
	// verification writes it again.
	DefaultTouchInterval = time.Hour
	// DefaultMaxScopes bounds the scopes of one key (apicrud's scopes_max).
	DefaultMaxScopes = 16
)

// MethodAPIKey is the AuthMethod of principals authenticated by an API
// key.
const MethodAPIKey = "apikey"

// KeyOption configures NewAPIKeys.
type KeyOption func(*keyOptions) error

type keyOptions struct {
	store     KeyStore
	owners    OwnerSource
	touch     time.Duration
	cacheTTL  time.Duration
	pepper    []byte
	maxScopes int
	log       *slog.Logger
}

// WithKeyStore sets the KeyStore (for example sqlkeys.New(db)); APIKeys
// never closes a store it is given. Default: a MemoryKeyStore owned and
// closed by APIKeys. nil is rejected.
func WithKeyStore(s KeyStore) KeyOption {
	return func(o *keyOptions) error {
		if s == nil {
			return fmt.Errorf("%w: nil KeyStore", ErrOption)
		}
		o.store = s
		return nil
	}
}

// WithOwners sets where the roles and account id of a key's owner come
// from, looked up at every verification. Default: every owner has the
// single role "user" and no account id.
func WithOwners(s OwnerSource) KeyOption {
	return func(o *keyOptions) error {
		if s == nil {
			return fmt.Errorf("%w: nil OwnerSource", ErrOption)
		}
		o.owners = s
		return nil
	}
}

// WithTouchInterval sets how often, at most, a verification records the
// key's use in the store (default DefaultTouchInterval).
func WithTouchInterval(d time.Duration) KeyOption {
	return func(o *keyOptions) error {
		if d < time.Second {
			return fmt.Errorf("%w: touch interval %v under 1s", ErrOption, d)
		}
		o.touch = d
		return nil
	}
}

// WithKeyCache keeps stored keys (never secrets) in memory for ttl, so
// that a verification does not read the store every time. The secret is
// still hashed and compared with the stored hash on every verification
// (apicrud skipped that on a cache hit, so a known key prefix was enough). A revocation through
// this APIKeys takes effect at once; through another instance, within ttl.
// Default 0: no cache.
func WithKeyCache(ttl time.Duration) KeyOption {
	return func(o *keyOptions) error {
		if ttl < 0 {
			return fmt.Errorf("%w: negative cache ttl", ErrOption)
		}
		o.cacheTTL = ttl
		return nil
	}
}

// WithPepper stores HMAC-SHA-256(pepper, secret) instead of SHA-256(secret),
// so that a stolen key table cannot even be used to test guesses without
// the pepper. Changing the pepper invalidates every key. At least 32
// bytes.
func WithPepper(pepper []byte) KeyOption {
	return func(o *keyOptions) error {
		if len(pepper) < 32 {
			return fmt.Errorf("%w: pepper under 32 bytes", ErrOption)
		}
		o.pepper = slices.Clone(pepper)
		return nil
	}
}

// WithMaxScopes bounds the scopes of one key (default DefaultMaxScopes).
func WithMaxScopes(n int) KeyOption {
	return func(o *keyOptions) error {
		if n < 0 {
			return fmt.Errorf("%w: max scopes %d", ErrOption, n)
		}
		o.maxScopes = n
		return nil
	}
}

// WithKeyLogger receives failed last-used updates and refused keys (at
// debug level, by prefix only). Default: discard.
func WithKeyLogger(l *slog.Logger) KeyOption {
	return func(o *keyOptions) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrOption)
		}
		o.log = l
		return nil
	}
}

// APIKeys creates and verifies API keys: apicrud's apikey_create,
// apikey_hash and apikey_verify, done properly. It is safe for concurrent
// use. Its VerifyAPIKey method is the session package's APIKeyVerifier.
// Use NewAPIKeys: the zero value is not usable.
type APIKeys struct {
	o        keyOptions
	ownStore *MemoryKeyStore
	cache    *memstore.Store[APIKey]
	closed   atomic.Bool
}

// NewAPIKeys returns an APIKeys. Close releases what it created.
func NewAPIKeys(opts ...KeyOption) (*APIKeys, error) {
	a := &APIKeys{o: keyOptions{touch: DefaultTouchInterval, maxScopes: DefaultMaxScopes, log: slog.New(slog.DiscardHandler)}}
	for _, opt := range opts {
		if err := opt(&a.o); err != nil {
			return nil, err
		}
	}
	if a.o.store == nil {
		a.ownStore = NewMemoryKeyStore()
		a.o.store = a.ownStore
	}
	if a.o.owners == nil {
		a.o.owners = OwnerFunc(func(context.Context, string) (Owner, error) {
			return Owner{Roles: []string{"user"}}, nil
		})
	}
	if a.o.cacheTTL > 0 {
		a.cache = memstore.New[APIKey](max(a.o.cacheTTL, time.Second))
	}
	return a, nil
}

// Close releases the cache and the default store. Later calls return
// ErrClosed.
func (a *APIKeys) Close(ctx context.Context) error {
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

func (a *APIKeys) hash(secret string) [32]byte {
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
// owner's keys (1 to 64 printable characters), scopes (see Identity.Scopes)
// and an expiry (zero: never; else in the future). It returns the key,
// whose secret is never stored and cannot be recovered: show
// key.Reveal() once to its owner. A prefix collision (about 2^-31 for a
// billion keys) is retried.
func (a *APIKeys) Create(ctx context.Context, uid, name string, scopes []string, expires time.Time) (Key, APIKey, error) {
	if a.closed.Load() {
		return Key{}, APIKey{}, ErrClosed
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	switch {
	case uid == "" || len(uid) > 128:
		return Key{}, APIKey{}, fmt.Errorf("%w: owner uid", ErrInvalidKeyData)
	case !validKeyName(name):
		return Key{}, APIKey{}, fmt.Errorf("%w: name must be 1 to 64 printable characters", ErrInvalidKeyData)
	case len(scopes) > a.o.maxScopes:
		return Key{}, APIKey{}, fmt.Errorf("%w: more than %d scopes", ErrInvalidKeyData, a.o.maxScopes)
	case !expires.IsZero() && !expires.After(now):
		return Key{}, APIKey{}, fmt.Errorf("%w: expiry in the past", ErrInvalidKeyData)
	}
	for _, s := range scopes {
		if !validToken(s) {
			return Key{}, APIKey{}, fmt.Errorf("%w: scope %s", ErrInvalidKeyData, quote(s))
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
		rec := APIKey{Prefix: k.prefix, Hash: a.hash(k.secret), UID: uid, Name: name, Scopes: sc,
			Status: KeyActive, Created: now, Expires: expires}
		err := a.o.store.Create(ctx, rec)
		if err == nil {
			return k, rec, nil
		}
		if !errors.Is(err, ErrKeyExists) {
			return Key{}, APIKey{}, err
		}
		// Taken: the name (final) or, astronomically rarely, the prefix.
		if list, lerr := a.o.store.List(ctx, uid); lerr == nil && slices.ContainsFunc(list, func(k APIKey) bool { return k.Name == name }) {
			return Key{}, APIKey{}, err
		}
	}
	return Key{}, APIKey{}, ErrKeyExists
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
func (a *APIKeys) lookup(ctx context.Context, prefix string) (APIKey, error) {
	if a.cache != nil {
		if k, ok := a.cache.Get(prefix); ok {
			return k, nil
		}
	}
	k, err := a.o.store.Get(ctx, prefix)
	if err != nil {
		return APIKey{}, err
	}
	if a.cache != nil {
		a.cache.Set(prefix, k, a.o.cacheTTL)
	}
	return k, nil
}

var zeroHash [32]byte

// Verify authenticates key and returns its principal: the owner's uid,
// roles and account id (WithOwners), the key's scopes, AuthMethod
// MethodAPIKey and APIKeyID the prefix. On every call it hashes the
// presented secret and compares it with the stored hash in constant time,
// whatever is cached; then it checks status and expiry and asks the
// OwnerSource. It records the use (LastUsed) at most once per
// WithTouchInterval. Errors: ErrKeyMalformed, ErrKeyInvalid (unknown prefix
// or wrong secret alike), ErrKeyRevoked, ErrKeyExpired, ErrKeyOwner, or a
// store error.
func (a *APIKeys) Verify(ctx context.Context, key string) (Principal, error) {
	if a.closed.Load() {
		return Principal{}, ErrClosed
	}
	k, err := ParseKey(key)
	if err != nil {
		return Principal{}, err
	}
	h := a.hash(k.secret)
	rec, err := a.lookup(ctx, k.prefix)
	if errors.Is(err, ErrKeyNotFound) {
		subtle.ConstantTimeCompare(h[:], zeroHash[:]) // same work as a found key
		a.o.log.DebugContext(ctx, "accesscontrol: API key refused", "prefix", k.prefix, "reason", "unknown")
		return Principal{}, ErrKeyInvalid
	}
	if err != nil {
		return Principal{}, fmt.Errorf("accesscontrol: API key lookup: %w", err)
	}
	if subtle.ConstantTimeCompare(h[:], rec.Hash[:]) != 1 {
		a.o.log.DebugContext(ctx, "accesscontrol: API key refused", "prefix", k.prefix, "reason", "secret")
		return Principal{}, ErrKeyInvalid
	}
	now := time.Now()
	if rec.Status != KeyActive {
		return Principal{}, ErrKeyRevoked
	}
	if !rec.Expires.IsZero() && !now.Before(rec.Expires) {
		return Principal{}, ErrKeyExpired
	}
	owner, err := a.o.owners.KeyOwner(ctx, rec.UID)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrKeyOwner, err)
	}
	if now.Sub(rec.LastUsed) >= a.o.touch {
		at := now.UTC().Truncate(time.Millisecond)
		if err := a.o.store.Touch(ctx, rec.Prefix, at); err != nil {
			a.o.log.WarnContext(ctx, "accesscontrol: recording API key use", "prefix", rec.Prefix, "err", err)
		} else if a.cache != nil {
			a.cache.Update(rec.Prefix, func(v APIKey, ttl time.Duration, ok bool) (APIKey, time.Duration, memstore.Action) {
				if !ok || !at.After(v.LastUsed) {
					return v, ttl, memstore.Keep
				}
				v.LastUsed = at
				return v, ttl, memstore.PutKeepTTL
			})
		}
	}
	scopes := rec.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return NewPrincipal(Identity{UID: rec.UID, Roles: owner.Roles, Scopes: scopes, AccountID: owner.AccountID,
		AuthMethod: MethodAPIKey, APIKeyID: rec.Prefix}), nil
}

// VerifyAPIKey is Verify with builtin types, the session package's
// APIKeyVerifier.
func (a *APIKeys) VerifyAPIKey(ctx context.Context, key string) (uid string, roles, scopes []string, err error) {
	p, err := a.Verify(ctx, key)
	if err != nil {
		return "", nil, nil, err
	}
	return p.UID(), p.Roles(), p.Scopes(), nil
}

// Get returns the stored key with prefix (ErrKeyNotFound).
func (a *APIKeys) Get(ctx context.Context, prefix string) (APIKey, error) {
	if a.closed.Load() {
		return APIKey{}, ErrClosed
	}
	if !validPrefix(prefix) {
		return APIKey{}, ErrKeyNotFound
	}
	return a.o.store.Get(ctx, prefix)
}

// List returns the keys of owner uid, oldest first.
func (a *APIKeys) List(ctx context.Context, uid string) ([]APIKey, error) {
	if a.closed.Load() {
		return nil, ErrClosed
	}
	return a.o.store.List(ctx, uid)
}

// Revoke marks a key revoked: verifications fail with ErrKeyRevoked at
// once on this APIKeys, and on others within their WithKeyCache ttl.
func (a *APIKeys) Revoke(ctx context.Context, prefix string) error {
	if a.closed.Load() {
		return ErrClosed
	}
	if !validPrefix(prefix) {
		return ErrKeyNotFound
	}
	err := a.o.store.SetStatus(ctx, prefix, KeyRevoked)
	if a.cache != nil {
		a.cache.Delete(prefix)
	}
	return err
}

// Delete removes a key.
func (a *APIKeys) Delete(ctx context.Context, prefix string) error {
	if a.closed.Load() {
		return ErrClosed
	}
	if !validPrefix(prefix) {
		return ErrKeyNotFound
	}
	err := a.o.store.Delete(ctx, prefix)
	if a.cache != nil {
		a.cache.Delete(prefix)
	}
	return err
}
