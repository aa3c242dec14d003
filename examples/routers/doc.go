// Package routers shows, and tests, apicrud mounted under other routers
// than net/http's ServeMux: a crud API is one http.Handler that chi, echo,
// gin or a ServeMux mounts at any prefix, and the metrics middleware
// labels each request by its route pattern under each. It is a module of
// its own so that those routers never become dependencies of the library.
package routers
