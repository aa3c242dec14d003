package main

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"go.opentelemetry.io/otel/trace"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/apikey"
	apikeysql "github.com/apicrud-go/apicrud/apikey/sqlstore"
	"github.com/apicrud-go/apicrud/config"
	apicrypto "github.com/apicrud-go/apicrud/crypto"
	"github.com/apicrud-go/apicrud/grants"
	"github.com/apicrud-go/apicrud/grants/sqlstore"
	"github.com/apicrud-go/apicrud/i18n"
	"github.com/apicrud-go/apicrud/idempotency"
	"github.com/apicrud-go/apicrud/metrics"
	"github.com/apicrud-go/apicrud/migrate"
	"github.com/apicrud-go/apicrud/mutex"
	"github.com/apicrud-go/apicrud/ratelimit"
	"github.com/apicrud-go/apicrud/registry"
	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/passkey"
	passkeysql "github.com/apicrud-go/apicrud/session/login/passkey/sqlstore"
	"github.com/apicrud-go/apicrud/session/login/sqlaccounts"
)

//go:embed rbac.yaml
var defaultPolicy []byte

// localeFiles holds the messages of the service's own problem codes, one
// file per language; the library's messages are built into package i18n.
//
//go:embed locales/*.yaml
var localeFiles embed.FS

//go:embed metrics.yaml
var metricDefinitions []byte

