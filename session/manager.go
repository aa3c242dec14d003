package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// Sealer encrypts and authenticates session data at rest. The apicrud
// crypto package's *Cipher (AES-256-GCM) implements it. Open must reject
// any ciphertext not made by Seal with the same additionalData, and must
// not modify its argument.
type Sealer interface {
	Seal(plaintext, additionalData []byte) ([]byte, error)
	Open(ciphertext, additionalData []byte) ([]byte, error)
}

// Manager issues, validates and revokes sessions. It is safe for concurrent use by multiple goroutines. Use
// New; the zero value is not usable. Its configuration cannot change after
// New. Every instance of a service must be built with the same Sealer
// key, secret, signing key, issuer and audience, and share one Store.
type Manager struct {
	tracer       trace.Tracer // nil without WithTracerProvider
	cfg          config
	sealer       Sealer
	sig          *signer
	secret       []byte // the keys of DeriveKey
	store        Store
	own          *MemoryStore // the store New created, closed by Close
	refreshAfter time.Duration
	xorigin      *http.CrossOriginProtection
	log          *slog.Logger
}

// New returns a Manager that seals session data with sealer and derives its
// keys from secret (at least 32 random bytes, shared by every
// instance): with HKDF-SHA256, one key per use — the HS256 token key here,
// and the keys other packages ask DeriveKey for (package login's link,
// remember-device and backup-code keys). Without options sessions live in
// a new MemoryStore and tokens are HS256 JWTs.
func New(sealer Sealer, secret []byte, opts ...Option) (*Manager, error) {
	if sealer == nil {
		return nil, optionError("nil Sealer")
	}
	c := defaultConfig()
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&c); err != nil {
			return nil, err
		}
	}
	sig, err := newSigner(secret, &c)
	if err != nil {
		return nil, err
	}
	xorigin := http.NewCrossOriginProtection()
	for _, o := range c.origins {
		if err := xorigin.AddTrustedOrigin(o); err != nil {
			return nil, optionError("trusted origin %q: %v", o, err)
		}
	}
	m := &Manager{
		cfg:          c,
		sealer:       sealer,
		sig:          sig,
		secret:       bytes.Clone(secret),
		store:        c.store,
		xorigin:      xorigin,
		refreshAfter: writeInterval(&c),
		log:          c.log,
		tracer:       tracing.New(c.tp, "github.com/apicrud-go/apicrud/session"),
	}
	if m.store == nil {
		m.own = NewMemoryStore()
		m.store = m.own
	}
	return m, nil
}

// Close releases what New created: it stops the sweepers of the default
// MemoryStore, waiting at most until ctx ends. It never closes a Store
// given in an option.
func (m *Manager) Close(ctx context.Context) error {
	if m.own != nil {
		return m.own.Close(ctx)
	}
	return nil
}

// labelHS256 is the HKDF label of the HS256 token key, which DeriveKey
// never hands out.
const labelHS256 = "jwt-hs256"

// DeriveKey returns a 32-byte key for purpose, derived from the secret
// given to New with HKDF-SHA256 under the label "apicrud/session/" +
// purpose, so that every instance sharing the secret derives the same key
// and each purpose gets its own. Package login derives its link,
// remember-device and backup-code keys here. The key that signs HS256
// tokens is refused (ErrOption), and so is an empty purpose.
func (m *Manager) DeriveKey(purpose string) ([]byte, error) {
	if purpose == "" || purpose == labelHS256 {
		return nil, optionError("key purpose %q", purpose)
	}
	return derive(m.secret, purpose)
}

// Sealer returns the Sealer given to New, for a package that keeps its
// own secrets at rest with the same key (package login seals the TOTP
// secrets of accounts with it).
func (m *Manager) Sealer() Sealer { return m.sealer }

