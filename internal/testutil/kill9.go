package testutil

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// Kill9 runs this test binary again as a writer process, with env set to
// value (the package's TestMain sees it and writes instead of testing),
// reads the numbers the writer prints on stdout, one a line, each once a
// write was acknowledged, and kills the process with SIGKILL once it has
// printed at least n. It returns the last number printed. It fails the
// test if the writer stops before n or prints anything else.
func Kill9(t testing.TB, env, value string, n int64) int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"="+value)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := int64(-1)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		v, err := strconv.ParseInt(sc.Text(), 10, 64)
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("writer printed %q", sc.Text())
		}
		acked = v
		if acked >= n {
			cmd.Process.Kill() // SIGKILL
			break
		}
	}
	cmd.Wait()
	if acked < n {
		t.Fatalf("writer stopped after %d acknowledged writes, want %d", acked, n)
	}
	return acked
}