// serviceConfig is the service's configuration: the library's keys plus the
// example's own.
type serviceConfig struct {
	config.Config
	OutboxDir      string        `config:"outbox_dir" default:"outbox" path:"true" doc:"directory where notices (confirmation and reset links) are written, standing in for an e-mail gateway"`
	MetricsShared  bool          `config:"metrics_shared" default:"true" doc:"expose the shared (Redis) metric series from this instance; enable it on one instance only"`
	InstanceID     string        `config:"instance_id" doc:"id of this instance in the registry (default: host name and port)"`
	RedisPrefix    string        `config:"redis_prefix" default:"apicrud:" min:"1" doc:"prefix of every Redis key the service writes"`
	Registration   string        `config:"registration" default:"open" enum:"open,closed" doc:"open: anyone may register (POST /account); closed: only admins create accounts"`
	DBMaxConns     int           `config:"db_max_conns" default:"32" min:"1" doc:"connections the database pool keeps open at most (and idle)"`
	StrictRequests int           `config:"strict_requests" default:"30" min:"1" doc:"registrations, confirmations, reset requests and bad credentials a client address may make per ratelimit_interval"`
	PasswordScore  int           `config:"password_min_score" default:"3" min:"0" max:"4" doc:"least zxcvbn strength score (0-4) of a new password; 0 turns the estimate off"`
	EncryptionSalt string        `config:"encryption_salt" doc:"the deployment's own argon2id salt for encryption_passphrase (at least 16 bytes, the same on every instance; generated into contacts.keys when the service runs alone); data sealed before it was set still opens"`
	TrustedOrigins []string      `config:"trusted_origins" doc:"origins (scheme://host[:port]) whose pages may send POST, PUT and DELETE requests with the session cookie, besides public_url's"`
	RateLimitBatch int           `config:"ratelimit_batch" default:"0" min:"0" max:"10000" doc:"with Redis, take each caller's rate-limit events from Redis in batches of up to this many and spend them in this instance for at most ratelimit_batch_hold: one round trip per batch instead of one per request, at the cost of at most ratelimit_batch_hold × rate more requests over any span (across all instances); 0 (the default) checks every request exactly; otherwise 2 to 10000"`
	RateLimitHold  time.Duration `config:"ratelimit_batch_hold" default:"100ms" min:"1ms" max:"1m" doc:"how long an instance may spend events it reserved with ratelimit_batch; the longest it may overshoot the rate limit by (ratelimit_batch_hold × rate requests)"`
	LimitCacheTTL  time.Duration `config:"limit_cache_ttl" default:"1s" doc:"how long an instance keeps an account's rate-limit grant before reading it again (0: every request)"`
	IdempotencyTTL time.Duration `config:"idempotency_ttl" default:"24h" min:"1s" doc:"how long the answer to a POST or PATCH with an Idempotency-Key is kept for a retry"`
	Tracing        string        `config:"tracing" default:"auto" enum:"auto,off,stdout,otlp" doc:"OpenTelemetry traces: otlp sends them to the collector of OTEL_EXPORTER_OTLP_ENDPOINT (and the other standard OTEL_* variables), stdout prints them (development), auto is otlp when OTEL_EXPORTER_OTLP_ENDPOINT is set and off otherwise"`
	StepUpMaxAge   time.Duration `config:"stepup_max_age" default:"10m" min:"1s" doc:"how recent the authentication behind a sensitive operation must be (changing the password, enrolling or removing TOTP, creating an API key); older sessions get 401 session.reauthentication_required and renew it with POST <base_url>/auth/reauth"`
	LoginURLMap    bool          `config:"login_url_map" default:"false" doc:"the answer to a login (POST /auth, POST /auth/otp) carries resources: each top-level resource of the services in the registry and the URL of the API that serves it (the registry's url_map), as the Python original's did; costs a registry read per login"`
	PProf          bool          `config:"pprof" default:"false" doc:"serve Go's runtime profiles at <base_url>/debug/pprof/ to admins and to the metrics scrape key"`
	SessionIPs     bool          `config:"session_ips" default:"true" doc:"sessions record the client address of the login and of the last use (GET /auth/sessions shows them to their user); an address is personal data: false records none"`
	SessionLastUse time.Duration `config:"session_last_use" default:"1m" doc:"how often at most a session's last use (time, client address, user agent) is recorded, in the session read each request makes anyway; 0 records none, otherwise at least 1s"`

	// The breached-password check (breach.go): off unless asked for.
	PasswordBreachCheck      bool          `config:"password_breach_check" default:"false" doc:"refuse new passwords found in the Pwned Passwords corpus of Have I Been Pwned (or the mirror at password_breach_url), sending it only five hexadecimal digits of the password's SHA-1; off by default: with it on, the service calls that URL at every registration and password change"`
	PasswordBreachURL        string        `config:"password_breach_url" default:"https://api.pwnedpasswords.com/range/" doc:"range endpoint of the breached-password check: the Pwned Passwords API or a mirror serving its format"`
	PasswordBreachTimeout    time.Duration `config:"password_breach_timeout" default:"2s" min:"1ms" max:"30s" doc:"how long a breached-password check may take"`
	PasswordBreachFailClosed bool          `config:"password_breach_fail_closed" default:"false" doc:"when the breached-password check fails or times out, refuse the new password (503) instead of accepting it on the local checks alone"`

	// TestSleepAfterCommit lets a test kill the process between a create's
	// commit and its answer.
	TestSleepAfterCommit time.Duration `config:"test_sleep_after_commit" doc:"testing only: how long to wait before sending the answer of a POST or PATCH (after its commit and after its Idempotency-Key record); never set it in production"`
	// Delegated login (delegated.go): one provider per name, its other
	// settings in maps by the same name.
	OIDCProviders     map[string]string `config:"oidc_providers" doc:"delegated login: provider name to the OpenID Connect issuer URL, or google for Google's preset; each is served at <base_url>/auth/oidc/<name>, its callback <public_url><base_url>/auth/oidc/<name>/callback registered at the provider"`
	OIDCClientIDs     map[string]string `config:"oidc_client_ids" doc:"delegated login: the client id of each provider of oidc_providers (required)"`
	OIDCClientSecrets map[string]string `config:"oidc_client_secrets" secret:"true" doc:"delegated login: the client secret of each provider of oidc_providers, best from the environment (APICRUD_OIDC_CLIENT_SECRETS=name=secret,name=secret)"`
	OIDCScopes        map[string]string `config:"oidc_scopes" doc:"delegated login: the scopes asked of each provider, space-separated (default: openid email profile; openid is always asked)"`
	// RestrictedUsernames: nobody registers these names for themselves.
	RestrictedUsernames []string `config:"restricted_usernames" doc:"usernames nobody can register for themselves (admins may still create accounts with them); default: the login package's list (admin, root, support, ...); [] lifts the restriction"`
}

