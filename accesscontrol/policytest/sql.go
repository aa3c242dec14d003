package policytest

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
)

var tableSeq atomic.Int64

// sqlList puts a list's records in a temporary SQLite table and returns
// the names of those the policy's filter selects, sorted.
func sqlList(ctx context.Context, db *sql.DB, p *ac.Policy, who ac.Principal, l List, recs map[string]ac.Record, now time.Time) ([]string, error) {
	table := fmt.Sprintf("policytest_%d", tableSeq.Add(1))
	cols := map[string]string{"id": "id", "uid": "uid", "privacy": "privacy"}
	ddl := []string{"name TEXT PRIMARY KEY", "id TEXT", "uid TEXT", "privacy TEXT"}
	var attrs []string
	for _, pr := range p.PrivateResources() {
		attrs = append(attrs, pr.Attr)
	}
	for _, a := range attrs {
		cols[a] = a
		ddl = append(ddl, a+" TEXT")
	}
	fields := p.Fields(l.Resource)
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	slices.Sort(names)
	sqlType := map[string]string{"string": "TEXT", "int": "INTEGER", "float": "REAL", "bool": "BOOLEAN", "time": "TIMESTAMP"}
	for _, f := range names {
		cols[f] = f
		ddl = append(ddl, f+" "+sqlType[fields[f]])
	}
	if _, err := db.ExecContext(ctx, "CREATE TEMP TABLE "+table+" ("+strings.Join(ddl, ", ")+")"); err != nil {
		return nil, err
	}
	defer db.ExecContext(context.WithoutCancel(ctx), "DROP TABLE "+table) //nolint:errcheck // a temporary table
	colNames := []string{"name", "id", "uid", "privacy"}
	colNames = append(colNames, attrs...)
	colNames = append(colNames, names...)
	insert := "INSERT INTO " + table + " (" + strings.Join(colNames, ", ") + ") VALUES (?" + strings.Repeat(", ?", len(colNames)-1) + ")"
	for _, name := range l.Records {
		r := recs[name]
		args := []any{name, nullable(r.ID), nullable(r.Owner), nullable(r.Privacy)}
		for i, a := range attrs {
			// The parent goes in the attribute of its private resource
			// ("" is the first).
			if r.Parent != "" && (r.ParentResource == "" && i == 0 || r.ParentResource != "" && parentAttr(p, r.ParentResource) == a) {
				args = append(args, r.Parent)
			} else {
				args = append(args, nil)
			}
		}
		for _, f := range names {
			args = append(args, r.Fields[f])
		}
		if _, err := db.ExecContext(ctx, insert, args...); err != nil {
			return nil, err
		}
	}
	var opts []ac.FilterOption
	if !now.IsZero() {
		opts = append(opts, ac.WithNow(now))
	}
	clause, args, err := p.FilterFor(who, l.Action[0], l.Resource, cols, opts...)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "SELECT name FROM "+table+" WHERE "+clause, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, rows.Err()
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// parentAttr returns the membership attribute of private resource name.
func parentAttr(p *ac.Policy, name string) string {
	for _, pr := range p.PrivateResources() {
		if pr.Resource == name {
			return pr.Attr
		}
	}
	return ""
}
