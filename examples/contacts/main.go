// Command contacts is the example service of apicrud for Go: people,
// contacts, lists and messages with per-record privacy, over the HTTP
// contract of the Python apicrud's example. It wires every package of the library into one
// net/http server.
//
//	go run ./examples/contacts                 # SQLite ./contacts.db, in-memory backends, :8080
//	go run ./examples/contacts -addr :9090
//	DATABASE_URL=postgres://… REDIS_URL=redis://… go run ./examples/contacts
//
// Configuration comes from defaults, an optional YAML file (-config), the
// environment (APICRUD_* and DATABASE_URL, REDIS_URL) and the flags; see
// package config and the README. With neither jwt_key nor
// encryption_passphrase configured and SQLite as the database, the service
// generates both once and keeps them in contacts.keys next to the database
// (mode 0600). A shared database or Redis means several instances, which
// must share their secrets: they are then required.
//
// On first start it creates the account "admin", with the password of
// APICRUD_ADMIN_PASSWORD or a generated one printed once. A later
// APICRUD_ADMIN_PASSWORD changes nothing by itself (the service warns that
// it ignores it); to set a new admin password, run
//
//	APICRUD_ADMIN_PASSWORD='new password' go run ./examples/contacts -reset-admin-password
//
// which sets it, ends the admin's sessions and API keys, logs that it did,
// and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/config"
)

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "contacts:", err)
		os.Exit(1)
	}
}

// run starts the service and serves until SIGINT or SIGTERM; then in-flight
// requests finish (up to 20 s), the registry entry is removed and every
// backend is closed.
// maxHeaderBytes caps the request line and headers the server reads (net/http
// allows 1 MiB by default): 16 KiB holds any real client's headers with a
// session cookie and a token, and a larger request is answered 431.
const maxHeaderBytes = 16 << 10

