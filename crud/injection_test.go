package crud

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

// sqlInjectionCorpus returns at least 200 distinct hostile strings: classic
// tautologies, stacked queries, UNION probes, time-based probes for each
// dialect, comment and quoting tricks, placeholder look-alikes, encodings
// and JSON breakers.
func sqlInjectionCorpus() []string {
	classic := []string{
		`' OR '1'='1`, `' OR 1=1--`, `" OR "1"="1`, `' OR ''='`, `1' OR '1'='1' --`, `admin'--`, `admin' #`,
		`admin'/*`, `' or 1=1#`, `') or ('1'='1`, `')) or (('1'='1`, `1 OR 1=1`, `1) OR (1=1`, `-1 OR 2>1`,
		`'; DROP TABLE contact;--`, `"; DROP TABLE contact;--`, `1; DROP TABLE contact`, `'; DELETE FROM contact;--`,
		`'; UPDATE contact SET is_admin=1;--`, `'; INSERT INTO contact (id) VALUES ('x');--`, `'; TRUNCATE contact;--`,
		`' UNION SELECT NULL--`, `' UNION SELECT NULL,NULL--`, `' UNION ALL SELECT secret FROM contact--`,
		`' UNION SELECT id, uid, secret FROM contact WHERE '1'='1`, `1 UNION SELECT username, password FROM users`,
		`' AND SLEEP(5)--`, `' OR SLEEP(5)#`, `1 AND BENCHMARK(5000000,MD5(1))`, `'; SELECT pg_sleep(5);--`,
		`' || pg_sleep(5)--`, `'; WAITFOR DELAY '0:0:5'--`, `' AND 1=(SELECT 1 FROM pg_sleep(5))--`,
		`' AND randomblob(100000000)--`, `1 AND (SELECT COUNT(*) FROM sqlite_master)>0`, `' AND 1=CAST((SELECT secret FROM contact LIMIT 1) AS INT)--`,
		`' AND extractvalue(1,concat(0x7e,(SELECT version())))--`, `' AND updatexml(1,concat(0x7e,user()),1)--`,
		`'/**/OR/**/1=1/**/--`, `'/*!50000OR*/1=1--`, `' oR 1=1 -- -`, `'%20OR%201=1--`, `%27%20OR%201%3D1--`,
		`\' OR 1=1--`, `\\' OR 1=1--`, `ʼ OR 1=1--`, `＇ OR 1=1--`, `' OR 'a' LIKE 'a`, `' OR name LIKE '%`,
		`%' OR '1'='1`, `_`, `%`, `%%`, `!`, `!%`, `' ESCAPE '!`, `?`, `??`, `$1`, `$1; DROP TABLE contact`, `:name`, `@name`,
		`@@version`, `version()`, `current_user`, `sqlite_version()`, `(SELECT 1)`, `1=1`, `0x27`, `CHAR(39)`, `chr(39)||'x'`,
		`' COLLATE "C"--`, `1 ORDER BY 1--`, `1 ORDER BY 99--`, `1 GROUP BY 1 HAVING 1=1--`, `' LIMIT 1--`, `1 LIMIT 1 OFFSET 1`,
		`name; DROP TABLE contact`, `name desc; DROP TABLE contact`, `name:asc;--`, `name:desc, secret`, `secret`, `is_admin`,
		`(CASE WHEN 1=1 THEN name ELSE id END)`, `"name"`, "`name`", `contact.secret`, `id)--`, `1e309`, `-0`, `NaN`, `Infinity`,
		`9223372036854775808`, `-9223372036854775809`, `0x7fffffff`, `true`, `null`, `NULL`, `[]`, `{}`, `"}`, `"]`, `\u0000`,
		"nul\x00byte", "\x00", "line\nbreak", "tab\tchar", "\r\n--", "'\u2028", "'\xff\xfe", `<script>alert(1)</script>`,
		`${jndi:ldap://x}`, `{{7*7}}`, `../../etc/passwd`, `..%2f..%2f`, `x-AAAA' OR 1=1`, `x-abc,x-def`, `x-abc,' OR 1=1`,
		`' AND 1=0 UNION SELECT 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15--`, `'; COPY contact TO '/tmp/x';--`,
		`'; ATTACH DATABASE '/tmp/x.db' AS x;--`, `' INTO OUTFILE '/tmp/x'--`, `'; LOAD_FILE('/etc/passwd')--`,
		`'; CREATE TABLE pwn (x int);--`, `'; ALTER TABLE contact ADD pwn int;--`, `'; GRANT ALL ON *.* TO 'x';--`,
		`'||(SELECT secret FROM contact)||'`, `'+(SELECT secret FROM contact)+'`, `' AND EXISTS(SELECT * FROM contact WHERE is_admin)--`,
		`1 AND ASCII(SUBSTRING((SELECT secret FROM contact LIMIT 1),1,1))>64`, `' AND (SELECT 1 FROM dual)=1--`,
		`')) UNION SELECT * FROM contact WHERE ((1=1`, `' OR EXISTS(SELECT 1)--`, `' OR (SELECT COUNT(*) FROM contact)>0--`,
	}
	quotes := []string{`'`, `"`, "`", `')`, `")`, `'))`, `\'`, ``}
	tails := []string{
		` OR 1=1--`, ` OR 'x'='x`, `;DROP TABLE contact--`, ` UNION SELECT secret FROM contact--`, ` AND SLEEP(3)#`,
		`;SELECT pg_sleep(3)--`, ` OR id IS NOT NULL--`, `/**/OR/**/1=1`, ` AND 1=2 UNION SELECT NULL,NULL--`,
		` ORDER BY secret--`, ` ; --`, ` OR uid<>''--`,
	}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range classic {
		add(s)
	}
	for _, q := range quotes {
		for _, tl := range tails {
			add("x" + q + tl)
		}
	}
	add(strings.Repeat("'", 300))
	add(strings.Repeat("A", 5000) + "' OR 1=1--")
	return out
}

