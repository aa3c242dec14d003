package crud

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
)

// lockedBuffer is a log sink safe for concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDatabaseOutage cuts the connection to PostgreSQL under a resource:
// every request answers 503 crud.unavailable with Retry-After (not 500
// crud.internal), the outage is logged once rather than per request, and
// once the database is back requests succeed and one line reports how many
// failed.
func TestDatabaseOutage(t *testing.T) {
	db, proxy, _ := testenv.PostgresViaProxy(t)
	var logs lockedBuffer
	res := newContacts(t, db, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	s := newServer(t, func(mux *http.ServeMux) { res.Routes(mux, "/api/v1") })
	r := s.do("POST", "/api/v1/contact", "alice", map[string]any{"name": "Ann"})
	require.Equal(t, http.StatusCreated, r.status, string(r.body))

	proxy.Cut()
	const n = 20
	for i := range n {
		var r response
		if i%2 == 0 {
			r = s.do("GET", "/api/v1/contact", "alice", nil)
		} else {
			r = s.do("POST", "/api/v1/contact", "alice", map[string]any{"name": fmt.Sprint("n", i)})
		}
		requireProblem(t, r, http.StatusServiceUnavailable, CodeUnavailable, "")
		require.Equal(t, "5", r.header.Get("Retry-After"))
	}
	require.Equal(t, 1, strings.Count(logs.String(), "level=ERROR"), logs.String())
	require.Contains(t, logs.String(), "database unreachable")

	proxy.Restore(t)
	require.Eventually(t, func() bool {
		return s.do("GET", "/api/v1/contact", "alice", nil).status == http.StatusOK
	}, 10e9, 50e6)
	r = s.do("POST", "/api/v1/contact", "alice", map[string]any{"name": "Bob"})
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	out := logs.String()
	require.Equal(t, 1, strings.Count(out, "level=ERROR"), out)
	require.Equal(t, 1, strings.Count(out, "reachable again"), out)
	require.Contains(t, out, fmt.Sprintf("failed_operations=%d", n))
}

// TestUnreachable: the connection failures of each driver are told apart
// from the errors of a query the database refused.
func TestUnreachable(t *testing.T) {
	for _, err := range []error{
		driver.ErrBadConn,
		fmt.Errorf("query: %w", driver.ErrBadConn),
		&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED},
		fmt.Errorf("read: %w", syscall.ECONNRESET),
		mysql.ErrInvalidConn,
		&mysql.MySQLError{Number: 1053, Message: "server shutdown in progress"},
		&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"},
		&pgconn.PgError{Code: "08006", Message: "connection failure"},
		errors.New("failed to connect to `user=postgres database=test`: 127.0.0.1:5432 (127.0.0.1): dial error: timeout: context deadline exceeded"),
		fmt.Errorf("grants: cache: %w", redisReply("CLUSTERDOWN The cluster is down")),
		redisReply("TRYAGAIN Multiple keys request during rehashing of slot"),
		redisReply("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."),
		redisReply("LOADING Redis is loading the dataset in memory"),
		redisReply("READONLY You can't write against a read only replica."),
	} {
		require.True(t, unreachable(err), "%v", err)
	}
	for _, err := range []error{
		nil,
		context.Canceled,
		&pgconn.PgError{Code: "23505", Message: "duplicate key"},
		&pgconn.PgError{Code: "42P01", Message: "relation does not exist"},
		&mysql.MySQLError{Number: 1062, Message: "Duplicate entry"},
		errors.New("sql: no rows in result set"),
		redisReply("ERR unknown command 'NOSUCH'"),
		redisReply("WRONGTYPE Operation against a key holding the wrong kind of value"),
		redisReply("CLUSTERDOWNX not a reply Redis gives"),
		errors.New("CLUSTERDOWN in a message that is not a Redis reply"),
	} {
		require.False(t, unreachable(err), "%v", err)
	}
}

// redisReply is an error reply of Redis as go-redis types it (a string
// type with a RedisError method).
type redisReply string

func (e redisReply) Error() string { return string(e) }
func (redisReply) RedisError()     {}
