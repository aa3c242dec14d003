// Package problem writes RFC 9457 problem details (application/problem+json),
// the error format of every apicrud HTTP handler and middleware. Hosts use it
// for their own errors so that a client sees one error format:
//
//	problem.Write(w, problem.Problem{
//		Status: http.StatusConflict,
//		Code:   code, // a stable id such as "contacts.duplicate_email"
//		Field:  "email",
//		Detail: "this address is already in use",
//	})
//
// Code is a stable, machine-readable message id ("<package>.<reason>", for
// example "crud.not_found"): clients branch on it and the i18n middleware
// translates Title and Detail by it. Title and Detail are for people and
// never carry internal error text, SQL, or whether an account or record
// exists.
//
// The package imports nothing else of the module, so every package may use
// it without depending on a sibling.
package problem
