package metrics

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/apicrud-go/apicrud/internal/strictyaml"
)

// Type is the kind of a metric.
type Type string

// Metric types.
const (
	// Counter only goes up: Store adds the value.
	Counter Type = "counter"
	// Gauge goes up and down: Store sets the value.
	Gauge Type = "gauge"
	// Histogram counts observations in buckets: Store observes the value.
	Histogram Type = "histogram"
	// Grant is per-account usage credit per period: each use takes credit
	// (the limit is a grant of the same name, or Definition.Grant); when
	// it is used up, uses are refused until the period ends.
	Grant Type = "grant"
	// Metered is per-account usage accumulated per calendar period, for
	// billing: it is never refused.
	Metered Type = "metered"
)

// Scope says where a metric's values live.
type Scope string

// Scopes.
const (
	// Shared values live in the Store (Redis: one value for all instances).
	// They are exposed by SharedCollector. The default.
	Shared Scope = "shared"
	// Instance values live in this process; each instance has its own and
	// exposes them with InstanceCollector (Prometheus adds the instance
	// label). Only counters, gauges and histograms can have this scope.
	Instance Scope = "instance"
)

// Period is the period of a usage metric.
type Period string

// Periods. A grant-style period starts at an account's first use and lasts
// the period's Duration; a metered period is the calendar period (UTC)
// that contains the use.
const (
	Hour       Period = "hour"
	Day        Period = "day"
	Week       Period = "week"  // metered: ISO week, from Monday
	Month      Period = "month" // grant-style: 31 days, as apicrud
	Indefinite Period = "indefinite"
)

// Duration returns the length of a grant-style period (month: 31 days,
// indefinite: 0, meaning no expiry).
func (p Period) Duration() time.Duration {
	switch p {
	case Hour:
		return time.Hour
	case Day:
		return 24 * time.Hour
	case Week:
		return 7 * 24 * time.Hour
	case Month:
		return 31 * 24 * time.Hour
	}
	return 0
}

// bounds returns the calendar period containing t (UTC), shifted by n
// periods (n = -1: the previous one), and its key.
func (p Period) bounds(t time.Time, n int) (start, end time.Time, key string) {
	t = t.UTC()
	switch p {
	case Hour:
		start = t.Truncate(time.Hour).Add(time.Duration(n) * time.Hour)
		return start, start.Add(time.Hour), start.Format("2006-01-02T15")
	case Day:
		start = time.Date(t.Year(), t.Month(), t.Day()+n, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 0, 1), start.Format("2006-01-02")
	case Week:
		wd := (int(t.Weekday()) + 6) % 7 // Monday = 0
		start = time.Date(t.Year(), t.Month(), t.Day()-wd+7*n, 0, 0, 0, 0, time.UTC)
		y, w := start.ISOWeek()
		return start, start.AddDate(0, 0, 7), fmt.Sprintf("%04d-W%02d", y, w)
	case Month:
		start = time.Date(t.Year(), t.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0), start.Format("2006-01")
	}
	return time.Time{}, time.Time{}, "all"
}