// Session is a validated session. It is a snapshot: changing its fields
// changes nothing stored; use Update, SetRoles, Delete and Renew.
type Session struct {
	// ID identifies the session in lists and for revocation. It is a hash
	// of the token's secret, not a credential: safe to show and log.
	ID string
	// UID is the user (or other principal) the session belongs to.
	UID string
	// Roles are the session's current roles (SetRoles changes them).
	Roles []string
	// Scopes are the scopes the session holds; a token carries those it
	// was granted among them.
	Scopes []string
	// CNonce is the client nonce given at creation, if any.
	CNonce string
	// Values are the caller's values (Extra.Values and Update).
	Values map[string]string
	// Method tells how the user authenticated: MethodAPIKey for an API
	// key, otherwise what the creator set in Extra.Method (package login
	// sets "password", "totp", "backup_code", "device" or
	// "external:<provider>").
	Method string
	// AMR are the authentication methods references (RFC 8176) of the
	// latest authentication: "pwd", "otp", "hwk", "swk", "fed", and "mfa"
	// when two factors were used (Extra.AMR, Reauthenticate). Nil for an
	// API key.
	AMR []string
	// AuthTime is the time of the latest authentication: the login
	// (Created) until Reauthenticate records a later one. Renew, Issue and
	// Refresh keep it. Zero for an API key.
	AuthTime time.Time
	// Created is the time of login (kept by Renew); Expires the absolute
	// deadline.
	Created time.Time
	Expires time.Time
	// Client is the client that logged in, as WithClientRecording lets
	// sessions record it.
	Client Client
	// LastUsed is when the session was last used, and LastClient by which
	// client: recorded at most once per WithLastUse interval, so up to
	// that much behind. Only List fills them (Validate leaves them
	// zero); before the first record they are Created and Client.
	LastUsed   time.Time
	LastClient Client
}

// HasAMR reports whether the latest authentication used method (an RFC
// 8176 value such as "otp" or "mfa").
func (s *Session) HasAMR(method string) bool { return slices.Contains(s.AMR, method) }

// HasRole reports whether the session holds role.
func (s *Session) HasRole(role string) bool { return slices.Contains(s.Roles, role) }

// LogValue logs the session's id, uid, roles and method, never its values.
func (s *Session) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", s.ID), slog.String("uid", s.UID), slog.Any("roles", s.Roles), slog.String("method", s.Method))
}

// Extra are the optional parts of a new session.
type Extra struct {
	// Scopes are the session's scopes; nil takes those WithRoleScopes
	// gives the roles (none without it).
	Scopes []string
	// CNonce is echoed in the token's cnonce claim.
	CNonce string
	// Values are stored with the session and copied into the token's ext
	// claim, which the client can read: never put secrets here.
	Values map[string]string
	// Method records how the user authenticated (see Session.Method).
	Method string
	// AMR are the authentication methods references (RFC 8176) of the
	// login (see Session.AMR), at most 16 names.
	AMR []string
	// Lifetime overrides the absolute timeout of WithLifetime when > 0.
	Lifetime time.Duration
}

// record is the sealed form of a session, in the binary encoding of
// recordFields (record.go): a new field needs a line there too.
type record struct {
	UID     string
	Roles   []string
	Scopes  []string
	CNonce  string
	Values  map[string]string
	Method  string
	AMR     []string
	Auth    int64         // unix ms of the latest authentication; 0: Created
	Created int64         // unix ms
	Expires int64         // unix ms
	Secret  string        // SetSecret
	Refresh *refreshState // refreshable sessions (Issue)
	IP      netip.Addr    // client address at creation
	UA      string        // client user agent at creation
}

func (r *record) session(id string) *Session {
	return &Session{
		ID: id, UID: r.UID, Roles: r.Roles, Scopes: r.Scopes, CNonce: r.CNonce,
		Values: r.Values, Method: r.Method, AMR: r.AMR, AuthTime: time.UnixMilli(r.authTime()),
		Created: time.UnixMilli(r.Created), Expires: time.UnixMilli(r.Expires),
		Client: Client{IP: r.IP, UserAgent: r.UA},
	}
}

