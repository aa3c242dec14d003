package registry

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// Sealer encrypts and authenticates registry entries. *crypto.Cipher and
// *crypto.Keyring of this module satisfy it; Open must fail for any input
// that Seal did not produce with the same additionalData.
type Sealer interface {
	Seal(plaintext, additionalData []byte) ([]byte, error)
	Open(ciphertext, additionalData []byte) ([]byte, error)
}

// Instance is one running instance of a service.
type Instance struct {
	// Service is the service name, e.g. "main" (1-64 characters from
	// A-Z a-z 0-9 . _ -).
	Service string `json:"service"`
	// ID identifies the instance within the service, typically its host
	// name (same alphabet as Service; the library does not read the host
	// name itself).
	ID string `json:"id"`
	// Endpoints are the top-level resources the instance serves
	// ("person", "contact"...), each 1-64 characters from the same alphabet.
	Endpoints []string `json:"endpoints"`
	// PublicURL is the absolute http(s) URL of the instance's API base,
	// e.g. "https://api.example.com/api/v1"; required when Endpoints is
	// not empty. It becomes the url_map value of each endpoint.
	PublicURL string `json:"public_url"`
	// IPv4 is the instance's IPv4 address, or "".
	IPv4 string `json:"ipv4,omitempty"`
	// Port is the instance's TCP port (0-65535; 0: unknown).
	Port int `json:"port,omitempty"`
	// Created is when the instance registered (set by Register when zero;
	// UTC, second precision).
	Created time.Time `json:"created"`
}

// Result is what Find returns.
type Result struct {
	// Instances are the live, authentic instances, sorted by service
	// then id.
	Instances []Instance `json:"instances"`
	// URLMap maps each endpoint to the PublicURL of the first instance
	// (in Instances order) that serves it.
	URLMap map[string]string `json:"url_map"`
}

// Client registers instances and finds them. It is safe for concurrent
// use. Create it with New; Close it when done.
type Client struct {
	tracer    trace.Tracer // nil without WithTracerProvider
	store     Store
	ownsStore bool
	sealer    Sealer
	interval  time.Duration
	ttl       time.Duration
	log       *slog.Logger
	reject    func(ctx context.Context, err *EntryError)

	mu     sync.Mutex
	closed bool
}

// New returns a Client that seals entries with sealer, which is required:
// without the key, a writer to the store cannot inject or alter an entry.
func New(sealer Sealer, opts ...Option) (*Client, error) {
	if sealer == nil {
		return nil, fmt.Errorf("%w: a Sealer is required", ErrOption)
	}
	o := options{interval: DefaultInterval, ttl: DefaultTTL, log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	c := &Client{
		store:    o.store,
		sealer:   sealer,
		interval: o.interval,
		ttl:      o.ttl,
		log:      o.log,
		reject:   o.reject,
		tracer:   tracing.New(o.tp, "github.com/apicrud-go/apicrud/registry"),
	}
	if c.store == nil {
		c.store, c.ownsStore = NewMemoryStore(), true
	}
	return c, nil
}

// Close closes the MemoryStore the Client created (not a Store given with
// WithStore). Close registrations first; after Close, Register and Find
// return ErrClosed. Close is idempotent.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if already || !c.ownsStore {
		return nil
	}
	if ms, ok := c.store.(*MemoryStore); ok {
		return ms.Close(ctx)
	}
	return nil
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// wire is the sealed JSON of an entry.
type wire struct {
	Version   int           `json:"v"`
	Instance  Instance      `json:"instance"`
	Heartbeat time.Time     `json:"heartbeat"`
	TTL       time.Duration `json:"ttl"`
}

const wireVersion = 1

func storeKey(service, id string) string { return service + ":" + id }

// aad binds a sealed entry to its purpose and its key: an entry copied to
// another key does not open.
func aad(key string) []byte { return []byte("apicrud-go/registry/v1\x00" + key) }

func (c *Client) seal(inst Instance, now time.Time) ([]byte, error) {
	plain, err := json.Marshal(wire{Version: wireVersion, Instance: inst, Heartbeat: now.UTC(), TTL: c.ttl})
	if err != nil {
		return nil, fmt.Errorf("registry: encoding entry: %w", err)
	}
	sealed, err := c.sealer.Seal(plain, aad(storeKey(inst.Service, inst.ID)))
	if err != nil {
		return nil, fmt.Errorf("registry: sealing entry: %w", err)
	}
	return sealed, nil
}

