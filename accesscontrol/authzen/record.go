package authzen

import (
	"net/http"

	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/apicrud-go/apicrud/problem"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/accesscontrol/policytest"
)

// maxList bounds the roles and scopes a subject may state.
const maxList = 1024

// subjectFromRequest is the default WithSubjects: the identity the
// subject states.
func subjectFromRequest(_ context.Context, s Subject) (ac.Identity, error) {
	id := ac.Identity{UID: s.ID}
	var err error
	if id.Roles, err = stringList(s.Properties["roles"], "subject.properties.roles"); err != nil {
		return id, err
	}
	if id.Scopes, err = stringList(s.Properties["scopes"], "subject.properties.scopes"); err != nil {
		return id, err
	}
	return id, nil
}

func stringList(v any, name string) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, &requestError{name + ": want an array of strings"}
	}
	if len(arr) > maxList {
		return nil, &requestError{fmt.Sprintf("%s: at most %d", name, maxList)}
	}
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		s, ok := x.(string)
		if !ok || len(s) > maxString {
			return nil, &requestError{name + ": want an array of strings"}
		}
		out = append(out, s)
	}
	return out, nil
}

// record builds the decision's record from the resource's properties:
// "owner" (or "uid"), "privacy", a membership attribute ("list_id") and
// the fields the policy declares for the resource, typed as declared;
// the context's "time" is @now.
func (h *Handler) record(r Resource, c Context, prefix string) (ac.Record, error) {
	rec := ac.Record{ID: r.ID}
	str := func(key string) (string, error) {
		v, ok := r.Properties[key]
		if !ok || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok || len(s) > maxString {
			return "", &requestError{prefix + "resource.properties." + key + ": want a string"}
		}
		return s, nil
	}
	var err error
	if rec.Owner, err = str("owner"); err != nil {
		return rec, err
	}
	if rec.Owner == "" {
		if rec.Owner, err = str("uid"); err != nil {
			return rec, err
		}
	}
	if rec.Privacy, err = str("privacy"); err != nil {
		return rec, err
	}
	for _, pr := range h.policy.PrivateResources() {
		if rec.Parent, err = str(pr.Attr); err != nil {
			return rec, err
		}
		if rec.Parent != "" {
			rec.ParentResource = pr.Resource
			break
		}
	}
	for name, typ := range h.policy.Fields(r.Type) {
		v, ok := r.Properties[name]
		if !ok {
			continue
		}
		if n, isNum := v.(json.Number); isNum {
			v = numberValue(n)
		}
		cv, err := policytest.Convert(typ, v)
		if err != nil {
			return rec, &requestError{fmt.Sprintf("%sresource.properties.%s: want a %s", prefix, name, typ)}
		}
		if rec.Fields == nil {
			rec.Fields = map[string]any{}
		}
		rec.Fields[name] = cv
	}
	if t, ok := c["time"]; ok {
		s, isStr := t.(string)
		tm, err := parseTime(s)
		if !isStr || err != nil {
			return rec, &requestError{prefix + "context.time: want an RFC 3339 time"}
		}
		rec.Now = tm
	} else {
		rec.Now = h.cfg.now()
	}
	return rec, nil
}

// numberValue returns a JSON number as an int64 when it is one, else a
// float64.
func numberValue(n json.Number) any {
	if i, err := n.Int64(); err == nil {
		return i
	}
	f, err := n.Float64()
	if err != nil {
		return n.String()
	}
	return f
}

func (h *Handler) metadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		problem.Write(w, problem.Problem{Status: http.StatusMethodNotAllowed, Detail: "use GET", Code: CodeMethod})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"policy_decision_point":       h.cfg.baseURL,
		"access_evaluation_endpoint":  h.cfg.baseURL + PathEvaluation,
		"access_evaluations_endpoint": h.cfg.baseURL + PathEvaluations,
	})
}

// parseTime reads an RFC 3339 time, seconds optional (the specification's
// own examples write "1985-10-26T01:22-07:00").
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if t2, err2 := time.Parse("2006-01-02T15:04Z07:00", s); err2 == nil {
			return t2, nil
		}
	}
	return t, err
}