// dbErrorMarkers are fragments of database error texts that must never
// reach a client.
// filterOps are the operators of the filter grammar.
var filterOps = []string{"eq", "ne", "gt", "gte", "lt", "lte", "like", "ilike", "is"}

var dbErrorMarkers = []string{
	"syntax error", "SQLSTATE", "sqlite", "SQLite", "pq:", "pgx", "mysql", "MySQL", "MariaDB", "Error 1", "near \"",
	"unrecognized token", "no such", "relation ", "does not exist", "constraint failed", "ERROR:", "duplicate key",
	"database", "sql:", "driver",
}

func TestSQLInjection(t *testing.T) {
	corpus := sqlInjectionCorpus()
	require.GreaterOrEqual(t, len(corpus), 200)
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		res := newContacts(t, db)
		mux := http.NewServeMux()
		res.Routes(mux, "")
		actx := as(t.Context(), alice)
		// Alice's secret record must never reach bob.
		secret, err := res.Create(actx, &contact{Name: "alice secret", Privacy: "secret"})
		require.NoError(t, err)
		_, err = db.Exec(db.Rebind("UPDATE contact SET secret = ? WHERE id = ?"), "s3cr3t-value", secret.ID)
		require.NoError(t, err)
		_, err = res.Create(actx, &contact{Name: "alice public", Privacy: "public"})
		require.NoError(t, err)
		page, err := res.Find(as(t.Context(), bob), Query{})
		require.NoError(t, err)
		next := page.CursorNext

		requests := 0
		do := func(method, target string, body []byte) *httptest.ResponseRecorder {
			t.Helper()
			var req *http.Request
			if body != nil {
				req = httptest.NewRequest(method, target, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
			} else {
				req = httptest.NewRequest(method, target, nil)
			}
			req = req.WithContext(as(req.Context(), bob))
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			requests++
			return rec
		}
		check := func(what, payload string, rec *httptest.ResponseRecorder, allowed ...int) {
			t.Helper()
			if !slices.Contains(allowed, rec.Code) {
				t.Fatalf("%s %q: status %d: %.300s", what, payload, rec.Code, rec.Body.String())
			}
			body := ""
			var p map[string]any
			if rec.Code >= 400 && json.Unmarshal(rec.Body.Bytes(), &p) == nil {
				delete(p, "field") // the field name echoes the client's own input
				b, _ := json.Marshal(p)
				body = string(b)
			}
			for _, m := range dbErrorMarkers {
				if strings.Contains(body, m) && !strings.Contains(payload, m) {
					t.Fatalf("%s %q: response leaks %q: %.300s", what, payload, m, rec.Body.String())
				}
			}
			if all := rec.Body.String(); strings.Contains(all, "s3cr3t-value") || strings.Contains(all, secret.ID) {
				t.Fatalf("%s %q: response leaks alice's secret record: %.300s", what, payload, all)
			}
			if rec.Code == http.StatusOK {
				var page struct{ Items []contact }
				if json.Unmarshal(rec.Body.Bytes(), &page) == nil {
					for _, it := range page.Items {
						if !(it.UID == bob.uid || it.Privacy == "public") {
							t.Fatalf("%s %q: unreadable row %s", what, payload, it.ID)
						}
					}
				}
			}
		}
		jsonStr := func(s string) string { b, _ := json.Marshal(s); return string(b) }
		q := url.QueryEscape

		for i, p := range corpus {
			// Query parameters of the list.
			check("filter key", p, do("GET", "/contact?filter="+q(`{`+jsonStr(p)+`:1}`), nil), 400)
			check("filter value", p, do("GET", "/contact?filter="+q(`{"name":`+jsonStr(p)+`}`), nil), 200, 400)
			check("filter list", p, do("GET", "/contact?filter="+q(`{"id":["x-1",`+jsonStr(p)+`]}`), nil), 200, 400)
			check("filter raw", p, do("GET", "/contact?filter="+q(p), nil), 200, 400)
			// Every filter operator, react-admin key, OR group and q: each
			// payload goes through one operator in its three forms and one
			// of the other constructs, in turn, so that every operator
			// meets about 26 payloads and the run stays short under -race.
			op := filterOps[i%len(filterOps)]
			check("filter "+op, p, do("GET", "/contact?filter="+q(`{"name":{"`+op+`":`+jsonStr(p)+`}}`), nil), 200, 400)
			check("filter "+op+" on a number", p, do("GET", "/contact?filter="+q(`{"rank":{"`+op+`":`+jsonStr(p)+`}}`), nil), 400)
			check("filter name_"+op, p, do("GET", "/contact?filter="+q(`{"name_`+op+`":`+jsonStr(p)+`}`), nil), 200, 400)
			switch i % 5 {
			case 0:
				check("filter in", p, do("GET", "/contact?filter="+q(`{"name":{"in":["x",`+jsonStr(p)+`]}}`), nil), 200, 400)
			case 1:
				check("filter operator", p, do("GET", "/contact?filter="+q(`{"name":{`+jsonStr(p)+`:"x"}}`), nil), 400)
			case 2:
				check("filter or", p, do("GET", "/contact?filter="+q(`{"or":[{"name":`+jsonStr(p)+`},{"info":{"ilike":`+jsonStr(p)+`}}]}`), nil), 200, 400)
			case 3:
				check("filter or key", p, do("GET", "/contact?filter="+q(`{"or":[{`+jsonStr(p)+`:1}]}`), nil), 400)
			default:
				check("filter q", p, do("GET", "/contact?filter="+q(`{"q":`+jsonStr(p)+`}`), nil), 200, 400)
			}
			check("sort", p, do("GET", "/contact?sort="+q(p), nil), 200, 400)
			check("order", p, do("GET", "/contact?sort=name&order="+q(p), nil), 200, 400)
			check("cursor", p, do("GET", "/contact?cursor_next="+q(p), nil), 400)
			check("cursor suffix", p, do("GET", "/contact?cursor_next="+q(next+p), nil), 400)
			check("limit", p, do("GET", "/contact?limit="+q(p)+"&offset="+q(p)+"&range="+q(p), nil), 200, 400)
			// Ids in paths.
			check("get id", p, do("GET", "/contact/"+url.PathEscape(p), nil), 404, 400)
			check("put id", p, do("PUT", "/contact/"+url.PathEscape(p), []byte(`{"info":"x"}`)), 404, 400)
			check("delete id", p, do("DELETE", "/contact/"+url.PathEscape(p)+"?force="+q(p), nil), 404, 400)
			// Body fields.
			check("body key", p, do("POST", "/contact", []byte(`{"name":"k",`+jsonStr(p)+`:"x"}`)), 400)
			rec := do("POST", "/contact", []byte(`{"name":`+jsonStr(p)+`,"info":`+jsonStr(p)+`}`))
			check("body value", p, rec, 201, 400, 409)
			if rec.Code == http.StatusCreated {
				var created struct{ ID string }
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &created))
				got, err := res.Get(as(t.Context(), bob), created.ID)
				require.NoError(t, err)
				var want string // as JSON carries it (invalid UTF-8 becomes U+FFFD)
				require.NoError(t, json.Unmarshal([]byte(jsonStr(p)), &want))
				require.Equal(t, want, got.Name, "stored as data, verbatim")
				require.Equal(t, want, got.Info)
				rec = do("PUT", "/contact/"+created.ID, []byte(`{"info":`+jsonStr(p+p)+`,"rank":`+jsonStr(p)+`}`))
				check("update value", p, rec, 400)
			}
			check("body type", p, do("POST", "/contact", []byte(`{"name":"t","rank":`+jsonStr(p)+`}`)), 400)
		}
		t.Logf("%d payloads, %d requests", len(corpus), requests)

		// The tables and alice's records are intact.
		got, err := res.Get(actx, secret.ID)
		require.NoError(t, err)
		require.Equal(t, "alice secret", got.Name)
		var n int
		require.NoError(t, db.Get(&n, db.Rebind("SELECT COUNT(*) FROM contact WHERE uid = ?"), alice.uid))
		require.Equal(t, 2, n)
		require.NoError(t, db.Get(&n, db.Rebind("SELECT COUNT(*) FROM contact WHERE is_admin = ?"), true))
		require.Zero(t, n)
	})
}