// Definition declares one metric. In YAML (a list of these is a metrics
// configuration, see ParseDefinitions):
//
//   - name: sms_daily_total
//     type: grant
//     period: day
//     help: Text messages sent per account per day.
//     notify: 80
type Definition struct {
	// Name is the Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*).
	// Counters, grants and metered metrics end in "_total"; others must not.
	Name string `yaml:"name" json:"name"`
	// Type is counter, gauge, histogram, grant or metered.
	Type Type `yaml:"type" json:"type"`
	// Help is the exposition's help text (default: generated from the name).
	Help string `yaml:"help,omitempty" json:"help,omitempty"`
	// Labels are the label names of a counter, gauge or histogram; a series
	// is one value per label. Usage metrics take no labels: their series
	// are per account (the implicit label "uid").
	Labels []string `yaml:"labels,omitempty" json:"labels,omitempty"`
	// Buckets are a histogram's upper bounds, increasing (default
	// prometheus.DefBuckets).
	Buckets []float64 `yaml:"buckets,omitempty" json:"buckets,omitempty"`
	// Scope is shared (default) or instance. Usage metrics are shared.
	// apicrud's "user" and "sitewide" mean shared.
	Scope Scope `yaml:"scope,omitempty" json:"scope,omitempty"`
	// Period is a usage metric's period (default day).
	Period Period `yaml:"period,omitempty" json:"period,omitempty"`
	// Grant names the grant holding a grant-style metric's limit (default:
	// Name, as apicrud).
	Grant string `yaml:"grant,omitempty" json:"grant,omitempty"`
	// Notify, for a grant-style metric, is a percentage of the limit: the
	// use that takes an account past it calls the WithNotify function, once
	// per period. 0 (default) never notifies.
	Notify int `yaml:"notify,omitempty" json:"notify,omitempty"`
	// Retain, for a metered metric, is how many past periods Find still
	// reports (default 1: the previous period, for billing). Older periods
	// expire from the store.
	Retain int `yaml:"retain,omitempty" json:"retain,omitempty"`
}

// ParseDefinitions reads a YAML list of definitions (one YAML document;
// empty input is no definitions). Unknown fields, repeated keys, values of
// the wrong type and a second, non-empty document are errors wrapping
// ErrConfig that name the line ("line 3: unknown field ..."). The
// definitions are validated by New, not here.
func ParseDefinitions(data []byte) ([]Definition, error) {
	var defs []Definition
	if err := strictyaml.Decode("", data, &defs); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return defs, nil
}

// Names of the metrics of the HTTP middleware, reserved.
const (
	// APICallsName counts API calls by resource, method and status code.
	APICallsName = "api_calls_total"
	// APIDurationName is the histogram of API call durations by resource
	// and method.
	APIDurationName = "api_request_duration_seconds"
)

const maxLabels = 16

// normalize validates d and fills its defaults.
func (d Definition) normalize() (Definition, error) {
	for _, step := range []func(*Definition) string{
		(*Definition).checkName, (*Definition).normalizeScope, (*Definition).normalizeUsage,
		(*Definition).normalizeLabels, (*Definition).normalizeBuckets,
	} {
		if msg := step(&d); msg != "" {
			return Definition{}, fmt.Errorf("%w: metric %q: %s", ErrConfig, d.Name, msg)
		}
	}
	return d, nil
}

// checkName checks the name against the Prometheus rules and the type.
func (d *Definition) checkName() string {
	if !validMetricName(d.Name) {
		return "name must match [a-zA-Z_:][a-zA-Z0-9_:]*"
	}
	if reservedName(d.Name) {
		return "names starting with process_, go_, promhttp_ or scrape_, and up, are reserved for client_golang's collectors and Prometheus"
	}
	total := strings.HasSuffix(d.Name, "_total")
	switch d.Type {
	case Counter, Grant, Metered:
		if !total {
			return fmt.Sprintf("a %s's name must end in _total", d.Type)
		}
	case Gauge, Histogram:
		if total {
			return "only counters and usage metrics end in _total"
		}
	case "":
		return "type is required (counter, gauge, histogram, grant or metered)"
	default:
		return fmt.Sprintf("unknown type %q", d.Type)
	}
	for _, s := range []string{"_bucket", "_sum", "_count", "_created"} {
		if strings.HasSuffix(d.Name, s) {
			return fmt.Sprintf("the suffix %s is reserved", s)
		}
	}
	return ""
}

// normalizeScope checks the scope (apicrud's user and sitewide are
// shared) and fills the default help text.
func (d *Definition) normalizeScope() string {
	switch d.Scope {
	case "", "user", "sitewide", Shared:
		d.Scope = Shared
	case Instance:
		if d.Type == Grant || d.Type == Metered {
			return "usage metrics are shared by all instances"
		}
	default:
		return fmt.Sprintf("unknown scope %q", d.Scope)
	}
	if d.Help == "" {
		d.Help = strings.ReplaceAll(d.Name, "_", " ") + " (" + string(d.Type) + ")"
	}
	return ""
}

