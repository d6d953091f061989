package config

import "testing"

func TestPathString(t *testing.T) {
	tests := []struct {
		p    Path
		want string
	}{
		{nil, ""},
		{Path{}.Key("kv_namespaces").Index(0).Key("binding"), "kv_namespaces[0].binding"},
		{Path{}.Key("env").Key("staging").Key("r2_buckets"), "env.staging.r2_buckets"},
		{Path{}.Key("vars").Key("a b"), `vars."a b"`},
		{Path{}.Key("vars").Key(""), `vars.""`},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
	// Key and Index never modify the receiver.
	base := make(Path, 1, 4)
	base[0] = Elem{Key: "a", Index: -1}
	x, y := base.Key("x"), base.Key("y")
	if x.String() != "a.x" || y.String() != "a.y" {
		t.Errorf("shared backing array: %s, %s", x, y)
	}
}

func TestIsJSIdentifier(t *testing.T) {
	for s, want := range map[string]bool{
		"CACHE": true, "_x": true, "$": true, "café": true,
		"": false, "1a": false, "a-b": false, "a.b": false,
	} {
		if got := IsJSIdentifier(s); got != want {
			t.Errorf("IsJSIdentifier(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestSuggest(t *testing.T) {
	c := []string{"binding", "id", "preview_id"}
	for in, want := range map[string]string{"bindng": "binding", "idd": "id", "zzzzzz": ""} {
		if got := Suggest(in, c); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
