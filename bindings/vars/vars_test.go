package vars_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/bindings/vars/varswit"
)

// secret is a value no printed form of a Vars may contain.
const secret = "s3cr3t-Value-never-printed"

func newVars(t *testing.T) *vars.Vars {
	t.Helper()
	v, err := vars.New(map[string]vars.Var{
		"GREETING":  {Kind: vars.Text, Value: "hello"},
		"CONFIG":    {Kind: vars.JSON, Value: `{"a":[1,2]}`},
		"API_TOKEN": {Kind: vars.Secret, Value: secret},
		"EMPTY":     {Kind: vars.Text, Value: ""},
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// many returns n text variables named V000, V001, ...
func many(n int) map[string]vars.Var {
	m := make(map[string]vars.Var, n)
	for i := range n {
		m[fmt.Sprintf("V%03d", i)] = vars.Var{Kind: vars.Text, Value: "x"}
	}
	return m
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]vars.Var
		// wantErr is a substring of the error ("" = no error); leak is a
		// value the error must not contain.
		wantErr, leak string
	}{
		{name: "none", vars: nil},
		{name: "every kind", vars: map[string]vars.Var{"A": {vars.Text, "a"}, "B": {vars.JSON, "[1]"}, "C": {vars.Secret, "c"}}},
		{name: "at the count limit", vars: many(vars.MaxVars)},
		{name: "past the count limit", vars: many(vars.MaxVars + 1), wantErr: "vars: 129 variables and secrets, the limit is 128"},
		{name: "empty name", vars: map[string]vars.Var{"": {vars.Text, "x"}}, wantErr: "vars: a variable has an empty name"},
		{name: "at the size limit", vars: map[string]vars.Var{"BIG": {vars.Secret, strings.Repeat("s", vars.MaxValueBytes)}}},
		{name: "secret past the size limit", vars: map[string]vars.Var{"TOKEN": {vars.Secret, secret + strings.Repeat("s", vars.MaxValueBytes)}},
			wantErr: "vars: TOKEN is 5146 bytes, the limit is 5120", leak: secret},
		{name: "text past the size limit", vars: map[string]vars.Var{"T": {vars.Text, strings.Repeat("t", vars.MaxValueBytes+1)}},
			wantErr: "vars: T is 5121 bytes, the limit is 5120"},
		{name: "invalid JSON", vars: map[string]vars.Var{"CFG": {vars.JSON, `{"token":"` + secret + `"`}}, wantErr: "vars: CFG is not valid JSON", leak: secret},
		{name: "JSON scalars", vars: map[string]vars.Var{"N": {vars.JSON, "12.5"}, "S": {vars.JSON, `"s"`}, "B": {vars.JSON, "true"}, "Z": {vars.JSON, "null"}}},
		{name: "text and secrets are not JSON", vars: map[string]vars.Var{"T": {vars.Text, "{"}, "S": {vars.Secret, "{"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := vars.New(tc.vars)
			if tc.wantErr == "" {
				if err != nil || v == nil {
					t.Fatalf("New = %v, %v; want a Vars", v, err)
				}
				if got := len(v.Names(context.Background())); got != len(tc.vars) {
					t.Errorf("%d names, want %d", got, len(tc.vars))
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("New error = %v, want %q", err, tc.wantErr)
			}
			if tc.leak != "" && strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), tc.leak) {
				t.Errorf("the error shows the value: %v", err)
			}
		})
	}
}

func TestGet(t *testing.T) {
	v := newVars(t)
	tests := []struct {
		name string
		want abi.Option[varswit.Value]
	}{
		{"GREETING", abi.Some(varswit.Value{Tag: varswit.ValueText, Text: "hello"})},
		{"EMPTY", abi.Some(varswit.Value{Tag: varswit.ValueText})},
		{"CONFIG", abi.Some(varswit.Value{Tag: varswit.ValueJSON, JSON: `{"a":[1,2]}`})},
		{"API_TOKEN", abi.Some(varswit.Value{Tag: varswit.ValueSecret, Secret: secret})},
		{"MISSING", abi.None[varswit.Value]()},
		{"greeting", abi.None[varswit.Value]()}, // names are case-sensitive
		{"", abi.None[varswit.Value]()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := v.Get(context.Background(), tc.name); got != tc.want {
				t.Errorf("Get(%q) = %+v, want %+v", tc.name, got, tc.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		vars map[string]vars.Var
		want []string
	}{
		{"none", nil, []string{}},
		{"sorted", map[string]vars.Var{"b": {}, "A": {}, "a": {}, "B_2": {}, "B_10": {}}, []string{"A", "B_10", "B_2", "a", "b"}},
		{"every kind", map[string]vars.Var{"S": {Kind: vars.Secret}, "J": {Kind: vars.JSON, Value: "1"}, "T": {}}, []string{"J", "S", "T"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := vars.New(tc.vars)
			if err != nil {
				t.Fatal(err)
			}
			got := v.Names(ctx)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Names = %q, want %q", got, tc.want)
			}
			if len(got) > 0 {
				got[0] = "CHANGED"
				if again := v.Names(ctx); !slices.Equal(again, tc.want) {
					t.Errorf("changing the returned slice changed Names: %q", again)
				}
			}
		})
	}
}

// TestDeny: the binding a Worker gets without [vars] (vars.WIT's Deny, a
// zero Vars) has no variables.
func TestDeny(t *testing.T) {
	deny, ok := vars.WIT().Deny.(*vars.Vars)
	if !ok {
		t.Fatalf("WIT().Deny is %T, want *vars.Vars", vars.WIT().Deny)
	}
	if got := deny.Get(context.Background(), "GREETING"); got.Some {
		t.Errorf("Get = %+v, want none", got)
	}
	if got := deny.Names(context.Background()); len(got) != 0 {
		t.Errorf("Names = %q, want none", got)
	}
	if deny.WIT().Name != varswit.VarsInterface {
		t.Errorf("WIT().Name = %q", deny.WIT().Name)
	}
}

// TestSecretsNeverPrinted prints a Vars, a secret Var and values holding
// them with every fmt verb, encoding/json and slog's handlers: none shows
// the secret (nor its hex), while the names, kinds and text values are
// there.
func TestSecretsNeverPrinted(t *testing.T) {
	v := newVars(t)
	sv := vars.Var{Kind: vars.Secret, Value: secret}
	unknown := vars.Var{Kind: vars.Kind(9), Value: secret}
	tests := []struct {
		name  string
		value any
		// want is in every printed form but %x/%X.
		want string
	}{
		{"*Vars", v, "vars{API_TOKEN:secret CONFIG:json EMPTY:text GREETING:text}"},
		{"Vars", *v, "vars{API_TOKEN:secret CONFIG:json EMPTY:text GREETING:text}"},
		{"secret Var", sv, "secret [redacted]"},
		{"*Var", &sv, "secret [redacted]"},
		{"Var of an unknown kind", unknown, "kind(9) [redacted]"},
		{"map of Var", map[string]vars.Var{"API_TOKEN": sv}, "secret [redacted]"},
		{"slice of Var", []vars.Var{sv}, "secret [redacted]"},
		{"struct with a Var", struct{ Token vars.Var }{sv}, "secret [redacted]"},
		{"struct with a *Vars", struct{ Env *vars.Vars }{v}, "API_TOKEN:secret"},
		{"text Var", vars.Var{Kind: vars.Text, Value: "hello"}, `text "hello"`},
		{"JSON Var", vars.Var{Kind: vars.JSON, Value: `{"a":1}`}, `json {"a":1}`},
	}
	hexSecret := hex.EncodeToString([]byte(secret))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var outs []string
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%10.3v"} {
				out := fmt.Sprintf(verb, tc.value)
				outs = append(outs, out)
				if verb != "%x" && verb != "%X" && verb != "%10.3v" && !strings.Contains(out, tc.want) {
					t.Errorf("%s = %q, want it to contain %q", verb, out, tc.want)
				}
			}
			outs = append(outs, fmt.Sprint(tc.value), fmt.Sprintln(tc.value))
			js, err := json.Marshal(tc.value)
			if err != nil {
				t.Errorf("json.Marshal: %v", err)
			}
			outs = append(outs, string(js))
			if s, ok := tc.value.(fmt.Stringer); ok {
				outs = append(outs, s.String())
			}
			for _, newHandler := range []func(*bytes.Buffer) slog.Handler{
				func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
				func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
			} {
				var b bytes.Buffer
				log := slog.New(newHandler(&b))
				log.Info("vars", "value", tc.value)
				log.Info("vars", slog.Any("value", tc.value), slog.Group("g", "value", tc.value))
				log.With("value", tc.value).Error("with")
				outs = append(outs, b.String())
				quoted, _ := json.Marshal(tc.want) // as both handlers escape it
				if !strings.Contains(b.String(), tc.want) && !strings.Contains(b.String(), string(quoted[1:len(quoted)-1])) {
					t.Errorf("slog output %q lacks %q", b.String(), tc.want)
				}
			}
			for _, out := range outs {
				if strings.Contains(out, secret) || strings.Contains(strings.ToLower(out), hexSecret) {
					t.Errorf("printed the secret: %q", out)
				}
			}
		})
	}
}

func TestKindString(t *testing.T) {
	tests := []struct {
		kind vars.Kind
		want string
	}{
		{vars.Text, "text"},
		{vars.JSON, "json"},
		{vars.Secret, "secret"},
		{vars.Kind(42), "kind(42)"},
	}
	for _, tc := range tests {
		if got := tc.kind.String(); got != tc.want {
			t.Errorf("Kind(%d).String() = %q, want %q", tc.kind, got, tc.want)
		}
	}
}
