#!/usr/bin/env bash
# bench/run-http.sh — loopback HTTP benchmark of `bindery dev` against a bare
# Go net/http + Badger server on the same routes (bench/baseline), in one run
# on this machine. Results and how to read them: docs/benchmarks.md.
#
#   bench/run-http.sh                 # RUNS=1, 5 s per load
#   RUNS=3 bench/run-http.sh          # what docs/benchmarks.md reports
#   LOADGEN=go bench/run-http.sh      # raw per-request latencies (bench/load)
#
# It builds bin/bindery, the examples and the bench tools, then per run:
#   1. cold start (spawn -> first 200, compilation cache warm) and idle RSS,
#      COLD_N times each: baseline (/hello), bindery dev on examples/hello
#      (/hello), bindery dev on examples/kv-rest (/vars); plus one start of
#      examples/hello with an empty compilation cache;
#   2. load, one server at a time, same client and settings for all:
#        hello     GET /hello, CONNS connections        (baseline; bindery on examples/hello)
#        hello_c1  GET /hello, 1 connection             (idem)
#        kvget     GET /kv/k, 100-byte value, CONNS     (baseline; bindery on examples/kv-rest)
#        kvput     PUT /kv/<fresh key>, 100 bytes, CONNS (idem)
#      and the same four on the C, AssemblyScript, JavaScript and Python
#      Workers in bench/guests (targets bindery-c, bindery-as, bindery-js and
#      bindery-py, one Worker serving every route),
#      with their cold start and idle RSS, when their toolchains are here;
# With BENCH_PEERS=1 it also runs Miniflare (npm `miniflare`, which spawns
# workerd) on the same routes (bench/miniflare/worker.mjs), installing it on
# first use into $BENCH_CACHE/miniflare; and `wasmtime serve` on a wasi:http
# hello component when $WASMTIME (default $BENCH_CACHE/wasmtime/bin/wasmtime)
# and $WASMTIME_HELLO (a component .wasm) exist (see docs/benchmarks.md).
# Every server runs in its own process group and is stopped by its group id.
# RSS is that of the whole process tree (Miniflare's workerd included):
# idle (bench/coldstart, 2 s after the first 200) and the max sampled every
# 0.25 s during each load.
# Output: the raw rows in $OUT/rows.tsv, then the summary tables (bench/summary).
#
# Env: RUNS (1) DUR (5s) CONNS (32) THREADS (2, wrk only) COLD_N (5)
#      LOADGEN (auto = wrk if installed, else go) PORT (18787: uses PORT..PORT+2)
#      OUT (a new temp dir; kept, holds logs and raw loadgen output)
#      GUESTS ("c as js py": which non-Go Workers to add; "" for none)
#      BENCH_PEERS (0) BENCH_CACHE (${XDG_CACHE_HOME:-~/.cache}/bindery-bench)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

RUNS="${RUNS:-1}"; DUR="${DUR:-5s}"; CONNS="${CONNS:-32}"; THREADS="${THREADS:-2}"
COLD_N="${COLD_N:-5}"; PORT="${PORT:-18787}"; LOADGEN="${LOADGEN:-auto}"
GO="${GO:-go}"
OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/bindery-bench-http.XXXXXX")}"
mkdir -p "$OUT"
if [ "$LOADGEN" = auto ]; then
  if command -v wrk >/dev/null 2>&1; then LOADGEN=wrk; else LOADGEN=go; fi
fi
case "$LOADGEN" in wrk|go) ;; *) echo "LOADGEN must be wrk or go" >&2; exit 2 ;; esac
BENCH_PEERS="${BENCH_PEERS:-0}"
BENCH_CACHE="${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bindery-bench}"
WASMTIME="${WASMTIME:-$BENCH_CACHE/wasmtime/bin/wasmtime}"
WASMTIME_HELLO="${WASMTIME_HELLO:-$BENCH_CACHE/wasmtime/hello.wasm}"
port_b="$PORT"; port_x="$((PORT + 1))"; port_p="$((PORT + 2))"
for p in "$port_b" "$port_x" "$port_p"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port $p is in use; set PORT" >&2; exit 1
  fi
done

log() { echo "run-http: $*" >&2; }

# ---- build ----------------------------------------------------------------
log "building bin/bindery, the examples and the bench tools (output: $OUT)"
"$GO" build -o bin/bindery ./cmd/bindery
for e in hello kv-rest; do
  (cd "examples/$e" && GOOS=wasip1 GOARCH=wasm "$GO" build -buildmode=c-shared -o "$e.wasm" .)