// app is the wired service.
type app struct {
	// reloadSender tells this instance's reload notices from the others'.
	reloadSender string
	cfg          *serviceConfig
	log          *slog.Logger
	tp           trace.TracerProvider // nil: no tracing
	db           *sqlx.DB
	dialect      string
	be           *backends

	cipher   *apicrypto.Keyring
	policy   *ac.Policy
	accounts *sqlaccounts.Store
	apikeys  *apikey.Manager
	grants   *grants.Grants
	sessions *session.Manager
	logins   *login.Manager
	passkeys *passkey.Manager // nil when public_url names no host
	// stepUpRule is what the sensitive operations (a factor, a password,
	// an API key) ask: an authentication within stepup_max_age (stepUp).
	stepUpRule session.StepUp
	limiter    *ratelimit.Limiter
	idem       *idempotency.Keeper
	metrics    *metrics.Recorder
	locks      *mutex.Locker
	registry   *registry.Client
	catalog    *i18n.Catalog
	res        *resources

	providers identityProviders // delegated login (oidc_providers), by name

	strict *ratelimit.Limiter              // per client address, for costly anonymous requests
	cors   func(http.Handler) http.Handler // cors_origins; nil: no cross-origin reads
	out    io.Writer                       // where the generated admin password is shown
	// loadConfig reads the configuration again (for a reload); run sets it.
	loadConfig func() (*serviceConfig, error)
	// seeded: this start created the admin account (with admin_password,
	// if set).
	seeded bool

	registration *registry.Registration
	closers      []func(context.Context) error
}

// derive returns a 32-byte key for purpose from the service secret, so each
// use has its own key.
func derive(secret []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, "apicrud-contacts "+purpose, 32)
	if err != nil { // only for lengths sha256 cannot produce
		panic(err)
	}
	return k
}

// trustedOrigins returns the origin of publicURL followed by extra.
func trustedOrigins(publicURL string, extra []string) ([]string, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("public_url %q: not an absolute URL", publicURL)
	}
	return append([]string{u.Scheme + "://" + u.Host}, extra...), nil
}

// newApp builds the service from its configuration: database, backends
// (memory or Redis), policy, accounts, sessions, grants, rate limits,
// metrics, registry and resources; then, under a lock that instances
// starting together share, the schema and the first admin account. out
// receives the admin password generated at first start. On error
// everything built so far is closed.
func newApp(ctx context.Context, cfg *serviceConfig, log *slog.Logger, out io.Writer) (*app, error) {
	return newTracedApp(ctx, cfg, log, out, nil)
}

