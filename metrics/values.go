package metrics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// ValueQuery selects the series Values returns. The zero ValueQuery
// selects every series of every definition.
type ValueQuery struct {
	// Name is the metric's name; "" selects every metric.
	Name string
	// Labels are label values every selected series has (a label the
	// series' definition does not declare matches nothing). nil or empty
	// selects every series.
	Labels Labels
}

// Value is the current value of one series.
type Value struct {
	// Name, Type and Scope are the metric's.
	Name  string `json:"name"`
	Type  Type   `json:"type"`
	Scope Scope  `json:"scope"`
	// Labels are the series' labels (none for a usage metric).
	Labels Labels `json:"labels,omitempty"`
	// Value is a counter's total, a gauge's value, a histogram's count of
	// observations, or a usage metric's units used by every account.
	Value float64 `json:"value"`
	// Sum is a histogram's sum of observations.
	Sum float64 `json:"sum,omitempty"`
	// Refused is a grant-style metric's count of refused uses.
	Refused float64 `json:"refused,omitempty"`
}

// Values returns the current values of the series q selects, sorted by
// name and then labels: shared metrics from the store (one round trip for
// every metric selected, on memory or Redis alike) and instance metrics
// from this process. An unknown q.Name is ErrUnknownMetric. Per-account
// series are included: like Find it does not authorize, and the caller
// shows values to admins only.
func (r *Recorder) Values(ctx context.Context, q ValueQuery) ([]Value, error) {
	defs := r.order
	if q.Name != "" {
		d, err := r.lookup(q.Name)
		if err != nil {
			return nil, err
		}
		defs = []*def{d}
	}
	var shared []*def
	var names []string
	var out []Value
	for _, d := range defs {
		if !declares(d, q.Labels) {
			continue
		}
		if d.Scope == Instance {
			vs, err := d.localValues(q.Labels)
			if err != nil {
				return nil, err
			}
			out = append(out, vs...)
			continue
		}
		shared = append(shared, d)
		names = append(names, d.Name)
	}
	if len(shared) > 0 {
		hashes, err := r.store.Read(ctx, names)
		if err == nil && len(hashes) != len(names) {
			err = errShortRead
		}
		if err != nil {
			return nil, err
		}
		for i, d := range shared {
			out = append(out, d.sharedValues(hashes[i], q.Labels)...)
		}
	}
	slices.SortFunc(out, func(a, b Value) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(labelKey(a.Labels), labelKey(b.Labels)))
	})
	if out == nil {
		out = []Value{}
	}
	return out, nil
}

// declares reports whether d declares every label of want (a usage metric
// declares none).
func declares(d *def, want Labels) bool {
	for n := range want {
		if isUsage(d.Type) || !slices.Contains(d.Labels, n) {
			return false
		}
	}
	return true
}

// matches reports whether the series with values (in the order of names)
// has every label of want.
func matches(names, values []string, want Labels) bool {
	for i, n := range names {
		if v, ok := want[n]; ok && values[i] != v {
			return false
		}
	}
	return true
}

func labelsOf(names, values []string) Labels {
	if len(names) == 0 {
		return nil
	}
	l := make(Labels, len(names))
	for i, n := range names {
		l[n] = values[i]
	}
	return l
}

// labelKey orders series by their labels.
func labelKey(l Labels) string {
	keys := make([]string, 0, len(l))
	for k, v := range l {
		keys = append(keys, k+"="+v)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// sharedValues turns a shared metric's stored hash into values; fields
// that do not decode for the definition (labels changed since) are left
// out, as the collector leaves them out.
func (d *def) sharedValues(h map[string]float64, want Labels) []Value {
	base := Value{Name: d.Name, Type: d.Type, Scope: d.Scope}
	switch d.Type {
	case Grant:
		base.Value, base.Refused = h[FieldUsed], h[FieldRefused]
		return []Value{base}
	case Metered:
		base.Value = h[FieldUsed]
		return []Value{base}
	}
	series := map[string]*Value{}
	for field, x := range h {
		vals, suffix, err := decodeSeries(field, d.Labels)
		if err != nil || !matches(d.Labels, vals, want) || (d.Type == Histogram) == (suffix == "") {
			continue
		}
		key := field[:len(field)-len(suffix)]
		v := series[key]
		if v == nil {
			v = &Value{Name: d.Name, Type: d.Type, Scope: d.Scope, Labels: labelsOf(d.Labels, vals)}
			series[key] = v
		}
		switch {
		case d.Type != Histogram:
			v.Value = x
		case suffix == "sum":
			v.Sum = x
		case strings.HasPrefix(suffix, "le="):
			v.Value += x // each bucket field holds its own observations
		}
	}
	out := make([]Value, 0, len(series))
	for _, v := range series {
		out = append(out, *v)
	}
	return out
}

// localValues reads an instance metric's series from this process.
func (d *def) localValues(want Labels) ([]Value, error) {
	ch := make(chan prometheus.Metric, 64)
	go func() {
		d.local.Collect(ch)
		close(ch)
	}()
	var out []Value
	var firstErr error
	for m := range ch {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("metrics: reading %s: %w", d.Name, err)
			}
			continue
		}
		l := make(Labels, len(pb.GetLabel()))
		for _, lp := range pb.GetLabel() {
			l[lp.GetName()] = lp.GetValue()
		}
		ok := true
		for n, v := range want {
			if l[n] != v {
				ok = false
			}
		}
		if !ok {
			continue
		}
		v := Value{Name: d.Name, Type: d.Type, Scope: d.Scope, Labels: l}
		if len(l) == 0 {
			v.Labels = nil
		}
		switch {
		case pb.Counter != nil:
			v.Value = pb.GetCounter().GetValue()
		case pb.Gauge != nil:
			v.Value = pb.GetGauge().GetValue()
		case pb.Histogram != nil:
			v.Value, v.Sum = float64(pb.GetHistogram().GetSampleCount()), pb.GetHistogram().GetSampleSum()
		}
		out = append(out, v)
	}
	return out, firstErr
}
