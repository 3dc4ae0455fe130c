#!/usr/bin/env bash
# Goal 7 of issue 5 (1 -> 2 workers): requests/s with 1 and with 2 workers, for Portico and
# for nginx, in one run, and what each request cost the proxy in CPU time (from
# /proc/PID/stat, split into user and system time: where the two proxies differ), so that
# scaling can be judged on a machine with no spare core. On a 2-core machine wrk, the backend and the proxy share both cores whatever the worker count: the
# requests/s ratio there says more about the machine than about the proxy, while the CPU cost
# per request staying flat from 1 to 2 workers says the workers do not get in each other's way
# (no shared locks, no shared cache lines), so they would scale with cores that are free.
# wrk runs pinned to the last core (taskset), the backend to the first; the proxy floats.
# Usage: bench/scaling.sh [seconds=10] [connections=256] [runs=3]   Ports 21080-21085.
# A proxy that answered any error (non-2xx, socket errors) voids the medians.
# PORTICO=BINARY measures another Portico build (default build/bin/portico).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-10}; connections=${2:-256}; runs=${3:-3}
script/bootstrap wrk nginx-light
script/build Release >/dev/null
last_cpu=$(($(nproc) - 1))

run=$(mktemp -d)
pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
trap 'stop_all; rm -rf "$run"' EXIT
chmod 755 "$run"
peer_config backend-nginx.conf "$run" 1 21080 >"$run/backend-nginx.conf"
bench/backend-manifests.sh 21080 blog.example.com >"$run/bench.yaml"

cpu_ticks() { # "user system": the processes' times (all their threads), in clock ticks
  local user=0 system=0 pid u s
  for pid in "$@"; do
    read -r u s < <(awk '{print $14, $15}' "/proc/$pid/stat")
    user=$((user + u)); system=$((system + s))
  done
  echo "$user $system"
}

measure() { # label port pid...
  local label=$1 port=$2; shift 2
  local u0 s0 u1 s1 out rps errors
  read -r u0 s0 < <(cpu_ticks "$@")
  out=$(taskset -c "$last_cpu" wrk -t1 -c"$connections" -d"${seconds}s" --latency \
    -H 'Host: blog.example.com' "http://127.0.0.1:$port/" 2>&1 || true)
  read -r u1 s1 < <(cpu_ticks "$@")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  errors=$(wrk_errors "$out")
  awk -v label="$label" -v rps="$rps" -v user=$((u1 - u0)) -v sys=$((s1 - s0)) \
    -v hz="$(getconf CLK_TCK)" -v secs="$seconds" -v errors="$errors" \
    -v p99="$(awk '$1=="99%" {print $2}' <<<"$out")" 'BEGIN {
      cpu = (user + sys) / hz; n = (rps > 0 ? rps * secs : 1)
      printf "%-18s rps=%-10.0f proxy-cpu-s=%-6.2f us-cpu-per-request=%-6.2f user/system=%.2f/%.2f p99=%s %s\n",
        label, rps, cpu, cpu * 1e6 / n, user / hz * 1e6 / n, sys / hz * 1e6 / n, p99, errors }'
}

taskset -c 0 nginx -c "$run/backend-nginx.conf" -p "$run" & pids+=($!)
results="$run/results"
machine_load_note
for r in $(seq "$runs"); do
  echo "run $r/$runs" >&2
  for workers in 1 2; do
    peer_config proxy-nginx.conf "$run" "$workers" 21080 >"$run/proxy-nginx.conf"
    nginx -c "$run/proxy-nginx.conf" -p "$run" & nginx_master=$!
    pids+=("$nginx_master")  # so that stop_all (on an error, too) stops it
    "${PORTICO:-build/bin/portico}" --manifests "$run/bench.yaml" --workers "$workers" \
      --http-listen 127.0.0.1:21083 --https-listen 127.0.0.1:21085 \
      --admin-listen 127.0.0.1:21084 --log-level warn & portico_pid=$!
    pids+=("$portico_pid")
    sleep 1
    mapfile -t nginx_workers < <(pgrep -P "$nginx_master")
    measure "nginx-$workers" 21081 "${nginx_workers[@]}" | tee -a "$results"
    measure "portico-$workers" 21083 "$portico_pid" | tee -a "$results"
    kill "$nginx_master" "$portico_pid"; wait "$nginx_master" "$portico_pid" 2>/dev/null || true
    sleep 1
  done
done

echo
echo "medians of $runs runs"
awk '
  NF > 6 { failed = failed " " $1 }
  { name = $1; sub("rps=", "", $2); sub("us-cpu-per-request=", "", $4); sub("user/system=", "", $5)
    split($5, us, "/")
    rps[name, ++n[name]] = $2; cost[name, n[name]] = $4
    user[name, n[name]] = us[1]; kernel[name, n[name]] = us[2] }
  function median(arr, name, count,   i, j, t, v) {
    for (i = 1; i <= count; i++) v[i] = arr[name, i]
    for (i = 1; i <= count; i++) for (j = i + 1; j <= count; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return v[int((count + 1) / 2)]
  }
  END {
    if (failed != "") { printf "errors answered by:%s: no medians\n", failed; exit 1 }
    for (name in n) {
      r[name] = median(rps, name, n[name]); c[name] = median(cost, name, n[name])
      u[name] = median(user, name, n[name]); k[name] = median(kernel, name, n[name])
    }
    split("nginx portico", order, " ")
    for (i = 1; i <= 2; i++) {
      p = order[i]
      printf "%-8s 1 worker %8.0f req/s %5.2f us CPU each; 2 workers %8.0f req/s %5.2f us CPU each; x%.2f req/s, CPU per request x%.2f\n",
        p, r[p "-1"], c[p "-1"], r[p "-2"], c[p "-2"], r[p "-2"] / r[p "-1"], c[p "-2"] / c[p "-1"]
    }
    printf "CPU per request, user + system (us): nginx 1 worker %.2f + %.2f, 2 workers %.2f + %.2f; portico 1 worker %.2f + %.2f, 2 workers %.2f + %.2f\n",
      u["nginx-1"], k["nginx-1"], u["nginx-2"], k["nginx-2"], u["portico-1"], k["portico-1"], u["portico-2"], k["portico-2"]
  }' "$results"
