package grants

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// RateLimitGrant is the grant RateLimit reads when no service-specific
// grant is defined: the number of requests per rate-limit period.
const RateLimitGrant = "ratelimit"

// Grants answers "what is the value of grant name for account uid": the
// account's override when it has an active, unexpired one, else the
// default. Use New; a Grants is safe for concurrent use, and its only
// change after New is SetDefaults.
type Grants struct {
	tracer   trace.Tracer // nil without WithTracerProvider
	defaults atomic.Pointer[Defaults]
	store    Store
	cache    Cache
	cacheTTL time.Duration
	logger   *slog.Logger
	owned    []interface{ Close(context.Context) error }
}

// Grant is the effective value of one grant for one account, as listed by
// List and returned by Lookup.
type Grant struct {
	// ID is the hybrid id "<uid>:<name>".
	ID string `json:"id"`
	// UID is the account.
	UID string `json:"uid"`
	// Name is the grant name.
	Name string `json:"name"`
	// Value is the effective value (its JSON form is the original string).
	Value Value `json:"value"`
	// Expires is when the override ends; zero for a default or an
	// override without expiry.
	Expires time.Time `json:"expires,omitzero"`
	// Default is true when no override applies and Value is the default.
	Default bool `json:"default"`
}

// New returns a Grants with the given defaults. Without options the
// overrides live in a MemoryStore and are cached for DefaultCacheTTL in a
// MemoryCache; Close releases those.
func New(defaults Defaults, opts ...Option) (*Grants, error) {
	c := config{cacheTTL: DefaultCacheTTL}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	g := &Grants{store: c.store, cache: c.cache, cacheTTL: c.cacheTTL, logger: c.logger,
		tracer: tracing.New(c.tp, "github.com/apicrud-go/apicrud/grants")}
	g.defaults.Store(&defaults)
	if g.logger == nil {
		g.logger = slog.New(slog.DiscardHandler)
	}
	if g.store == nil {
		ms := NewMemoryStore()
		g.store = ms
		g.owned = append(g.owned, ms)
	}
	if g.cache == nil && g.cacheTTL > 0 {
		mc := NewMemoryCache()
		g.cache = mc
		g.owned = append(g.owned, mc)
	}
	return g, nil
}

// Close releases the memory store and cache that New created (it stops
// their sweepers). Stores and caches passed in options are not closed.
func (g *Grants) Close(ctx context.Context) error {
	var errs []error
	for _, o := range g.owned {
		errs = append(errs, o.Close(ctx))
	}
	return errors.Join(errs...)
}

// Defaults returns the defaults in force.
func (g *Grants) Defaults() Defaults { return *g.defaults.Load() }

// SetDefaults replaces the defaults at run time (a configuration reloaded
// without a restart): every call that starts afterwards answers with d,
// and a call already running answers with the defaults it started with.
// Overrides and the override cache are unaffected, since they do not
// depend on the defaults. It changes this Grants only: each instance of a
// service sets its own (examples/contacts tells every instance to reload
// through Redis). A grant that d no longer defines becomes unknown
// (ErrUnknownGrant), its overrides included.
func (g *Grants) SetDefaults(d Defaults) {
	g.defaults.Store(&d)
}

// Get returns the effective value of grant name for account uid: uid's
// active, unexpired override, else the default. An empty uid (an anonymous
// caller) gets the default. A name without a default is an
// *UnknownGrantError (ErrUnknownGrant), whether or not an override exists.
func (g *Grants) Get(ctx context.Context, name, uid string) (Value, error) {
	return g.getIn(ctx, g.defaults.Load(), name, uid)
}

// getIn is Get with the defaults d, loaded once by the caller.
func (g *Grants) getIn(ctx context.Context, d *Defaults, name, uid string) (Value, error) {
	if g.tracer == nil {
		v, _, err := g.get(ctx, d, name, uid)
		return v, err
	}
	ctx, span := g.tracer.Start(ctx, "apicrud.grants.Get", trace.WithAttributes(attrName.String(name)))
	v, override, err := g.get(ctx, d, name, uid)
	if err == nil {
		span.SetAttributes(attrValue.String(v.String()), attrOverride.Bool(override))
	}
	tracing.End(span, err, errCode(err))
	return v, err
}

