package jsregexp

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
)

func newExpander(t testing.TB) *Expander {
	t.Helper()
	x, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// goRegexp compiles an expanded u-mode pattern with Go's regexp, whose
// classes mean the same for the escapes Expand writes.
func goRegexp(t *testing.T, pattern string) *regexp.Regexp {
	t.Helper()
	p := regexp.MustCompile(`\\u\{([0-9a-f]+)\}|\\u([0-9a-f]{4})`).ReplaceAllString(pattern, `\x{$1$2}`)
	re, err := regexp.Compile("^(?:" + p + ")$")
	if err != nil {
		t.Fatalf("%s: %v", pattern, err)
	}
	return re
}

func TestProperty(t *testing.T) {
	x := newExpander(t)
	if x.UnicodeVersion() == "" {
		t.Error("no Unicode version")
	}
	tests := []struct {
		name    string
		in, out []rune
	}{
		{"L", []rune("aZéΩж中ㄱ"), []rune("1 _-😀")},
		{"Letter", []rune("aé"), []rune("1")},
		{"General_Category=Letter", []rune("a"), []rune("1")},
		{"gc=Lu", []rune("AÉΩ"), []rune("aé1")},
		{"Ll", []rune("aéω"), []rune("A")},
		{"Lowercase_Letter", []rune("a"), []rune("A")},
		{"N", []rune("1٣Ⅻ½"), []rune("a")},
		{"Nd", []rune("1٣"), []rune("Ⅻ½")},
		{"P", []rune(".,!?¿«"), []rune("a+")},
		{"S", []rune("+$€©"), []rune("a.")},
		{"Sc", []rune("$€¥"), []rune("+")},
		{"Z", []rune(" \u00a0\u2028"), []rune("\t")},
		{"Cc", []rune("\t\x00"), []rune(" ")},
		{"Cn", []rune{0x0378, 0x10FFFF}, []rune("a")},
		{"C", []rune{0x0378, 0, 0xE000}, []rune("a")},
		{"Cs", []rune{0xD800, 0xDFFF}, []rune("a")},
		{"Script=Greek", []rune("αΩ"), []rune("a")},
		{"sc=Grek", []rune("α"), []rune("a")},
		{"Script=Latin", []rune("aé"), []rune("α1")},
		{"sc=Cyrl", []rune("жЖ"), []rune("a")},
		{"Script=Han", []rune("中文"), []rune("あ")},
		{"Script=Hiragana", []rune("あ"), []rune("ア中")},
		{"sc=Arab", []rune("عربي"), []rune("a")},
		{"Script=Devanagari", []rune("हिन्दी"), []rune("a")},
		{"Script=Common", []rune("1 ."), []rune("a")},
		{"Script_Extensions=Hiragana", []rune("あー"), []rune("a")},
		{"scx=Hira", []rune("ー"), []rune("a")},
		{"Script=Hiragana", nil, []rune("ー")}, // Common, not Hiragana
		{"Emoji", []rune("😀❤#0"), []rune("a")},
		{"Emoji_Presentation", []rune("😀"), []rune("#")},
		{"Extended_Pictographic", []rune("😀❤"), []rune("#")},
		{"ExtPict", []rune("😀"), []rune("a")},
		{"Alphabetic", []rune("aé中"), []rune("1")},
		{"Alpha", []rune("a"), []rune("1")},
		{"White_Space", []rune(" \t\n\u00a0\u3000"), []rune("a")},
		{"space", []rune(" "), []rune("a")},
		{"Uppercase", []rune("AⒶ"), []rune("a")},
		{"Lowercase", []rune("aª"), []rune("A")},
		{"ASCII", []rune("a\x00\x7f"), []rune("é")},
		{"ASCII_Hex_Digit", []rune("09afAF"), []rune("gG")},
		{"Any", []rune{0, 0xD800, 0x10FFFF}, nil},
		{"Assigned", []rune("a"), []rune{0x0378}},
		{"ID_Start", []rune("aé"), []rune("1")},
		{"ID_Continue", []rune("a1_"), []rune("-")},
		{"Regional_Indicator", []rune("🇫"), []rune("F")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, ok := x.Property(tt.name)
			if !ok {
				t.Fatalf("%s is not a property", tt.name)
			}
			has := func(r rune) bool {
				for _, x := range rs {
					if r >= x.Lo && r <= x.Hi {
						return true
					}
				}
				return false
			}
			for _, r := range tt.in {
				if !has(r) {
					t.Errorf("%U %q not in %s", r, r, tt.name)
				}
			}
			for _, r := range tt.out {
				if has(r) {
					t.Errorf("%U %q in %s", r, r, tt.name)
				}
			}
		})
	}
	for _, bad := range []string{"", "Foo", "l", "gc=Foo", "Script=Foo", "Script=L", "sc", "General_Category", "RGI_Emoji", "Script=Katakana_Or_Hiragana", "letter", " L"} {
		if _, ok := x.Property(bad); ok {
			t.Errorf("%q is a property", bad)
		}
	}
}

