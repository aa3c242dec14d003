package hibp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/apicrud-go/apicrud/session/login/hibp"
)

// A Client against a local server that answers in the range API's format
// (as a self-hosted mirror does): "password" is SHA-1
// 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8, so the client asks for the
// range 5BAA6 and finds the suffix 1E4C9B93F3F0682250B6CF8331B7EE68FD8.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("asked for", r.URL.Path, "padding", r.Header.Get("Add-Padding"))
		fmt.Fprint(w, "003D68EB55068C33ACE09247EE4C639306B:3\r\n"+
			"1E4C9B93F3F0682250B6CF8331B7EE68FD8:52256179\r\n"+
			"D8F9C5A0E8A4BD8DB2E2B6C4B8B8DB7E0A1:0\r\n")
	}))
	defer srv.Close()

	pwned, err := hibp.New(hibp.WithURL(srv.URL + "/range/"))
	if err != nil {
		fmt.Println(err)
		return
	}
	n, err := pwned.Count(context.Background(), "password")
	fmt.Println(n, err)
	breached, err := pwned.Breached(context.Background(), "correct horse battery staple 8812")
	fmt.Println(breached, err)
	// Output:
	// asked for /range/5BAA6 padding true
	// 52256179 <nil>
	// asked for /range/6E6CE padding true
	// false <nil>
}