// open authenticates and checks one record.
func (c *Client) open(rec Record, now time.Time) (Instance, error) {
	plain, err := c.sealer.Open(rec.Value, aad(rec.Key))
	if err != nil {
		return Instance{}, fmt.Errorf("%w: does not open with this key", ErrInvalidEntry)
	}
	var w wire
	if err := json.Unmarshal(plain, &w); err != nil {
		return Instance{}, fmt.Errorf("%w: malformed content", ErrInvalidEntry)
	}
	if w.Version != wireVersion {
		return Instance{}, fmt.Errorf("%w: unknown version %d", ErrInvalidEntry, w.Version)
	}
	if storeKey(w.Instance.Service, w.Instance.ID) != rec.Key {
		return Instance{}, fmt.Errorf("%w: content does not match its key", ErrInvalidEntry)
	}
	if err := validate(w.Instance); err != nil {
		return Instance{}, fmt.Errorf("%w: %v", ErrInvalidEntry, err)
	}
	if w.TTL <= 0 {
		return Instance{}, fmt.Errorf("%w: no ttl", ErrInvalidEntry)
	}
	// An authentic entry older than twice its TTL can only be a replayed
	// copy (the store expires entries after one TTL); the factor 2 absorbs
	// clock skew between instances.
	if age := now.Sub(w.Heartbeat); age > 2*w.TTL || age < -w.TTL {
		return Instance{}, fmt.Errorf("%w: heartbeat at %s, ttl %s", ErrStaleEntry, w.Heartbeat.Format(time.RFC3339), w.TTL)
	}
	return w.Instance, nil
}

// Register validates inst, stores its entry, and starts the heartbeat
// that refreshes it every interval until ctx ends or the Registration is
// closed; then the entry is removed. If the process dies, the entry
// expires after the TTL. inst.Created is set to now when zero.
//
// The first write happens before Register returns; its error is returned.
// Later heartbeat failures are logged and retried at the next interval
// (Registration.Err reports the last one).
func (c *Client) Register(ctx context.Context, inst Instance) (*Registration, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	inst.Endpoints = slices.Clone(inst.Endpoints)
	if err := validate(inst); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidInstance, err)
	}
	now := time.Now()
	if inst.Created.IsZero() {
		inst.Created = now.UTC().Truncate(time.Second)
	}
	r := &Registration{
		c:    c,
		inst: inst,
		key:  storeKey(inst.Service, inst.ID),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	if err := r.tracedBeat(ctx, false); err != nil {
		return nil, err
	}
	go r.run(ctx)
	return r, nil
}

// Find returns the live instances of service ("" for every service) and
// the url_map of their endpoints. Entries that fail authentication, do not
// match their key, or are stale are skipped, logged and passed to the
// reject function; they never appear in the result. When two instances
// serve one endpoint at different URLs, the first wins and a warning is
// logged.
func (c *Client) Find(ctx context.Context, service string) (Result, error) {
	if c.tracer == nil {
		return c.find(ctx, service)
	}
	ctx, span := c.tracer.Start(ctx, "apicrud.registry.Find", trace.WithAttributes(attrService.String(service)))
	res, err := c.find(ctx, service)
	span.SetAttributes(attrInstances.Int(len(res.Instances)))
	tracing.End(span, err, errCode(err))
	return res, err
}

func (c *Client) find(ctx context.Context, service string) (Result, error) {
	if c.isClosed() {
		return Result{}, ErrClosed
	}
	prefix := ""
	if service != "" {
		if err := checkName("service", service); err != nil {
			return Result{}, fmt.Errorf("%w: %v", ErrInvalidInstance, err)
		}
		prefix = service + ":"
	}
	recs, err := c.store.List(ctx, prefix)
	if err != nil {
		return Result{}, fmt.Errorf("registry: listing entries: %w", err)
	}
	now := time.Now()
	res := Result{Instances: make([]Instance, 0, len(recs)), URLMap: map[string]string{}}
	for _, rec := range recs {
		inst, err := c.open(rec, now)
		if err != nil {
			c.rejected(ctx, &EntryError{Key: rec.Key, Err: err})
			continue
		}
		res.Instances = append(res.Instances, inst)
	}
	slices.SortFunc(res.Instances, func(a, b Instance) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.ID, b.ID))
	})
	for _, inst := range res.Instances {
		for _, ep := range inst.Endpoints {
			prev, seen := res.URLMap[ep]
			if !seen {
				res.URLMap[ep] = inst.PublicURL
			} else if prev != inst.PublicURL {
				c.log.WarnContext(ctx, "registry: misconfigured cluster serves one resource at two URLs",
					"resource", ep, "url", prev, "other_url", inst.PublicURL, "service", inst.Service, "id", inst.ID)
			}
		}
	}
	return res, nil
}