func TestExpand(t *testing.T) {
	x := newExpander(t)
	tests := []struct {
		name, pattern, flags, want string
	}{
		{"no u flag", `\p{L}`, "", `\p{L}`},
		{"no u flag, g", `\p{L}`, "gi", `\p{L}`},
		{"no escapes", `[a-z]+\d`, "u", `[a-z]+\d`},
		{"escaped backslash", `\\p{L}`, "u", `\\p{L}`},
		{"outside a class", `\p{AHex}`, "u", `[0-9A-Fa-f]`},
		{"negated outside", `\P{AHex}+`, "u", `[^0-9A-Fa-f]+`},
		{"in a class", `[\p{AHex}_]`, "u", `[0-9A-Fa-f_]`},
		{"negated in a class", `[\P{Any}x]`, "u", `[x]`},
		{"complement in a class", `[\P{ASCII}]`, "u", `[\x80-\u{10ffff}]`},
		{"v nests", `[\p{AHex}--[a-f]]`, "v", `[[0-9A-Fa-f]--[a-f]]`},
		{"v negated", `[\P{AHex}&&\p{ASCII}]`, "v", `[[^0-9A-Fa-f]&&[\x00-\x7f]]`},
		{"v outside", `\p{AHex}`, "v", `[0-9A-Fa-f]`},
		{"u class ends", `[a]\p{AHex}`, "u", `[a][0-9A-Fa-f]`},
		{"escaped bracket", `\[\p{AHex}`, "u", `\[[0-9A-Fa-f]`},
		{"surrogates do not pair", `\p{Cs}`, "u", `[\u{d800}-\u{dfff}]`},
		{"two", `\p{AHex}\P{AHex}`, "gu", `[0-9A-Fa-f][^0-9A-Fa-f]`},
		{"single code points", `\p{Join_C}`, "u", `[\u200c\u200d]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := x.Expand(tt.pattern, tt.flags)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Expand(%q, %q) = %q, want %q", tt.pattern, tt.flags, got, tt.want)
			}
		})
	}
	for _, bad := range []string{`\p{Foo}`, `\P{L`, `a\p{}`, `[\p{letter}]`} {
		if _, err := x.Expand(bad, "u"); !errors.Is(err, ErrProperty) {
			t.Errorf("Expand(%q) = %v, want ErrProperty", bad, err)
		}
	}
}

// TestExpandMatches checks expansions by matching them with Go's regexp.
func TestExpandMatches(t *testing.T) {
	x := newExpander(t)
	tests := []struct {
		pattern string
		match   []string
		nomatch []string
	}{
		{`\p{L}+`, []string{"héllo", "Ωμέγα", "中文", "𝒜"}, []string{"a1", "", " "}},
		{`\P{L}+`, []string{"123 !", "😀"}, []string{"a"}},
		{`[\p{L}\p{N}_]+`, []string{"a_1", "ж٣"}, []string{"a-b"}},
		{`[^\p{L}]`, []string{"1"}, []string{"a"}},
		{`[\P{L}]`, []string{"1"}, []string{"é"}},
		{`\p{sc=Greek}\p{Script=Latin}`, []string{"αa"}, []string{"aα"}},
		{`\p{Emoji_Presentation}+`, []string{"😀🎉"}, []string{"a"}},
		{`[\p{Lu}\p{Lt}]`, []string{"A", "ǅ"}, []string{"a"}},
	}
	for _, tt := range tests {
		got, err := x.Expand(tt.pattern, "u")
		if err != nil {
			t.Fatal(err)
		}
		re := goRegexp(t, got)
		for _, s := range tt.match {
			if !re.MatchString(s) {
				t.Errorf("%s does not match %q", tt.pattern, s)
			}
		}
		for _, s := range tt.nomatch {
			if re.MatchString(s) {
				t.Errorf("%s matches %q", tt.pattern, s)
			}
		}
	}
}

func TestComplement(t *testing.T) {
	tests := []struct {
		in, want []Range
	}{
		{nil, []Range{{0, maxRune}}},
		{[]Range{{0, maxRune}}, nil},
		{[]Range{{0, 9}}, []Range{{10, maxRune}}},
		{[]Range{{5, 9}, {20, maxRune}}, []Range{{0, 4}, {10, 19}}},
	}
	for _, tt := range tests {
		got := Complement(tt.in)
		if len(got) != len(tt.want) {
			t.Errorf("Complement(%v) = %v, want %v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("Complement(%v) = %v, want %v", tt.in, got, tt.want)
			}
		}
	}
}

func TestRewrite(t *testing.T) {
	x := newExpander(t)
	const hex = `[0-9A-Fa-f]`
	tests := []struct {
		name, src, want string
	}{
		{"literal", `const re = /\p{AHex}+/u;`, `const re = /` + hex + `+/u;`},
		{"no u flag", `const re = /\p{AHex}+/g;`, `const re = /\p{AHex}+/g;`},
		{"in a string", `const s = "/\\p{AHex}/u";`, `const s = "/\\p{AHex}/u";`},
		{"in a single-quoted string", `const s = '/\p{AHex}/u';`, `const s = '/\p{AHex}/u';`},
		{"in a template", "const s = `/\\p{AHex}/u`;", "const s = `/\\p{AHex}/u`;"},
		{"in a template substitution", "const s = `${/\\p{AHex}/u.source}`;", "const s = `${/" + hex + "/u.source}`;"},
		{"nested template", "`a${`b${/\\p{AHex}/u}`}c` + /\\p{AHex}/u", "`a${`b${/" + hex + "/u}`}c` + /" + hex + "/u"},
		{"line comment", "// /\\p{AHex}/u\nx = /\\p{AHex}/u", "// /\\p{AHex}/u\nx = /" + hex + "/u"},
		{"block comment", "/* /\\p{AHex}/u */ x = /\\p{AHex}/u", "/* /\\p{AHex}/u */ x = /" + hex + "/u"},
		{"division", `a = b / 2 / c; d = /\p{AHex}/u`, `a = b / 2 / c; d = /` + hex + `/u`},
		{"division then string", `a = b / 2; s = "/\\p{AHex}/u"`, `a = b / 2; s = "/\\p{AHex}/u"`},
		{"after return", `function f(){return /\p{AHex}/u}`, `function f(){return /` + hex + `/u}`},
		{"after typeof", `typeof /\p{AHex}/u`, `typeof /` + hex + `/u`},
		{"after paren", `x.replace(/\p{AHex}/gu, "")`, `x.replace(/` + hex + `/gu, "")`},
		{"after if head", `if (a) /\p{AHex}/u.test(b)`, `if (a) /` + hex + `/u.test(b)`},
		{"after call paren", `f(a) / 2 / u`, `f(a) / 2 / u`},
		{"property named return", `a.return / 2 / u; x = "\\p{AHex}"`, `a.return / 2 / u; x = "\\p{AHex}"`},
		{"after array", `[/\p{AHex}/u, /\p{AHex}/v]`, `[/` + hex + `/u, /` + hex + `/v]`},
		{"index then division", `a[0] / 2 / u; x = "\\p{AHex}"`, `a[0] / 2 / u; x = "\\p{AHex}"`},
		{"slash in class", `/[/]\p{AHex}/u`, `/[/]` + hex + `/u`},
		{"escaped slash", `/\/\p{AHex}/u`, `/\/` + hex + `/u`},
		{"unknown property", `/\p{Foo}/u`, `/\p{Foo}/u`},
		{"after arrow", `f = (s) => /\p{AHex}/u.test(s)`, `f = (s) => /` + hex + `/u.test(s)`},
		{"after block", "{}\n/\\p{AHex}/u.test(s)", "{}\n/" + hex + "/u.test(s)"},
		{"postfix increment", `i++ / 2 / u; "\\p{AHex}"`, `i++ / 2 / u; "\\p{AHex}"`},
		{"hashbang", "#!/usr/bin/env node /\\p{AHex}/u\n/\\p{AHex}/u", "#!/usr/bin/env node /\\p{AHex}/u\n/" + hex + "/u"},
		{"hex number", `0x1e / 2 / u; "\\p{AHex}"`, `0x1e / 2 / u; "\\p{AHex}"`},
		{"exponent", `1e-5 / 2 / u; "\\p{AHex}"`, `1e-5 / 2 / u; "\\p{AHex}"`},
		{"private name", `this.#x / 2 / u; "\\p{AHex}"`, `this.#x / 2 / u; "\\p{AHex}"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, edits := x.Rewrite([]byte(tt.src))
			if string(got) != tt.want {
				t.Errorf("Rewrite(%s)\n got %s\nwant %s", tt.src, got, tt.want)
			}
			checkEdits(t, []byte(tt.src), got, edits)
		})
	}
}