// newTracedApp is newApp with every package emitting its spans to tp (nil:
// none).
func newTracedApp(ctx context.Context, cfg *serviceConfig, log *slog.Logger, out io.Writer, tp trace.TracerProvider) (_ *app, err error) {
	a := &app{cfg: cfg, log: log, out: out, tp: tp, reloadSender: rand.Text()}
	defer func() {
		if err != nil {
			_ = a.close(context.WithoutCancel(ctx))
		}
	}()
	// One secret for tokens and, derived from it with HKDF, the cursor
	// keys and the API-key pepper: rotating jwt_key ends the sessions,
	// cursors and API keys of the service.
	secret := []byte(cfg.JWTKey().Reveal())
	closing := func(c func(context.Context) error) { a.closers = append(a.closers, c) }

	if a.cipher, err = newSealer(cfg.EncryptionPassphrase().Reveal(), cfg.EncryptionSalt); err != nil {
		return nil, err
	}
	// The backends first: an unreachable Redis stops the start before the
	// database file is created.
	if a.be, err = newBackends(ctx, cfg.RedisURL(), cfg.RedisPrefix); err != nil {
		return nil, err
	}
	closing(a.be.close)
	if a.db, a.dialect, err = openDB(ctx, cfg.DatabaseURL(), cfg.DBMaxConns); err != nil {
		return nil, err
	}
	closing(func(context.Context) error { return a.db.Close() })
	a.be.checkPersistence(ctx, log)
	if a.locks, err = mutex.New(mutex.WithStore(a.be.locks), mutex.WithMaxWait(time.Minute), mutex.WithLogger(log), mutex.WithTracerProvider(tp)); err != nil {
		return nil, err
	}
	closing(a.locks.Close)
	if f := cfg.PolicyFile(); f != "" {
		a.policy, err = ac.LoadFile(f, ac.WithLogger(log), ac.WithTracerProvider(tp))
	} else {
		a.policy, err = ac.LoadBytes(defaultPolicy, "rbac.yaml", ac.WithLogger(log), ac.WithTracerProvider(tp))
	}
	if err != nil {
		return nil, err
	}

	if a.accounts, err = sqlaccounts.New(a.db); err != nil {
		return nil, err
	}
	keyStore, err := apikeysql.New(a.db)
	if err != nil {
		return nil, err
	}
	grantStore, err := sqlstore.New(a.db)
	if err != nil {
		return nil, err
	}
	passkeyStore, err := passkeysql.New(a.db)
	if err != nil {
		return nil, err
	}
	// The "ratelimit" grant exists so that accounts can be given their own
	// limit; its default is ratelimit_requests unless default_grants says
	// otherwise.
	gd, err := grantDefaults(cfg)
	if err != nil {
		return nil, err
	}
	gopts := []grants.Option{grants.WithStore(grantStore), grants.WithLogger(log), grants.WithTracerProvider(tp)}
	if a.be.grantCache != nil {
		gopts = append(gopts, grants.WithCache(a.be.grantCache))
	}
	if a.grants, err = grants.New(gd, gopts...); err != nil {
		return nil, err
	}
	closing(a.grants.Close)

	if err = a.newLimiters(closing); err != nil {
		return nil, err
	}
	if a.idem, err = idempotency.New(idempotency.WithStore(a.be.idempotency), idempotency.WithTTL(cfg.IdempotencyTTL),
		idempotency.WithScope(a.idempotencyScope), idempotency.WithLogger(log), idempotency.WithTracerProvider(tp)); err != nil {
		return nil, err
	}
	closing(a.idem.Close)

	members := &memberships{db: a.db, levels: a.policy.Levels()}
	if a.apikeys, err = apikey.New(
		apikey.WithStore(keyStore),
		apikey.WithOwners(&keyOwners{accounts: a.accounts, members: members}),
		apikey.WithPepper(derive(secret, "api key pepper")),
		apikey.WithLogger(log),
		apikey.WithTracerProvider(tp),
	); err != nil {
		return nil, err
	}
	closing(a.apikeys.Close)

	lockout := cfg.LoginLockoutInterval()
	throttles := login.DefaultThrottles()
	// login_attempts_max failed logins, then the lockout: a Ladder lets
	// Free attempts pass and locks after the next one, so Free is one less.
	throttles.Account = login.Ladder{Free: cfg.LoginAttemptsMax() - 1, Delays: []time.Duration{lockout}, Window: lockout}
	throttles.IP = login.Ladder{Free: cfg.LoginIPAttemptsMax() - 1, Delays: []time.Duration{lockout}, Window: lockout}
	// The service's own pages (public_url) and the configured origins may
	// send unsafe requests with the session cookie; other sites may not.
	origins, err := trustedOrigins(cfg.PublicURL(), cfg.TrustedOrigins)
	if err != nil {
		return nil, err
	}
	// Pages on cors_origins may read answers; those also trusted above
	// may send the cookie along (cors.go).
	if a.cors, err = newCORS(cfg.CORSOrigins(), origins); err != nil {
		return nil, err
	}
	if a.sessions, err = session.New(a.cipher, secret,
		session.WithStore(a.be.sessions),
		session.WithAPIKeys(a.apikeys),
		session.WithContextFunc(a.withPrincipal),
		session.WithErrorHandler(a.authError),
		session.WithIssuer(cfg.JWTIssuer()),
		session.WithAudience(cfg.JWTAudience()),
		session.WithLifetime(cfg.SessionAbsoluteTTL()),
		session.WithRoleLifetime("admin", cfg.AdminSessionTTL()),
		session.WithAccessTTL(cfg.JWTTTL()),
		session.WithRefreshTTL(cfg.JWTRefreshTTL()),
		session.WithRoleScopes(a.policy.ScopesFor),
		session.WithIdleTimeout(cfg.SessionIdleTTL(), 0.1),
		session.WithClientIP(a.limiter.ClientIP), // the address sessions record, as the rate limits see it
		session.WithClientRecording(cfg.SessionIPs, true),
		session.WithLastUse(cfg.SessionLastUse),
		session.WithTrustedOrigins(origins...),
		session.WithLogger(log),
		session.WithTracerProvider(tp),
	); err != nil {
		return nil, err
	}
	closing(a.sessions.Close)
	a.stepUpRule = session.StepUp{MaxAge: cfg.StepUpMaxAge}
	breach, err := breachCheck(cfg)
	if err != nil {
		return nil, err
	}
	if a.logins, err = login.New(a.sessions, a.accounts,
		breach,
		login.WithStore(a.be.logins),
		login.WithMemberships(members),
		login.WithNotifier(&outbox{dir: cfg.OutboxDir, publicURL: cfg.PublicURL(), subject: a.noticeSubject}),
		login.WithCredentialsChanged(a.credentialsChanged),
		login.WithFactors(passkey.Factors(passkeyStore)),
		login.WithIssuer(cfg.JWTIssuer()),
		login.WithLinkTTL(cfg.TokenTTL(), cfg.TokenTTL()),
		login.WithThrottle(throttles),
		login.WithHashConcurrency(cfg.PasswordHashConcurrency(), cfg.PasswordHashWait()),
		login.WithClientIP(a.limiter.ClientIP),
		login.WithPasswordPolicy(login.PasswordPolicy{MinLength: 10, MaxLength: 128, MinScore: cfg.PasswordScore,
			Words: []string{"contacts", "apicrud", cfg.ServiceName()}}),
		login.WithRestrictedUsernames(cfg.RestrictedUsernames...),
		login.WithLogger(log),
		login.WithTracerProvider(tp),
	); err != nil {
		return nil, err
	}
	closing(a.logins.Close)
	if err := a.newPasskeys(passkeyStore, origins); err != nil {
		return nil, err
	}
	if a.providers, err = newIdentityProviders(cfg, a.cipher); err != nil {
		return nil, err
	}

	if err := a.newReporting(closing); err != nil {
		return nil, err
	}
	if a.res, err = a.newResources(secret); err != nil {
		return nil, err
	}
	if err = a.describeOperations(); err != nil {
		return nil, err
	}

	if err := a.bootstrap(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// newReporting builds what the service reports through: its metrics, its
// registry entry and its message catalog; closing takes what must be
// closed.
func (a *app) newReporting(closing func(func(context.Context) error)) error {
	cfg, log, tp := a.cfg, a.log, a.tp
	defs, err := metrics.ParseDefinitions(metricDefinitions)
	if err != nil {
		return err
	}
	if a.metrics, err = metrics.New(defs, metrics.WithStore(a.be.metrics), metrics.WithLimits(a.grants),
		metrics.WithResourceFunc(a.resourceOf), metrics.WithLogger(log), metrics.WithTracerProvider(tp)); err != nil {
		return err
	}
	closing(a.metrics.Close)
	if a.registry, err = registry.New(a.cipher, registry.WithStore(a.be.registry),
		registry.WithHeartbeat(cfg.RegistryInterval(), cfg.RegistryTTL()), registry.WithLogger(log), registry.WithTracerProvider(tp)); err != nil {
		return err
	}
	closing(a.registry.Close)
	if a.catalog, err = i18n.New(i18n.WithFS(localeFiles, "locales/*.yaml")); err != nil {
		return err
	}
	return nil
}

// grantDefaults are the grant defaults of cfg: default_grants, and the
// "ratelimit" grant (ratelimit_requests unless default_grants sets it).
func grantDefaults(cfg *serviceConfig) (grants.Defaults, error) {
	defaults := map[string]string{grants.RateLimitGrant: strconv.Itoa(cfg.RateLimitRequests())}
	for k, v := range cfg.DefaultGrants() {
		defaults[k] = strconv.FormatInt(v, 10)
	}
	gd, err := grants.NewDefaults(defaults)
	if err != nil {
		return grants.Defaults{}, fmt.Errorf("default_grants: %w", err)
	}
	return gd, nil
}

// bootstrap migrates the schema, checks every resource's table and creates
// the first admin account, under a lock that instances starting together
// share, so that they never race on the schema or on the admin.
func (a *app) bootstrap(ctx context.Context) error {
	lock, err := a.locks.Acquire(ctx, "contacts:bootstrap", time.Minute)
	if err != nil {
		return fmt.Errorf("bootstrap lock: %w", err)
	}
	// The library's tables by their versioned migrations, then the
	// service's own.
	err = migrate.Up(ctx, a.db.DB, a.dialect,
		migrate.Set{Name: "accounts", FS: sqlaccounts.Migrations()},
		migrate.Set{Name: "apikeys", FS: apikeysql.Migrations()},
		migrate.Set{Name: "grants", FS: sqlstore.Migrations()},
		migrate.Set{Name: "passkeys", FS: passkeysql.Migrations()})
	if err == nil {
		err = createTables(ctx, a.db, a.dialect)
	}
	if err == nil {
		// Every resource's table and columns exist, or the start fails
		// naming them.
		err = a.res.api.Check(ctx)
	}
	if err == nil {
		err = a.seedAdmin(ctx)
	}
	return errors.Join(err, lock.Release(context.WithoutCancel(ctx)))
}

// credentialsChanged ends the API keys of an account that was recovered
// by a password reset (an intruder's keys must not outlive the recovery),
// activated by a delegated login that proved its address (keys made
// before then need not be the owner's) or deleted. A password change by its owner keeps them, and a disabled
// account's keys stop working while it is disabled (keyOwners).
func (a *app) credentialsChanged(ctx context.Context, uid, reason string) error {
	if reason != login.ReasonPasswordReset && reason != login.ReasonDeleted && reason != login.ReasonDelegatedActivation {
		return nil
	}
	if a.passkeys != nil {
		if _, err := a.passkeys.RemoveAll(ctx, uid); err != nil {
			return err
		}
	}
	keys, err := a.apikeys.List(ctx, uid)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.Status == apikey.StatusActive {
			if err := a.apikeys.Revoke(ctx, k.Prefix); err != nil {
				return err
			}
		}
	}
	return nil
}

// authError answers a request whose credential the session middleware
// refused. A bad token or API key also costs the client address one
// request of the strict budget, so that guessing keys (each guess costs a
// lookup) is throttled like everything else anonymous.
func (a *app) authError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, session.ErrInvalidToken) {
		res, lerr := a.strict.Allow(r.Context(), ratelimit.Key{Service: "credentials", IP: a.strict.ClientIP(r)}, 1)
		if lerr == nil && res.Allowed == 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((res.RetryAfter+time.Second-1)/time.Second)))
			writeProblem(w, http.StatusTooManyRequests, "ratelimit.exceeded", "")
			return
		}
	}
	login.WriteError(w, err)
}

