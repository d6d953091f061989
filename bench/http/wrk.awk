# Parses `wrk --latency` output for bench/run-http.sh. Prints one line:
#   rps p50_ms p99_ms non2xx errors max_ms requests
# (the same fields as bench/load). wrk's percentiles are coordinated-omission
# corrected (a stall of S ms adds synthetic samples); max is a raw sample.
function ms(v) {
  if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
  if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
  if (v ~ /m$/)  { sub(/m$/, "", v);  return v * 60000 }
  if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
  return v
}
/^ +50% / { p50 = ms($2) }
/^ +99% / { p99 = ms($2) }
/^Requests\/sec:/ { rps = $2 }
/^ +Latency +[0-9]/ { max = ms($4) }
/ requests in / { requests = $1 }
/Non-2xx or 3xx responses:/ { non2xx = $NF }
/Socket errors:/ { gsub(/,/, ""); errors = $4 + $6 + $8 + $10 }
END { printf "%.0f %.3f %.3f %d %d %.3f %d\n", rps, p50, p99, non2xx + 0, errors + 0, max, requests + 0 }