done
# The C and AssemblyScript Workers, when their toolchains are installed
# (guest-sdk/c/build.sh and guest-sdk/assemblyscript/build.sh say why not).
GUESTS="${GUESTS-c as js py}"
guests=""
for g in $GUESTS; do
  case "$g" in
    c) probe=guest-sdk/c/build.sh ;;
    as) probe=guest-sdk/assemblyscript/build.sh ;;
    js) probe="" ;; # bindery builds it; node is needed once for its toolchain
    py) probe=guest-sdk/python/build.sh ;;
    *) echo "GUESTS: unknown guest $g (want c, as, js, py)" >&2; exit 2 ;;
  esac
  if [ -z "$probe" ]; then
    if ! command -v node >/dev/null 2>&1; then log "no bindery-$g rows: no node for the JavaScript toolchain"; continue; fi
  elif ! why="$(bash "$probe" --probe 2>&1)"; then
    log "no bindery-$g rows: $why"
    continue
  fi
  bin/bindery build --config "bench/guests/kv-rest-$g/wrangler.toml" >"$OUT/build-$g.log" 2>&1 ||
    { log "building bench/guests/kv-rest-$g failed; see $OUT/build-$g.log"; exit 1; }
  guests="$guests $g"
done
for t in baseline load coldstart summary; do
  "$GO" build -o "bin/bench-$t" "./bench/$t"
done

mf=""
if [ "$BENCH_PEERS" = 1 ]; then
  command -v node >/dev/null && command -v npm >/dev/null || { log "BENCH_PEERS=1 needs node and npm"; exit 1; }
  mf="$BENCH_CACHE/miniflare"
  mkdir -p "$mf"
  if ! cmp -s bench/miniflare/package.json "$mf/package.json" || [ ! -d "$mf/node_modules/miniflare" ]; then
    log "installing Miniflare from npm into $mf"
    cp bench/miniflare/package.json "$mf/package.json"
    (cd "$mf" && npm install --no-audit --no-fund --loglevel=error >"$OUT/npm-install.log" 2>&1) ||
      { log "npm install failed; see $OUT/npm-install.log"; exit 1; }
  fi
  cp bench/miniflare/serve.mjs bench/miniflare/worker.mjs "$mf/"
  if [ -x "$WASMTIME" ] && [ -f "$WASMTIME_HELLO" ]; then
    log "wasmtime: $("$WASMTIME" --version)"
  else
    log "no wasmtime row: $WASMTIME or $WASMTIME_HELLO is missing (see docs/benchmarks.md)"
    WASMTIME=""
  fi
fi

# ---- servers --------------------------------------------------------------
cache="$OUT/cache"        # wazero compilation cache of every bindery dev below
bindery_cmd() { # example port statedir [cachedir]
  local config="$root/examples/$1/wrangler.toml"
  case "$1" in kv-rest-*) config="$root/bench/guests/$1/wrangler.toml" ;; esac
  echo "$root/bin/bindery" dev --config "$config" --no-build --s3-addr off \
    --port "$2" --persist-to "$3" --cache-dir "${4:-$cache}" --log-level error
}
baseline_cmd() { # port statedir
  echo "$root/bin/bench-baseline" -addr "127.0.0.1:$1" -dir "$2"
}
miniflare_cmd() { # port statename: workerd refuses paths outside its working
  # directory, so it runs in $mf and keeps its KV in $mf/.state/NAME (emptied here)
  rm -rf "$mf/.state/$2"
  echo env -C "$mf" "PORT=$1" "KV_PERSIST=.state/$2" WORKER=worker.mjs node serve.mjs
}
wasmtime_cmd() { # port
  echo "$WASMTIME" serve -S cli --addr "127.0.0.1:$1" "$WASMTIME_HELLO"  # -S cli: Rust std imports wasi:cli
}

