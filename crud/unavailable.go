package crud

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// RetryAfterUnavailable is the Retry-After (in seconds) of the 503 answered
// while the database is unreachable.
const RetryAfterUnavailable = 5

// unreachable reports whether err means that the database could not be
// reached at all (as opposed to a query it refused): a refused, reset or
// timed-out connection, a pool connection found dead, the server shutting
// down or not yet accepting connections. It is false for a context the
// caller cancelled, which is the client's doing.
func unreachable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return true
	}
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		s := pg.SQLState()
		// Class 08: connection exception; 57P01-57P03: the server is
		// shutting down, crashed or is starting.
		return strings.HasPrefix(s, "08") || s == "57P01" || s == "57P02" || s == "57P03"
	}
	var re redisError
	if errors.As(err, &re) {
		// A Redis backend of a hook (a grants cache, a Redis store) that
		// answers but cannot serve: a cluster with slots down, a failover
		// in progress, a server loading its data, a replica.
		msg := re.Error()
		for _, p := range []string{"CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN", "LOADING", "READONLY"} {
			if strings.HasPrefix(msg, p+" ") {
				return true
			}
		}
		return false
	}
	if n, ok := mysqlNumber(err); ok {
		// Server shutdown, and the client errors of a lost or refused
		// connection (2002, 2003, 2006, 2013).
		return n == 1053 || n == 2002 || n == 2003 || n == 2006 || n == 2013
	}
	// Drivers that wrap connection failures in types of their own without
	// exposing them: go-sql-driver's ErrInvalidConn ("invalid connection")
	// and pgx's *pgconn.ConnectError ("failed to connect to ...", which
	// also covers a connect that ran out of time).
	msg := err.Error()
	return strings.Contains(msg, "invalid connection") || strings.Contains(msg, "failed to connect to") ||
		strings.Contains(msg, "conn closed")
}

// redisError is an error reply of a Redis server as go-redis gives it
// (its redis.Error), matched by method so that crud needs no Redis client.
type redisError interface {
	error
	RedisError()
}

// unavailableError marks an operation that failed because the database
// could not be reached. It wraps ErrUnavailable and the cause.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return "crud: database unavailable: " + e.err.Error() }
func (e *unavailableError) Unwrap() []error {
	return []error{ErrUnavailable, e.err}
}

// outage logs a database outage once when it starts and once when it ends,
// with the number of operations that failed in between, instead of one
// line per failed request. It is safe for concurrent use; its zero value
// needs a logger set before use.
type outage struct {
	log  *slog.Logger
	down atomic.Bool // fast path of ok

	mu     sync.Mutex
	since  time.Time // zero: no outage
	failed int
	last   error
}

// fail records an operation that failed because the database is
// unreachable; the first one of an outage is logged.
func (o *outage) fail(ctx context.Context, resource, op string, err error) {
	o.mu.Lock()
	first := o.since.IsZero()
	if first {
		o.since = time.Now()
		o.down.Store(true)
	}
	o.failed++
	o.last = err
	o.mu.Unlock()
	if first {
		o.log.ErrorContext(ctx, "crud: database unreachable; answering 503 until it is back",
			"resource", resource, "op", op, "err", err)
	}
}

// ok records an operation that reached the database; when it ends an
// outage, the outage is logged with its length and count.
func (o *outage) ok(ctx context.Context, resource string) {
	if !o.down.Load() {
		return
	}
	o.mu.Lock()
	if o.since.IsZero() {
		o.mu.Unlock()
		return
	}
	since, failed, last := o.since, o.failed, o.last
	o.since, o.failed, o.last = time.Time{}, 0, nil
	o.down.Store(false)
	o.mu.Unlock()
	o.log.WarnContext(ctx, "crud: database reachable again", "resource", resource,
		"down_for", time.Since(since).Round(time.Millisecond).String(), "failed_operations", failed, "last_err", last)
}