// get is Get with the defaults d; override reports whether the value is
// uid's override.
func (g *Grants) get(ctx context.Context, d *Defaults, name, uid string) (v Value, override bool, err error) {
	def, ok := d.Get(name)
	if !ok {
		return Value{}, false, &UnknownGrantError{Name: name}
	}
	if uid == "" {
		return def, false, nil
	}
	if err := validUID(uid); err != nil {
		return Value{}, false, err
	}
	m, err := g.overrides(ctx, uid)
	if err != nil {
		return Value{}, false, err
	}
	if o, ok := m[name]; ok {
		return valueOf(o.Value), true, nil
	}
	return def, false, nil
}

// Limit returns the integer value of grant name for account uid. It
// implements the Limits interfaces of crud and metrics. A value that is not
// an integer is ErrNotInteger. By the convention of those consumers, a
// negative value means "no limit".
func (g *Grants) Limit(ctx context.Context, name, uid string) (int64, error) {
	return g.limitIn(ctx, g.defaults.Load(), name, uid)
}

// limitIn is Limit with the defaults d, loaded once by the caller.
func (g *Grants) limitIn(ctx context.Context, d *Defaults, name, uid string) (int64, error) {
	v, err := g.getIn(ctx, d, name, uid)
	if err != nil {
		return 0, err
	}
	n, ok := v.Int64()
	if !ok {
		return 0, fmt.Errorf("%w: grant %s is %q", ErrNotInteger, name, v.String())
	}
	return n, nil
}

// RateLimit returns the number of requests per rate-limit period that
// account uid may make to service. It implements ratelimit.LimitSource.
//
// It reads the grant "ratelimit_<service>" when the defaults define it
// (service lower-cased, every character outside [a-z0-9_] replaced by '_':
// service "login.attempt" reads "ratelimit_login_attempt"), else the grant
// "ratelimit". When neither is defined, ok is false and the limiter uses its
// own default. A value that is not a non-negative integer is an error
// (ErrNotInteger), so the limiter fails closed rather than guessing.
func (g *Grants) RateLimit(ctx context.Context, uid, service string) (requests int, ok bool, err error) {
	d := g.defaults.Load() // one set of defaults for the whole answer, even during a reload
	name := ""
	if service != "" && service != "*" {
		if n := RateLimitGrant + "_" + sanitize(service); ValidName(n) == nil {
			if _, defined := d.Get(n); defined {
				name = n
			}
		}
	}
	if name == "" {
		if _, defined := d.Get(RateLimitGrant); !defined {
			return 0, false, nil
		}
		name = RateLimitGrant
	}
	n, err := g.limitIn(ctx, d, name, uid)
	if err != nil {
		return 0, false, err
	}
	if n < 0 {
		return 0, false, fmt.Errorf("%w: grant %s is negative (%d)", ErrNotInteger, name, n)
	}
	if n > math.MaxInt {
		n = math.MaxInt
	}
	return int(n), true, nil
}

func sanitize(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// List returns every grant of account uid with its effective value, in the
// order of the defaults: defaults merged with uid's overrides. Overrides of
// names that have no default are not listed (they are not grants).
func (g *Grants) List(ctx context.Context, uid string) ([]Grant, error) {
	if err := validUID(uid); err != nil {
		return nil, err
	}
	m, err := g.overrides(ctx, uid)
	if err != nil {
		return nil, err
	}
	d := g.Defaults()
	out := make([]Grant, 0, d.Len())
	for _, name := range d.names {
		out = append(out, grant(d, uid, name, m))
	}
	return out, nil
}

func grant(d Defaults, uid, name string, m map[string]Override) Grant {
	gr := Grant{ID: uid + ":" + name, UID: uid, Name: name}
	if o, ok := m[name]; ok {
		gr.Value, gr.Expires = valueOf(o.Value), o.Expires
		return gr
	}
	gr.Value, gr.Default = d.values[name], true
	return gr
}

// ParseID splits a hybrid id "<uid>:<name>" (for example
// "u-B0miQweE:list_size") at its last colon and validates both parts.
func ParseID(id string) (uid, name string, err error) {
	i := strings.LastIndexByte(id, ':')
	if i < 0 {
		return "", "", fmt.Errorf("%w: %q: want <uid>:<name>", ErrBadID, id)
	}
	uid, name = id[:i], id[i+1:]
	if err := validUID(uid); err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrBadID, err)
	}
	if err := ValidName(name); err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrBadID, err)
	}
	return uid, name, nil
}