// normalizeUsage checks the fields of usage metrics (period, grant,
// notify, retain) and fills their defaults.
func (d *Definition) normalizeUsage() string {
	if !isUsage(d.Type) {
		if d.Period != "" || d.Grant != "" || d.Notify != 0 || d.Retain != 0 {
			return "period, grant, notify and retain apply to usage metrics only"
		}
		return ""
	}
	if len(d.Labels) > 0 {
		return "usage metrics take no labels (their series are per account)"
	}
	switch d.Period {
	case "":
		d.Period = Day
	case Hour, Day, Week, Month, Indefinite:
	default:
		return fmt.Sprintf("unknown period %q", d.Period)
	}
	if d.Type == Grant {
		if d.Grant == "" {
			d.Grant = d.Name
		}
		if d.Notify < 0 || d.Notify > 100 {
			return "notify must be a percentage"
		}
	} else if d.Grant != "" || d.Notify != 0 {
		return "grant and notify apply to grant-style metrics only"
	}
	if d.Type != Metered {
		if d.Retain != 0 {
			return "retain applies to metered metrics only"
		}
		return ""
	}
	if d.Retain < 0 || d.Retain > 1000 {
		return "retain must be 0 to 1000 periods"
	}
	if d.Retain == 0 {
		d.Retain = 1
	}
	return ""
}

// normalizeLabels checks the label names and sorts a copy of them.
func (d *Definition) normalizeLabels() string {
	if len(d.Labels) > maxLabels {
		return fmt.Sprintf("at most %d labels", maxLabels)
	}
	d.Labels = slices.Clone(d.Labels)
	slices.Sort(d.Labels)
	for i, l := range d.Labels {
		if !validLabelName(l) {
			return fmt.Sprintf("label %q must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __", l)
		}
		if i > 0 && d.Labels[i-1] == l {
			return fmt.Sprintf("label %q repeated", l)
		}
		if d.Type == Histogram && l == "le" {
			return "a histogram cannot have the label le"
		}
	}
	return ""
}

// normalizeBuckets checks a histogram's buckets (default
// prometheus.DefBuckets) and copies them.
func (d *Definition) normalizeBuckets() string {
	if d.Type != Histogram {
		if len(d.Buckets) > 0 {
			return "buckets apply to histograms only"
		}
		return ""
	}
	if len(d.Buckets) == 0 {
		d.Buckets = prometheus.DefBuckets
	}
	d.Buckets = slices.Clone(d.Buckets)
	for i, b := range d.Buckets {
		if math.IsNaN(b) || math.IsInf(b, 0) || i > 0 && b <= d.Buckets[i-1] {
			return "buckets must be finite and increasing"
		}
	}
	return ""
}

// perUser reports whether d's series belong to single accounts.
func (d Definition) perUser() bool {
	return isUsage(d.Type) || slices.Contains(d.Labels, "uid")
}

func isUsage(t Type) bool { return t == Grant || t == Metered }

// exposedNames returns the metric names d adds to the exposition.
func (d Definition) exposedNames() []string {
	switch d.Type {
	case Histogram:
		return []string{d.Name, d.Name + "_bucket", d.Name + "_sum", d.Name + "_count"}
	case Grant:
		return []string{d.Name, refusedName(d.Name)}
	}
	return []string{d.Name}
}

// refusedName is the counter of refused uses of grant-style metric name.
func refusedName(name string) string {
	return strings.TrimSuffix(name, "_total") + "_refused_total"
}

// reservedName reports a name that another collector of a typical
// /metrics endpoint (client_golang's process and Go collectors, promhttp's
// own metrics) or Prometheus itself (up, scrape_*) already uses: a
// definition with it would make the host's registry fail, or shadow the
// real series (apicrud's config defines process_cpu_seconds_total and
// process_resident_memory_bytes itself, with wrong values).
func reservedName(s string) bool {
	for _, p := range []string{"process_", "go_", "promhttp_", "scrape_"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return s == "up"
}

func validMetricName(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func validLabelName(s string) bool {
	if s == "" || len(s) > 100 || strings.HasPrefix(s, "__") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
