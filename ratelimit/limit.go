package ratelimit

import (
	"fmt"
	"strconv"
	"time"

	"github.com/apicrud-go/apicrud/internal/defaults"
)

// DefaultRate and DefaultPeriod make the limit of New when
// WithDefaultLimit is not given: apicrud's default of 500 requests per 300
// seconds (its ratelimit_interval and the default of its "ratelimit" grant).
const (
	DefaultRate   = defaults.RateRequests
	DefaultPeriod = defaults.RatePeriod
)

// maxSpan bounds Burst × Interval (about 35 years in microseconds) so that
// every instant and duration the stores compute fits exactly in an int64 of
// nanoseconds and in a Lua double of microseconds.
const maxSpan = time.Duration(1<<50) * time.Microsecond

// Limit is a rate limit enforced with GCRA (the generic cell rate
// algorithm): on average Rate events per Period, of which up to Burst may be
// taken at once. A key that has been idle for a Period can take Burst events
// at once; after that, one event is allowed every Interval (Period/Rate).
// Over any span of time d, a key is allowed at most Burst + d/Interval
// events, and no two events closer than Interval once the burst is spent;
// unlike fixed windows, there is no window edge at which twice the limit
// passes at once.
//
// Limit is a value type: it can be compared with ==, used as a map key,
// and read from YAML or JSON (Period as a duration string in YAML,
// nanoseconds in JSON). The zero Limit is not a valid limit (IsZero
// reports it); use a constructor such as PerMinute, or a literal that passes
// Validate.
type Limit struct {
	// Rate is the number of events allowed per Period, at least 1.
	Rate int `yaml:"rate" json:"rate"`
	// Period is the time over which Rate events are allowed.
	Period time.Duration `yaml:"period" json:"period"`
	// Burst is the largest number of events allowed at once; 0 means Rate.
	Burst int `yaml:"burst,omitempty" json:"burst,omitempty"`
}

// Per returns a limit of rate events per period, with a burst of rate.
func Per(rate int, period time.Duration) Limit {
	return Limit{Rate: rate, Period: period, Burst: rate}
}

// PerSecond returns a limit of rate events per second, with a burst of rate.
func PerSecond(rate int) Limit { return Per(rate, time.Second) }

// PerMinute returns a limit of rate events per minute, with a burst of rate.
func PerMinute(rate int) Limit { return Per(rate, time.Minute) }

// PerHour returns a limit of rate events per hour, with a burst of rate.
func PerHour(rate int) Limit { return Per(rate, time.Hour) }

// IsZero reports whether l is the zero Limit.
func (l Limit) IsZero() bool { return l == Limit{} }

// MaxBurst returns the effective burst: Burst, or Rate when Burst is 0.
func (l Limit) MaxBurst() int {
	if l.Burst == 0 {
		return l.Rate
	}
	return l.Burst
}

// Interval returns the emission interval, the time one event's share of
// the limit takes to come back: Period/Rate, truncated to a whole
// microsecond (the resolution of Redis TIME, so that both stores compute
// alike). It is 0 when Rate is not positive.
func (l Limit) Interval() time.Duration {
	if l.Rate <= 0 || l.Period <= 0 {
		return 0
	}
	iv := l.Period / time.Duration(l.Rate)
	return iv - iv%time.Microsecond
}

// Validate reports whether l can be enforced: Rate at least 1, Period
// positive, Burst 0 (meaning Rate) or positive, an Interval of at least one
// microsecond (at most a million events per second), and Burst × Interval
// and Period below about 35 years. The error wraps ErrInvalidLimit.
func (l Limit) Validate() error {
	switch {
	case l.Rate < 1:
		return fmt.Errorf("%w: rate %d must be at least 1", ErrInvalidLimit, l.Rate)
	case l.Period <= 0:
		return fmt.Errorf("%w: period %v must be positive", ErrInvalidLimit, l.Period)
	case l.Period > maxSpan:
		return fmt.Errorf("%w: period %v is too long", ErrInvalidLimit, l.Period)
	case l.Burst < 0:
		return fmt.Errorf("%w: burst %d must not be negative", ErrInvalidLimit, l.Burst)
	case l.Interval() < time.Microsecond:
		return fmt.Errorf("%w: %d per %v is more than one event per microsecond", ErrInvalidLimit, l.Rate, l.Period)
	case int64(l.MaxBurst()) > int64(maxSpan/l.Interval()):
		return fmt.Errorf("%w: burst %d is too large for the rate", ErrInvalidLimit, l.MaxBurst())
	}
	return nil
}

// String returns a short description such as "100 req/min" or
// "10 req/1.5s (burst 20)".
func (l Limit) String() string {
	var per string
	switch l.Period {
	case time.Second:
		per = "s"
	case time.Minute:
		per = "min"
	case time.Hour:
		per = "h"
	case 24 * time.Hour:
		per = "day"
	default:
		per = l.Period.String()
	}
	s := strconv.Itoa(l.Rate) + " req/" + per
	if b := l.MaxBurst(); b != l.Rate {
		s += " (burst " + strconv.Itoa(b) + ")"
	}
	return s
}

// Result is the outcome of Allow. A denied request is a Result with
// Allowed == 0 and RetryAfter > 0, not an error.
type Result struct {
	// Limit is the limit that was applied.
	Limit Limit
	// Allowed is the number of events allowed: n, or 0 when the request is
	// denied (and for a request of n == 0, which only reports the state).
	Allowed int
	// Remaining is how many more events the key could take right now.
	Remaining int
	// RetryAfter is, for a denied request, how long until the same request
	// would be allowed; 0 when allowed.
	RetryAfter time.Duration
	// ResetAfter is how long until the key is back to a full burst
	// (Remaining == Limit.MaxBurst()); 0 when it is full.
	ResetAfter time.Duration
}

// RefillAfter returns how long until Remaining grows by one: the time until
// the next event's share of the limit comes back. It is 0 when the key is at
// its full burst. For a denied request of one event it equals RetryAfter.
// The HTTP middleware sends it as the "t" parameter of the RateLimit field.
func (r Result) RefillAfter() time.Duration {
	a := r.ResetAfter
	t := r.Limit.Interval()
	if a <= 0 {
		return 0
	}
	if t <= 0 {
		return a
	}
	// Remaining = burst - ceil(a/t): it grows when a drops to the next
	// lower multiple of t.
	return a - ((a+t-1)/t-1)*t
}