// registerInstance adds this instance to the service registry; its heartbeat runs
// until the registration is closed at shutdown.
func (a *app) registerInstance(ctx context.Context, id string, port int) error {
	reg, err := a.registry.Register(ctx, registry.Instance{
		Service:   a.cfg.ServiceName(),
		ID:        id,
		Endpoints: a.res.names(),
		PublicURL: a.cfg.PublicURL() + a.cfg.BaseURL(),
		Port:      port,
	})
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	a.registration = reg
	return nil
}

// close releases everything newApp built, in reverse order.
func (a *app) close(ctx context.Context) error {
	var errs []error
	if a.registration != nil {
		errs = append(errs, a.registration.Close(ctx))
	}
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i](ctx))
	}
	a.closers = nil
	return errors.Join(errs...)
}

// withPrincipal turns a validated session into the accesscontrol principal
// every handler reads, with the scopes its credential carries: an API
// key's own, a token's scope claim (a login's covers every scope its roles
// allow, a token endpoint's those granted).
func (a *app) withPrincipal(ctx context.Context, s *session.Session) context.Context {
	if box, _ := ctx.Value(callerBoxKey{}).(*callerBox); box != nil {
		box.uid = s.UID
	}
	return ac.WithPrincipal(ctx, ac.NewPrincipal(ac.Identity{
		UID: s.UID, Roles: s.Roles, Scopes: s.Scopes, AuthMethod: s.Method, AccountID: s.UID,
	}))
}

