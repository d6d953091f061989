package examples_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/internal/testutil"
)

// exampleProject writes a project for examples/<name>: its wrangler.toml
// from the first binding section on, with main pointing at the built
// Worker.
func exampleProject(t *testing.T, name, firstSection string) (dir string) {
	t.Helper()
	wasm := testutil.BuildGoGuest(t, "examples/"+name)
	toml, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", name, "wrangler.toml"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(toml), firstSection)
	if !ok {
		t.Fatalf("examples/%s/wrangler.toml has no %s", name, firstSection)
	}
	dir = t.TempDir()
	cfg := fmt.Sprintf("name = %q\nmain = %s\n\n%s%s", name, quote(wasm), firstSection, rest)
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestQueuePipeline runs examples/queue-pipeline through the CLI: jobs
// are processed, failing ones end in the dead-letter queue after their
// retries, bindery queues sends, peeks and purges, and after a kill -9
// during a send load every acknowledged job is processed once bindery dev
// is back.
func TestQueuePipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the CLI")
	}
	bin := testutil.BuildCLI(t)
	dir := exampleProject(t, "queue-pipeline", "[[kv_namespaces]]")
	base, cmd := startDev(t, bin, dir)

	enqueue := func(base, body string) (int, error) {
		resp, err := http.Post(base+"/enqueue", "application/json", strings.NewReader(body))
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	var ids []string
	for i := range 40 {
		id := fmt.Sprintf("job-%d", i)
		body := fmt.Sprintf(`{"id":%q}`, id)
		if i%10 == 3 {
			body = fmt.Sprintf(`{"id":%q,"fail":true}`, id)
		}
		if code, err := enqueue(base, body); err != nil || code != http.StatusAccepted {
			t.Fatalf("POST /enqueue %s: %d %v", body, code, err)
		}
		ids = append(ids, id)
	}
	for i, id := range ids {
		want := "done"
		if i%10 == 3 {
			want = "dead"
		}
		waitState(t, base, id, want)
	}
	if code, _ := enqueue(base, `{"no id": 1}`); code != http.StatusBadRequest {
		t.Errorf("POST /enqueue without an id: %d, want 400", code)
	}

	// bindery queues, through the running server.
	out, err := cli(t, bin, dir, "queues", "list")
	if err != nil || !strings.Contains(out, "jobs ") || !strings.Contains(out, "jobs-dlq") {
		t.Errorf("bindery queues list: %q, %v", out, err)
	}
	if _, err := cli(t, bin, dir, "queues", "send", "jobs", `{"id":"from-cli"}`, "--content-type", "json"); err != nil {
		t.Fatalf("bindery queues send: %v", err)
	}
	waitState(t, base, "from-cli", "done")
	if _, err := cli(t, bin, dir, "queues", "send", "jobs", `{"id":"later"}`, "--content-type", "json", "--delay-seconds", "3600"); err != nil {
		t.Fatalf("bindery queues send --delay-seconds: %v", err)
	}
	out, err = cli(t, bin, dir, "queues", "peek", "jobs", "--json")
	var peeked []struct{ State, Queue, ContentType string }
	if err != nil || json.Unmarshal([]byte(out), &peeked) != nil || len(peeked) != 1 || peeked[0].State != "pending" || peeked[0].ContentType != "json" {
		t.Errorf("bindery queues peek jobs: %q, %v; want the delayed message, pending", out, err)
	}
	out, err = cli(t, bin, dir, "queues", "peek", "jobs-dlq", "--json")
	if err != nil || strings.Count(out, `"id"`) != 0 {
		t.Errorf("bindery queues peek jobs-dlq: %q, %v; want none (its consumer took them)", out, err)
	}
	if err := exec.Command(bin, "queues", "purge", "jobs", "--persist-to", filepath.Join(dir, ".bindery", "state")).Run(); err != nil {
		t.Errorf("bindery queues purge: %v", err)
	}
	var info struct{ Ready, Delayed, InFlight int }
	out, err = cli(t, bin, dir, "queues", "info", "jobs", "--json")
	if err != nil || json.Unmarshal([]byte(out), &info) != nil || info.Ready+info.Delayed+info.InFlight != 0 {
		t.Errorf("bindery queues info jobs after purge: %q, %v", out, err)
	}

	// kill -9 during a send load: every job acknowledged (202) before the
	// kill is processed after the restart.
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("crash-%d-%d", g, i)
				code, err := enqueue(base, fmt.Sprintf(`{"id":%q}`, id))
				if err != nil {
					return
				}
				if code == http.StatusAccepted {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		})
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 50 {
			break
		}
	}
	cmd.Process.Kill()
	close(stop)
	wg.Wait()
	cmd.Wait()
	base, _ = startDev(t, bin, dir)
	for _, id := range acked {
		waitState(t, base, id, "done")
	}
	t.Logf("kill -9 after %d acknowledged sends; all processed after the restart", len(acked))
}

