package htmlrewriter

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/host/htmlrewriter/htmlwit"
)

// page is a plausible 100 KiB page: a head with scripts and styles, and a
// body of articles with links, images and comments.
func page() []byte {
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Bench &amp; page</title>")
	b.WriteString("<style>body{margin:0} a>b{color:red}</style><script>var x = 1 < 2 && '</p>';</script></head><body>")
	for i := 0; b.Len() < 100<<10; i++ {
		fmt.Fprintf(&b, `<article class="post p%d"><h2><a href="/post/%d">Post %d</a></h2><!-- meta -->`, i, i, i)
		fmt.Fprintf(&b, `<p>Some text with <b>bold</b> and <a href="https://example.com/%d" rel=nofollow>a link</a>.</p>`, i)
		fmt.Fprintf(&b, `<img src="/img/%d.png" alt="">%s</article>`+"\n", i, strings.Repeat("Lorem ipsum dolor sit amet. ", 4))
	}
	b.WriteString("</body></html>")
	return b.Bytes()
}

// rewriteAll runs doc through a Rewriter in 16 KiB writes, answering every
// event with answer.
func rewriteAll(tb testing.TB, regs []htmlwit.Handlers, doc []byte, answer answerFunc) int {
	r, err := New(regs, Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	loop := func(s Step, err error) {
		for {
			if err != nil {
				tb.Fatal(err)
			}
			n += len(s.Output)
			if !s.Event.Some {
				return
			}
			s, err = r.resume(context.Background(), answer(s.Event.Value))
		}
	}
	for len(doc) > 0 {
		k := min(len(doc), 16<<10)
		loop(r.write(context.Background(), doc[:k]))
		doc = doc[k:]
	}
	loop(r.finish(context.Background()))
	return n
}

// BenchmarkRewrite measures the host's share of HTMLRewriter: passing a
// page through, rewriting every link, and seeing every text chunk.
func BenchmarkRewrite(b *testing.B) {
	doc := page()
	nothing := func(htmlwit.Event) []htmlwit.Mutation { return nil }
	cases := []struct {
		name   string
		regs   []htmlwit.Handlers
		answer answerFunc
	}{
		{"passthrough", nil, nothing},
		{"no-match", []htmlwit.Handlers{sel("table.none td", true, true, true)}, nothing},
		{"links", []htmlwit.Handlers{sel("a[href^='/']", true, false, false)}, onElements(setAttr("href", "https://example.com/x"))},
		{"text", []htmlwit.Handlers{docH(false, false, true, false)}, nothing},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				rewriteAll(b, c.regs, doc, c.answer)
			}
		})
	}
}

// TestBoundedMemory streams 64 MiB through a Rewriter that rewrites links
// and sees every text chunk: its buffers stay small and the heap does not
// grow with the document.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 64 MiB")
	}
	unit := page()
	r, err := New([]htmlwit.Handlers{sel("a[href]", true, false, false), sel("article p", false, false, true)}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	before := heap()
	maxBuf, maxOut, maxDepth, total := 0, 0, 0, 0
	answer := onElements(setAttr("href", "https://example.com/"))
	loop := func(s Step, err error) {
		for {
			if err != nil {
				t.Fatal(err)
			}
			maxOut = max(maxOut, cap(s.Output))
			total += len(s.Output)
			if !s.Event.Some {
				return
			}
			s, err = r.resume(context.Background(), answer(s.Event.Value))
		}
	}
	// The unit is a whole document; repeat its body so elements stay open
	// and close as a long page's would.
	body := unit[bytes.Index(unit, []byte("<article")):bytes.LastIndex(unit, []byte("</body>"))]
	loop(r.write(context.Background(), unit[:bytes.Index(unit, []byte("<article"))]))
	for fed := 0; fed < 64<<20; fed += len(body) {
		for b := body; len(b) > 0; {
			k := min(len(b), 64<<10)
			loop(r.write(context.Background(), b[:k]))
			b = b[k:]
			maxBuf = max(maxBuf, cap(r.z.buf))
			maxDepth = max(maxDepth, len(r.stack))
		}
	}
	loop(r.finish(context.Background()))
	grown := int64(heap()) - int64(before)
	t.Logf("64 MiB in, %d MiB out: tokenizer buffer ≤ %d KiB, output ≤ %d KiB, depth ≤ %d, heap %+d KiB", total>>20, maxBuf>>10, maxOut>>10, maxDepth, grown>>10)
	if maxBuf > 256<<10 || maxOut > 512<<10 || maxDepth > 8 {
		t.Errorf("buffers grew with the document")
	}
	if grown > 8<<20 {
		t.Errorf("heap grew %d MiB", grown>>20)
	}
}
