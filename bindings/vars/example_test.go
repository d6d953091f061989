package vars_test

import (
	"context"
	"fmt"

	"github.com/bindery-run/bindery/bindings/vars"
)

// A Worker's [vars] and secrets; printing them shows names and kinds only.
func ExampleNew() {
	v, err := vars.New(map[string]vars.Var{
		"GREETING":  {Kind: vars.Text, Value: "hello"},
		"LIMITS":    {Kind: vars.JSON, Value: `{"max":3}`},
		"API_TOKEN": {Kind: vars.Secret, Value: "s3cret"},
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	fmt.Println(v.Names(ctx))
	fmt.Println(v.Get(ctx, "GREETING").Value.Text)
	fmt.Println(v)
	fmt.Println(vars.Var{Kind: vars.Secret, Value: "s3cret"})
	// Output:
	// [API_TOKEN GREETING LIMITS]
	// hello
	// vars{API_TOKEN:secret GREETING:text LIMITS:json}
	// secret [redacted]
}
