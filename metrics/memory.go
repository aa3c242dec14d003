package metrics

import (
	"context"
	"maps"
	"time"

	"github.com/apicrud-go/apicrud/internal/memstore"
)

// MemoryStore is the in-memory Store: values held by this process only.
// Use NewMemoryStore; Close stops its sweeper. Each method is one critical
// section per key; Consume and Meter update the credit (or period) and the
// metric's totals in two, so a concurrent Read may see one without the other
// for an instant.
type MemoryStore struct {
	hashes  *memstore.Store[map[string]float64] // metric -> field -> value; mutated only inside Update
	credits *memstore.Store[creditEntry]        // metric \x00 uid
	periods *memstore.Store[map[string]float64] // metric \x00 period -> uid -> amount
}

type creditEntry struct{ left, limit int64 }

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty in-memory Store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		hashes:  memstore.New[map[string]float64](0),
		credits: memstore.New[creditEntry](0),
		periods: memstore.New[map[string]float64](0),
	}
}

// Close stops the sweeper that reclaims expired credits and periods.
func (s *MemoryStore) Close(ctx context.Context) error {
	err1 := s.hashes.Close(ctx)
	err2 := s.credits.Close(ctx)
	err3 := s.periods.Close(ctx)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *MemoryStore) addFields(metric string, deltas ...Delta) {
	s.hashes.Update(metric, func(m map[string]float64, _ time.Duration, exists bool) (map[string]float64, time.Duration, memstore.Action) {
		if !exists {
			m = make(map[string]float64, len(deltas))
		}
		for _, d := range deltas {
			m[d.Field] += d.Value
		}
		return m, 0, memstore.Put
	})
}

// Add implements Store.
func (s *MemoryStore) Add(ctx context.Context, metric string, deltas ...Delta) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.addFields(metric, deltas...)
	return nil
}

// Set implements Store.
func (s *MemoryStore) Set(ctx context.Context, metric, field string, value float64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.hashes.Update(metric, func(m map[string]float64, _ time.Duration, exists bool) (map[string]float64, time.Duration, memstore.Action) {
		if !exists {
			m = make(map[string]float64, 1)
		}
		m[field] = value
		return m, 0, memstore.Put
	})
	return nil
}

// Read implements Store.
func (s *MemoryStore) Read(ctx context.Context, metrics []string) ([]map[string]float64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]map[string]float64, len(metrics))
	for i, metric := range metrics {
		s.hashes.Update(metric, func(m map[string]float64, _ time.Duration, _ bool) (map[string]float64, time.Duration, memstore.Action) {
			out[i] = maps.Clone(m)
			return m, 0, memstore.Keep
		})
		if out[i] == nil {
			out[i] = map[string]float64{}
		}
	}
	return out, nil
}

// Consume implements Store.
func (s *MemoryStore) Consume(ctx context.Context, req ConsumeRequest) (bool, CreditState, error) {
	if err := ctx.Err(); err != nil {
		return false, CreditState{}, err
	}
	var (
		ok    bool
		state CreditState
	)
	s.credits.Update(req.Metric+"\x00"+req.UID, func(e creditEntry, ttl time.Duration, exists bool) (creditEntry, time.Duration, memstore.Action) {
		left := req.Limit
		if exists {
			left = adjust(e.left, e.limit, req.Limit)
		}
		if left < req.N {
			state = CreditState{Started: exists, Left: left, Limit: req.Limit, TTL: ttl}
			return e, 0, memstore.Keep
		}
		ok = true
		left -= req.N
		if !exists {
			state = CreditState{Started: true, Left: left, Limit: req.Limit, TTL: req.Period}
			return creditEntry{left, req.Limit}, req.Period, memstore.Put
		}
		state = CreditState{Started: true, Left: left, Limit: req.Limit, TTL: ttl}
		return creditEntry{left, req.Limit}, 0, memstore.PutKeepTTL
	})
	if ok {
		s.addFields(req.Metric, Delta{FieldUsed, float64(req.N)})
	} else {
		s.addFields(req.Metric, Delta{FieldRefused, 1})
	}
	return ok, state, nil
}

// adjust moves credit left, computed with limit old, to limit now: units
// already used stay used; the credit is never below 0.
func adjust(left, old, now int64) int64 {
	if old == now {
		return left
	}
	left += now - old
	return max(left, 0)
}

// Meter implements Store.
func (s *MemoryStore) Meter(ctx context.Context, k PeriodKey, uid string, amount float64, ttl time.Duration) (float64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var total float64
	s.periods.Update(k.Metric+"\x00"+k.Period, func(m map[string]float64, _ time.Duration, exists bool) (map[string]float64, time.Duration, memstore.Action) {
		if !exists {
			m = map[string]float64{uid: amount}
			total = amount
			return m, ttl, memstore.Put
		}
		m[uid] += amount
		total = m[uid]
		return m, 0, memstore.PutKeepTTL
	})
	s.addFields(k.Metric, Delta{FieldUsed, amount})
	return total, nil
}

// Usage implements Store.
func (s *MemoryStore) Usage(ctx context.Context, uid string, credits []string, periods []PeriodKey) ([]CreditState, []float64, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	cs := make([]CreditState, len(credits))
	for i, metric := range credits {
		if e, ttl, ok := s.credits.GetWithTTL(metric + "\x00" + uid); ok {
			cs[i] = CreditState{Started: true, Left: e.left, Limit: e.limit, TTL: ttl}
		}
	}
	amounts := make([]float64, len(periods))
	for i, k := range periods {
		s.periods.Update(k.Metric+"\x00"+k.Period, func(m map[string]float64, _ time.Duration, _ bool) (map[string]float64, time.Duration, memstore.Action) {
			amounts[i] = m[uid]
			return m, 0, memstore.Keep
		})
	}
	return cs, amounts, nil
}
