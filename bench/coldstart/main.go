// Command coldstart measures, -n times, the wall time from spawning a server
// to its first 200 on -url, then the idle RSS of its process tree -idle
// later, then stops it (SIGTERM to the process group it was started in,
// SIGKILL after 10 s). Used by bench/run-http.sh.
//
//	coldstart -name bindery -what hello -url http://127.0.0.1:18787/hello -n 5 -- bin/bindery dev ...
//
// Output: one line per run, "start NAME WHAT RUN MS IDLE_RSS_MIB" (the row
// format bench/summary reads); the server's output goes to stderr.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// current is the process group of the server being measured, stopped if
// this tool is interrupted.
var current atomic.Int64

func main() {
	name := flag.String("name", "server", "target name for the output rows")
	what := flag.String("what", "hello", "scenario name for the output rows")
	target := flag.String("url", "", "URL polled until it answers 200 (loopback only)")
	n := flag.Int("n", 5, "runs")
	first := flag.Int("first-run", 1, "number of the first run in the output")
	poll := flag.Duration("poll", 2*time.Millisecond, "poll interval")
	timeout := flag.Duration("timeout", 60*time.Second, "give up on a start after this long")
	idle := flag.Duration("idle", 2*time.Second, "wait this long after the first 200, then sample the idle RSS")
	pause := flag.Duration("pause", 500*time.Millisecond, "pause between runs")
	flag.Parse()
	args := flag.Args()
	u, err := url.Parse(*target)
	if err != nil || len(args) == 0 {
		fail("usage: coldstart -url URL [-n N] -- command args...")
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		fail("refusing %s: not a loopback address", u.Host)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		<-sigs
		if pgid := current.Load(); pgid > 0 {
			syscall.Kill(-int(pgid), syscall.SIGKILL)
		}
		os.Exit(130)
	}()
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true, DialContext: (&net.Dialer{Timeout: 500 * time.Millisecond}).DialContext},
	}
	for i := range *n {
		ms, rss, err := once(client, *target, args, *poll, *timeout, *idle)
		if err != nil {
			fail("%s %s run %d: %v", *name, *what, *first+i, err)
		}
		fmt.Printf("start\t%s\t%s\t%d\t%.1f\t%.1f\n", *name, *what, *first+i, ms, rss)
		time.Sleep(*pause)
	}
}

func once(client *http.Client, target string, args []string, poll, timeout, idle time.Duration) (ms, rssMiB float64, err error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	pid := cmd.Process.Pid
	current.Store(int64(pid))
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	defer func() {
		syscall.Kill(-pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-pid, syscall.SIGKILL)
			<-done
		}
		syscall.Kill(-pid, syscall.SIGKILL) // stragglers of the group, if any
		current.Store(0)
	}()
	for {
		if time.Since(t0) > timeout {
			return 0, 0, fmt.Errorf("no 200 from %s within %v", target, timeout)
		}
		if resp, err := client.Get(target); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-done:
			return 0, 0, fmt.Errorf("server exited before answering")
		case <-time.After(poll):
		}
	}
	ms = float64(time.Since(t0).Microseconds()) / 1000
	time.Sleep(idle)
	return ms, float64(treeRSSKiB(pid)) / 1024, nil
}

// treeRSSKiB sums VmRSS over pid and its descendants.
func treeRSSKiB(pid int) int {
	children := map[int][]int{}
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		child, _ := strconv.Atoi(strings.Fields(s)[0])
		if len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			children[ppid] = append(children[ppid], child)
		}
	}
	total := 0
	for todo := []int{pid}; len(todo) > 0; {
		p := todo[len(todo)-1]
		todo = append(todo[:len(todo)-1], children[p]...)
		total += vmRSS(p)
	}
	return total
}

func vmRSS(pid int) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb
		}
	}
	return 0
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "coldstart: "+format+"\n", args...)
	os.Exit(1)
}
