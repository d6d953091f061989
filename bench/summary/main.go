// Command summary turns the rows bench/run-http.sh collects into the
// Markdown tables of docs/benchmarks.md: medians over runs, the spread
// (max−min)/median, and ratios to the target named -baseline, computed run
// by run (each run measures the baseline and the others back to back) and
// then the median taken.
//
// Input rows (tab-separated, from files or stdin):
//
//	load   TARGET SCENARIO RUN RPS P50_MS P99_MS NON2XX ERRORS MAX_MS RSS_MIB
//	start  TARGET WHAT     RUN MS  IDLE_RSS_MIB
//
// With -gobench it reads `go test -bench` output instead (e.g. -count 5)
// and prints, per benchmark, the median of every metric and the spread of
// ns/op:
//
//	go test -run '^$' -bench . -benchmem -count 5 ./host/ | bench-summary -gobench
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

type key struct{ target, scenario string }

type series struct {
	byRun map[int][]float64 // run -> fields after RUN
}

func main() {
	baseline := flag.String("baseline", "baseline", "the target the others are compared with")
	peer := flag.String("peer", "miniflare", "a second target to compare req/s with (\"–\" when it did not run)")
	gobench := flag.Bool("gobench", false, "summarise `go test -bench` output instead")
	flag.Parse()
	var in []io.Reader
	for _, f := range flag.Args() {
		fh, err := os.Open(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "summary:", err)
			os.Exit(1)
		}
		defer fh.Close()
		in = append(in, fh)
	}
	if len(in) == 0 {
		in = append(in, os.Stdin)
	}
	if *gobench {
		goBench(io.MultiReader(in...))
		return
	}
	tables := map[string]map[key]*series{"load": {}, "start": {}}
	order := map[string][]key{}
	for _, r := range in {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			f := strings.Split(strings.TrimSpace(sc.Text()), "\t")
			t, ok := tables[f[0]]
			if !ok || len(f) < 5 {
				continue
			}
			k := key{f[1], f[2]}
			run, _ := strconv.Atoi(f[3])
			vals := make([]float64, len(f)-4)
			for i, s := range f[4:] {
				vals[i], _ = strconv.ParseFloat(s, 64)
			}
			s := t[k]
			if s == nil {
				s = &series{byRun: map[int][]float64{}}
				t[k] = s
				order[f[0]] = append(order[f[0]], k)
			}
			s.byRun[run] = vals
		}
	}
	sortKeys := func(ks []key) {
		slices.SortStableFunc(ks, func(a, b key) int {
			if a.scenario != b.scenario {
				return strings.Compare(a.scenario, b.scenario)
			}
			return boolCmp(a.target != *baseline, b.target != *baseline)
		})
	}
	if ks := order["load"]; len(ks) > 0 {
		sortKeys(ks)
		fmt.Printf("| target | scenario | runs | req/s | spread | p50 ms | p99 ms | **req/s vs baseline** | p50 vs baseline | p99 vs baseline | req/s vs %s | RSS under load MiB | non-2xx / errors |\n", *peer)
		fmt.Println("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		for _, k := range ks {
			s := tables["load"][k]
			base := tables["load"][key{*baseline, k.scenario}]
			rps, p50, p99 := s.col(0), s.col(1), s.col(2)
			bad := sum(s.col(3)) + sum(s.col(4))
			fmt.Printf("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.0f |\n",
				k.target, k.scenario, len(rps), num(median(rps)), spread(rps),
				ms(median(p50)), ms(median(p99)),
				ratio(s, base, 0, false), ratio(s, base, 1, true), ratio(s, base, 2, true),
				ratio(s, tables["load"][key{*peer, k.scenario}], 0, false), num(median(s.col(6))), bad)
		}
		fmt.Println()
	}
	if ks := order["start"]; len(ks) > 0 {
		sortKeys(ks)
		fmt.Println("| target | started with | runs | cold start ms | min–max ms | idle RSS MiB | cold start vs baseline | idle RSS vs baseline |")
		fmt.Println("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
		for _, k := range ks {
			s := tables["start"][k]
			var base *series
			for _, bk := range order["start"] {
				if bk.target == *baseline {
					base = tables["start"][bk]
				}
			}
			t := s.col(0)
			fmt.Printf("| %s | %s | %d | %s | %s–%s | %s | %s | %s |\n", k.target, k.scenario, len(t),
				ms(median(t)), ms(slices.Min(t)), ms(slices.Max(t)), num(median(s.col(1))),
				times(median(t), base.medianOr(0)), times(median(s.col(1)), base.medianOr(1)))
		}
	}
}