func (c *Client) rejected(ctx context.Context, err *EntryError) {
	if c.tracer != nil {
		trace.SpanFromContext(ctx).AddEvent("rejected", trace.WithAttributes(tracing.ErrorType.String(errCode(err))))
	}
	c.log.WarnContext(ctx, "registry: rejected entry", "key", err.Key, "err", err.Err)
	if c.reject != nil {
		c.reject(ctx, err)
	}
}

// Registration is one registered instance and its heartbeat goroutine,
// which it owns: Close stops the goroutine, waits for it, and removes the
// entry.
type Registration struct {
	c    *Client
	inst Instance
	key  string

	mu      sync.Mutex
	last    []byte // the value last written, for compare-and-delete
	lastErr error

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// Instance returns the registered instance.
func (r *Registration) Instance() Instance {
	inst := r.inst
	inst.Endpoints = slices.Clone(inst.Endpoints)
	return inst
}

// Err returns the error of the last heartbeat, or nil if it succeeded.
func (r *Registration) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

// Done is closed when the heartbeat has stopped and the entry has been
// removed (after Close, or after the Register context ended).
func (r *Registration) Done() <-chan struct{} { return r.done }

// Close stops the heartbeat and removes the entry, waiting for both or
// for ctx to end. It is idempotent.
func (r *Registration) Close(ctx context.Context) error {
	r.stopOnce.Do(func() { close(r.stop) })
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Registration) beat(ctx context.Context) error {
	sealed, err := r.c.seal(r.inst, time.Now())
	if err == nil {
		err = r.c.store.Put(ctx, r.key, sealed, r.c.ttl)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.lastErr = fmt.Errorf("registry: heartbeat of %s: %w", r.key, err)
		return r.lastErr
	}
	r.last, r.lastErr = sealed, nil
	return nil
}

func (r *Registration) run(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.c.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.deregister(ctx)
			return
		case <-r.stop:
			r.deregister(ctx)
			return
		case <-t.C:
			if err := r.tracedBeat(ctx, true); err != nil && ctx.Err() == nil {
				r.c.log.WarnContext(ctx, "registry: heartbeat failed", "key", r.key, "err", err)
			}
		}
	}
}

// deregister removes the entry with a context that survives the end of
// the Register context, bounded by one TTL (after which it expires anyway).
func (r *Registration) deregister(ctx context.Context) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.c.ttl)
	defer cancel()
	if r.c.tracer != nil {
		var span trace.Span
		dctx, span = r.c.tracer.Start(dctx, "apicrud.registry.Deregister", trace.WithNewRoot(), r.spanAttrs())
		defer span.End()
	}
	r.mu.Lock()
	last := r.last
	r.mu.Unlock()
	if _, err := r.c.store.Delete(dctx, r.key, last); err != nil {
		r.c.log.WarnContext(ctx, "registry: deregistration failed; the entry expires after its ttl", "key", r.key, "err", err)
	}
}

// validate checks an Instance (from Register, or from a stored entry).
func validate(inst Instance) error {
	var errs []error
	if err := checkName("service", inst.Service); err != nil {
		errs = append(errs, err)
	}
	if err := checkName("id", inst.ID); err != nil {
		errs = append(errs, err)
	}
	if len(inst.Endpoints) > 1024 {
		errs = append(errs, fmt.Errorf("more than 1024 endpoints"))
	}
	for _, ep := range inst.Endpoints {
		if err := checkName("endpoint", ep); err != nil {
			errs = append(errs, err)
		}
	}
	if inst.PublicURL != "" || len(inst.Endpoints) > 0 {
		u, err := url.Parse(inst.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || len(inst.PublicURL) > 2048 {
			errs = append(errs, fmt.Errorf("public URL %q: want an absolute http or https URL without credentials", truncate(inst.PublicURL)))
		}
	}
	if inst.IPv4 != "" {
		if a, err := netip.ParseAddr(inst.IPv4); err != nil || !a.Is4() {
			errs = append(errs, fmt.Errorf("IPv4 %q is not an IPv4 address", truncate(inst.IPv4)))
		}
	}
	if inst.Port < 0 || inst.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d out of range", inst.Port))
	}
	return errors.Join(errs...)
}

func checkName(what, s string) error {
	if s == "" || len(s) > 64 {
		return fmt.Errorf("%s %q: want 1 to 64 characters", what, truncate(s))
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("%s %q: only letters, digits, '.', '_' and '-'", what, truncate(s))
		}
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