// endpoints are the first path segments under the base URL that the API
// serves: the resource label of the request metrics (a fixed set, never
// raw input).
var endpoints = map[string]bool{
	"person": true, "contact": true, "list": true, "message": true, "category": true, "settings": true,
	"trashcan": true, "grant": true, "auth": true, "account": true, "apikey": true, "health": true,
	"config": true, "registry": true, "metrics": true, "metric": true, "openapi.json": true, "docs": true,
}

// resourceOf names the endpoint of r for the request metrics; "" (counted
// as "unmatched") for a path the API does not serve.
func (a *app) resourceOf(r *http.Request) string {
	rest, ok := strings.CutPrefix(r.URL.Path, a.cfg.BaseURL()+"/")
	if !ok {
		return ""
	}
	seg, _, _ := strings.Cut(rest, "/")
	if endpoints[seg] {
		return seg
	}
	return ""
}

// principalUID is the rate limiter's key: the authenticated principal, or
// nothing (the client address is used).
// idempotencyScope keeps the Idempotency-Keys of each account apart, and
// those of anonymous clients per address.
func (a *app) idempotencyScope(r *http.Request) string {
	if uid, ok := principalUID(r); ok {
		return "uid:" + uid
	}
	return "ip:" + a.limiter.ClientIP(r).String()
}