// col returns field i of every run.
func (s *series) col(i int) []float64 {
	var out []float64
	for _, run := range s.sortedRuns() {
		if v := s.byRun[run]; i < len(v) {
			out = append(out, v[i])
		}
	}
	return out
}

func (s *series) sortedRuns() []int {
	var runs []int
	for r := range s.byRun {
		runs = append(runs, r)
	}
	slices.Sort(runs)
	return runs
}

func (s *series) medianOr(i int) float64 {
	if s == nil {
		return 0
	}
	return median(s.col(i))
}

// ratio is the median over runs of s[i]/base[i], paired by run number.
// As a "×" factor for latencies (inv: target/baseline), else "x.xx×" for rps.
func ratio(s, base *series, i int, latency bool) string {
	if base == s {
		if latency {
			return "1.0×"
		}
		return "1.000"
	}
	if base == nil {
		return "–"
	}
	var rs []float64
	for run, v := range s.byRun {
		b, ok := base.byRun[run]
		if ok && i < len(v) && i < len(b) && b[i] > 0 {
			rs = append(rs, v[i]/b[i])
		}
	}
	if len(rs) == 0 {
		return "–"
	}
	r := median(rs)
	if latency {
		return fmt.Sprintf("%.1f×", r)
	}
	return fmt.Sprintf("%.3f", r)
}

func times(v, base float64) string {
	if base <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f×", v/base)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func spread(v []float64) string {
	m := median(v)
	if len(v) < 2 || m == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100*(slices.Max(v)-slices.Min(v))/m)
}

func sum(v []float64) float64 {
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t
}

// num formats a count with thousands separators.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 0, 64)
	if v >= 1000 {
		for i := len(s) - 3; i > 0; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
	}
	return s
}

func ms(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// goBench summarises `go test -bench` output: one row per benchmark, in
// order of first appearance, with the median of each metric over its runs.
func goBench(r io.Reader) {
	type bench struct {
		units   []string
		metrics map[string][]float64
	}
	var names []string
	benches := map[string]*bench{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		b := benches[f[0]]
		if b == nil {
			b = &bench{metrics: map[string][]float64{}}
			benches[f[0]] = b
			names = append(names, f[0])
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			unit := f[i+1]
			if _, seen := b.metrics[unit]; !seen {
				b.units = append(b.units, unit)
			}
			b.metrics[unit] = append(b.metrics[unit], v)
		}
	}
	fmt.Println("| benchmark | runs | ns/op (median) | spread | other metrics (medians) |")
	fmt.Println("| --- | ---: | ---: | ---: | --- |")
	for _, n := range names {
		b := benches[n]
		ns := b.metrics["ns/op"]
		var other []string
		for _, u := range b.units {
			if u != "ns/op" {
				v, txt := median(b.metrics[u]), ""
				if v >= 1000 {
					txt = num(v)
				} else {
					txt = strconv.FormatFloat(v, 'g', 4, 64)
				}
				other = append(other, txt+" "+u)
			}
		}
		fmt.Printf("| %s | %d | %s | %s | %s |\n", n, len(ns), num(median(ns)), spread(ns), strings.Join(other, ", "))
	}
}
