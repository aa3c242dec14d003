package strictyaml_test

import (
	"fmt"

	"github.com/apicrud-go/apicrud/internal/strictyaml"
)

func ExampleDecode() {
	var v struct {
		Name string `yaml:"name"`
	}
	err := strictyaml.Decode("service.yaml", []byte("name: a\nnmae: b\n"), &v)
	fmt.Println(err)
	// Output: service.yaml:2: unknown field "nmae"
}
