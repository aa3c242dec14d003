package problem_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/apicrud-go/apicrud/problem"
)

func ExampleWrite() {
	rec := httptest.NewRecorder()
	problem.Write(rec, problem.Problem{
		Status: http.StatusConflict,
		Code:   "contacts.duplicate_email",
		Field:  "email",
		Detail: "this address is already in use",
	})
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body.String())
	// Output:
	// 409 application/problem+json
	// {"title":"Conflict","status":409,"detail":"this address is already in use","field":"email","code":"contacts.duplicate_email"}
}

func ExampleError() {
	rec := httptest.NewRecorder()
	problem.Error(rec, http.StatusNotFound, "")
	fmt.Println(rec.Body.String())
	// Output: {"title":"Not Found","status":404}
}