// authTime is the unix ms of the latest authentication.
func (r *record) authTime() int64 {
	if r.Auth != 0 {
		return r.Auth
	}
	return r.Created
}

// Limits on what a session may hold.
const (
	maxUIDLen    = 128
	maxNameLen   = 128 // role, scope, value key, method
	maxNames     = 256
	maxAMR       = 16
	maxValueLen  = 4096
	maxValuesLen = 16 << 10
	casRetries   = 32 // each lost round means another writer won: enough for 32 concurrent writers
)

func validUID(uid string) error {
	if uid == "" || len(uid) > maxUIDLen {
		return ErrInvalidUID
	}
	for i := 0; i < len(uid); i++ {
		if b := uid[i]; b <= ' ' || b >= 0x7f || b == '{' || b == '}' {
			return ErrInvalidUID
		}
	}
	return nil
}

func validNames(what string, names []string) error {
	if len(names) > maxNames {
		return fmt.Errorf("%w: more than %d %s", ErrInvalidValue, maxNames, what)
	}
	for _, n := range names {
		if n == "" || len(n) > maxNameLen {
			return fmt.Errorf("%w: %s %q", ErrInvalidValue, what, n)
		}
	}
	return nil
}

// validAMR checks authentication methods references: at most maxAMR
// names without whitespace (validScopes).
func validAMR(amr []string) error {
	if len(amr) > maxAMR {
		return fmt.Errorf("%w: more than %d amr values", ErrInvalidValue, maxAMR)
	}
	return validScopes(amr)
}

func validValues(v map[string]string) error {
	total := 0
	for k, x := range v {
		if k == "" || len(k) > maxNameLen || len(x) > maxValueLen {
			return fmt.Errorf("%w: value %q", ErrInvalidValue, k)
		}
		total += len(k) + len(x)
	}
	if total > maxValuesLen {
		return fmt.Errorf("%w: values exceed %d bytes", ErrInvalidValue, maxValuesLen)
	}
	return nil
}

func additionalData(uid, id string) []byte {
	return []byte("apicrud/session\x00" + uid + "\x00" + id)
}

func (m *Manager) seal(uid, id string, r *record) ([]byte, error) {
	out, err := m.sealer.Seal(encodeRecord(r), additionalData(uid, id))
	if err != nil {
		return nil, fmt.Errorf("session: sealing: %w", err)
	}
	return out, nil
}

// errBadRecord reports stored bytes that do not open or decode: tampered
// or sealed under another key.
var errBadRecord = errors.New("session: stored session does not open")

func (m *Manager) open(uid, id string, data []byte) (*record, error) {
	p, err := m.sealer.Open(data, additionalData(uid, id))
	if err != nil {
		return nil, errBadRecord
	}
	r, err := decodeRecord(p)
	if err != nil || r.UID != uid {
		return nil, errBadRecord
	}
	return r, nil
}

// Create starts a session for uid with roles and returns it with its
// token. The token is a JWT whose jti is 256 random bits; the store keeps
// the session sealed under a SHA-256 hash of the jti, in uid's index.
func (m *Manager) Create(ctx context.Context, uid string, roles []string, extra Extra) (*Session, Token, error) {
	if m.tracer != nil {
		return m.traceCreate(ctx, uid, roles, extra)
	}
	return m.create(ctx, uid, roles, extra)
}

