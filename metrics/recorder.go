package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// Recorder records metric values and usage, and exposes them. Use New; a
// Recorder is immutable after New and safe for concurrent use.
type Recorder struct {
	tracer trace.Tracer // nil without WithTracerProvider
	defs   map[string]*def
	order  []*def

	store         Store
	owned         *MemoryStore
	limits        Limits
	notify        func(context.Context, Notice)
	logger        *slog.Logger
	scrapeTimeout time.Duration

	http     *httpMetrics
	errDesc  *prometheus.Desc
	resource func(*http.Request) string
}

// def is a validated definition with its exposition descriptors and, for
// instance scope, its process-local vector.
type def struct {
	Definition
	desc        *prometheus.Desc
	refusedDesc *prometheus.Desc // grant-style
	leKeys      []string         // histogram bucket field suffixes, +Inf last
	local       prometheus.Collector
	counter     *prometheus.CounterVec
	gauge       *prometheus.GaugeVec
	hist        *prometheus.HistogramVec
}

// New validates defs and returns a Recorder. Without WithStore, shared
// values live in a MemoryStore that Close releases.
func New(defs []Definition, opts ...Option) (*Recorder, error) {
	c := config{scrapeTimeout: DefaultScrapeTimeout}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	r := &Recorder{
		tracer:        tracing.New(c.tp, "github.com/apicrud-go/apicrud/metrics"),
		defs:          make(map[string]*def, len(defs)),
		store:         c.store,
		limits:        c.limits,
		notify:        c.notify,
		logger:        c.logger,
		scrapeTimeout: c.scrapeTimeout,
		resource:      c.resource,
		errDesc:       prometheus.NewDesc("apicrud_metrics_store_error", "The metrics store could not be read.", nil, nil),
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if r.resource == nil {
		r.resource = RoutePattern
	}
	exposed := map[string]string{}
	for _, n := range []string{APICallsName, APIDurationName, APIDurationName + "_bucket", APIDurationName + "_sum", APIDurationName + "_count", "apicrud_metrics_store_error"} {
		exposed[n] = "the HTTP middleware"
	}
	for _, raw := range defs {
		d, err := raw.normalize()
		if err != nil {
			return nil, err
		}
		for _, n := range d.exposedNames() {
			if other, dup := exposed[n]; dup {
				return nil, fmt.Errorf("%w: metric %q: exposed name %s is already used by %s", ErrConfig, d.Name, n, other)
			}
			exposed[n] = "metric " + d.Name
		}
		if d.Type == Grant && r.limits == nil {
			return nil, fmt.Errorf("%w: metric %q is grant-style: WithLimits is required", ErrConfig, d.Name)
		}
		dd := &def{Definition: d}
		dd.build()
		r.defs[d.Name] = dd
		r.order = append(r.order, dd)
	}
	r.http = newHTTPMetrics(c.httpBuckets)
	if r.store == nil {
		r.owned = NewMemoryStore()
		r.store = r.owned
	}
	return r, nil
}

func (d *def) build() {
	switch d.Scope {
	case Instance:
		switch d.Type {
		case Counter:
			d.counter = prometheus.NewCounterVec(prometheus.CounterOpts{Name: d.Name, Help: d.Help}, d.Labels)
			d.local = d.counter
		case Gauge:
			d.gauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: d.Name, Help: d.Help}, d.Labels)
			d.local = d.gauge
		case Histogram:
			d.hist = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: d.Name, Help: d.Help, Buckets: d.Buckets}, d.Labels)
			d.local = d.hist
		}
	default:
		d.desc = prometheus.NewDesc(d.Name, d.Help, d.Labels, nil)
		if d.Type == Grant {
			d.refusedDesc = prometheus.NewDesc(refusedName(d.Name), "Refused uses of "+d.Name+" (credit used up).", nil, nil)
		}
		if d.Type == Histogram {
			for _, b := range d.Buckets {
				d.leKeys = append(d.leKeys, "le="+strconv.FormatFloat(b, 'g', -1, 64))
			}
			d.leKeys = append(d.leKeys, "le=+Inf")
		}
	}
}

// Close releases the memory store that New created. A store passed with
// WithStore is not closed.
func (r *Recorder) Close(ctx context.Context) error {
	if r.owned != nil {
		return r.owned.Close(ctx)
	}
	return nil
}