// TestSQLInjectionLinks sends the corpus as expand values and as relation
// ids, as bob: every one is a 400, nothing leaks alice's secret group or
// a database error, and the join table holds only what was written.
func TestSQLInjectionLinks(t *testing.T) {
	corpus := sqlInjectionCorpus()
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		fx := newRelationFixture(t, db)
		secret := fx.group(t, alice, "alice-secret-group", "secret")
		pub := fx.group(t, bob, "bob-public-group", "public")
		mine, err := fx.contacts.Create(as(t.Context(), bob), &linked{contact: contact{Name: "bob's"}, Groups: []string{pub}})
		require.NoError(t, err)
		mux := http.NewServeMux()
		fx.contacts.Routes(mux, "")
		do := func(method, target string, body []byte) *httptest.ResponseRecorder {
			req := httptest.NewRequest(method, target, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req.WithContext(as(req.Context(), bob)))
			return rec
		}
		jsonStr := func(s string) string { b, _ := json.Marshal(s); return string(b) }
		for _, p := range corpus {
			for what, rec := range map[string]*httptest.ResponseRecorder{
				"list expand": do("GET", "/contact?expand="+url.QueryEscape(p), nil),
				"get expand":  do("GET", "/contact/"+mine.ID+"?expand=owner,"+url.QueryEscape(p), nil),
				"create ids":  do("POST", "/contact", []byte(`{"name":"n","groups":[`+jsonStr(p)+`]}`)),
				"update ids":  do("PUT", "/contact/"+mine.ID, []byte(`{"groups":[`+jsonStr(pub)+`,`+jsonStr(p)+`]}`)),
				"ids type":    do("PUT", "/contact/"+mine.ID, []byte(`{"groups":`+jsonStr(p)+`}`)),
			} {
				if rec.Code != http.StatusBadRequest {
					t.Fatalf("%s %q: status %d: %.300s", what, p, rec.Code, rec.Body.String())
				}
				body := rec.Body.String()
				for _, m := range dbErrorMarkers {
					if strings.Contains(body, m) && !strings.Contains(p, m) {
						t.Fatalf("%s %q: response leaks %q: %.300s", what, p, m, body)
					}
				}
				if strings.Contains(body, secret) || strings.Contains(body, "alice-secret-group") {
					t.Fatalf("%s %q: response leaks alice's group: %.300s", what, p, body)
				}
			}
		}
		var n int
		require.NoError(t, db.Get(&n, "SELECT COUNT(*) FROM contact_grp"))
		require.Equal(t, 1, n, "only bob's own link")
		got, err := fx.contacts.Get(as(t.Context(), bob), mine.ID)
		require.NoError(t, err)
		require.Equal(t, []string{pub}, got.Groups)
	})
}