func (m *Manager) create(ctx context.Context, uid string, roles []string, extra Extra) (*Session, Token, error) {
	if err := validUID(uid); err != nil {
		return nil, "", err
	}
	if err := errors.Join(validNames("roles", roles), validNames("scopes", extra.Scopes), validValues(extra.Values)); err != nil {
		return nil, "", err
	}
	if len(extra.CNonce) > maxNameLen || len(extra.Method) > maxNameLen {
		return nil, "", fmt.Errorf("%w: cnonce or method too long", ErrInvalidValue)
	}
	if err := validAMR(extra.AMR); err != nil {
		return nil, "", err
	}
	life := m.cfg.lifetime
	if extra.Lifetime > 0 {
		life = min(extra.Lifetime, maxLifetime)
	}
	life = m.lifetimeFor(roles, life)
	scopes := m.scopesOf(roles, extra.Scopes)
	if err := validScopes(scopes); err != nil {
		return nil, "", err
	}
	now := time.Now()
	client := m.recordedClient(ctx)
	r := &record{
		UID: uid, Roles: slices.Clone(roles), Scopes: scopes, CNonce: extra.CNonce,
		Values: cloneMap(extra.Values), Method: extra.Method, AMR: slices.Clone(extra.AMR),
		Created: now.UnixMilli(), Expires: now.Add(life).UnixMilli(),
		IP: client.IP, UA: client.UserAgent,
	}
	return m.store1(ctx, r, life)
}

// store1 stores r under a new token valid for life and signs the token.
func (m *Manager) store1(ctx context.Context, r *record, life time.Duration) (*Session, Token, error) {
	jti, id := newJTI()
	data, err := m.seal(r.UID, id, r)
	if err != nil {
		return nil, "", err
	}
	if err := m.store.Create(ctx, r.UID, id, data, m.cfg.idle, life); err != nil {
		return nil, "", fmt.Errorf("%w: create: %w", ErrUnavailable, err)
	}
	s := r.session(id)
	c := m.claims(r, jti, r.Scopes, s.Expires, time.Now())
	tok, err := m.sig.signToken(&c)
	if err != nil {
		_, _ = m.store.Delete(ctx, r.UID, id)
		return nil, "", err
	}
	return s, tok, nil
}

func cloneMap(v map[string]string) map[string]string {
	if len(v) == 0 {
		return nil
	}
	out := make(map[string]string, len(v))
	for k, x := range v {
		out[k] = x
	}
	return out
}

// Validate authenticates a token: it verifies the JWT (algorithm pinned,
// signature, exp required, nbf, iat, iss, aud, with the configured leeway)
// and then requires the session to exist in the store, so that logout and
// revocation take effect at once. It costs one store round trip, which
// also refreshes the idle deadline when due (see WithIdleTimeout).
//
// A bad token gives an error wrapping ErrInvalidToken (and ErrNoSession
// when only the store lookup failed to find it); a store failure gives an
// error wrapping ErrUnavailable: validation fails closed.
func (m *Manager) Validate(ctx context.Context, token string) (*Session, error) {
	if m.tracer != nil {
		return m.traceValidate(ctx, token)
	}
	return m.validate(ctx, token)
}

func (m *Manager) validate(ctx context.Context, token string) (*Session, error) {
	c, err := m.sig.parseToken(token)
	if err != nil {
		return nil, err
	}
	id := sessionID(c.ID)
	s, _, err := m.load(ctx, c.Subject, id, m.cfg.idle, m.refreshAfter, m.useFunc(ctx, c.Subject, id))
	if err != nil {
		return nil, err
	}
	s.Scopes = intersect(c.Scope, s.Scopes)
	return s, nil
}

// load reads, opens and checks one session.
func (m *Manager) load(ctx context.Context, uid, id string, idle, refreshAfter time.Duration, use func() []byte) (*Session, *record, error) {
	e, ok, err := m.store.Get(ctx, uid, id, idle, refreshAfter, use)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: get: %w", ErrUnavailable, err)
	}
	if !ok {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidToken, ErrNoSession)
	}
	r, err := m.open(uid, id, e.Data)
	if err != nil {
		m.log.WarnContext(ctx, "session: stored session rejected", "uid", uid, "id", id, "err", err)
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if !time.Now().Before(time.UnixMilli(r.Expires)) {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidToken, ErrNoSession)
	}
	return r.session(id), r, nil
}

