package problem

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWrite(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, Problem{Status: http.StatusBadRequest, Detail: "bad sort", Field: "sort", Code: "crud.bad_sort"})
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Equal(t, ContentType, rec.Header().Get("Content-Type"))
	require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	var got map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Equal(t, map[string]any{
		"title": "Bad Request", "status": float64(400), "detail": "bad sort", "field": "sort", "code": "crud.bad_sort",
	}, got)
}

func TestWriteDefaults(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, Problem{})
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.JSONEq(t, `{"title":"Internal Server Error","status":500}`, rec.Body.String())

	rec = httptest.NewRecorder()
	Error(rec, http.StatusNotFound, "")
	require.JSONEq(t, `{"title":"Not Found","status":404}`, rec.Body.String())
}

func TestInsufficientScope(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{[]string{"full"}, `Bearer error="insufficient_scope", scope="full"`},
		{[]string{"a.read", "b"}, `Bearer error="insufficient_scope", scope="a.read b"`},
		{nil, `Bearer error="insufficient_scope", scope=""`},
		{[]string{`x"y`, "a b", `c\d`, "", "é", "ok"}, `Bearer error="insufficient_scope", scope="ok"`},
	} {
		if got := InsufficientScope(c.in); got != c.want {
			t.Errorf("InsufficientScope(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}
