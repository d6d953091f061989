package d1_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/bindery-run/bindery/bindings/d1"
)

func Example() {
	ctx := context.Background()
	db, err := d1.OpenMemory(ctx, d1.Options{})
	if err != nil {
		panic(err)
	}
	defer db.Close()

	if _, err := db.Exec(ctx, "CREATE TABLE todos (id INTEGER PRIMARY KEY, title TEXT, big INTEGER)"); err != nil {
		panic(err)
	}
	ins := db.Prepare("INSERT INTO todos (title, big) VALUES (?, ?)")
	res, err := db.Batch(ctx, []*d1.Statement{
		ins.Bind(d1.Text("write the engine"), d1.Int(1<<53+1)),
		ins.Bind(d1.Text("write the binding"), d1.Null()),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("last_row_id:", res[1].Meta.LastRowID)

	row, _, err := db.Prepare("SELECT title, big FROM todos WHERE id = ?").Bind(d1.Int(1)).First(ctx, "")
	if err != nil {
		panic(err)
	}
	fmt.Println(row.Values[0], row.Values[1])

	_, err = db.Prepare("ATTACH 'elsewhere.db' AS x").Run(ctx)
	var auth *d1.AuthError
	fmt.Println(errors.As(err, &auth), err)
	// Output:
	// last_row_id: 2
	// "write the engine" 9007199254740993
	// true d1: not authorized: ATTACH is not allowed in D1
}
