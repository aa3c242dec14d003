package ratelimit

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/apicrud-go/apicrud/problem"
)

// Header field names the middleware sends.
const (
	HeaderPolicy     = "RateLimit-Policy"
	HeaderRateLimit  = "RateLimit"
	HeaderRetryAfter = "Retry-After"
)

// ProblemTypeQuotaExceeded is the problem type of the 429 responses, the
// "quota-exceeded" type defined by draft-ietf-httpapi-ratelimit-headers.
const ProblemTypeQuotaExceeded = "https://iana.org/assignments/http-problem-types#quota-exceeded"

// Handler is Middleware(DefaultService): it limits every request to next.
func (l *Limiter) Handler(next http.Handler) http.Handler {
	return l.Middleware(DefaultService)(next)
}

// Middleware returns middleware that takes one event from the bucket of
// (service, caller) for every request, where the caller is the principal
// the WithKeyFunc function finds, or else the client IP (see
// WithTrustedProxies). Every response it lets through carries the
// RateLimit-Policy and RateLimit fields; a denied request gets 429 Too Many
// Requests with those fields, Retry-After and an application/problem+json
// body (code "ratelimit.exceeded"). When the check cannot be made, the
// error goes to the logger and the WithErrorFunc function, and the request
// is let through without the fields (WithFailOpen(true)) or answered 503
// (the default; code "ratelimit.unavailable"). The middleware never
// panics on a store failure.
//
// It is the HTTP twin of Allow(ctx, key, 1).
func (l *Limiter) Middleware(service string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key := Key{Service: service}
			if l.cfg.keyFunc != nil {
				if uid, ok := l.cfg.keyFunc(r); ok && uid != "" {
					key.UID = uid
				}
			}
			if key.UID == "" {
				key.IP = l.ClientIP(r)
			}
			res, err := l.Allow(r.Context(), key, 1)
			if err != nil {
				l.fail(w, r, next, err)
				return
			}
			h := w.Header()
			l.setFields(h, res)
			if res.Allowed == 0 {
				h.Set(HeaderRetryAfter, strconv.FormatInt(retryAfterSeconds(res), 10))
				problem.Write(w, problem.Problem{
					Type:   ProblemTypeQuotaExceeded,
					Status: http.StatusTooManyRequests,
					Detail: "Too many requests; retry later.",
					Code:   "ratelimit.exceeded",
				})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func (l *Limiter) fail(w http.ResponseWriter, r *http.Request, next http.Handler, err error) {
	if errCanceled(r.Context(), err) {
		// The client went away: nobody reads the answer, nothing to report.
		problem.Error(w, http.StatusServiceUnavailable, "")
		return
	}
	l.cfg.log.LogAttrs(r.Context(), slog.LevelWarn, "ratelimit check failed",
		slog.Any("error", err), slog.Bool("fail_open", l.cfg.failOpen))
	if l.cfg.onError != nil {
		l.cfg.onError(r, err)
	}
	if l.cfg.failOpen {
		next.ServeHTTP(w, r)
		return
	}
	problem.Write(w, problem.Problem{
		Status: http.StatusServiceUnavailable,
		Detail: "The rate limiter is unavailable; retry later.",
		Code:   "ratelimit.unavailable",
	})
}

// setFields sets the RateLimit-Policy and RateLimit fields of
// draft-ietf-httpapi-ratelimit-headers-10 (see the package documentation).
func (l *Limiter) setFields(h http.Header, res Result) {
	name := sfString(l.cfg.policy)
	lim := res.Limit
	policy := name + ";q=" + strconv.Itoa(lim.Rate) + ";w=" + strconv.FormatInt(ceilSeconds(lim.Period), 10)
	if b := lim.MaxBurst(); b != lim.Rate && lim.Rate > 0 {
		policy += ";apicrud-burst=" + strconv.Itoa(b)
	}
	h.Set(HeaderPolicy, policy)
	h.Set(HeaderRateLimit, name+";r="+strconv.Itoa(res.Remaining)+";t="+strconv.FormatInt(resetSeconds(res), 10))
}

// resetSeconds is the "t" parameter: RefillAfter rounded up to a whole
// second, so a client that waits t seconds finds at least one more event
// available.
func resetSeconds(res Result) int64 { return ceilSeconds(res.RefillAfter()) }

// retryAfterSeconds is the Retry-After value of a denied request:
// RetryAfter rounded up to a whole second, and never earlier than the "t"
// parameter sent with it.
func retryAfterSeconds(res Result) int64 {
	s := ceilSeconds(res.RetryAfter)
	if t := resetSeconds(res); s < t {
		s = t
	}
	if s < 1 {
		s = 1
	}
	return s
}

// ceilSeconds rounds d up to whole seconds (0 for d <= 0).
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// sfString serialises s as a Structured Field String: wrapped in double
// quotes, with backslash and double quote escaped by a backslash;
// s holds printable ASCII only (WithPolicyName checks it).
func sfString(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
