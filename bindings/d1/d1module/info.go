package d1module

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// Info is what "bindery d1 info" prints.
type Info struct {
	Binding string `json:"binding"`
	Name    string `json:"database_name,omitempty"`
	ID      string `json:"database_id"`
	// File is the SQLite file; FileSize its size on disk and Size the
	// database's size as D1 reports it (meta.size_after).
	File     string      `json:"file"`
	FileSize int64       `json:"file_size"`
	Size     int64       `json:"size"`
	Tables   []TableInfo `json:"tables"`
}

// TableInfo is one table of Info.
type TableInfo struct {
	Name string `json:"name"`
	Rows int64  `json:"rows"`
}

// d1Info implements "bindery d1 info".
func d1Info(ctx context.Context, t *target, asJSON bool, stdout io.Writer) error {
	store, _, closeFn, err := t.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeFn()
	objs, err := readSchema(ctx, store)
	if err != nil {
		return err
	}
	info := Info{Binding: t.db.Binding, Name: t.db.Name, ID: t.db.LocalID(), File: t.path, Tables: []TableInfo{}}
	var script strings.Builder
	script.WriteString("SELECT 1;\n") // so that there is a result for meta.size_after
	for _, o := range objs {
		if o.dataTable() {
			fmt.Fprintf(&script, "SELECT count(*) FROM %s;\n", quoteIdent(o.name))
			info.Tables = append(info.Tables, TableInfo{Name: o.name})
		}
	}
	res, err := store.Script(ctx, script.String(), nil)
	if err != nil {
		return fmt.Errorf("counting rows: %w", err)
	}
	if len(res) != len(info.Tables)+1 {
		return fmt.Errorf("counting rows: %d results, want %d", len(res), len(info.Tables)+1)
	}
	info.Size = res[0].Meta.SizeAfter
	for i := range info.Tables {
		info.Tables[i].Rows = res[i+1].Results[0].Values[0].Int
	}
	if st, err := os.Stat(t.path); err == nil {
		info.FileSize = st.Size()
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "binding\t%s\n", info.Binding)
	if info.Name != "" {
		fmt.Fprintf(tw, "database_name\t%s\n", info.Name)
	}
	fmt.Fprintf(tw, "database_id\t%s\n", info.ID)
	fmt.Fprintf(tw, "file\t%s\n", info.File)
	fmt.Fprintf(tw, "file size\t%d bytes\n", info.FileSize)
	fmt.Fprintf(tw, "size\t%d bytes\n", info.Size)
	fmt.Fprintf(tw, "tables\t%d\n", len(info.Tables))
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(info.Tables) == 0 {
		return nil
	}
	fmt.Fprintln(stdout)
	tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS")
	for _, tb := range info.Tables {
		fmt.Fprintf(tw, "%s\t%d\n", tb.Name, tb.Rows)
	}
	return tw.Flush()
}
