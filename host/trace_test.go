package host_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/experimental/logging"
)

// TestTrace asserts on the trace of host calls one request makes, as
// wazero's logging listener prints it: parameter names come from the
// generated glue's WithParameterNames.
func TestTrace(t *testing.T) {
	var trace bytes.Buffer
	ctx := experimental.WithFunctionListenerFactory(context.Background(),
		logging.NewHostLoggingListenerFactory(&trace, logging.LogScopeAll))
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{Interfaces: []abi.Interface{kv.WIT(), vars.WIT()}})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	w, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "hello", Wasm: fixture(t, "hello.wasm")})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx)
	trace.Reset()
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	got := trace.String()
	for _, want := range []string{
		"==> bindery:http/types@0.1.0.[method]response-outparam.send-full(self0=2,status0=200,headers0=0,headers1=0,body0=",
		"--> .handle(method_ptr=4096,method_len=3,url_ptr=4099,url_len=19,headers_ptr=4120,headers_len=2,body=1,out=2)",
		"--> .cabi_realloc(old_ptr=0,old_size=0,align=4,new_size=32)", // host and cf-connecting-ip: 16 bytes each, aligned to 4
		"==> bindery:io/streams@0.1.0.[resource-drop]input-stream(self=1)",
		"==> bindery:http/types@0.1.0.[resource-drop]response-outparam(self=2)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("trace lacks %q:\n%s", want, got)
		}
	}
}