// checkEdits checks that applying edits to src gives out.
func checkEdits(t testing.TB, src, out []byte, edits []Edit) {
	t.Helper()
	var b []byte
	last := 0
	for _, e := range edits {
		if e.Offset < last || e.Offset+e.Old > len(src) {
			t.Fatalf("edit %+v out of order or range", e)
		}
		if src[e.Offset] != '/' {
			t.Fatalf("edit %+v does not start at a slash", e)
		}
		b = append(b, src[last:e.Offset]...)
		if len(b)+e.New > len(out) {
			t.Fatalf("edit %+v past the output", e)
		}
		b = append(b, out[len(b):len(b)+e.New]...) // the new text, taken from out
		last = e.Offset + e.Old
	}
	b = append(b, src[last:]...)
	if !bytes.Equal(b, out) {
		t.Fatalf("edits do not reproduce the output")
	}
}

func FuzzRewrite(f *testing.F) {
	x := newExpander(f)
	for _, s := range []string{
		`const re = /\p{L}+/u; s = "\\p{L}"`,
		"a = b / 2 / c; `${/\\p{Lu}/u}` // /\\p{L}/u",
		`if (a) /[\p{L}--[a-z]]/v.test(b)`,
		`x = {a: /\P{Script=Greek}/giu}`,
		`/[/]/.test(s) / 2`,
		`f(/* /\p{L}/u */ 1)`,
		"`unterminated ${",
		`/\p{L`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		out, edits := x.Rewrite(src)
		if !bytes.Contains(src, []byte(`\p{`)) && !bytes.Contains(src, []byte(`\P{`)) && !bytes.Equal(out, src) {
			t.Fatalf("a program without property escapes changed:\n%q\n%q", src, out)
		}
		if len(edits) == 0 && !bytes.Equal(out, src) {
			t.Fatal("changed without an edit")
		}
		checkEdits(t, src, out, edits)
		again, _ := x.Rewrite(out)
		if !bytes.Equal(again, out) && strings.Count(string(out), `\p{`) == 0 && strings.Count(string(out), `\P{`) == 0 {
			t.Fatal("not idempotent")
		}
	})
}

