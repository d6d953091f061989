package queue

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery/structured"
)

// A body is encoded by its content type; one that does not fit is an
// error of kind ErrInvalidArgument before anything reaches the host.
func TestEncode(t *testing.T) {
	v8 := func(v any) []byte {
		b, err := structured.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	type job struct {
		Key string `json:"key"`
		N   float64
	}
	for _, tt := range []struct {
		name   string
		body   any
		ct     ContentType
		want   []byte
		wantCT ContentType
		msg    string // in the error
	}{
		{name: "default is v8", body: job{"k", 1.5}, want: v8(job{"k", 1.5}), wantCT: V8},
		{name: "v8 string", body: "hi", ct: V8, want: v8("hi"), wantCT: V8},
		{name: "v8 bytes", body: []byte{0, 1, 0xff}, ct: V8, want: v8([]byte{0, 1, 0xff}), wantCT: V8},
		{name: "v8 refuses a channel", body: make(chan int), msg: "cannot be sent as a structured value"},
		{name: "text", body: "héllo", ct: Text, want: []byte("héllo"), wantCT: Text},
		{name: "text kept as it is, not UTF-8 too", body: "a\xffb", ct: Text, want: []byte("a\xffb"), wantCT: Text},
		{name: "text refuses bytes", body: []byte("x"), ct: Text, msg: "must be a string, not []uint8"},
		{name: "bytes", body: []byte{0, 1, 0xff}, ct: Bytes, want: []byte{0, 1, 0xff}, wantCT: Bytes},
		{name: "bytes refuses a string", body: "x", ct: Bytes, msg: "must be a []byte, not string"},
		{name: "json value", body: map[string]any{"key": "k", "n": 2}, ct: JSON, want: []byte(`{"key":"k","n":2}`), wantCT: JSON},
		{name: "json raw kept byte for byte", body: json.RawMessage(`{ "key" : "k",  "n":1e400 }`), ct: JSON, want: []byte(`{ "key" : "k",  "n":1e400 }`), wantCT: JSON},
		{name: "json raw invalid", body: json.RawMessage(`{"key":`), ct: JSON, msg: "not valid JSON"},
		{name: "json unencodable", body: math.Inf(1), ct: JSON, msg: "cannot be sent as JSON"},
		{name: "unknown content type", body: "x", ct: "xml", msg: `unknown content type "xml"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ct, err := encode(tt.body, tt.ct)
			if tt.msg != "" {
				if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("error = %v, want ErrInvalidArgument with %q", err, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) || ct != tt.wantCT {
				t.Errorf("encode = %q, %s; want %q, %s", got, ct, tt.want, tt.wantCT)
			}
		})
	}
}

// A send's DelaySeconds: 0 is the default, negative an explicit 0, beyond
// 32 bits the SDK's error (the host says what is over 24 hours).
func TestSendDelay(t *testing.T) {
	for _, tt := range []struct {
		in      int
		want    delay
		wantErr bool
	}{
		{in: 0, want: delay{}},
		{in: NoDelay, want: d(0)},
		{in: -100, want: d(0)},
		{in: 1, want: d(1)},
		{in: 86401, want: d(86401)}, // the host's to refuse, with its message
		{in: math.MaxUint32, want: d(math.MaxUint32)},
		{in: math.MaxUint32 + 1, wantErr: true},
	} {
		got, err := sendDelay(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "4294967296") {
				t.Errorf("sendDelay(%d): error %v, want ErrInvalidArgument naming the value", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("sendDelay(%d) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// A received body decodes by its content type; decoding it as another is
// an error of kind ErrContentType.
func TestMessageDecode(t *testing.T) {
	v8, err := structured.Marshal(structured.Object{{Key: "key", Value: "k"}, {Key: "n", Value: 1.5}, {Key: "b", Value: []byte{0, 1, 0xff}}})
	if err != nil {
		t.Fatal(err)
	}
	m := &Message{ID: "id1", Body: v8, ContentType: V8}
	var generic any
	if err := m.Value(&generic); err != nil {
		t.Fatal(err)
	}
	want := structured.Object{{Key: "key", Value: "k"}, {Key: "n", Value: 1.5}, {Key: "b", Value: []byte{0, 1, 0xff}}}
	if !reflect.DeepEqual(generic, want) {
		t.Errorf("Value(&any) = %#v, want %#v", generic, want)
	}
	var typed struct {
		Key string
		N   float64
		B   []byte
	}
	if err := m.Value(&typed); err != nil || typed.Key != "k" || typed.N != 1.5 || !bytes.Equal(typed.B, []byte{0, 1, 0xff}) {
		t.Errorf("Value(&struct) = %+v, %v", typed, err)
	}
	var raw json.RawMessage
	if err := m.JSON(&raw); !errors.Is(err, ErrContentType) || !strings.Contains(err.Error(), "id1 has content type v8, not json") {
		t.Errorf("JSON of a v8 message: error %v, want ErrContentType", err)
	}

	m = &Message{ID: "id2", Body: []byte(`{"key": "k", "n": 1e400}`), ContentType: JSON}
	if err := m.JSON(&raw); err != nil || string(raw) != `{"key": "k", "n": 1e400}` {
		t.Errorf("JSON(&RawMessage) = %s, %v; want the text as sent", raw, err)
	}
	var job struct{ Key string }
	if err := m.JSON(&job); err != nil || job.Key != "k" {
		t.Errorf("JSON(&struct) = %+v, %v", job, err)
	}
	if err := m.Value(&generic); !errors.Is(err, ErrContentType) {
		t.Errorf("Value of a json message: error %v, want ErrContentType", err)
	}
	m = &Message{ID: "id3", Body: []byte(`{"key":`), ContentType: JSON}
	if err := m.JSON(&job); err == nil || !strings.Contains(err.Error(), "message id3") {
		t.Errorf("JSON of bad JSON: error %v, want one naming the message", err)
	}
	m = &Message{ID: "id4", Body: []byte("not cbor"), ContentType: V8}
	var se *structured.SyntaxError
	if err := m.Value(&generic); !errors.As(err, &se) {
		t.Errorf("Value of bad bytes: error %v, want a *structured.SyntaxError", err)
	}

	m = &Message{ID: "id5", Body: []byte("héllo"), ContentType: Text}
	if got := m.Text(); got != "héllo" {
		t.Errorf("Text() = %q", got)
	}
}
