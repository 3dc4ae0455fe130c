#!/usr/bin/env bash
# Portico next to nginx and haproxy in one run (so the ratios hold on a noisy machine): the
# shared peers harness starts a backend, nginx and haproxy, and this Portico routing
# Host blog.example.com to the same backend, then runs wrk against each.
# Usage: bench/run.sh [workers=1] [seconds=10] [connections=64] [runs=3]
# Prints each run's lines, then the median requests/s and p99 of each proxy and the ratios.
# RESULTS_OUT=FILE keeps the raw lines (bench/plot.sh uses them). A proxy that answered any
# error (non-2xx, socket errors) in any run voids the medians and ratios. Ports 21080-21084.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
workers=${1:-1}; seconds=${2:-10}; connections=${3:-64}; runs=${4:-3}
peers=${PEERS_DIR:-../shared/bench/peers}
[ -x "$peers/run.sh" ] || [ -f "$peers/run.sh" ] || { echo "bench: no $peers/run.sh (set PEERS_DIR)" >&2; exit 2; }
script/bootstrap wrk nginx-light haproxy
script/build Release >/dev/null

manifests=$(mktemp -d)
trap 'rm -rf "$manifests"' EXIT
export BASE_PORT=21080 PROXY_PORT=21083
bench/backend-manifests.sh "$BASE_PORT" blog.example.com >"$manifests/bench.yaml"
export PROXY_CMD="$PWD/build/bin/portico --manifests $manifests --workers $workers \
  --http-listen 127.0.0.1:$PROXY_PORT --https-listen 127.0.0.1:21085 \
  --admin-listen 127.0.0.1:21084 --log-level warn"
results=$(mktemp)
machine_load_note
for run in $(seq "$runs"); do
  echo "run $run/$runs: workers=$workers connections=$connections ${seconds}s" >&2
  bash "$peers/run.sh" "$workers" "$seconds" "$connections" | tee -a "$results" >&2
done

# Medians per proxy; latencies are converted to microseconds for comparison. The harness
# prints a proxy's errors after its p99: any such line voids the result.
awk '
  NF > 4 { failed = failed " " $1 }
  function us(v) { if (v ~ /ms$/) return v * 1000; if (v ~ /us$/) return v + 0; if (v ~ /s$/) return v * 1e6; return v }
  { name = $1; sub("rps=", "", $2); sub("p99=", "", $4); rps[name, ++n[name]] = $2; p99[name, n[name]] = us($4) }
  function median(arr, name, count,   i, j, t, v) {
    for (i = 1; i <= count; i++) v[i] = arr[name, i]
    for (i = 1; i <= count; i++) for (j = i + 1; j <= count; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return v[int((count + 1) / 2)]
  }
  END {
    if (failed != "") { printf "\nerrors answered by:%s: no medians, no ratios\n", failed; exit 1 }
    printf "\nmedian of %d runs\n%-10s %12s %12s\n", n["portico"], "proxy", "requests/s", "p99 (us)"
    for (name in n) { r[name] = median(rps, name, n[name]); l[name] = median(p99, name, n[name]) }
    split("direct nginx haproxy portico", order, " ")
    for (i = 1; i <= 4; i++) if (order[i] in n) printf "%-10s %12.0f %12.0f\n", order[i], r[order[i]], l[order[i]]
    printf "\nportico/nginx requests/s %.2f, portico/haproxy %.2f; p99 portico/nginx %.2f\n",
      r["portico"] / r["nginx"], r["portico"] / r["haproxy"], l["portico"] / l["nginx"]
  }' "$results"
# bench/plot.sh reads the raw lines.
if [ -n "${RESULTS_OUT:-}" ]; then cp "$results" "$RESULTS_OUT"; fi
rm -f "$results"
