package queuemodule_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/queue"
	"github.com/bindery-run/bindery/bindings/queue/queuemodule"
	"github.com/bindery-run/bindery/internal/wrangler"
)

// TestConfig: the module decodes queues as wrangler writes them (TOML
// arrays of tables, inline arrays, JSONC; per environment), with file,
// line and column on what it reports.
func TestConfig(t *testing.T) {
	three, zero := 3, 0
	jobs := queuemodule.Producer{Binding: "JOBS", Queue: "jobs"}
	tests := []struct {
		name, file, src, env string
		want                 []string // in the error, or in the warnings when ok
		ok                   bool
		cfg                  *queuemodule.Config
	}{
		{"producer", "wrangler.toml", "[[queues.producers]]\nbinding = \"JOBS\"\nqueue = \"jobs\"\n", "", nil, true,
			&queuemodule.Config{Producers: []queuemodule.Producer{jobs}}},
		{"producer with delay", "wrangler.toml", "[[queues.producers]]\nbinding = \"JOBS\"\nqueue = \"jobs\"\ndelivery_delay = 30\n", "", nil, true,
			&queuemodule.Config{Producers: []queuemodule.Producer{{Binding: "JOBS", Queue: "jobs", DeliveryDelay: 30 * time.Second}}}},
		{"consumer, every field", "wrangler.toml", "[[queues.consumers]]\nqueue = \"jobs\"\nmax_batch_size = 50\nmax_batch_timeout = 1.5\nmax_retries = 3\ndead_letter_queue = \"jobs-dlq\"\nretry_delay = 10\nmax_concurrency = 4\ntype = \"worker\"\n", "", nil, true,
			&queuemodule.Config{Consumers: []queuemodule.Consumer{{Queue: "jobs", Config: queue.ConsumerConfig{MaxBatchSize: 50, MaxBatchTimeout: 1500 * time.Millisecond, MaxRetries: &three, DeadLetterQueue: "jobs-dlq", RetryDelay: 10 * time.Second, MaxConcurrency: 4}}}}},
		{"max_retries 0 is kept", "wrangler.toml", "[[queues.consumers]]\nqueue = \"jobs\"\nmax_retries = 0\n", "", nil, true,
			&queuemodule.Config{Consumers: []queuemodule.Consumer{{Queue: "jobs", Config: queue.ConsumerConfig{MaxRetries: &zero}}}}},
		{"jsonc", "wrangler.jsonc", "{\n  // queues\n  \"queues\": {\"producers\": [{\"binding\": \"JOBS\", \"queue\": \"jobs\"}], \"consumers\": [{\"queue\": \"jobs\", \"max_batch_size\": 1}]}\n}\n", "", nil, true,
			&queuemodule.Config{Producers: []queuemodule.Producer{jobs}, Consumers: []queuemodule.Consumer{{Queue: "jobs", Config: queue.ConsumerConfig{MaxBatchSize: 1}}}}},
		{"per environment", "wrangler.toml", "[[queues.producers]]\nbinding = \"TOP\"\nqueue = \"top\"\n[env.staging]\n[[env.staging.queues.producers]]\nbinding = \"JOBS\"\nqueue = \"jobs\"\n", "staging", nil, true,
			&queuemodule.Config{Producers: []queuemodule.Producer{jobs}}},
		{"name Cloudflare refuses", "wrangler.toml", "[[queues.producers]]\nbinding = \"JOBS\"\nqueue = \"Jobs_1\"\n", "",
			[]string{"wrangler.toml:3:1: queue name \"Jobs_1\": Cloudflare takes only lowercase letters, digits and dashes"}, true,
			&queuemodule.Config{Producers: []queuemodule.Producer{{Binding: "JOBS", Queue: "Jobs_1"}}}},
		{"visibility_timeout_ms ignored", "wrangler.toml", "[[queues.consumers]]\nqueue = \"jobs\"\nvisibility_timeout_ms = 100\n", "",
			[]string{"not used by bindery dev (it is for pull consumers)"}, true, &queuemodule.Config{Consumers: []queuemodule.Consumer{{Queue: "jobs"}}}},

		{"missing queue", "wrangler.toml", "[[queues.producers]]\nbinding = \"JOBS\"\n", "",
			[]string{"wrangler.toml:1:1: queues.producers[0].queue: missing required field \"queue\""}, false, nil},
		{"missing binding", "wrangler.toml", "[[queues.producers]]\nqueue = \"jobs\"\n", "",
			[]string{"queues.producers[0].binding: missing required field \"binding\""}, false, nil},
		{"binding taken by a var", "wrangler.toml", "[vars]\nJOBS = \"x\"\n[[queues.producers]]\nbinding = \"JOBS\"\nqueue = \"jobs\"\n", "",
			[]string{"binding name \"JOBS\" is already used by vars.JOBS"}, false, nil},
		{"delay too long", "wrangler.toml", "[[queues.producers]]\nbinding = \"JOBS\"\nqueue = \"jobs\"\ndelivery_delay = 86401\n", "",
			[]string{"wrangler.toml:4:1: queues.producers[0].delivery_delay: 86401 is out of range (0 to 86400)"}, false, nil},
		{"batch size too big", "wrangler.toml", "[[queues.consumers]]\nqueue = \"jobs\"\nmax_batch_size = 101\n", "",
			[]string{"queues.consumers[0].max_batch_size: 101 is out of range (1 to 100)"}, false, nil},
		{"batch timeout too long", "wrangler.toml", "[[queues.consumers]]\nqueue = \"jobs\"\nmax_batch_timeout = 61\n", "",
			[]string{"queues.consumers[0].max_batch_timeout: 61 is out of range (0 to 60)"}, false, nil},
		{"retries too many", "wrangler.toml", "[[queues.consumers]]\nqueue = \"jobs\"\nmax_retries = 101\n", "",
			[]string{"queues.consumers[0].max_retries: 101 is out of range (0 to 100)"}, false, nil},
		{"retries not whole", "wrangler.toml", "[[queues.consumers]]\nqueue = \"jobs\"\nmax_retries = 1.5\n", "",
			[]string{"queues.consumers[0].max_retries: 1.5 is not a whole number"}, false, nil},
		{"concurrency too high", "wrangler.toml", "[[queues.consumers]]\nqueue = \"jobs\"\nmax_concurrency = 251\n", "",
			[]string{"queues.consumers[0].max_concurrency: 251 is out of range (1 to 250)"}, false, nil},
		{"own dead-letter queue", "wrangler.toml", "[[queues.consumers]]\nqueue = \"jobs\"\ndead_letter_queue = \"jobs\"\n", "",
			[]string{"queue \"jobs\" cannot be its own dead-letter queue"}, false, nil},
		{"consumed twice", "wrangler.toml", "[[queues.consumers]]\nqueue = \"jobs\"\n[[queues.consumers]]\nqueue = \"jobs\"\n", "",
			[]string{"queues.consumers[1].queue: queue \"jobs\" is consumed twice"}, false, nil},
		{"pull consumer", "wrangler.toml", "[[queues.consumers]]\nqueue = \"jobs\"\ntype = \"http_pull\"\n", "",
			[]string{"consumer type \"http_pull\" is not supported by bindery dev"}, false, nil},
		{"name too long", "wrangler.toml", "[[queues.producers]]\nbinding = \"JOBS\"\nqueue = \"" + strings.Repeat("q", 64) + "\"\n", "",
			[]string{"must be 1 to 63 bytes long"}, false, nil},
		{"unknown field", "wrangler.toml", "[[queues.consumers]]\nqueue = \"jobs\"\nmax_batchsize = 1\n", "",
			[]string{"unknown field \"max_batchsize\" (did you mean \"max_batch_size\"?)"}, false, nil},
		{"not a table", "wrangler.jsonc", "{\"queues\": []}", "",
			[]string{"wrangler.jsonc:1:2: queues: expected an object, found array"}, false, nil},
		{"size not a number", "wrangler.toml", "[[queues.consumers]]\nqueue = \"jobs\"\nmax_batch_size = \"10\"\n", "",
			[]string{"max_batch_size: expected a number, found string"}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := wrangler.Parse(tt.file, []byte(tt.src), tt.env, queuemodule.Module().Parser())
			if !tt.ok {
				if err == nil {
					t.Fatalf("no error, want %q", tt.want)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q\nwant %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(strings.Join(cfg.Warnings, "\n"), w) {
					t.Errorf("warnings %q\nwant %q", cfg.Warnings, w)
				}
			}
			if got := queuemodule.Parsed(cfg.Bindings["queues"]); !reflect.DeepEqual(got, tt.cfg) {
				t.Errorf("config %+v\nwant %+v", got, tt.cfg)
			}
		})
	}
}
