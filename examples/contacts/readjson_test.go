package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestReadJSONHostileBodies: what a client can send where a JSON object is
// expected. Everything but an object is a 400 (or 413/415) problem whose
// code has no placeholder left to fill, and the handler never runs with a
// zero value it did not send (a body of null used to pass as {} and cost a
// full password hash).
func TestReadJSONHostileBodies(t *testing.T) {
	type form struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	for _, tc := range []struct {
		name, body, ctype string
		status            int
		code, field       string
	}{
		{"control: an object", `{"username":"a","password":"b"}`, "application/json", 0, "", ""},
		{"control: an empty object", `{}`, "application/json", 0, "", ""},
		{"null", `null`, "application/json", 400, "contacts.bad_json", ""},
		{"null with spaces", " \n null \t", "application/json", 400, "contacts.bad_json", ""},
		{"array", `[1]`, "application/json", 400, "contacts.bad_json", ""},
		{"empty array", `[]`, "application/json", 400, "contacts.bad_json", ""},
		{"number", `1`, "application/json", 400, "contacts.bad_json", ""},
		{"string", `"x"`, "application/json", 400, "contacts.bad_json", ""},
		{"true", `true`, "application/json", 400, "contacts.bad_json", ""},
		{"empty body", ``, "application/json", 400, "contacts.bad_json", ""},
		{"truncated", `{`, "application/json", 400, "contacts.bad_json", ""},
		{"two objects", `{}{}`, "application/json", 400, "contacts.bad_json", ""},
		{"field of the wrong type", `{"username":1}`, "application/json", 400, "crud.invalid_value", "username"},
		{"field null", `{"username":null}`, "application/json", 0, "", ""},
		{"unknown field", `{"is_admin":true}`, "application/json", 400, "crud.unknown_field", "is_admin"},
		{"form body", `username=a`, "application/x-www-form-urlencoded", 415, "contacts.content_type", ""},
		{"too large", `{"username":"` + strings.Repeat("a", maxBody) + `"}`, "application/json", 413, "contacts.too_large", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/auth", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			rec := httptest.NewRecorder()
			var v form
			ok := readJSON(rec, req, &v)
			if tc.status == 0 {
				if !ok {
					t.Fatalf("refused: %d %s", rec.Code, rec.Body)
				}
				return
			}
			if ok {
				t.Fatalf("accepted %q as %+v", tc.body, v)
			}
			var p problemBody
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("not a problem: %s", rec.Body)
			}
			if rec.Code != tc.status || p.Code != tc.code || p.Field != tc.field {
				t.Fatalf("got %d %q field %q, want %d %q field %q", rec.Code, p.Code, p.Field, tc.status, tc.code, tc.field)
			}
		})
	}
}

// FuzzReadJSON: any body is either decoded from a JSON object or answered
// with a problem naming a code; a wrong-type answer always names its field.
func FuzzReadJSON(f *testing.F) {
	for _, s := range []string{`{}`, `null`, `[1]`, `{"username":1}`, `{"username":"a"}{}`, `"x"`, ` {"password":"p"} `, `{"a":`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/auth", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		var v struct {
			Username string `json:"username"`
			Password string `json:"password"`
		}
		if readJSON(rec, req, &v) {
			if err := json.Unmarshal([]byte(body), new(map[string]json.RawMessage)); err != nil {
				t.Fatalf("accepted %q, which is not a JSON object: %v", body, err)
			}
			return
		}
		var p problemBody
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Code == "" || rec.Code < 400 || rec.Code >= 500 {
			t.Fatalf("%q: answer %d %s", body, rec.Code, rec.Body)
		}
		if p.Code == "crud.invalid_value" && p.Field == "" {
			t.Fatalf("%q: invalid_value without a field", body)
		}
	})
}
