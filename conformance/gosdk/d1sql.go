//go:build wasip1

package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/d1sql"
)

// d1SQL drives the database/sql driver against the D1 binding DB and
// reports, for each check, "" when it held or what happened instead.
func d1SQL(ctx context.Context) map[string]string {
	out := map[string]string{}
	check := func(name string, problem string) { out[name] = problem }
	db, err := sql.Open("d1", "DB")
	if err != nil {
		return map[string]string{"open": err.Error()}
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS s"); err != nil {
		return map[string]string{"drop": err.Error()}
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE s (id INTEGER PRIMARY KEY, b INTEGER, t TEXT, x BLOB, f REAL, n INTEGER, big INTEGER)"); err != nil {
		return map[string]string{"create": err.Error()}
	}

	// Every argument type, bound out of order with ?NNN.
	when := time.Date(2026, 12, 7, 23, 39, 9, 500_000_000, time.FixedZone("CET", 3600))
	var none *string
	res, err := db.ExecContext(ctx, "INSERT INTO s (big, n, f, x, t, b) VALUES (?6, ?5, ?4, ?3, ?2, ?1)",
		true, when, []byte{0, 0xff}, float32(1.5), none, uint64(9007199254740993))
	if err != nil {
		return map[string]string{"insert": err.Error()}
	}
	id, err1 := res.LastInsertId()
	n, err2 := res.RowsAffected()
	check("result", want(id == 1 && n == 1 && err1 == nil && err2 == nil, "LastInsertId %d, RowsAffected %d", id, n))

	var (
		b   bool
		t   string
		x   []byte
		f   float64
		nn  sql.NullInt64
		big int64
	)
	err = db.QueryRowContext(ctx, "SELECT b, t, x, f, n, big FROM s WHERE id = ?", id).Scan(&b, &t, &x, &f, &nn, &big)
	check("scan", want(err == nil, "%v", err))
	check("bool as 1", want(b, "b = %v", b))
	parsed, perr := time.Parse(d1sql.TimeFormat, t)
	check("time as RFC 3339 in UTC", want(t == "2026-12-07T22:39:09.5Z" && perr == nil && parsed.Equal(when), "t = %q", t))
	check("blob", want(reflect.DeepEqual(x, []byte{0, 0xff}), "x = %v", x))
	check("real", want(f == 1.5, "f = %v", f))
	check("nil pointer as NULL", want(!nn.Valid, "n = %v", nn))
	check("integer beyond 2^53", want(big == 9007199254740993, "big = %d", big))

	// Raw values as D1 stores them, and the column names.
	rows, err := db.QueryContext(ctx, "SELECT b, t, x, f, n, big FROM s")
	if err != nil {
		return map[string]string{"query": err.Error()}
	}
	cols, _ := rows.Columns()
	var vals [6]any
	ptrs := []any{&vals[0], &vals[1], &vals[2], &vals[3], &vals[4], &vals[5]}
	for rows.Next() {
		err = rows.Scan(ptrs...)
	}
	rows.Close()
	wantVals := [6]any{int64(1), "2026-12-07T22:39:09.5Z", []byte{0, 0xff}, 1.5, nil, int64(9007199254740993)}
	check("columns", want(reflect.DeepEqual(cols, []string{"b", "t", "x", "f", "n", "big"}), "columns %q", cols))
	check("values", want(err == nil && reflect.DeepEqual(vals, wantVals), "values %#v, %v", vals, err))

	// A prepared statement, run twice.
	st, err := db.PrepareContext(ctx, "SELECT ?1 + ?2")
	if err != nil {
		return map[string]string{"prepare": err.Error()}
	}
	var sum1, sum2 int64
	err1 = st.QueryRowContext(ctx, 1, 2).Scan(&sum1)
	err2 = st.QueryRowContext(ctx, 10, 20).Scan(&sum2)
	st.Close()
	check("prepared", want(sum1 == 3 && sum2 == 30 && err1 == nil && err2 == nil, "%d %d %v %v", sum1, sum2, err1, err2))

	// What D1 cannot do, as typed errors.
	_, err = db.BeginTx(ctx, nil)
	check("no transactions", want(errors.Is(err, d1sql.ErrNoTransactions), "BeginTx: %v", err))
	_, err = db.ExecContext(ctx, "BEGIN")
	check("BEGIN refused", want(errors.Is(err, bindery.ErrRefused), "BEGIN: %v", err))
	_, err = db.ExecContext(ctx, "SELECT :id", sql.Named("id", 1))
	check("named parameter", want(errors.Is(err, d1sql.ErrNamedParameter), "named: %v", err))
	_, err = db.ExecContext(ctx, "SELECT ?", map[string]int{"a": 1})
	check("unsupported type", want(errors.Is(err, bindery.ErrUnsupportedType), "map: %v", err))
	_, err = db.ExecContext(ctx, "SELECT ?", uint64(1)<<63)
	check("uint64 over int64", want(errors.Is(err, bindery.ErrInvalidArgument), "uint64: %v", err))
	_, err = db.ExecContext(ctx, "SELECT ?", "\xff")
	check("text not UTF-8", want(errors.Is(err, bindery.ErrInvalidArgument), "text: %v", err))
	_, err = db.ExecContext(ctx, "SELECT * FROM nope")
	var de *bindery.D1Error
	check("SQL error", want(errors.Is(err, bindery.ErrSQL) && errors.As(err, &de) && de.Message == "D1_ERROR: no such table: nope: SQLITE_ERROR", "%v", err))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = db.ExecContext(cancelled, "INSERT INTO s (b) VALUES (0)")
	check("cancelled context", want(errors.Is(err, context.Canceled), "%v", err))
	other, _ := sql.Open("d1", "NOPE")
	err = other.PingContext(ctx)
	check("ungranted binding", want(errors.Is(err, bindery.ErrNoSuchDatabase), "%v", err))
	return out
}

// want is "" when ok, else the formatted problem.
func want(ok bool, format string, args ...any) string {
	if ok {
		return ""
	}
	return fmt.Sprintf(format, args...)
}