func run(args []string, getenv func(string) string, stdout, stderr *os.File) error {
	fs := flag.NewFlagSet("contacts", flag.ContinueOnError)
	addr := fs.String("addr", "", "host:port to listen on (default: listen_addr, :8080)")
	file := fs.String("config", "", "YAML configuration file")
	reset := fs.Bool("reset-admin-password", false, "set the password of account admin to APICRUD_ADMIN_PASSWORD (or admin_password), end its sessions, and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lookup := func(k string) (string, bool) {
		v := getenv(k)
		return v, v != ""
	}
	var opts []config.Option
	if *addr != "" {
		opts = append(opts, config.Set("listen_addr", *addr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *reset {
		return resetAdmin(ctx, *file, lookup, opts, stdout, stderr)
	}
	// Listen before anything is written (contacts.keys, the database): a
	// port in use or a bad address leaves nothing behind.
	probe, err := loadConfig(*file, developmentProbe(lookup), opts...)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", probe.ListenAddr())
	if err != nil {
		return fmt.Errorf("listen_addr %q: %w", probe.ListenAddr(), err)
	}
	if probe.Source("public_url") == "default" && probe.RedisURL() == "" {
		// Alone, links in notices, the registry entry and the OpenAPI
		// document name the address the service really listens on. Several
		// instances (on Redis) are one service behind one public_url, which
		// their configuration gives: the registry refuses two URLs for one
		// resource.
		opts = append(opts, config.Set("public_url", "http://"+displayAddr(ln.Addr().String())))
	}
	cfg, log, err := serviceSetup(*file, lookup, opts, stderr)
	if err != nil {
		_ = ln.Close()
		return err
	}
	tp, err := newTracerProvider(ctx, cfg, getenv, stdout)
	if err != nil {
		_ = ln.Close()
		return err
	}
	var traces trace.TracerProvider // a nil *sdktrace.TracerProvider must stay a nil interface
	if tp != nil {
		traces = tp
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = tp.Shutdown(sctx) // flushes the spans not yet exported
		}()
	}
	a, err := newTracedApp(ctx, cfg, log, stdout, traces)
	if err != nil {
		_ = ln.Close()
		return err
	}
	if cfg.AdminPassword().IsSet() && !a.seeded {
		log.InfoContext(ctx, "admin_password only sets the password of a new admin account, which exists: "+
			"run the service once with -reset-admin-password to make it the admin password")
	}
	port := ln.Addr().(*net.TCPAddr).Port
	id := cfg.InstanceID
	if id == "" {
		host, _ := os.Hostname()
		id = registryID(host) + "-" + strconv.Itoa(port)
	}
	if err := a.registerInstance(ctx, id, port); err != nil {
		_ = ln.Close()
		return errors.Join(err, a.close(context.Background()))
	}
	srv := &http.Server{
		Handler:           a.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	a.loadConfig = func() (*serviceConfig, error) {
		l, err := withDevelopmentKeys(*file, lookup)
		if err != nil {
			return nil, err
		}
		return loadConfig(*file, l, opts...)
	}
	// SIGHUP, and on Redis another instance's notice, reload the grant
	// defaults (reload.go).
	stopWatch := a.watchReloads(ctx)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "contacts: serving http://%s%s (database %s, %s backends, instance %s)\n",
		displayAddr(ln.Addr().String()), cfg.BaseURL(), a.dialect, a.be.kind, id)
	log.Info("serving", "addr", ln.Addr().String(), "database", a.dialect, "backend", a.be.kind, "instance", id)

	err = serve(ctx, a, hup, served, srv, log)
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(err, stopWatch(cctx), a.close(cctx))
}

// serve waits until the listener fails or ctx ends (then shuts srv down),
// reloading the grant defaults at each SIGHUP.
func serve(ctx context.Context, a *app, hup <-chan os.Signal, served <-chan error, srv *http.Server, log *slog.Logger) error {
	for ctx.Err() == nil {
		select {
		case <-hup:
			if err := a.reloadGrants(ctx, true); err != nil {
				log.ErrorContext(ctx, "grant defaults not reloaded", "err", err)
			}
		case err := <-served: // the listener failed
			return err
		case <-ctx.Done():
		}
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		// In-flight requests did not finish in time: cut them off before
		// the backends they use are closed.
		err = errors.Join(err, srv.Close())
	}
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// serviceSetup loads the configuration (with the development keys when the
// service runs alone) and makes the service's logger, which also receives
// the Redis client's own messages at debug level: the errors they report
// reach the service as returned errors, which it reports once.
func serviceSetup(file string, lookup func(string) (string, bool), opts []config.Option, stderr *os.File) (*serviceConfig, *slog.Logger, error) {
	lookup, err := withDevelopmentKeys(file, lookup)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := loadConfig(file, lookup, opts...)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(traceLogHandler{slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel()})})
	redis.SetLogger(redisLogger{log})
	return cfg, log, nil
}

// redisLogger passes the Redis client's messages to the service's log at
// debug level.
type redisLogger struct{ log *slog.Logger }

// Printf implements the Redis client's logging interface.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}

// resetAdmin sets the admin password from admin_password and exits: the
// documented way back in when the generated password is lost.
func resetAdmin(ctx context.Context, file string, lookup func(string) (string, bool), opts []config.Option, stdout, stderr *os.File) error {
	cfg, log, err := serviceSetup(file, lookup, opts, stderr)
	if err != nil {
		return err
	}
	if cfg.AdminPassword().Reveal() == "" {
		return errors.New("-reset-admin-password: set APICRUD_ADMIN_PASSWORD (or admin_password) to the new password")
	}
	a, err := newApp(ctx, cfg, log, stdout)
	if err != nil {
		return err
	}
	return errors.Join(a.resetAdminPassword(ctx), a.close(context.WithoutCancel(ctx)))
}

// registryID keeps the characters a registry id allows.
func registryID(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '-'
	}, s)
	if s == "" || len(s) > 50 {
		s = "contacts"
	}
	return s
}

// displayAddr turns ":8080" into "localhost:8080" for the start-up line.
func displayAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil || host == "" || host == "::" || host == "0.0.0.0" {
		return "localhost:" + port
	}
	return net.JoinHostPort(host, port)
}
