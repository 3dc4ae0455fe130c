#!/usr/bin/env bash
# Heap allocations per request in the steady state, counted by a preloaded allocator
# (build/lib/alloc_counter.so counts every malloc, calloc, realloc and aligned allocation;
# C++'s operator new goes through malloc). Portico (one worker) proxies to portico-echo; after
# a warm-up, the count is read before and after a wrk run, and the difference is divided by the
# requests the client completed. Scenarios: small keep-alive GETs over HTTP/1.1 (wrk), the same
# with Connection: close, keep-alive HTTPS, and HTTP/2 over TLS (h2load -c 64 -m 10). Any
# error voids the scenario's number.
# Usage: bench/allocs.sh [seconds=5]   Ports 21290-21294.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-5}
script/bootstrap wrk nghttp2-client openssl >/dev/null
script/build Release >/dev/null
scratch_and_cleanup

build/bin/portico-echo --listen 127.0.0.1:21290 >/dev/null 2>&1 & pids+=($!)
bench/backend-manifests.sh 21290 blog.example.com >"$work/bench.yaml"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj /CN=blog.example.com -addext subjectAltName=DNS:blog.example.com \
  -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
LD_PRELOAD="$PWD/build/lib/alloc_counter.so" build/bin/portico --manifests "$work/bench.yaml" \
  --workers 1 --log-level warn --http-listen 127.0.0.1:21291 --https-listen 127.0.0.1:21292 \
  --admin-listen 127.0.0.1:21293 --default-cert-file "$work/tls.crt" \
  --default-key-file "$work/tls.key" 2>"$work/portico.err" & portico=$!
pids+=($portico)
for _ in $(seq 100); do curl -sf http://127.0.0.1:21293/readyz >/dev/null && break; sleep 0.1; done

count() { # -> the allocator's count now
  local lines
  lines=$(grep -c '^allocations ' "$work/portico.err" || true)
  kill -USR2 "$portico"
  for _ in $(seq 100); do
    [[ $(grep -c '^allocations ' "$work/portico.err" || true) -gt $lines ]] && break
    sleep 0.01
  done
  grep '^allocations ' "$work/portico.err" | tail -1 | cut -d' ' -f2
}

machine_load_note
measure() { # label url [header]
  local extra=(); [[ -n "${3:-}" ]] && extra=(-H "$3")
  wrk -t1 -c16 -d1s -H 'Host: blog.example.com' "${extra[@]}" "$2" >/dev/null 2>&1  # warm-up
  local before after out requests errors
  before=$(count)
  out=$(wrk -t1 -c64 -d"${seconds}s" -H 'Host: blog.example.com' "${extra[@]}" "$2" 2>&1 || true)
  after=$(count)
  errors=$(wrk_errors "$out")
  requests=$(awk '/requests in/ { print $1 }' <<<"$out")
  report "$1" "$errors" "$requests" "$((after - before))"
}

report() { # label errors requests allocations
  if [[ -n $2 || -z $3 ]]; then
    printf "%-22s errors: %s\n" "$1" "$2"
    return
  fi
  awk -v l="$1" -v a="$4" -v r="$3" \
    'BEGIN { printf "%-22s %10d requests %12d allocations %8.2f per request\n", l, r, a, a / r }'
}
measure "keep-alive" http://127.0.0.1:21291/
measure "Connection: close" http://127.0.0.1:21291/ "Connection: close"
measure "HTTPS keep-alive" https://127.0.0.1:21292/

measure_h2() { # label url
  h2load -D 1 -c 16 -m 10 -t 1 "$2" >/dev/null 2>&1 || true  # warm-up
  local before after out errors=""
  before=$(count)
  out=$(h2load -D "$seconds" -c 64 -m 10 -t 1 "$2" 2>&1 || true)
  after=$(count)
  grep -q " 0 failed, 0 errored, 0 timeout" <<<"$out" &&
    grep -qE "status codes: [0-9]+ 2xx, 0 3xx, 0 4xx, 0 5xx" <<<"$out" ||
    errors=$(grep -E 'requests:|status codes:' <<<"$out" | tr '\n' ' ')
  report "$1" "$errors" "$(awk '/^requests:/ { print $8 }' <<<"$out")" "$((after - before))"
}
measure_h2 "HTTP/2 over TLS" https://127.0.0.1:21292/