// Lookup returns the grant with hybrid id "<uid>:<name>". It does not
// authorize: the caller (a grants endpoint) must check that the requester
// may read uid's grants before calling it.
func (g *Grants) Lookup(ctx context.Context, id string) (Grant, error) {
	uid, name, err := ParseID(id)
	if err != nil {
		return Grant{}, err
	}
	d := g.Defaults()
	if _, ok := d.Get(name); !ok {
		return Grant{}, &UnknownGrantError{Name: name}
	}
	m, err := g.overrides(ctx, uid)
	if err != nil {
		return Grant{}, err
	}
	return grant(d, uid, name, m), nil
}

// Set gives account uid the value for grant name until expires (zero:
// never), and uncaches uid. The name must have a default and the value must
// pass ParseValue.
func (g *Grants) Set(ctx context.Context, uid, name, value string, expires time.Time) error {
	if _, ok := g.Defaults().Get(name); !ok {
		return &UnknownGrantError{Name: name}
	}
	if err := validUID(uid); err != nil {
		return err
	}
	if _, err := ParseValue(value); err != nil {
		return err
	}
	if err := g.store.Put(ctx, Override{UID: uid, Name: name, Value: value, Expires: expires}); err != nil {
		return fmt.Errorf("grants: storing override: %w", err)
	}
	return g.Uncache(ctx, uid)
}

// Delete removes uid's override of grant name (the default applies again)
// and uncaches uid.
func (g *Grants) Delete(ctx context.Context, uid, name string) error {
	if err := validUID(uid); err != nil {
		return err
	}
	if err := g.store.Delete(ctx, uid, name); err != nil {
		return fmt.Errorf("grants: deleting override: %w", err)
	}
	return g.Uncache(ctx, uid)
}

// Uncache drops the cached overrides of uid, so the next lookup reads the
// store. Call it whenever uid's overrides change outside Set and Delete
// (for example when a CRUD endpoint writes the grants table). With a
// MemoryCache it only affects this process.
func (g *Grants) Uncache(ctx context.Context, uid string) error {
	if g.cache == nil {
		return nil
	}
	if err := g.cache.Delete(ctx, uid); err != nil {
		return fmt.Errorf("grants: uncache: %w", err)
	}
	return nil
}

// overrides returns uid's active overrides by name, through the cache.
func (g *Grants) overrides(ctx context.Context, uid string) (map[string]Override, error) {
	if g.cache == nil || g.cacheTTL <= 0 {
		list, err := g.store.Overrides(ctx, uid)
		if err != nil {
			return nil, fmt.Errorf("grants: reading overrides: %w", err)
		}
		return index(list, time.Now()), nil
	}
	list, gen, hit, err := g.cache.Get(ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("grants: cache: %w", err)
	}
	if hit {
		return index(list, time.Now()), nil
	}
	list, err = g.store.Overrides(ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("grants: reading overrides: %w", err)
	}
	now := time.Now()
	ttl := g.cacheTTL
	for _, o := range list {
		if !o.Expires.IsZero() {
			if left := o.Expires.Sub(now); left < ttl {
				ttl = left
			}
		}
	}
	if ttl > 0 {
		if err := g.cache.Set(ctx, uid, gen, list, ttl); err != nil {
			g.logger.WarnContext(ctx, "grants: cache write failed", "uid", uid, "err", err)
		}
	}
	return index(list, now), nil
}
