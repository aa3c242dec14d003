package route

import (
	"context"
	"testing"
)

func TestLabel(t *testing.T) {
	Set(context.Background(), "/ignored") // no Label: nothing happens
	ctx, l := With(context.Background())
	ctx2, l2 := With(ctx)
	if ctx2 != ctx || l2 != l {
		t.Fatal("With on a context with a Label made another")
	}
	Set(ctx, "")
	Set(ctx, "GET /api/v1/contact/{id}")
	Set(ctx, "/api/v1/*") // the router's, after the handler: ignored
	if got := l.Pattern(); got != "/api/v1/contact/{id}" {
		t.Fatalf("Pattern() = %q", got)
	}
	for in, want := range map[string]string{"GET /a": "/a", "/a": "/a", "DELETE \t/a/{id}": "/a/{id}", "example.com/a": "example.com/a"} {
		if got := WithoutMethod(in); got != want {
			t.Errorf("WithoutMethod(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLabelKeepsParentValues(t *testing.T) {
	type k struct{}
	parent := context.WithValue(context.Background(), k{}, "v")
	ctx, _ := With(parent)
	if ctx.Value(k{}) != "v" {
		t.Fatal("the parent's value is lost")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	Set(cctx, "/a")
	if Recorded(ctx) != "/a" || Recorded(cctx) != "/a" {
		t.Fatal("a derived context records into the same Label")
	}
}
