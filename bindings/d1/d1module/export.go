package d1module

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/bindery-run/bindery/bindings/d1"
)

// schemaObject is one row of sqlite_schema.
type schemaObject struct {
	typ, name, table, sql string
	kind                  string // PRAGMA table_list's type of a table: table, virtual, shadow
}

// readSchema returns the database's schema objects in the order they
// were created, and the tables' kinds.
func readSchema(ctx context.Context, store d1Store) ([]schemaObject, error) {
	res, err := store.Script(ctx, "PRAGMA table_list; SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid", nil)
	if err != nil {
		return nil, fmt.Errorf("reading the schema: %w", err)
	}
	if len(res) != 2 {
		return nil, fmt.Errorf("reading the schema: %d results, want 2", len(res))
	}
	kinds := map[string]string{}
	for _, row := range res[0].Results {
		schema, _ := row.Get("schema")
		name, _ := row.Get("name")
		typ, _ := row.Get("type")
		if schema.Text == "main" {
			kinds[name.Text] = typ.Text
		}
	}
	var out []schemaObject
	for _, row := range res[1].Results {
		o := schemaObject{typ: row.Values[0].Text, name: row.Values[1].Text, table: row.Values[2].Text, sql: row.Values[3].Text}
		o.kind = kinds[o.name]
		out = append(out, o)
	}
	return out, nil
}

// dataTable reports whether o is a table whose rows an export or info
// lists: not SQLite's own (sqlite_%), not D1's (_cf_%), not the shadow
// table of a virtual table.
func (o schemaObject) dataTable() bool {
	return o.typ == "table" && o.kind != "shadow" && !strings.HasPrefix(o.name, "sqlite_") && !strings.HasPrefix(o.name, "_cf_")
}

// d1Export implements "bindery d1 export".
func d1Export(ctx context.Context, t *target, f *d1Flags, stdout, stderr io.Writer) error {
	store, _, closeFn, err := t.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeFn()
	var w io.Writer = stdout
	var file *os.File
	if f.output != "" {
		if file, err = os.Create(f.output); err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	bw := bufio.NewWriter(w)
	if err := export(ctx, store, bw, !f.noSchema, !f.noData, f.tables); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Exported D1 database %s to %s\n", t.db.Binding, f.output)
	}
	return nil
}

// export writes the database as SQL: the tables in creation order, each
// followed by its rows, then sqlite_sequence, then the indexes, triggers
// and views. only (if not empty) names the tables to export.
func export(ctx context.Context, store d1Store, w io.Writer, schema, data bool, only []string) error {
	objs, err := readSchema(ctx, store)
	if err != nil {
		return err
	}
	var tables []schemaObject
	for _, o := range objs {
		if o.dataTable() {
			tables = append(tables, o)
		}
	}
	for _, name := range only {
		if !slices.ContainsFunc(tables, func(o schemaObject) bool { return o.name == name }) {
			var names []string
			for _, o := range tables {
				names = append(names, o.name)
			}
			return fmt.Errorf("--table %q: no such table (the database has %s)", name, orNone(names))
		}
	}
	wanted := func(table string) bool { return len(only) == 0 || slices.Contains(only, table) }
	var rows map[string]*d1.Result
	var xinfo map[string]*d1.Result
	if data {
		if rows, xinfo, err = readRows(ctx, store, tables, wanted); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "PRAGMA defer_foreign_keys=TRUE;")
	for _, o := range tables {
		if !wanted(o.name) {
			continue
		}
		if schema {
			fmt.Fprintf(w, "%s;\n", o.sql)
		}
		if data {
			writeInserts(w, o.name, xinfo[o.name], rows[o.name])
		}
	}
	if data {
		if err := writeSequence(ctx, store, w, objs, wanted); err != nil {
			return err
		}
	}
	if schema {
		for _, o := range objs {
			if o.typ == "table" || o.sql == "" || (o.typ == "view" && len(only) > 0 && !wanted(o.name)) || (o.typ != "view" && !wanted(o.table)) {
				continue
			}
			fmt.Fprintf(w, "%s;\n", o.sql)
		}
	}
	return nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "no tables"
	}
	return strings.Join(names, ", ")
}