// modify applies fn to the stored session with compare-and-swap, retrying
// when a concurrent writer got there first. The deadlines are kept.
func (m *Manager) modify(ctx context.Context, uid, id string, fn func(*record) error) (*record, error) {
	if err := validUID(uid); err != nil {
		return nil, err
	}
	for range casRetries {
		e, ok, err := m.store.Get(ctx, uid, id, 0, 0, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: get: %w", ErrUnavailable, err)
		}
		if !ok {
			return nil, ErrNoSession
		}
		r, err := m.open(uid, id, e.Data)
		if err != nil {
			return nil, err
		}
		if err := fn(r); err != nil {
			return nil, err
		}
		data, err := m.seal(uid, id, r)
		if err != nil {
			return nil, err
		}
		done, err := m.store.Replace(ctx, uid, id, e.Data, data)
		if err != nil {
			return nil, fmt.Errorf("%w: replace: %w", ErrUnavailable, err)
		}
		if done {
			return r, nil
		}
	}
	return nil, ErrConflict
}

// Update sets one value of the stored session s (an empty value deletes
// it), keeping its deadlines, and reflects the change in s. Concurrent
// updates of other values are not lost (compare-and-swap). The token's
// ext claim keeps the values of creation time.
func (m *Manager) Update(ctx context.Context, s *Session, key, value string) error {
	if err := validValues(map[string]string{key: value}); err != nil {
		return err
	}
	r, err := m.modify(ctx, s.UID, s.ID, func(r *record) error {
		if value == "" {
			delete(r.Values, key)
			return nil
		}
		if r.Values == nil {
			r.Values = map[string]string{}
		}
		r.Values[key] = value
		return validValues(r.Values)
	})
	if err != nil {
		return err
	}
	s.Values = r.Values
	return nil
}

// SetRoles replaces the roles of the stored session s (apicrud's
// update_auth) and reflects the change in s. The token's auth claim is
// informational and keeps the roles of creation time; authorization uses
// the stored roles, which Validate returns.
func (m *Manager) SetRoles(ctx context.Context, s *Session, roles []string) error {
	if err := validNames("roles", roles); err != nil {
		return err
	}
	r, err := m.modify(ctx, s.UID, s.ID, func(r *record) error {
		r.Roles = slices.Clone(roles)
		if m.cfg.oauth.scopesFor != nil {
			r.Scopes = m.scopesOf(roles, nil)
		}
		return validScopes(r.Scopes)
	})
	if err != nil {
		return err
	}
	s.Roles = r.Roles
	s.Scopes = slices.DeleteFunc(s.Scopes, func(sc string) bool { return !slices.Contains(r.Scopes, sc) })
	return nil
}

// Delete ends session s (logout): its token stops working at once on
// every instance sharing the store. Deleting a session that is gone, or
// the unstored session of an API-key request, is not an error.
func (m *Manager) Delete(ctx context.Context, s *Session) error {
	if m.tracer != nil {
		return m.traceDelete(ctx, s)
	}
	return m.delete(ctx, s)
}

func (m *Manager) delete(ctx context.Context, s *Session) error {
	if s == nil || s.ID == "" {
		return nil
	}
	if err := validUID(s.UID); err != nil {
		return err
	}
	if _, err := m.store.Delete(ctx, s.UID, s.ID); err != nil {
		return fmt.Errorf("%w: delete: %w", ErrUnavailable, err)
	}
	return nil
}

// DeleteAll ends every session of uid (log out everywhere) and returns how
// many there were. Package login calls it after password and status
// changes.
func (m *Manager) DeleteAll(ctx context.Context, uid string) (int, error) {
	if m.tracer != nil {
		return m.traceDeleteAll(ctx, uid)
	}
	return m.deleteAll(ctx, uid)
}

func (m *Manager) deleteAll(ctx context.Context, uid string) (int, error) {
	if err := validUID(uid); err != nil {
		return 0, err
	}
	n, err := m.store.DeleteAll(ctx, uid, "")
	if err != nil {
		return n, fmt.Errorf("%w: delete all: %w", ErrUnavailable, err)
	}
	return n, nil
}