// Definitions returns the validated definitions, defaults filled in, in
// the order given to New.
func (r *Recorder) Definitions() []Definition {
	out := make([]Definition, len(r.order))
	for i, d := range r.order {
		out[i] = d.Definition
		// The Recorder keeps using its own slices: hand out copies.
		out[i].Labels = slices.Clone(d.Labels)
		out[i].Buckets = slices.Clone(d.Buckets)
	}
	return out
}

func (r *Recorder) lookup(name string) (*def, error) {
	d, ok := r.defs[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownMetric, name)
	}
	return d, nil
}

// Store records value for metric name and the series labels: a counter
// adds it (it must not be negative), a gauge is set to it, a histogram
// observes it. For a grant-style metric, labels must be exactly {"uid":
// account} and value the number of units (a whole number >= 1) — as Use; for
// a metered metric, labels are {"uid": account} and value the amount — as
// Meter. An unknown name is ErrUnknownMetric and a label the definition
// does not declare ErrLabel. Labels are matched by name, so their order
// never makes another series.
func (r *Recorder) Store(ctx context.Context, name string, labels Labels, value float64) error {
	d, err := r.lookup(name)
	if err != nil {
		return err
	}
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return fmt.Errorf("%w: %v for %s", ErrValue, value, name)
	}
	if isUsage(d.Type) {
		uid, ok := labels["uid"]
		if !ok || len(labels) != 1 {
			return fmt.Errorf("%w: usage metric %s takes exactly the label uid", ErrLabel, name)
		}
		if d.Type == Metered {
			_, err := r.Meter(ctx, name, uid, value)
			return err
		}
		if value != math.Trunc(value) || value < 1 || value > math.MaxInt32 {
			return fmt.Errorf("%w: %v units of %s", ErrValue, value, name)
		}
		_, err := r.Use(ctx, name, uid, int64(value))
		return err
	}
	if d.Type == Counter && value < 0 {
		return fmt.Errorf("%w: counter %s cannot decrease (%v)", ErrValue, name, value)
	}
	series, err := encodeSeries(d.Labels, labels)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if d.Scope == Instance {
		return d.storeLocal(labels, value)
	}
	switch d.Type {
	case Counter:
		return r.store.Add(ctx, name, Delta{series, value})
	case Gauge:
		return r.store.Set(ctx, name, series, value)
	default: // Histogram
		i := 0
		for i < len(d.Buckets) && value > d.Buckets[i] {
			i++
		}
		return r.store.Add(ctx, name, Delta{series + "|" + d.leKeys[i], 1}, Delta{series + "|sum", value})
	}
}

func (d *def) storeLocal(labels Labels, value float64) error {
	vals := make([]string, len(d.Labels))
	for i, n := range d.Labels {
		vals[i] = labels[n]
	}
	switch d.Type {
	case Counter:
		c, err := d.counter.GetMetricWithLabelValues(vals...)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrLabel, err)
		}
		c.Add(value)
	case Gauge:
		g, err := d.gauge.GetMetricWithLabelValues(vals...)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrLabel, err)
		}
		g.Set(value)
	case Histogram:
		h, err := d.hist.GetMetricWithLabelValues(vals...)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrLabel, err)
		}
		h.Observe(value)
	}
	return nil
}

// Inc adds 1 to counter name (or takes one unit of a grant-style metric,
// or meters 1): Store(ctx, name, labels, 1).
func (r *Recorder) Inc(ctx context.Context, name string, labels Labels) error {
	return r.Store(ctx, name, labels, 1)
}

// Credit is an account's grant-style credit.
type Credit struct {
	// Limit is the account's limit per period; -1 means no limit.
	Limit int64 `json:"limit"`
	// Left is the credit left in the current period (-1: no limit).
	Left int64 `json:"left"`
	// ResetIn is the time until the period ends and the credit is back to
	// Limit; 0 when no period is running or the period is indefinite.
	ResetIn time.Duration `json:"reset_in"`
}

func validUID(uid string) error {
	if uid == "" || len(uid) > 128 {
		return fmt.Errorf("%w: uid must be 1 to 128 bytes", ErrLabel)
	}
	for i := 0; i < len(uid); i++ {
		if c := uid[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("%w: uid byte %#x not allowed", ErrLabel, c)
		}
	}
	return nil
}

