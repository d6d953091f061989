package queuehost

import (
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/internal/queuewit"
)

// TestOutcome: the guest's outcome becomes the broker's; an index or a
// delay out of range is the guest's fault and fails the batch, naming it.
func TestOutcome(t *testing.T) {
	some := func(n uint32) abi.Option[uint32] { return abi.Option[uint32]{Some: true, Value: n} }
	tests := []struct {
		name string
		in   queuewit.Outcome
		err  string
		ok   func(t *testing.T, acked, retried int, delay *time.Duration)
	}{
		{name: "ack and retry", in: queuewit.Outcome{Acked: []uint32{0}, Retried: []queuewit.RetryRequest{{Index: 1, DelaySeconds: some(5)}}, RetryAll: true, RetryAllDelay: some(7)},
			ok: func(t *testing.T, acked, retried int, d *time.Duration) {
				if acked != 1 || retried != 1 || d == nil || *d != 7*time.Second {
					t.Errorf("acked %d retried %d delay %v", acked, retried, d)
				}
			}},
		{name: "acked out of range", in: queuewit.Outcome{Acked: []uint32{2}}, err: "acked message 2 of a batch of 2"},
		{name: "retried out of range", in: queuewit.Outcome{Retried: []queuewit.RetryRequest{{Index: 9}}}, err: "retried message 9 of a batch of 2"},
		{name: "delay too long", in: queuewit.Outcome{Retried: []queuewit.RetryRequest{{Index: 0, DelaySeconds: some(86401)}}}, err: "delay 86401 s is over the limit"},
		{name: "retryAll delay too long", in: queuewit.Outcome{RetryAll: true, RetryAllDelay: some(1 << 31)}, err: "retryAll: delay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := outcome(tt.in, 2)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.ok(t, len(out.Acked), len(out.Retried), out.RetryAllDelay)
		})
	}
	out, _ := outcome(queuewit.Outcome{Error: abi.Option[string]{Some: true, Value: "boom"}}, 1)
	if out.Err == nil || out.Err.Error() != "boom" {
		t.Errorf("a thrown error: %v", out.Err)
	}
}
