package metrics_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/metrics"
)

func TestParseLabels(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want metrics.Labels
	}{
		{nil, metrics.Labels{}},
		{[]string{"resource=person", "method=GET"}, metrics.Labels{"resource": "person", "method": "GET"}},
		{[]string{"method=GET", "resource=person"}, metrics.Labels{"resource": "person", "method": "GET"}},
		{[]string{"a="}, metrics.Labels{"a": ""}},
		{[]string{"a=b=c"}, metrics.Labels{"a": "b=c"}},
		{[]string{"a=x,y|z\\"}, metrics.Labels{"a": "x,y|z\\"}},
		{[]string{"_x9=é"}, metrics.Labels{"_x9": "é"}},
	} {
		got, err := metrics.ParseLabels(tc.in)
		require.NoError(t, err, "%q", tc.in)
		require.Equal(t, tc.want, got, "%q", tc.in)
	}
}

// TestParseLabelsHostile: every malformed pair is ErrLabel.
func TestParseLabelsHostile(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
	}{
		{"no equals", []string{"resource"}},
		{"empty pair", []string{""}},
		{"empty name", []string{"=x"}},
		{"digit first", []string{"1a=x"}},
		{"dash", []string{"a-b=x"}},
		{"space", []string{"a b=x"}},
		{"dot", []string{"a.b=x"}},
		{"reserved __", []string{"__name__=x"}},
		{"unicode name", []string{"é=x"}},
		{"NUL", []string{"a\x00=x"}},
		{"invalid UTF-8 name", []string{"\xff=x"}},
		{"long name", []string{strings.Repeat("a", 101) + "=x"}},
		{"repeated", []string{"a=1", "b=2", "a=3"}},
		{"repeated same value", []string{"a=1", "a=1"}},
		{"one bad among good", []string{"a=1", "b", "c=3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := metrics.ParseLabels(tc.in)
			require.ErrorIs(t, err, metrics.ErrLabel)
			require.Nil(t, got)
		})
	}
}
