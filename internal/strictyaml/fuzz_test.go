package strictyaml_test

import (
	"errors"
	"testing"

	"github.com/apicrud-go/apicrud/internal/strictyaml"
)

// FuzzDecode checks that no input panics and that every error the package
// makes is an *Error with a kind.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"name: a\ncount: 2\n", "---\n---\n", "a: &a [1]\nb: *a\n", "{a: 1]\n", "- a\nb: 1\n", billionLaughs, "name: a\n---\nname: b\n", "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v target
		if err := strictyaml.Decode("f.yaml", data, &v); err != nil {
			var e *strictyaml.Error
			if !errors.As(err, &e) || e.Err == nil || e.File != "f.yaml" {
				t.Fatalf("%q: unexpected error %#v", data, err)
			}
		}
		if _, err := strictyaml.Parse("f.yaml", data); err != nil {
			var e *strictyaml.Error
			if !errors.As(err, &e) {
				t.Fatalf("%q: unexpected error %#v", data, err)
			}
		}
	})
}