func principalUID(r *http.Request) (string, bool) {
	p, ok := ac.PrincipalFrom(r.Context())
	if !ok || !p.Authenticated() {
		return "", false
	}
	return p.UID(), true
}

// newLimiters builds the per-principal rate limiter (exact, or with
// ratelimit_batch approximate) and the strict per-address one.
func (a *app) newLimiters(closing func(func(context.Context) error)) error {
	cfg, log, tp := a.cfg, a.log, a.tp
	reserve, err := rateLimitReservation(cfg)
	if err != nil {
		return err
	}
	if a.limiter, err = ratelimit.New(
		reserve,
		ratelimit.WithStore(a.be.limits),
		ratelimit.WithDefaultLimit(ratelimit.Per(cfg.RateLimitRequests(), cfg.RateLimitInterval())),
		ratelimit.WithLimitSource(a.grants),
		ratelimit.WithLimitSourceTTL(cfg.LimitCacheTTL),
		ratelimit.WithKeyFunc(principalUID),
		ratelimit.WithTrustedProxies(cfg.TrustedProxies()...),
		ratelimit.WithLogger(log),
		ratelimit.WithTracerProvider(tp),
	); err != nil {
		return err
	}
	closing(a.limiter.Close)
	// The strict limiter counts, per client address, what anonymous
	// callers can make the service do at a cost: register, confirm, ask
	// for a reset link, and present bad credentials.
	if a.strict, err = ratelimit.New(
		ratelimit.WithStore(a.be.limits),
		ratelimit.WithPolicyName("anonymous"),
		ratelimit.WithTracerProvider(tp),
		ratelimit.WithAnonymousLimit(ratelimit.Per(cfg.StrictRequests, cfg.RateLimitInterval())),
		ratelimit.WithTrustedProxies(cfg.TrustedProxies()...),
		ratelimit.WithLogger(log),
	); err != nil {
		return err
	}
	closing(a.strict.Close)
	return nil
}

// rateLimitReservation is the approximate mode of the per-principal rate
// limit (ratelimit_batch, ratelimit_batch_hold), or nil for the exact one.
// With in-memory backends it does nothing: every check is exact and local.
func rateLimitReservation(cfg *serviceConfig) (ratelimit.Option, error) {
	switch cfg.RateLimitBatch {
	case 0:
		return nil, nil
	case 1:
		return nil, fmt.Errorf("%w: ratelimit_batch: 1 is not a batch: 0 checks every request exactly, a batch is 2 to %d",
			config.ErrInvalid, ratelimit.MaxReservationBatch)
	}
	return ratelimit.WithReservation(cfg.RateLimitBatch, cfg.RateLimitHold), nil
}