func BenchmarkRewrite(b *testing.B) {
	x := newExpander(b)
	src := bytes.Repeat([]byte("function f(a, b) { return a / b + `x${a}` + \"str\" + /[a-z]+/g.test(b); } // comment\n"), 10000)
	src = append(src, `const re = /\p{L}+/u;`...)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		x.Rewrite(src)
	}
}

func FuzzExpand(f *testing.F) {
	x := newExpander(f)
	for _, s := range []string{`\p{L}`, `[\P{Lu}a-z]`, `[\p{L}--[a-z]]`, `\\p{L}`, `\p{`, `[[\p{N}]]`, `\P{Script=Greek}+`} {
		f.Add(s, "u")
		f.Add(s, "v")
	}
	f.Fuzz(func(t *testing.T, pattern, flags string) {
		out, err := x.Expand(pattern, flags)
		if err != nil {
			return
		}
		if !strings.ContainsAny(flags, "uv") && out != pattern {
			t.Fatalf("changed without u or v: %q -> %q", pattern, out)
		}
		if strings.ContainsAny(flags, "uv") && (strings.Contains(out, `\p{`) || strings.Contains(out, `\P{`)) && !strings.Contains(pattern, `\\`) {
			t.Fatalf("an escape is left: %q -> %q", pattern, out)
		}
	})
}
