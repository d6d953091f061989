package d1module

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/bindery-run/bindery/bindings/d1"
)

// jsonObject is a JSON object whose keys keep their order (D1's rows
// list their columns in the statement's order).
type jsonObject struct {
	keys []string
	vals []any
}

// MarshalJSON implements json.Marshaler.
func (o jsonObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := json.Marshal(o.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// jsonValue is v as D1 hands it to JavaScript, then JSON.stringify: an
// integer as a number (exact, also beyond 2^53), a real as a number (null
// for ±Infinity), text as a string, a blob as an array of byte values.
func jsonValue(v d1.Value) any {
	switch v.Kind {
	case d1.KindInteger:
		return json.Number(strconv.FormatInt(v.Int, 10))
	case d1.KindReal:
		if math.IsInf(v.Float, 0) || math.IsNaN(v.Float) {
			return nil
		}
		return json.Number(strconv.FormatFloat(v.Float, 'g', -1, 64))
	case d1.KindText:
		return v.Text
	case d1.KindBlob:
		out := make([]int, len(v.Blob))
		for i, c := range v.Blob {
			out[i] = int(c)
		}
		return out
	}
	return nil
}

// writeResultsJSON prints results as wrangler d1 execute --json does:
// an array with one {"results", "success", "meta"} per statement.
func writeResultsJSON(w io.Writer, res []*d1.Result) error {
	out := make([]jsonObject, len(res))
	for i, r := range res {
		rows := make([]jsonObject, len(r.Results))
		for j, row := range r.Results {
			o := jsonObject{keys: row.Columns}
			for _, v := range row.Values {
				o.vals = append(o.vals, jsonValue(v))
			}
			rows[j] = o
		}
		out[i] = jsonObject{keys: []string{"results", "success", "meta"}, vals: []any{rows, r.Success, r.Meta}}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// displayValue formats v for a table: NULL, numbers as SQLite prints
// them, text as it is, a blob as X'..'.
func displayValue(v d1.Value) string {
	switch v.Kind {
	case d1.KindNull:
		return "NULL"
	case d1.KindInteger:
		return strconv.FormatInt(v.Int, 10)
	case d1.KindReal:
		if math.IsInf(v.Float, 0) {
			return strconv.FormatFloat(v.Float, 'g', -1, 64)
		}
		return SQLLiteral(v) // 1.0, not 1
	case d1.KindText:
		return cellText(v.Text)
	case d1.KindBlob:
		return "X'" + strings.ToUpper(hex.EncodeToString(v.Blob)) + "'"
	}
	return v.String()
}

// cellText keeps a text on one line of a table: tab, newline and
// carriage return as \t, \n and \r, other control characters and
// bytes that are not UTF-8 as \xNN.
func cellText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == utf8.RuneError && n == 1, r < ' ', r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// writeTable prints a result's rows as a table under its column names.
func writeTable(w io.Writer, r *d1.Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	names := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		names[i] = cellText(c)
	}
	fmt.Fprintln(tw, strings.Join(names, "\t"))
	for _, row := range r.Results {
		cells := make([]string, len(row.Values))
		for i, v := range row.Values {
			cells[i] = displayValue(v)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
