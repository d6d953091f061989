package d1module

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/internal/admin"
)

// The D1 routes of the admin API (JSON errors {"error": "..."}):
//
//	GET  /api/d1/databases               {"databases": [{"id", "path"}]}: the databases the server has open
//	POST /api/d1/databases/{id}/script   run a script in one transaction (d1.Database.ExecScript)
//
// A script's request is {"script": base64, "then": [{"sql": base64,
// "params": [value]}]} and its answer {"results": [{"columns": [...],
// "rows": [[value]], "meta": {D1's meta}}]}; a failing statement answers
// 400 with {"error", "statement", "offset"} (d1.ScriptError; the error
// worded by d1.Message). SQL travels
// as base64 and a value as [kind, text] (see Value), so both cross byte
// for byte, whatever they hold.

// maxScriptBody bounds a script request's body.
const maxScriptBody = 256 << 20

// DatabaseInfo is one database in the answer of GET /api/d1/databases.
type DatabaseInfo struct {
	// ID is the database's local id (Database.LocalID).
	ID string `json:"id"`
	// Path is its SQLite file.
	Path string `json:"path"`
}

// Stmt is a statement with its bound values, run after a script.
type Stmt struct {
	SQL    string
	Params []d1.Value
}

// Value is a d1.Value on the wire: null, or [kind, text] where kind is
// "integer" (decimal), "real" (Go's shortest 'g' form, or ±Inf),
// "text", "text64" (text that is not valid UTF-8, in base64) or "blob"
// (base64).
type Value struct{ d1.Value }

// MarshalJSON implements json.Marshaler.
func (v Value) MarshalJSON() ([]byte, error) {
	var kind, text string
	switch v.Kind {
	case d1.KindNull:
		return []byte("null"), nil
	case d1.KindInteger:
		kind, text = "integer", strconv.FormatInt(v.Int, 10)
	case d1.KindReal:
		kind, text = "real", strconv.FormatFloat(v.Float, 'g', -1, 64)
	case d1.KindText:
		kind, text = "text", v.Text
		if !utf8.ValidString(v.Text) {
			kind, text = "text64", base64.StdEncoding.EncodeToString([]byte(v.Text))
		}
	case d1.KindBlob:
		kind, text = "blob", base64.StdEncoding.EncodeToString(v.Blob)
	default:
		return nil, fmt.Errorf("d1 value of kind %v", v.Kind)
	}
	return json.Marshal([2]string{kind, text})
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *Value) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*v = Value{}
		return nil
	}
	var kt [2]string
	if err := json.Unmarshal(b, &kt); err != nil {
		return fmt.Errorf("d1 value: %w", err)
	}
	var err error
	switch kt[0] {
	case "integer":
		var n int64
		n, err = strconv.ParseInt(kt[1], 10, 64)
		v.Value = d1.Int(n)
	case "real":
		var f float64
		f, err = strconv.ParseFloat(kt[1], 64)
		v.Value = d1.Real(f)
	case "text":
		v.Value = d1.Text(kt[1])
	case "text64":
		var t []byte
		t, err = base64.StdEncoding.DecodeString(kt[1])
		v.Value = d1.Text(string(t))
	case "blob":
		var t []byte
		t, err = base64.StdEncoding.DecodeString(kt[1])
		v.Value = d1.Blob(t)
	default:
		return fmt.Errorf("d1 value: unknown kind %q", kt[0])
	}
	if err != nil {
		return fmt.Errorf("d1 %s value %q: %w", kt[0], kt[1], err)
	}
	return nil
}

// WireStmt is a Stmt on the wire: its SQL in base64.
type WireStmt struct {
	SQL    []byte  `json:"sql"`
	Params []Value `json:"params,omitempty"`
}

// ScriptRequest is the body of POST /api/d1/databases/{id}/script.
type ScriptRequest struct {
	Script []byte     `json:"script"`
	Then   []WireStmt `json:"then,omitempty"`
}

// WireResult is one statement's result on the wire.
type WireResult struct {
	Columns []string  `json:"columns"`
	Rows    [][]Value `json:"rows"`
	Meta    d1.Meta   `json:"meta"`
}

// ScriptResponse is the answer of a script that ran.
type ScriptResponse struct {
	Results []WireResult `json:"results"`
}

// scriptErrorBody is the answer of a script whose statement failed.
type scriptErrorBody struct {
	Error     string `json:"error"`
	Statement int    `json:"statement"`
	Offset    int    `json:"offset"`
}

// ResultToWire converts a result for the wire.
func ResultToWire(r *d1.Result) WireResult {
	out := WireResult{Columns: r.Columns, Rows: make([][]Value, len(r.Results)), Meta: r.Meta}
	if out.Columns == nil {
		out.Columns = []string{}
	}
	for i, row := range r.Results {
		vs := make([]Value, len(row.Values))
		for j, v := range row.Values {
			vs[j] = Value{v}
		}
		out.Rows[i] = vs
	}
	return out
}