spid=""
start_server() { # name url command...
  local name="$1" url="$2"; shift 2
  setsid "$@" >>"$OUT/server.$name.log" 2>&1 &
  spid=$!
  for _ in $(seq 600); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    kill -0 "$spid" 2>/dev/null || { log "$name died; see $OUT/server.$name.log"; exit 1; }
    sleep 0.1
  done
  log "$name did not answer $url within 60 s"; exit 1
}
stop_server() {
  [ -n "$spid" ] || return 0
  kill -TERM -- "-$spid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  spid=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# RSS of a server's whole process tree (its session: setsid made it the leader).
tree_rss_mib() { ps -o rss= --sid "$1" 2>/dev/null | awk '{ s += $1 } END { printf "%.1f", s / 1024 }'; }

# ---- load -----------------------------------------------------------------
durs="${DUR%s}"
load() { # target scenario run base_url
  local target="$1" scen="$2" run="$3" base="$4" c="$CONNS" t="$THREADS" raw res
  raw="$OUT/$LOADGEN.$target.$scen.$run.txt"
  [ "$scen" = hello_c1 ] && { c=1; t=1; }
  # sample the server's RSS during the load; the row gets the max
  ( while kill -0 "$spid" 2>/dev/null; do tree_rss_mib "$spid"; echo; sleep 0.25; done ) >"$raw.rss" &
  local sampler=$!
  if [ "$LOADGEN" = wrk ]; then
    case "$scen" in
      hello|hello_c1) wrk -t"$t" -c"$c" -d"$DUR" --latency "$base/hello" >"$raw" 2>&1 ;;
      kvget) wrk -t"$t" -c"$c" -d"$DUR" --latency "$base/kv/k" >"$raw" 2>&1 ;;
      kvput) wrk -t"$t" -c"$c" -d"$DUR" --latency -s bench/http/put.lua "$base/kv/" >"$raw" 2>&1 ;;
    esac
    res="$(awk -f bench/http/wrk.awk "$raw")"
  else
    case "$scen" in
      hello|hello_c1) bin/bench-load -url "$base/hello" -c "$c" -d "$DUR" >"$raw" ;;
      kvget) bin/bench-load -url "$base/kv/k" -c "$c" -d "$DUR" >"$raw" ;;
      kvput) bin/bench-load -url "$base/kv/" -method PUT -body 100 -fresh-keys -c "$c" -d "$DUR" >"$raw" ;;
    esac
    res="$(cat "$raw")"
  fi
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  # res: rps p50_ms p99_ms non2xx errors max_ms requests
  read -r rps p50 p99 non2xx errs maxms _ <<<"$res"
  printf 'load\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$target" "$scen" "$run" "$rps" "$p50" "$p99" "$non2xx" "$errs" "$maxms" \
    "$(awk 'NF && $1 > m { m = $1 } END { printf "%.1f", m }' "$raw.rss")" | tee -a "$OUT/rows.tsv"
  sleep 1
}

seed_kv() { # base_url
  local val
  val="$(head -c 100 /dev/zero | tr '\0' 'v')"
  curl -fsS -o /dev/null -X PUT --data-binary "$val" "$1/kv/k"
  [ "$(curl -fsS "$1/kv/k")" = "$val" ] || { log "KV seed check failed on $1"; exit 1; }
}

# Warm the compilation cache (the first bindery dev of each example compiles).
log "warming the compilation cache"
for e in hello kv-rest $(for g in $guests; do echo "kv-rest-$g"; done); do
  path=/hello; [ "$e" = kv-rest ] && path=/vars
  # shellcheck disable=SC2046
  start_server "warm-$e" "http://127.0.0.1:$port_x$path" $(bindery_cmd "$e" "$port_x" "$OUT/state-warm")
  stop_server
done

