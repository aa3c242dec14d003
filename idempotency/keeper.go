package idempotency

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
	"github.com/apicrud-go/apicrud/problem"
)

// Header names.
const (
	HeaderKey      = "Idempotency-Key"
	HeaderReplayed = "Idempotent-Replayed"
)

// MaxKeyLength is the longest idempotency key accepted.
const MaxKeyLength = 255

// Keeper is the idempotency middleware. Use New; the zero value is not
// usable.
type Keeper struct {
	tracer trace.Tracer // nil without WithTracerProvider
	cfg    config
	owned  *MemoryStore // the default store, closed by Close
}

// New returns a Keeper; without WithStore it keeps answers in memory.
func New(opts ...Option) (*Keeper, error) {
	c := config{ttl: DefaultTTL, lockTTL: DefaultLockTTL, maxBody: DefaultMaxBody,
		scope: func(*http.Request) string { return "" }, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	k := &Keeper{cfg: c, tracer: tracing.New(c.tp, "github.com/apicrud-go/apicrud/idempotency")}
	if c.store == nil {
		k.owned = NewMemoryStore()
		k.cfg.store = k.owned
	}
	return k, nil
}

// Close releases the default memory store; a store given with WithStore is
// left alone.
func (k *Keeper) Close(ctx context.Context) error {
	if k.owned != nil {
		return k.owned.Close(ctx)
	}
	return nil
}

// ParseKey reads an Idempotency-Key header value: an RFC 8941 string
// ("...", with \" and \\ escapes) or a bare token of visible ASCII, 1 to
// MaxKeyLength characters.
func ParseKey(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		var b strings.Builder
		in := v[1 : len(v)-1]
		for i := 0; i < len(in); i++ {
			c := in[i]
			switch {
			case c == '\\':
				if i+1 == len(in) || (in[i+1] != '"' && in[i+1] != '\\') {
					return "", false
				}
				i++
				b.WriteByte(in[i])
			case c == '"' || c < 0x20 || c > 0x7e:
				return "", false
			default:
				b.WriteByte(c)
			}
		}
		v = b.String()
	} else {
		for i := 0; i < len(v); i++ {
			if c := v[i]; c <= 0x20 || c > 0x7e || c == '"' || c == ',' || c == ';' || c == '\\' {
				return "", false
			}
		}
	}
	return v, v != "" && len(v) <= MaxKeyLength
}

// Handler makes POST and PATCH requests to next that carry an
// Idempotency-Key safe to retry (see the package documentation).
func (k *Keeper) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := r.Header.Values(HeaderKey)
		if (r.Method != http.MethodPost && r.Method != http.MethodPatch) || len(raw) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		key, ok := "", len(raw) == 1
		if ok {
			key, ok = ParseKey(raw[0])
		}
		if !ok {
			problem.Write(w, problem.Problem{Status: http.StatusBadRequest, Code: CodeBadKey, Field: HeaderKey,
				Detail: "Idempotency-Key must be one quoted string of 1 to 255 visible ASCII characters"})
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, k.cfg.maxBody+1))
		if err != nil || int64(len(body)) > k.cfg.maxBody {
			problem.Write(w, problem.Problem{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge, Detail: "the request body is too large"})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		k.serve(w, r, next, k.cfg.scope(r)+"\x00"+key, fingerprint(r, body))
	})
}

// fingerprint identifies a request: method, path and query, Content-Type
// and body.
func fingerprint(r *http.Request, body []byte) string {
	h := sha256.New()
	for _, s := range []string{r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type")} {
		io.WriteString(h, strconv.Itoa(len(s))+":"+s)
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// reservation returns what Begin stores for the request with fingerprint
// fp: fp and a random token of this reservation, so that the Complete or
// Abandon of a request that outlived its lock never touches the
// reservation of a retry that began after it.
func reservation(fp string) string { return fp + "." + rand.Text() }

// sameRequest reports whether two reservations (or a reservation and a
// request's fingerprint) are of the same request.
func sameRequest(a, b string) bool {
	a, _, _ = strings.Cut(a, ".")
	b, _, _ = strings.Cut(b, ".")
	return a == b
}

func (k *Keeper) serve(w http.ResponseWriter, r *http.Request, next http.Handler, key, reqFP string) {
	ctx := r.Context()
	fp := reservation(reqFP)
	rec, started, err := k.begin(ctx, key, fp)
	if err != nil {
		k.cfg.log.WarnContext(ctx, "idempotency: store failed", "err", err)
		w.Header().Set("Retry-After", "1")
		problem.Write(w, problem.Problem{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Detail: "retries cannot be recognised right now; try again later"})
		return
	}
	switch {
	case started:
	case !sameRequest(rec.Fingerprint, reqFP):
		problem.Write(w, problem.Problem{Status: http.StatusUnprocessableEntity, Code: CodeKeyReused, Field: HeaderKey,
			Detail: "this Idempotency-Key was used for another request"})
		return
	case !rec.Done:
		w.Header().Set("Retry-After", "1")
		problem.Write(w, problem.Problem{Status: http.StatusConflict, Code: CodeInProgress, Field: HeaderKey,
			Detail: "a request with this Idempotency-Key is still being processed"})
		return
	default:
		replay(w, rec)
		return
	}

	rw := &recorder{header: http.Header{}}
	completed := false
	defer func() {
		if !completed { // a panic: let a retry run again
			_ = k.cfg.store.Abandon(context.WithoutCancel(ctx), key, fp)
		}
	}()
	next.ServeHTTP(rw, r)
	completed = true
	status := rw.status
	if status == 0 {
		status = http.StatusOK
	}
	sctx := context.WithoutCancel(ctx) // the answer is stored even if the client left
	if status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout {
		if err := k.abandon(sctx, key, fp); err != nil {
			k.cfg.log.WarnContext(ctx, "idempotency: store failed", "err", err)
		}
	} else if err := k.complete(sctx, key, Record{Fingerprint: fp, Status: status, Header: rw.header, Body: rw.body.Bytes()}); err != nil {
		k.cfg.log.WarnContext(ctx, "idempotency: the answer could not be stored; a retry will be refused until the lock TTL ends", "err", err)
	}
	for name, vs := range rw.header {
		w.Header()[name] = vs
	}
	w.WriteHeader(status)
	_, _ = w.Write(rw.body.Bytes())
}

func replay(w http.ResponseWriter, rec Record) {
	for name, vs := range rec.Header {
		w.Header()[name] = vs
	}
	w.Header().Set(HeaderReplayed, "true")
	w.WriteHeader(rec.Status)
	_, _ = w.Write(rec.Body)
}

// recorder buffers an answer so that it is stored before it is sent.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}