// Use takes n units of account uid's credit of grant-style metric name for
// the current period, in one atomic step (one Redis script). The first use
// in a period starts the period with the account's limit (from Limits, the
// grant named by the definition) and the credit expires with it; when the
// credit left is less than n the use is refused with an error wrapping
// ErrGrantExceeded, and nothing is taken, until the period ends. The
// returned Credit is the state after the use (or the refusal). A Limits
// error fails the use. Idle accounts hold no state.
func (r *Recorder) Use(ctx context.Context, name, uid string, n int64) (Credit, error) {
	if r.tracer != nil {
		return r.traceCredit(ctx, "apicrud.metrics.Use", name, uid, n)
	}
	return r.use(ctx, name, uid, n)
}

func (r *Recorder) use(ctx context.Context, name, uid string, n int64) (Credit, error) {
	d, err := r.lookup(name)
	if err != nil {
		return Credit{}, err
	}
	if d.Type != Grant {
		return Credit{}, fmt.Errorf("%w: %s is a %s", ErrNotGrant, name, d.Type)
	}
	if err := validUID(uid); err != nil {
		return Credit{}, err
	}
	if n < 1 {
		return Credit{}, fmt.Errorf("%w: %d units of %s", ErrValue, n, name)
	}
	limit, err := r.limits.Limit(ctx, d.Grant, uid)
	if err != nil {
		return Credit{}, fmt.Errorf("metrics: limit of %s: %w", name, err)
	}
	if limit < 0 {
		return Credit{Limit: -1, Left: -1}, r.store.Add(ctx, name, Delta{FieldUsed, float64(n)})
	}
	ok, st, err := r.store.Consume(ctx, ConsumeRequest{Metric: name, UID: uid, Limit: limit, N: n, Period: d.Period.Duration()})
	if err != nil {
		return Credit{}, err
	}
	credit := Credit{Limit: limit, Left: st.Left, ResetIn: st.TTL}
	if !ok {
		return credit, fmt.Errorf("%w: %s for %s", ErrGrantExceeded, name, uid)
	}
	if d.Notify > 0 && r.notify != nil && limit > 0 {
		threshold := int64(100-d.Notify) * limit
		if (st.Left+n)*100 >= threshold && st.Left*100 < threshold {
			r.notify(ctx, Notice{UID: uid, Metric: name, Percent: d.Notify, Period: d.Period, Left: st.Left, Limit: limit})
		}
	}
	return credit, nil
}

// Check returns account uid's credit of grant-style metric name without
// taking any: the limit when no period is running, else what is left.
func (r *Recorder) Check(ctx context.Context, name, uid string) (Credit, error) {
	if r.tracer != nil {
		return r.traceCredit(ctx, "apicrud.metrics.Check", name, uid, 0)
	}
	return r.check(ctx, name, uid)
}

func (r *Recorder) check(ctx context.Context, name, uid string) (Credit, error) {
	d, err := r.lookup(name)
	if err != nil {
		return Credit{}, err
	}
	if d.Type != Grant {
		return Credit{}, fmt.Errorf("%w: %s is a %s", ErrNotGrant, name, d.Type)
	}
	if err := validUID(uid); err != nil {
		return Credit{}, err
	}
	limit, err := r.limits.Limit(ctx, d.Grant, uid)
	if err != nil {
		return Credit{}, fmt.Errorf("metrics: limit of %s: %w", name, err)
	}
	if limit < 0 {
		return Credit{Limit: -1, Left: -1}, nil
	}
	cs, _, err := r.store.Usage(ctx, uid, []string{name}, nil)
	if err != nil {
		return Credit{}, err
	}
	return credit(cs[0], limit), nil
}

func credit(st CreditState, limit int64) Credit {
	if !st.Started {
		return Credit{Limit: limit, Left: limit}
	}
	return Credit{Limit: limit, Left: adjust(st.Left, st.Limit, limit), ResetIn: st.TTL}
}