log "LOADGEN=$LOADGEN RUNS=$RUNS DUR=$DUR CONNS=$CONNS"
: >"$OUT/rows.tsv"
for run in $(seq "$RUNS"); do
  log "run $run/$RUNS: cold starts"
  # shellcheck disable=SC2046
  {
    bin/bench-coldstart -name baseline -what hello -first-run "$(( (run - 1) * COLD_N + 1 ))" -n "$COLD_N" \
      -url "http://127.0.0.1:$port_b/hello" -- $(baseline_cmd "$port_b" "$OUT/state-cold-baseline")
    bin/bench-coldstart -name bindery -what hello -first-run "$(( (run - 1) * COLD_N + 1 ))" -n "$COLD_N" \
      -url "http://127.0.0.1:$port_x/hello" -- $(bindery_cmd hello "$port_x" "$OUT/state-cold-hello")
    bin/bench-coldstart -name bindery -what kv-rest -first-run "$(( (run - 1) * COLD_N + 1 ))" -n "$COLD_N" \
      -url "http://127.0.0.1:$port_x/vars" -- $(bindery_cmd kv-rest "$port_x" "$OUT/state-cold-kv")
    for g in $guests; do
      bin/bench-coldstart -name "bindery-$g" -what hello -first-run "$(( (run - 1) * COLD_N + 1 ))" -n "$COLD_N" \
        -url "http://127.0.0.1:$port_x/hello" -- $(bindery_cmd "kv-rest-$g" "$port_x" "$OUT/state-cold-$g")
    done
    rm -rf "$OUT/cache-empty"
    bin/bench-coldstart -name bindery -what "hello, empty compilation cache" -first-run "$run" -n 1 \
      -url "http://127.0.0.1:$port_x/hello" -- $(bindery_cmd hello "$port_x" "$OUT/state-cold-hello" "$OUT/cache-empty")
  } 2>>"$OUT/coldstart.log" | tee -a "$OUT/rows.tsv"

  if [ -n "$mf" ]; then
    # shellcheck disable=SC2046
    { # shellcheck disable=SC2046
      bin/bench-coldstart -name miniflare -what hello -first-run "$(( (run - 1) * COLD_N + 1 ))" -n "$COLD_N" \
        -url "http://127.0.0.1:$port_p/hello" -- $(miniflare_cmd "$port_p" cold)
      if [ -n "$WASMTIME" ]; then
        bin/bench-coldstart -name wasmtime -what hello -first-run "$(( (run - 1) * COLD_N + 1 ))" -n "$COLD_N" \
          -url "http://127.0.0.1:$port_p/hello" -- $(wasmtime_cmd "$port_p")
      fi
    } 2>>"$OUT/coldstart.log" | tee -a "$OUT/rows.tsv"
  fi

  log "run $run/$RUNS: load, baseline"
  # shellcheck disable=SC2046
  start_server baseline "http://127.0.0.1:$port_b/hello" $(baseline_cmd "$port_b" "$OUT/state-baseline")
  seed_kv "http://127.0.0.1:$port_b"
  for scen in hello hello_c1 kvget kvput; do load baseline "$scen" "$run" "http://127.0.0.1:$port_b"; done
  stop_server

  log "run $run/$RUNS: load, bindery dev examples/hello"
  # shellcheck disable=SC2046
  start_server bindery-hello "http://127.0.0.1:$port_x/hello" $(bindery_cmd hello "$port_x" "$OUT/state-hello")
  for scen in hello hello_c1; do load bindery "$scen" "$run" "http://127.0.0.1:$port_x"; done
  stop_server

  log "run $run/$RUNS: load, bindery dev examples/kv-rest"
  # shellcheck disable=SC2046
  start_server bindery-kv "http://127.0.0.1:$port_x/vars" $(bindery_cmd kv-rest "$port_x" "$OUT/state-kv")
  seed_kv "http://127.0.0.1:$port_x"
  for scen in kvget kvput; do load bindery "$scen" "$run" "http://127.0.0.1:$port_x"; done
  stop_server

  for g in $guests; do
    log "run $run/$RUNS: load, bindery dev bench/guests/kv-rest-$g"
    # shellcheck disable=SC2046
    start_server "bindery-$g" "http://127.0.0.1:$port_x/hello" $(bindery_cmd "kv-rest-$g" "$port_x" "$OUT/state-$g")
    seed_kv "http://127.0.0.1:$port_x"
    for scen in hello hello_c1 kvget kvput; do load "bindery-$g" "$scen" "$run" "http://127.0.0.1:$port_x"; done
    stop_server
  done

  if [ -n "$mf" ]; then
    log "run $run/$RUNS: load, miniflare"
    # shellcheck disable=SC2046
    start_server miniflare "http://127.0.0.1:$port_p/hello" $(miniflare_cmd "$port_p" load)
    seed_kv "http://127.0.0.1:$port_p"
    for scen in hello hello_c1 kvget kvput; do load miniflare "$scen" "$run" "http://127.0.0.1:$port_p"; done
    stop_server
    if [ -n "$WASMTIME" ]; then
      log "run $run/$RUNS: load, wasmtime serve"
      # shellcheck disable=SC2046
      start_server wasmtime "http://127.0.0.1:$port_p/hello" $(wasmtime_cmd "$port_p")
      for scen in hello hello_c1; do load wasmtime "$scen" "$run" "http://127.0.0.1:$port_p"; done
      stop_server
    fi
  fi
done

echo
echo "## HTTP load ($LOADGEN, $DUR per load, $CONNS connections; hello_c1: 1 connection; $RUNS run(s))"
echo
bin/bench-summary "$OUT/rows.tsv"
echo
echo "raw rows: $OUT/rows.tsv"
