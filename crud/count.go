package crud

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// CountMode says whether and how a list counts the rows its query
// matches, as PostgREST's Prefer: count=exact|planned|estimated does.
type CountMode uint8

// Count modes. The zero value, CountNone, counts nothing: a keyset page
// costs only its rows.
const (
	// CountNone does not count; Page.Count is 0 and the JSON has no count.
	CountNone CountMode = iota
	// CountExact counts every matching row (COUNT(*) OVER () in the page
	// query). It reads every match, so it grows with the table.
	CountExact
	// CountPlanned takes the query planner's estimate (EXPLAIN on
	// PostgreSQL and MySQL/MariaDB): one planning step, however large the
	// table; SQLite has no estimate and counts exactly. The planner
	// estimates from statistics over every row, so a caller whose read
	// permission does not cover the whole table gets an exact count
	// instead (and Preference-Applied: count=exact): an estimate would
	// tell how many rows they cannot read match their filter.
	CountPlanned
	// CountEstimated counts exactly while the planner estimates at most
	// the resource's maximum page size (WithPageSize), and takes the
	// estimate above it; like CountPlanned, it counts exactly for a
	// caller who may not read every row.
	CountEstimated
)

// String returns the mode's name in a Prefer header: none, exact,
// planned or estimated.
func (m CountMode) String() string {
	switch m {
	case CountExact:
		return "exact"
	case CountPlanned:
		return "planned"
	case CountEstimated:
		return "estimated"
	}
	return "none"
}

// parseCountPreference reads count=... from Prefer headers (RFC 7240:
// comma-separated preferences, several headers allowed); ok is false when
// none names a count. An unknown count value is ignored, as RFC 7240 asks
// of preferences a server does not support.
func parseCountPreference(prefer []string) (CountMode, bool) {
	for _, h := range prefer {
		for _, p := range strings.Split(h, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if !strings.EqualFold(strings.TrimSpace(k), "count") {
				continue
			}
			switch strings.ToLower(strings.Trim(strings.TrimSpace(v), `"`)) {
			case "exact":
				return CountExact, true
			case "planned":
				return CountPlanned, true
			case "estimated":
				return CountEstimated, true
			}
		}
	}
	return CountNone, false
}

// countPlanned returns the planner's estimate of the rows p selects, and
// the mode it applied: CountExact where the dialect has no estimate.
func (r *Resource[T]) countPlanned(ctx context.Context, p *plan) (int64, CountMode, error) {
	switch r.dialect {
	case dialectPostgres:
		n, err := r.explainPostgres(ctx, p)
		return n, CountPlanned, err
	case dialectMySQL:
		n, err := r.explainMySQL(ctx, p)
		return n, CountPlanned, err
	}
	n, err := r.countAll(ctx, "list", p)
	return n, CountExact, err
}

// explainPostgres reads "Plan Rows" of the top plan node.
func (r *Resource[T]) explainPostgres(ctx context.Context, p *plan) (int64, error) {
	var out string
	q := r.db.Rebind("EXPLAIN (FORMAT JSON) SELECT 1 FROM " + r.table + " WHERE " + p.where())
	if err := r.db.QueryRowxContext(ctx, q, p.args...).Scan(&out); err != nil {
		return 0, r.dbError(ctx, "count", err)
	}
	var plans []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(out), &plans); err != nil || len(plans) == 0 {
		return 0, r.dbError(ctx, "count", fmt.Errorf("unexpected EXPLAIN output: %w", err))
	}
	return int64(math.Round(plans[0].Plan.Rows)), nil
}

// explainMySQL reads the rows (times filtered %, where the server reports
// it) of the first table of EXPLAIN.
func (r *Resource[T]) explainMySQL(ctx context.Context, p *plan) (int64, error) {
	rows, err := r.db.QueryxContext(ctx, r.db.Rebind("EXPLAIN SELECT 1 FROM "+r.table+" WHERE "+p.where()), p.args...)
	if err != nil {
		return 0, r.dbError(ctx, "count", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return 0, r.dbError(ctx, "count", fmt.Errorf("EXPLAIN returned no row: %w", rows.Err()))
	}
	row := map[string]any{}
	if err := rows.MapScan(row); err != nil {
		return 0, r.dbError(ctx, "count", err)
	}
	n := explainNumber(row["rows"])
	if f, ok := row["filtered"]; ok && f != nil {
		n = n * explainNumber(f) / 100
	}
	return int64(math.Round(n)), rows.Close()
}

// explainNumber reads a number MySQL returns as an integer, a float or text.
func explainNumber(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	case []byte:
		f, _ := strconv.ParseFloat(string(x), 64)
		return f
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}