// List returns the live sessions of uid (for a "where am I logged in"
// page), in no particular order, each with the client that created it
// and its last use (Session.LastUsed and LastClient). Sessions that do
// not open are skipped and logged. It costs one store round trip.
func (m *Manager) List(ctx context.Context, uid string) ([]*Session, error) {
	if err := validUID(uid); err != nil {
		return nil, err
	}
	es, err := m.store.List(ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("%w: list: %w", ErrUnavailable, err)
	}
	out := make([]*Session, 0, len(es))
	for _, e := range es {
		r, err := m.open(uid, e.ID, e.Data)
		if err != nil {
			m.log.WarnContext(ctx, "session: stored session rejected", "uid", uid, "id", e.ID, "err", err)
			continue
		}
		s := r.session(e.ID)
		s.LastUsed, s.LastClient = s.Created, s.Client
		if e.Use != nil {
			at, c, err := m.openUse(uid, e.ID, e.Use)
			if err != nil {
				m.log.WarnContext(ctx, "session: stored last use rejected", "uid", uid, "id", e.ID, "err", err)
			} else if at.After(s.LastUsed) {
				s.LastUsed, s.LastClient = at, c
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// Renew replaces session s with a new one holding the same data under a
// new token, and ends s: call it when the privileges behind a session
// change, to defeat session fixation. The absolute deadline is kept. The
// refresh token of a session made refreshable by Issue names the session
// it belongs to: it stops working, and the new session is not refreshable.
func (m *Manager) Renew(ctx context.Context, s *Session) (*Session, Token, error) {
	if m.tracer != nil {
		return m.traceRenew(ctx, s)
	}
	return m.renew(ctx, s)
}

func (m *Manager) renew(ctx context.Context, s *Session) (*Session, Token, error) {
	_, r, err := m.load(ctx, s.UID, s.ID, 0, 0, nil)
	if err != nil {
		return nil, "", err
	}
	r.Refresh = nil
	life := time.Until(time.UnixMilli(r.Expires))
	if life <= 0 {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalidToken, ErrNoSession)
	}
	ns, tok, err := m.store1(ctx, r, life)
	if err != nil {
		return nil, "", err
	}
	if _, err := m.store.Delete(ctx, s.UID, s.ID); err != nil {
		_, _ = m.store.Delete(ctx, ns.UID, ns.ID)
		return nil, "", fmt.Errorf("%w: delete: %w", ErrUnavailable, err)
	}
	return ns, tok, nil
}

// Load reads session s again from the store, without refreshing its idle
// deadline, and returns it as stored (its roles may have changed since s
// was validated) with the secret SetSecret attached to it. It fails as
// Validate does: ErrInvalidToken and ErrNoSession when the session is
// gone, ErrUnavailable when the store fails.
func (m *Manager) Load(ctx context.Context, s *Session) (stored *Session, secret string, err error) {
	if s == nil {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalidToken, ErrNoSession)
	}
	if err := validUID(s.UID); err != nil {
		return nil, "", err
	}
	stored, r, err := m.load(ctx, s.UID, s.ID, 0, 0, nil)
	if err != nil {
		return nil, "", err
	}
	return stored, r.Secret, nil
}

// SetSecret attaches secret to the stored session s (an empty secret
// removes it), keeping its deadlines; Load returns it. The secret is
// sealed with the session and appears nowhere else: not in the token, not
// in Session.Values, not in List. Package login keeps there the TOTP
// secret of an enrolment until the user confirms it. It is at most 4096
// bytes (ErrInvalidValue).
func (m *Manager) SetSecret(ctx context.Context, s *Session, secret string) error {
	if len(secret) > maxValueLen {
		return fmt.Errorf("%w: secret of %d bytes", ErrInvalidValue, len(secret))
	}
	if s == nil {
		return ErrNoSession
	}
	_, err := m.modify(ctx, s.UID, s.ID, func(r *record) error {
		r.Secret = secret
		return nil
	})
	return err
}
