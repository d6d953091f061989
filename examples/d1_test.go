package examples_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/d1/d1module"
	"github.com/bindery-run/bindery/internal/testutil"
)

// TestD1Todo runs examples/d1-todo as its README says, through the CLI:
// the migration applied, then bindery dev, then the JSON API over HTTP;
// what the Worker wrote is in the database's SQLite file.
func TestD1Todo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the CLI")
	}
	bin := testutil.BuildCLI(t)
	wasm := testutil.BuildGoGuest(t, "examples/d1-todo")
	src := filepath.Join(testutil.RepoRoot(t), "examples", "d1-todo")
	toml, err := os.ReadFile(filepath.Join(src, "wrangler.toml"))
	if err != nil {
		t.Fatal(err)
	}
	// The example's own D1 declaration, with the Worker built above as main.
	_, decl, ok := strings.Cut(string(toml), "[[d1_databases]]")
	if !ok || !strings.Contains(decl, `database_id = "todo"`) {
		t.Fatalf("examples/d1-todo/wrangler.toml does not declare database_id todo:\n%s", toml)
	}
	dir := t.TempDir()
	cfg := "name = \"d1-todo\"\nmain = " + quote(wasm) + "\n\n[[d1_databases]]" + decl
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	migration, err := os.ReadFile(filepath.Join(src, "migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "migrations"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "migrations", "0001_init.sql"), migration, 0o644); err != nil {
		t.Fatal(err)
	}
	path, err := d1module.Database{Binding: "DB", Name: "todo", ID: "todo"}.Path(filepath.Join(dir, ".bindery", "state"))
	if err != nil {
		t.Fatal(err)
	}
	// As the README says: the migrations, then the server.
	if out, err := cli(t, bin, dir, "d1", "migrations", "apply", "DB"); err != nil || !strings.Contains(out, "0001_init.sql") {
		t.Fatalf("bindery d1 migrations apply DB: %v\n%s", err, out)
	}

	base, _ := startDev(t, bin, dir)
	for _, s := range []struct {
		method, path, body string
		status             int
		want               string // the whole body (JSON), or with contains a part of it
		contains           bool
	}{
		{"GET", "/todos", "", 200, `[]`, false},
		{"POST", "/todos", `{"title":"buy milk"}`, 201, `{"id":1,"title":"buy milk","done":false}`, false},
		{"POST", "/todos", `{"title":"write tests"}`, 201, `{"id":2,"title":"write tests","done":false}`, false},
		{"POST", "/todos", `{"title":`, 400, `"error":"the body is not the JSON object expected: unexpected end of JSON input"`, true},
		{"POST", "/todos", `{}`, 400, `\"title\" is required`, true},
		{"GET", "/todos", "", 200, `[{"id":1,"title":"buy milk","done":false},{"id":2,"title":"write tests","done":false}]`, false},
		{"GET", "/todos/2", "", 200, `{"id":2,"title":"write tests","done":false}`, false},
		{"GET", "/todos/99", "", 404, `{"error":"todo 99 not found"}`, false},
		{"GET", "/todos/abc", "", 400, `{"error":"todo id \"abc\" is not an integer"}`, false},
		{"PATCH", "/todos/1", `{"done":true}`, 200, `{"id":1,"title":"buy milk","done":true}`, false},
		{"PATCH", "/todos/1", `{"done":"yes"}`, 400, `cannot unmarshal string`, true},
		{"PATCH", "/todos/1", `{}`, 400, `nothing to change`, true},
		{"PATCH", "/todos/99", `{"done":true}`, 404, `{"error":"todo 99 not found"}`, false},
		{"DELETE", "/todos/2", "", 204, ``, false},
		{"DELETE", "/todos/2", "", 404, `{"error":"todo 2 not found"}`, false},
		{"GET", "/todos", "", 200, `[{"id":1,"title":"buy milk","done":true}]`, false},
	} {
		req, err := http.NewRequest(s.method, base+s.path, strings.NewReader(s.body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := strings.TrimSpace(string(b))
		if resp.StatusCode != s.status || s.contains && !strings.Contains(got, s.want) || !s.contains && got != s.want {
			t.Errorf("%s %s %s: got %d %s, want %d %s", s.method, s.path, s.body, resp.StatusCode, got, s.status, s.want)
		}
		if ct := resp.Header.Get("Content-Type"); s.status != 204 && ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", s.method, s.path, ct)
		}
	}

	// The rows are in the SQLite file, done stored as D1 stores a bool.
	db, err := d1.Open(context.Background(), path, d1.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Prepare("SELECT id, title, done FROM todos ORDER BY id").Raw(context.Background(), false)
	if want := [][]d1.Value{{d1.Int(1), d1.Text("buy milk"), d1.Int(1)}}; err != nil || !reflect.DeepEqual(rows, want) {
		t.Errorf("todos in %s = %v, %v; want %v", path, rows, err, want)
	}

	// The sqlite3 CLI opens the same file, while the server runs, and sees
	// what the Worker wrote.
	sqlite3, err := testutil.LookPath("sqlite3", "sqlite3", "apt-get install sqlite3")
	testutil.NeedToolchain(t, err)
	out, err := exec.Command(sqlite3, path, "SELECT id, title, done FROM todos; SELECT name FROM d1_migrations;").CombinedOutput()
	if err != nil || string(out) != "1|buy milk|1\n0001_init.sql\n" {
		t.Errorf("sqlite3 %s: %v\n%s", path, err, out)
	}
}

// quote is a TOML basic string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