// waitState polls /status/<id> until it says want.
func waitState(t *testing.T, base, id, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st struct{ State string }
		resp, err := http.Get(base + "/status/" + id)
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
		}
		if st.State == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: state %q after 30s, want %q (err %v)", id, st.State, want, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCronReport runs examples/cron-report through the CLI: the trigger
// fires on schedule, by `bindery trigger cron` and by /__scheduled; a bad
// cron stops bindery dev at start-up, naming it.
func TestCronReport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the CLI")
	}
	bin := testutil.BuildCLI(t)
	dir := exampleProject(t, "cron-report", "[[kv_namespaces]]")
	base, cmd := startDev(t, bin, dir)
	runs := func() []map[string]string {
		var out []map[string]string
		if err := json.Unmarshal([]byte(get(t, base+"/runs")), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// On schedule: "* * * * *" fires at the next whole minute.
	deadline := time.Now().Add(75 * time.Second)
	for len(runs()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the cron did not fire within 75s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	first := runs()[0]
	if at, err := time.Parse(time.RFC3339, first["scheduledTime"]); err != nil || at.Second() != 0 || first["cron"] != "* * * * *" {
		t.Errorf("the run on schedule: %v (%v); want cron \"* * * * *\" at a whole minute", first, err)
	}
	cmd.Process.Kill()
	cmd.Wait()

	// By hand, with the schedule off.
	c := exec.Command(bin, "dev", "--port", "0", "--log-level", "warn", "--no-crons")
	c.Dir = dir
	base = startCmd(t, c)
	n := len(runs())
	resp, err := http.Get(base + "/__scheduled?cron=" + "*%2F5+*+*+*+*")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Ran scheduled event") {
		t.Errorf("/__scheduled: %d %q", resp.StatusCode, b)
	}
	if _, err := cli(t, bin, dir, "trigger", "cron", "0 12 * * MON-FRI", "--time", "2000-01-03T12:00:00Z"); err != nil {
		t.Fatalf("bindery trigger cron: %v", err)
	}
	got := runs()
	if len(got) != n+2 {
		t.Fatalf("runs %v: want %d", got, n+2)
	}
	if got[0]["cron"] != "0 12 * * MON-FRI" || got[0]["scheduledTime"] != "2000-01-03T12:00:00Z" {
		t.Errorf("the run bindery trigger cron made: %v", got[0]) // the oldest scheduled time sorts first
	}
	if last := got[len(got)-1]; last["cron"] != "*/5 * * * *" {
		t.Errorf("the run /__scheduled made: %v", last)
	}

	// A bad cron is a start-up error naming it.
	bad := filepath.Join(t.TempDir(), "wrangler.toml")
	os.WriteFile(bad, []byte("name = \"bad\"\nmain = \"x.wasm\"\n[triggers]\ncrons = [\"61 * * * *\"]\n"), 0o644)
	out, err := exec.Command(bin, "dev", "-c", bad, "--port", "0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "wrangler.toml:4") || !strings.Contains(string(out), "61 * * * *") {
		t.Errorf("bindery dev with a bad cron: %v: %s", err, out)
	}
}

// TestQueueAcrossWorkers serves queue-pipeline's Worker twice in one
// bindery dev (-c producer -c consumer): the first only produces to
// "jobs", the second consumes it; they share the data directory, so the
// consumer's KV writes are what the producer's /status reads.
func TestQueueAcrossWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the CLI")
	}
	bin := testutil.BuildCLI(t)
	wasm := testutil.BuildGoGuest(t, "examples/queue-pipeline")
	dir := t.TempDir()
	kv := "[[kv_namespaces]]\nbinding = \"STORE\"\nid = \"shared-store\"\n"
	for _, w := range []struct{ name, queues string }{
		{"producer", "[[queues.producers]]\nbinding = \"JOBS\"\nqueue = \"jobs\"\n"},
		{"consumer", "[[queues.consumers]]\nqueue = \"jobs\"\nmax_batch_timeout = 0.1\nmax_retries = 1\ndead_letter_queue = \"jobs-dlq\"\n[[queues.consumers]]\nqueue = \"jobs-dlq\"\nmax_batch_timeout = 0.1\n"},
	} {
		cfg := fmt.Sprintf("name = %q\nmain = %s\n\n%s\n%s", w.name, quote(wasm), kv, w.queues)
		os.MkdirAll(filepath.Join(dir, w.name), 0o755)
		if err := os.WriteFile(filepath.Join(dir, w.name, "wrangler.toml"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "dev", "--port", "0", "--log-level", "warn",
		"-c", filepath.Join(dir, "producer", "wrangler.toml"), "-c", filepath.Join(dir, "consumer", "wrangler.toml"))
	base := startCmd(t, cmd)
	for _, body := range []string{`{"id":"a"}`, `{"id":"b","fail":true}`} {
		resp, err := http.Post(base+"/enqueue", "application/json", strings.NewReader(body))
		if err != nil || resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST /enqueue %s: %v %v", body, resp, err)
		}
		resp.Body.Close()
	}
	waitState(t, base, "a", "done")
	waitState(t, base, "b", "dead")
}
