package metrics

import (
	"context"
	"math"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// CollectorOption configures SharedCollector and InstanceCollector.
type CollectorOption func(*collectorConfig)

type collectorConfig struct {
	perUser bool
}

func collectorOptions(opts []CollectorOption) collectorConfig {
	var c collectorConfig
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// IncludePerUser makes a collector also expose the series of counters,
// gauges and histograms that declare a "uid" label. Without it (the
// default), no collector exposes a series that belongs to a single
// account: usage metrics are only ever exposed as totals over all accounts,
// and per-account values are only available through Find, which the host
// authorizes. Use it only for an endpoint that only operators can scrape,
// and mind the cardinality (one series per account).
func IncludePerUser() CollectorOption {
	return func(c *collectorConfig) { c.perUser = true }
}

// SharedCollector returns a prometheus.Collector of the shared (store)
// values: every counter, gauge and histogram of scope shared, and for each
// usage metric the totals over all accounts (see the package doc,
// "Exposition"). Each scrape reads the store once (one pipelined round
// trip with Redis), bounded by WithScrapeTimeout; a read error fails the
// scrape (promhttp answers 500) rather than exposing partial data.
//
// With several instances on one Redis, the shared series must be exposed
// once: see the package doc, "Several instances".
func (r *Recorder) SharedCollector(opts ...CollectorOption) prometheus.Collector {
	cfg := collectorOptions(opts)
	c := &sharedCollector{r: r}
	for _, d := range r.order {
		if d.Scope != Shared || !cfg.perUser && d.perUser() && !isUsage(d.Type) {
			continue
		}
		c.defs = append(c.defs, d)
		c.names = append(c.names, d.Name)
	}
	return c
}

type sharedCollector struct {
	r     *Recorder
	defs  []*def
	names []string
}

// Describe implements prometheus.Collector.
func (c *sharedCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.r.errDesc
	for _, d := range c.defs {
		ch <- d.desc
		if d.refusedDesc != nil {
			ch <- d.refusedDesc
		}
	}
}

// Collect implements prometheus.Collector.
func (c *sharedCollector) Collect(ch chan<- prometheus.Metric) {
	if len(c.defs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.r.scrapeTimeout)
	defer cancel()
	hashes, err := c.r.store.Read(ctx, c.names)
	if err == nil && len(hashes) != len(c.names) {
		err = errShortRead
	}
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.r.errDesc, err)
		return
	}
	for i, d := range c.defs {
		h := hashes[i]
		skipped := 0
		switch d.Type {
		case Counter, Gauge:
			vt := prometheus.CounterValue
			if d.Type == Gauge {
				vt = prometheus.GaugeValue
			}
			for field, v := range h {
				vals, suffix, err := decodeSeries(field, d.Labels)
				if err != nil || suffix != "" {
					skipped++
					continue
				}
				m, err := prometheus.NewConstMetric(d.desc, vt, v, vals...)
				if err != nil {
					skipped++
					continue
				}
				ch <- m
			}
		case Histogram:
			skipped = c.collectHistogram(ch, d, h)
		case Grant:
			ch <- prometheus.MustNewConstMetric(d.desc, prometheus.CounterValue, h[FieldUsed])
			ch <- prometheus.MustNewConstMetric(d.refusedDesc, prometheus.CounterValue, h[FieldRefused])
		case Metered:
			ch <- prometheus.MustNewConstMetric(d.desc, prometheus.CounterValue, h[FieldUsed])
		}
		if skipped > 0 {
			c.r.logger.Warn("metrics: stored series do not match the definition (labels or buckets changed?); skipped",
				"metric", d.Name, "series", skipped)
		}
	}
}

type histSeries struct {
	vals   []string
	sum    float64
	counts map[float64]float64 // upper bound -> observations in that bucket alone
}

func (c *sharedCollector) collectHistogram(ch chan<- prometheus.Metric, d *def, h map[string]float64) (skipped int) {
	series := map[string]*histSeries{}
	for field, v := range h {
		vals, suffix, err := decodeSeries(field, d.Labels)
		if err != nil || suffix == "" {
			skipped++
			continue
		}
		key := field[:len(field)-len(suffix)-1]
		s := series[key]
		if s == nil {
			s = &histSeries{vals: vals, counts: map[float64]float64{}}
			series[key] = s
		}
		switch {
		case suffix == "sum":
			s.sum = v
		case strings.HasPrefix(suffix, "le="):
			le, err := strconv.ParseFloat(suffix[3:], 64)
			if err != nil || math.IsNaN(le) {
				skipped++
				continue
			}
			s.counts[le] += v
		default:
			skipped++
		}
	}
	for _, s := range series {
		var total float64
		buckets := make(map[float64]uint64, len(d.Buckets))
		for _, b := range d.Buckets {
			var cum float64
			for le, n := range s.counts {
				if le <= b {
					cum += n
				}
			}
			buckets[b] = uint64(cum)
		}
		for _, n := range s.counts {
			total += n
		}
		m, err := prometheus.NewConstHistogram(d.desc, uint64(total), s.sum, buckets, s.vals...)
		if err != nil {
			skipped++
			continue
		}
		ch <- m
	}
	return skipped
}

// InstanceCollector returns a prometheus.Collector of this process's own
// metrics: the definitions of scope instance and the HTTP middleware's
// api_calls_total and api_request_duration_seconds. Every instance exposes
// its own; Prometheus tells them apart by its instance label, and sum()
// over instances is the service's total. It does no I/O. Definitions with
// a "uid" label are left out unless IncludePerUser is given.
func (r *Recorder) InstanceCollector(opts ...CollectorOption) prometheus.Collector {
	cfg := collectorOptions(opts)
	cs := []prometheus.Collector{r.http.calls, r.http.duration}
	for _, d := range r.order {
		if d.local != nil && (cfg.perUser || !d.perUser()) {
			cs = append(cs, d.local)
		}
	}
	return collectors(cs)
}

type collectors []prometheus.Collector

// Describe implements prometheus.Collector.
func (cs collectors) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range cs {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (cs collectors) Collect(ch chan<- prometheus.Metric) {
	for _, c := range cs {
		c.Collect(ch)
	}
}
