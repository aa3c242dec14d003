package main

import (
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// writeWaterfall draws the trace of root as a waterfall, the way trace
// viewers such as Jaeger show one: a row per span in tree order, the name
// indented by depth with its key attributes, and a bar from its start to
// its end on the request's time axis. It writes SVG.
func writeWaterfall(w io.Writer, title string, root *node) error {
	type row struct {
		n     *node
		depth int
	}
	var rows []row
	var walk func(*node, int)
	walk = func(n *node, d int) {
		rows = append(rows, row{n, d})
		for _, c := range n.children {
			walk(c, d+1)
		}
	}
	walk(root, 0)
	start, end := root.span.StartTime(), root.span.EndTime()
	for _, r := range rows {
		if r.n.span.EndTime().After(end) {
			end = r.n.span.EndTime()
		}
	}
	total := end.Sub(start)
	if total <= 0 {
		total = time.Microsecond
	}
	const (
		labelW = 560
		barW   = 520
		rowH   = 26
		top    = 64
		width  = labelW + barW + 90
	)
	height := top + rowH*len(rows) + 24
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="DejaVu Sans, Verdana, sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="12" y="24" font-size="15" font-weight="bold">%s</text>`+"\n", html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="12" y="44" fill="#555">%d spans, %s, trace %s</text>`+"\n", len(rows), fmtDur(total), root.span.SpanContext().TraceID())
	// Time axis: five ticks.
	for i := 0; i <= 4; i++ {
		x := labelW + barW*i/4
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#ddd"/>`+"\n", x, top-8, x, height-20)
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#777" font-size="10" text-anchor="middle">%s</text>`+"\n", x, top-12, fmtDur(total*time.Duration(i)/4))
	}
	for i, r := range rows {
		y := top + i*rowH
		s := r.n.span
		if i%2 == 1 {
			fmt.Fprintf(&b, `<rect x="0" y="%d" width="%d" height="%d" fill="#f6f8fa"/>`+"\n", y, width, rowH)
		}
		label := s.Name()
		if extra := keyAttrs(s); extra != "" {
			label += "  " + extra
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", 12+16*r.depth, y+17, html.EscapeString(truncate(label, 86-2*r.depth)))
		x0 := labelW + int(float64(barW)*float64(s.StartTime().Sub(start))/float64(total))
		bw := max(int(float64(barW)*float64(s.EndTime().Sub(s.StartTime()))/float64(total)), 2)
		color := scopeColor(s.InstrumentationScope().Name)
		if s.Status().Code == 1 { // codes.Error
			color = "#d73a49"
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="%s"/>`+"\n", x0, y+5, bw, rowH-10, color)
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#333" font-size="10">%s</text>`+"\n", min(x0+bw+4, width-60), y+17, fmtDur(s.EndTime().Sub(s.StartTime())))
	}
	b.WriteString("</svg>\n")
	out := b.String()
	if err := xml.Unmarshal([]byte(out), new(struct{})); err != nil { // well-formed
		return fmt.Errorf("waterfall: %w", err)
	}
	_, err := io.WriteString(w, out)
	return err
}

// shown are the attributes drawn beside a span's name, with their label.
var shown = map[string]string{
	"http.response.status_code": "status", "apicrud.outcome": "", "apicrud.resource": "", "apicrud.action": "action",
	"db.operation.name": "", "db.response.returned_rows": "rows", "apicrud.accesscontrol.rule": "rule",
	"apicrud.ratelimit.remaining": "remaining", "apicrud.metrics.left": "left", "apicrud.grants.name": "grant",
	"apicrud.session.method": "method", "apicrud.login.method": "method", "error.type": "error",
}

// keyAttrs picks the attributes worth showing beside a span's name.
func keyAttrs(s sdktrace.ReadOnlySpan) string {
	var parts []string
	for _, kv := range s.Attributes() {
		label, ok := shown[string(kv.Key)]
		switch {
		case !ok:
		case label == "":
			parts = append(parts, kv.Value.String())
		default:
			parts = append(parts, label+"="+kv.Value.String())
		}
	}
	return strings.Join(parts, " ")
}

// scopeColor gives each package its colour.
func scopeColor(scope string) string {
	pkg := scope[strings.LastIndexByte(scope, '/')+1:]
	switch pkg {
	case "contacts":
		return "#6f42c1"
	case "session", "login":
		return "#0366d6"
	case "accesscontrol":
		return "#e36209"
	case "crud":
		return "#28a745"
	case "ratelimit":
		return "#f9c513"
	case "grants", "metrics":
		return "#17a2b8"
	case "idempotency", "mutex", "registry", "apikey":
		return "#6a737d"
	}
	return "#959da5"
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%d µs", d/time.Microsecond)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
