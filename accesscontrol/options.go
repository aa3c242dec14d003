package accesscontrol

import (
	"context"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// Option configures a Policy (Load, LoadFile, LoadBytes). Options are kept
// across reloads.
type Option func(*options) error

type options struct {
	log     *slog.Logger
	audit   func(ctx context.Context, e AuditEvent)
	maxSize int64
	// challenge is the WWW-Authenticate value of 401 answers.
	challenge string
	tp        trace.TracerProvider
}

func defaultOptions() options {
	return options{log: slog.New(slog.DiscardHandler), maxSize: DefaultMaxSize, challenge: "Bearer"}
}

// WithLogger receives the middleware's denials (at debug level) and
// reloads (at info level). Default: discard.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrOption)
		}
		o.log = l
		return nil
	}
}

// WithAudit sets a function the middleware calls for every request it
// refuses (401 or 403), before the answer is written. It must be safe for
// concurrent use and should return quickly.
func WithAudit(fn func(ctx context.Context, e AuditEvent)) Option {
	return func(o *options) error {
		if fn == nil {
			return fmt.Errorf("%w: nil audit function", ErrOption)
		}
		o.audit = fn
		return nil
	}
}

// WithMaxSize sets the largest policy file accepted, in bytes (default
// DefaultMaxSize, 16 MiB).
func WithMaxSize(n int64) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("%w: max size %d", ErrOption, n)
		}
		o.maxSize = n
		return nil
	}
}

// WithChallenge sets the WWW-Authenticate header value of the
// middleware's 401 answers (default "Bearer"; "" sends none).
func WithChallenge(v string) Option {
	return func(o *options) error {
		o.challenge = v
		return nil
	}
}