// Meter adds amount (>= 0) to account uid's usage of metered metric name in
// the current calendar period (UTC) and returns the account's total for the
// period. It is never refused.
func (r *Recorder) Meter(ctx context.Context, name, uid string, amount float64) (float64, error) {
	d, err := r.lookup(name)
	if err != nil {
		return 0, err
	}
	if d.Type != Metered {
		return 0, fmt.Errorf("%w: %s is a %s, not metered", ErrValue, name, d.Type)
	}
	if err := validUID(uid); err != nil {
		return 0, err
	}
	if math.IsNaN(amount) || math.IsInf(amount, 0) || amount < 0 {
		return 0, fmt.Errorf("%w: %v for %s", ErrValue, amount, name)
	}
	now := time.Now()
	_, _, key := d.Period.bounds(now, 0)
	var ttl time.Duration
	if d.Period != Indefinite {
		_, end, _ := d.Period.bounds(now, d.Retain)
		ttl = end.Sub(now)
	}
	return r.store.Meter(ctx, PeriodKey{Metric: name, Period: key}, uid, amount, ttl)
}

// Usage is one line of an account's usage, as returned by Find.
type Usage struct {
	// Name is the metric.
	Name string `json:"name"`
	// Type is grant or metered.
	Type Type `json:"type"`
	// Period is the metric's period.
	Period Period `json:"period"`
	// Start and End bound a metered period (zero for an indefinite one).
	// For a grant-style metric, End is when the running period ends (zero
	// when none runs or it is indefinite).
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Value is the amount metered, or the units used in the running
	// grant-style period.
	Value float64 `json:"value"`
	// Limit and Left are a grant-style metric's credit (-1: no limit). In
	// JSON they are always present on a grant-style line (a credit used up
	// is "left": 0) and absent from a metered one.
	Limit int64 `json:"limit,omitempty"`
	Left  int64 `json:"left,omitempty"`
}

// MarshalJSON implements json.Marshaler: as the field tags say, except that
// a grant-style line always has "limit" and "left", zero included.
func (u Usage) MarshalJSON() ([]byte, error) {
	type plain Usage // without this method
	if u.Type != Grant {
		return json.Marshal(plain(u))
	}
	return json.Marshal(struct {
		plain
		Limit int64 `json:"limit"`
		Left  int64 `json:"left"`
	}{plain(u), u.Limit, u.Left})
}

// Find returns account uid's usage of every usage metric, in definition
// order: for a grant-style metric its credit, for a metered metric its
// amount in the current period and in each retained past period (newest
// first). It reads the store in one round trip, after one Limits lookup per
// grant-style metric. It does not authorize: the caller must only show an
// account its own usage (or an admin any).
func (r *Recorder) Find(ctx context.Context, uid string) ([]Usage, error) {
	if err := validUID(uid); err != nil {
		return nil, err
	}
	now := time.Now()
	var (
		credits []string
		limits  []int64
		periods []PeriodKey
		out     []Usage
		slots   []int // index in out of each credit, then of each period
	)
	for _, d := range r.order {
		switch d.Type {
		case Grant:
			limit, err := r.limits.Limit(ctx, d.Grant, uid)
			if err != nil {
				return nil, fmt.Errorf("metrics: limit of %s: %w", d.Name, err)
			}
			credits = append(credits, d.Name)
			limits = append(limits, limit)
			slots = append(slots, len(out))
			out = append(out, Usage{Name: d.Name, Type: Grant, Period: d.Period})
		case Metered:
			for n := 0; n <= d.Retain; n++ {
				start, end, key := d.Period.bounds(now, -n)
				u := Usage{Name: d.Name, Type: Metered, Period: d.Period, Start: start, End: end}
				periods = append(periods, PeriodKey{Metric: d.Name, Period: key})
				out = append(out, u)
				if d.Period == Indefinite {
					break
				}
			}
		}
	}
	if len(out) == 0 {
		return []Usage{}, nil
	}
	cs, amounts, err := r.store.Usage(ctx, uid, credits, periods)
	if err != nil {
		return nil, err
	}
	for i, st := range cs {
		u := &out[slots[i]]
		if limits[i] < 0 {
			u.Limit, u.Left = -1, -1
			continue
		}
		c := credit(st, limits[i])
		u.Limit, u.Left = c.Limit, c.Left
		u.Value = float64(c.Limit - c.Left)
		if c.ResetIn > 0 {
			u.End = now.Add(c.ResetIn).UTC()
		}
	}
	j := 0
	for i := range out {
		if out[i].Type == Metered {
			out[i].Value = amounts[j]
			j++
		}
	}
	return out, nil
}