// readRows reads the columns (PRAGMA table_xinfo) and rows of the
// wanted tables, in one transaction.
func readRows(ctx context.Context, store d1Store, tables []schemaObject, wanted func(string) bool) (rows, xinfo map[string]*d1.Result, err error) {
	var script strings.Builder
	var names []string
	for _, o := range tables {
		if wanted(o.name) {
			fmt.Fprintf(&script, "PRAGMA table_xinfo(%s);\nSELECT * FROM %s;\n", quoteIdent(o.name), quoteIdent(o.name))
			names = append(names, o.name)
		}
	}
	if len(names) == 0 {
		return nil, nil, nil
	}
	res, err := store.Script(ctx, script.String(), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the rows: %w", err)
	}
	if len(res) != 2*len(names) {
		return nil, nil, fmt.Errorf("reading the rows: %d results, want %d", len(res), 2*len(names))
	}
	rows, xinfo = map[string]*d1.Result{}, map[string]*d1.Result{}
	for i, n := range names {
		xinfo[n], rows[n] = res[2*i], res[2*i+1]
	}
	return rows, xinfo, nil
}

// writeInserts writes one INSERT per row of table. SELECT * gives the
// columns of table_xinfo that are not hidden (hidden 1); of those, the
// generated ones (hidden 2 and 3) are left out of the INSERT.
func writeInserts(w io.Writer, table string, xinfo, rows *d1.Result) {
	var cols []string
	var keep []int // indexes into SELECT *'s columns
	i := 0
	for _, c := range xinfo.Results {
		name, _ := c.Get("name")
		hidden, _ := c.Get("hidden")
		switch hidden.Int {
		case 1:
			continue
		case 0:
			cols = append(cols, quoteIdent(name.Text))
			keep = append(keep, i)
		}
		i++
	}
	head := "INSERT INTO " + quoteIdent(table) + " (" + strings.Join(cols, ",") + ") VALUES("
	for _, row := range rows.Results {
		vals := make([]string, len(keep))
		for j, k := range keep {
			vals[j] = SQLLiteral(row.Values[k])
		}
		fmt.Fprintf(w, "%s%s);\n", head, strings.Join(vals, ","))
	}
}

// writeSequence writes the AUTOINCREMENT counters of the wanted tables
// (sqlite_sequence), as the sqlite3 CLI's .dump does.
func writeSequence(ctx context.Context, store d1Store, w io.Writer, objs []schemaObject, wanted func(string) bool) error {
	if !slices.ContainsFunc(objs, func(o schemaObject) bool { return o.name == "sqlite_sequence" }) {
		return nil
	}
	res, err := store.Script(ctx, "SELECT name, seq FROM sqlite_sequence ORDER BY rowid", nil)
	if err != nil {
		return fmt.Errorf("reading sqlite_sequence: %w", err)
	}
	for _, row := range res[0].Results {
		if name := row.Values[0]; name.Kind == d1.KindText && wanted(name.Text) {
			fmt.Fprintf(w, "DELETE FROM sqlite_sequence WHERE name = %s;\n", SQLLiteral(name))
			fmt.Fprintf(w, "INSERT INTO sqlite_sequence (name,seq) VALUES(%s,%s);\n", SQLLiteral(name), SQLLiteral(row.Values[1]))
		}
	}
	return nil
}

// SQLLiteral returns v as an SQL literal that reads back as the same
// value of the same storage class: NULL, an integer, a real (always with
// a "." or an exponent; ±1e999 for infinities), a quoted text (as
// CAST(X'..' AS TEXT) when it holds a NUL byte) or a blob X'..'.
func SQLLiteral(v d1.Value) string {
	switch v.Kind {
	case d1.KindInteger:
		return strconv.FormatInt(v.Int, 10)
	case d1.KindReal:
		switch {
		case math.IsInf(v.Float, 1):
			return "1e999"
		case math.IsInf(v.Float, -1):
			return "-1e999"
		case math.IsNaN(v.Float):
			return "NULL"
		}
		s := strconv.FormatFloat(v.Float, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return s
	case d1.KindText:
		if strings.IndexByte(v.Text, 0) >= 0 {
			return "CAST(X'" + strings.ToUpper(hex.EncodeToString([]byte(v.Text))) + "' AS TEXT)"
		}
		return "'" + strings.ReplaceAll(v.Text, "'", "''") + "'"
	case d1.KindBlob:
		return "X'" + strings.ToUpper(hex.EncodeToString(v.Blob)) + "'"
	}
	return "NULL"
}
