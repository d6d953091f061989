package queue

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/internal/badgerdb"
)

const crashEnv = "BINDERY_QUEUE_CRASH_WRITER"

// TestMain lets TestKill9 re-run this binary as a writer process.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashWriter(dir)
		return
	}
	os.Exit(m.Run())
}

// crashWriter consumes queue q with a handler that prints its batch's
// ids ("batch ID=BODY...") and never returns, and sends messages "<i>"
// to q forever, three at a time, printing "sent <i>" once the Send of
// message i returned.
func crashWriter(dir string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	db, err := badgerdb.Open(dir, nil)
	if err != nil {
		fail(err)
	}
	b, err := Open(db, Options{})
	if err != nil {
		fail(err)
	}
	var out sync.Mutex
	println := func(s string) {
		out.Lock()
		defer out.Unlock()
		fmt.Println(s)
	}
	_, err = b.Consume("q", ConsumerConfig{MaxBatchSize: 5, MaxBatchTimeout: time.Second, MaxConcurrency: 1},
		func(ctx context.Context, _ string, msgs []Message) Outcome {
			ids := make([]string, len(msgs))
			for i, m := range msgs {
				ids[i] = m.ID + "=" + string(m.Body)
			}
			println("batch " + strings.Join(ids, " "))
			select {}
		})
	if err != nil {
		fail(err)
	}
	for i := 0; ; i += 3 {
		msgs := make([]SendRequest, 3)
		for j := range msgs {
			msgs[j].Body = []byte(strconv.Itoa(i + j))
		}
		if err := b.Send(context.Background(), "q", msgs); err != nil {
			fail(err)
		}
		println("sent " + strconv.Itoa(i+2))
	}
}

// TestKill9: kill -9 a process while a batch is in its handler and
// sends are being made durable; after a restart every acknowledged send
// is there, and the batch is delivered again, its attempts counted.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := -1
	inFlight := map[string]string{} // id → body
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "sent "):
			acked, err = strconv.Atoi(line[len("sent "):])
		case strings.HasPrefix(line, "batch "):
			for _, f := range strings.Fields(line[len("batch "):]) {
				id, body, _ := strings.Cut(f, "=")
				inFlight[id] = body
			}
		default:
			err = fmt.Errorf("writer printed %q", line)
		}
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal(err)
		}
		if acked >= 300 && len(inFlight) > 0 {
			cmd.Process.Kill() // SIGKILL
			break
		}
	}
	cmd.Wait()
	if acked < 300 || len(inFlight) != 5 {
		t.Fatalf("writer stopped after %d sends and %d messages in flight", acked, len(inFlight))
	}

	h := &harness{t: t, dir: dir, clk: nil, log: &logs{}}
	db, err := badgerdb.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.db = db
	if h.b, err = Open(db, Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.close)
	var mu sync.Mutex
	got := map[string]Message{}
	h.consume("q", ConsumerConfig{MaxBatchSize: 100, MaxBatchTimeout: time.Millisecond}, func(_ context.Context, _ string, msgs []Message) Outcome {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			m.Body = append([]byte(nil), m.Body...)
			got[string(m.Body)] = m
		}
		return Outcome{}
	})
	waitFor(t, "the queue to empty", func() bool {
		i := h.info("q")
		return i.Ready+i.Delayed+i.InFlight == 0
	})
	mu.Lock()
	defer mu.Unlock()
	for i := 0; i <= acked; i++ {
		if _, ok := got[strconv.Itoa(i)]; !ok {
			t.Errorf("acknowledged send %d was lost", i)
		}
	}
	for _, m := range got {
		want := 1
		if body, ok := inFlight[m.ID]; ok {
			want = 2
			if body != string(m.Body) {
				t.Errorf("message %s: body %q, was %q", m.ID, m.Body, body)
			}
		}
		if m.Attempts != want {
			t.Errorf("message %s (%s): attempts %d, want %d", m.ID, m.Body, m.Attempts, want)
		}
	}
	t.Logf("%d sends acknowledged, %d delivered after the restart, %d were in flight", acked+1, len(got), len(inFlight))
}