// ResultFromWire converts a wire result back.
func ResultFromWire(w WireResult) *d1.Result {
	out := &d1.Result{Columns: w.Columns, Results: make([]d1.Row, len(w.Rows)), Success: true, Meta: w.Meta}
	for i, row := range w.Rows {
		vs := make([]d1.Value, len(row))
		for j, v := range row {
			vs[j] = v.Value
		}
		out.Results[i] = d1.Row{Columns: w.Columns, Values: vs}
	}
	return out
}

// routes collects admin routes.
type routes []bindings.Route

func (rs *routes) handle(pattern string, h http.HandlerFunc) {
	*rs = append(*rs, bindings.Route{Pattern: pattern, Handler: h})
}

// Routes returns the D1 routes of the admin API over the open databases,
// by local id.
func Routes(dbs map[string]*d1.Database) []bindings.Route {
	mux := &routes{}
	mux.handle("GET /api/d1/databases", func(w http.ResponseWriter, r *http.Request) {
		out := struct {
			Databases []DatabaseInfo `json:"databases"`
		}{Databases: []DatabaseInfo{}}
		for _, id := range slices.Sorted(maps.Keys(dbs)) {
			out.Databases = append(out.Databases, DatabaseInfo{ID: id, Path: dbs[id].Path()})
		}
		admin.WriteJSON(w, http.StatusOK, out)
	})
	mux.handle("POST /api/d1/databases/{id}/script", func(w http.ResponseWriter, r *http.Request) {
		db, ok := dbs[r.PathValue("id")]
		if !ok {
			admin.WriteJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("this dev server has no D1 database %q open", r.PathValue("id"))})
			return
		}
		var req ScriptRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, maxScriptBody)).Decode(&req); err != nil {
			admin.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "bad script request: " + err.Error()})
			return
		}
		then := make([]*d1.Statement, len(req.Then))
		for i, s := range req.Then {
			ps := make([]d1.Value, len(s.Params))
			for j, p := range s.Params {
				ps[j] = p.Value
			}
			then[i] = db.Prepare(string(s.SQL)).Bind(ps...)
		}
		res, err := db.ExecScript(r.Context(), string(req.Script), then...)
		var se *d1.ScriptError
		switch {
		case errors.As(err, &se):
			admin.WriteJSON(w, http.StatusBadRequest, scriptErrorBody{Error: d1.Message(se.Err), Statement: se.Statement, Offset: se.Offset})
			return
		case err != nil:
			admin.WriteJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		out := ScriptResponse{Results: make([]WireResult, len(res))}
		for i, r := range res {
			out.Results[i] = ResultToWire(r)
		}
		admin.WriteJSON(w, http.StatusOK, out)
	})
	return *mux
}

// Client calls the D1 routes of a dev server's admin API.
type Client struct{ c *admin.Client }

// NewClient returns a client of the admin API at url (e.g.
// "http://127.0.0.1:43211") with the bearer token; hc nil means a default
// HTTP client.
func NewClient(url, token string, hc *http.Client) *Client {
	return &Client{c: &admin.Client{URL: url, Token: token, HTTP: hc}}
}

// Ping checks that the server answers and accepts the token.
func (c *Client) Ping(ctx context.Context) error { return c.c.Ping(ctx) }

// Databases returns the databases the server has open, by id.
func (c *Client) Databases(ctx context.Context) ([]DatabaseInfo, error) {
	resp, err := c.c.Request(ctx, "GET", "/api/d1/databases", nil, nil, nil, 0)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, admin.ReadError(resp, nil)
	}
	var out struct{ Databases []DatabaseInfo }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("admin API: %w", err)
	}
	return out.Databases, nil
}

// Script runs script then the statements then on the database id in one
// transaction, as d1.Database.ExecScript does; a failing statement's
// error is a *d1.ScriptError as there.
func (c *Client) Script(ctx context.Context, id, script string, then []Stmt) ([]*d1.Result, error) {
	req := ScriptRequest{Script: []byte(script)}
	for _, s := range then {
		ws := WireStmt{SQL: []byte(s.SQL)}
		for _, p := range s.Params {
			ws.Params = append(ws.Params, Value{p})
		}
		req.Then = append(req.Then, ws)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	resp, err := c.c.Request(ctx, "POST", "/api/d1/databases/"+admin.EscapeKey(id)+"/script", nil, http.Header{"Content-Type": {"application/json"}}, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusBadRequest {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("admin API: %w", err)
		}
		var e scriptErrorBody
		if json.Unmarshal(b, &e) == nil && e.Statement > 0 {
			return nil, &d1.ScriptError{Statement: e.Statement, Offset: e.Offset, Err: errors.New(e.Error)}
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, admin.ReadError(resp, nil)
	}
	var out ScriptResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("admin API: %w", err)
	}
	res := make([]*d1.Result, len(out.Results))
	for i, w := range out.Results {
		res[i] = ResultFromWire(w)
	}
	return res, nil
}
