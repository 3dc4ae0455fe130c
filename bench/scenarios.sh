#!/usr/bin/env bash
# Issue 5's goals beyond small keep-alive requests, Portico next to nginx and haproxy in one
# run (one worker each, the shared peers' proxy configurations, wrk -t1):
#   close  a new connection per request (Connection: close)                       goal 2
#   large  64 KiB and 1 MiB responses: throughput, and Portico's peak RSS           goal 3
#   idle   10,000 idle keep-alive connections: Portico's RSS above its empty self,
#          and requests/s while they are held                                      goal 4
#   storm  10,000 Ingresses; p99 while endpoint-only changes publish every 50 ms    goal 6
# Usage: bench/scenarios.sh [all|close|large|idle|storm] [seconds=10] [runs=3]
# Prints one line per measurement and medians; nothing here is asserted. A scenario where a
# side answered any error (non-2xx, socket errors) gets no median and no ratio.
# Ports 21080-21085. PORTICO=BINARY measures another Portico build (default build/bin/portico).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
what=${1:-all}; seconds=${2:-10}; runs=${3:-3}
script/bootstrap wrk nginx-light haproxy
script/build Release >/dev/null
ulimit -n "$(ulimit -Hn)"  # 10,000 idle connections need as many descriptors

run=$(mktemp -d)
pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
trap 'stop_all; rm -rf "$run"' EXIT

# The backend: small, 64 KiB and 1 MiB bodies from files (sendfile), keep-alive.
mkdir -p "$run/www"
head -c 65536 /dev/zero >"$run/www/64k"
head -c 1048576 /dev/zero >"$run/www/1m"
chmod 755 "$run" "$run/www"  # nginx's workers run as nobody
cat >"$run/backend.conf" <<CONF
worker_processes 1;
daemon off;
pid $run/backend.pid;
error_log $run/backend.err warn;
events { worker_connections 16384; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:21080 reuseport backlog=4096;
    location = / { return 200 "hello from backend\n"; }
    location / { root $run/www; }
  }
}
CONF
for f in proxy-nginx.conf proxy-haproxy.cfg; do
  peer_config "$f" "$run" 1 21080 >"$run/$f"
done

# Portico's manifests: the backend, blog.example.com, and (for storm) 10,000 more Ingresses
# plus a Service "churn" whose endpoints the storm rewrites.
mkdir -p "$run/manifests"
{
  bench/backend-manifests.sh 21080 blog.example.com
  cat <<'YAML'
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: churn}
spec:
  rules:
  - host: churn.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: churn, port: {number: 80}}}}
YAML
} >"$run/manifests/bench.yaml"
write_churn() { # the endpoint address's last octet
  # Builtins only (one write(2) of the whole file, no cat/mv/sleep processes): a storm writer
  # that forked three processes per change took CPU from the proxy being measured on these
  # 2 cores.
  printf '%s\n' 'apiVersion: v1' 'kind: Service' 'metadata: {name: churn}' \
    'spec: {ports: [{name: http, port: 80}]}' '---' 'apiVersion: discovery.k8s.io/v1' \
    'kind: EndpointSlice' 'metadata: {name: churn-1, labels: {kubernetes.io/service-name: churn}}' \
    'addressType: IPv4' 'ports: [{name: http, port: 8080}]' \
    "endpoints: [{addresses: [10.0.0.$1]}]" >"$run/manifests/churn.yaml"
}

start_proxies() { # extra manifests directory for Portico, or ""
  nginx -c "$run/backend.conf" -p "$run" & pids+=($!)
  nginx -c "$run/proxy-nginx.conf" -p "$run" & pids+=($!)
  haproxy -f "$run/proxy-haproxy.cfg" -q & pids+=($!)
  "${PORTICO:-build/bin/portico}" --manifests "$run/manifests" ${1:+--manifests "$1"} --workers 1 \
    --http-listen 127.0.0.1:21083 --https-listen 127.0.0.1:21085 \
    --admin-listen 127.0.0.1:21084 --log-level warn & pids+=($!)
  portico_pid=$!
  for _ in $(seq 100); do
    curl -sf http://127.0.0.1:21084/readyz >/dev/null 2>&1 && break
    sleep 0.1
  done
}

load() { # label port path connections [wrk args...]
  local label=$1 port=$2 path=$3 conns=$4; shift 4
  local out
  out=$(wrk -t1 -c"$conns" -d"${seconds}s" --latency "$@" -H 'Host: blog.example.com' \
    "http://127.0.0.1:$port$path" 2>&1 || true)
  printf "%-28s rps=%-10s mbs=%-8s p99=%-8s %s\n" "$label" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '/Transfer\/sec/ {v=$2; if (v ~ /GB$/) v=v*1024; else if (v ~ /KB$/) v=v/1024; else v=v+0; print v}' <<<"$out")" \
    "$(awk '$1=="99%" {print $2}' <<<"$out")" \
    "$(wrk_errors "$out")"
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

results=$(mktemp -p "$run")
machine_load_note
for r in $(seq "$runs"); do
  echo "run $r/$runs" >&2
  if [[ $what == all || $what == close ]]; then
    start_proxies ""
    for p in nginx:21081 haproxy:21082 portico:21083; do
      load "close ${p%%:*}" "${p##*:}" / 64 -H 'Connection: close'
    done | tee -a "$results"
    stop_all; sleep 1
  fi
  if [[ $what == all || $what == large ]]; then
    start_proxies ""
    for size in 64k:64 1m:16; do
      for p in nginx:21081 haproxy:21082 portico:21083; do
        load "${size%%:*} ${p%%:*}" "${p##*:}" "/${size%%:*}" "${size##*:}"
      done
    done | tee -a "$results"
    echo "large portico-peak-rss-kb $(hwm_kb "$portico_pid")" | tee -a "$results"
    stop_all; sleep 1
  fi
  if [[ $what == all || $what == idle ]]; then
    start_proxies ""
    load "idle-before portico" 21083 / 64 | tee -a "$results"
    before=$(rss_kb "$portico_pid")
    build/bin/idle_clients 21083 blog.example.com 10000 $((seconds + 15)) >"$run/idle.out" &
    idle_pid=$!
    sleep 10  # connect, request, go idle
    held=$(rss_kb "$portico_pid")
    load "idle-held portico" 21083 / 64 | tee -a "$results"
    wait "$idle_pid" || true
    echo "idle $(cat "$run/idle.out") portico-rss-kb before=$before held=$held above=$((held - before))" |
      tee -a "$results"
    stop_all; sleep 1
  fi
  if [[ $what == all || $what == storm ]]; then
    mkdir -p "$run/many"
    for i in $(seq 0 9999); do
      printf -- '---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i%d}\nspec: {rules: [{host: h%d.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: backend, port: {number: 80}}}}]}}]}\n' "$i" "$i"
    done >"$run/many/ingresses.yaml"
    write_churn 1
    start_proxies "$run/many"
    load "storm-quiet portico" 21083 / 64 | tee -a "$results"
    reloads_before=$(curl -s http://127.0.0.1:21084/metrics | awk '/^portico_config_reloads_total/ {print $2}')
    ( exec {never}<> <(:)  # read -t on a pipe nobody writes: a 50 ms pause without a process
      octet=1; while :; do octet=$((3 - octet)); write_churn "$octet"; read -rt 0.05 -u "$never" || true; done ) &
    storm_pid=$!
    load "storm-publishing portico" 21083 / 64 | tee -a "$results"
    kill "$storm_pid"; wait "$storm_pid" 2>/dev/null || true
    reloads_after=$(curl -s http://127.0.0.1:21084/metrics | awk '/^portico_config_reloads_total/ {print $2}')
    echo "storm publishes=$((reloads_after - reloads_before)) in ${seconds}s" | tee -a "$results"
    stop_all; sleep 1
  fi
done

# Medians of requests/s, MB/s and p99 per label.
echo
awk '
  function us(v) { if (v ~ /ms$/) return v * 1000; if (v ~ /us$/) return v + 0; if (v ~ /s$/) return v * 1e6; return v }
  /rps=/ {
    label = $1 " " $2; if (NF > 5) failed[label] = 1; sub("rps=", "", $3); sub("mbs=", "", $4); sub("p99=", "", $5)
    k = ++n[label]; rps[label, k] = $3; mbs[label, k] = $4; p99[label, k] = us($5)
    if (!(label in seen)) { seen[label] = 1; order[++labels] = label }
  }
  function median(arr, label, count,   i, j, t, v) {
    for (i = 1; i <= count; i++) v[i] = arr[label, i]
    for (i = 1; i <= count; i++) for (j = i + 1; j <= count; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return v[int((count + 1) / 2)]
  }
  END {
    printf "medians of %d runs\n%-28s %12s %10s %10s\n", n[order[1]], "scenario", "requests/s", "MB/s", "p99 (us)"
    for (i = 1; i <= labels; i++) {
      l = order[i]
      if (l in failed) { printf "%-28s answered errors: no median\n", l; continue }
      printf "%-28s %12.0f %10.1f %10.0f\n", l, median(rps, l, n[l]), median(mbs, l, n[l]), median(p99, l, n[l])
      r[l] = median(rps, l, n[l]); m[l] = median(mbs, l, n[l]); q[l] = median(p99, l, n[l])
    }
    # The goals as ratios (issue 5): each present only when its scenario ran with no errors.
    print ""
    for (l in failed) { split(l, parts, " "); broken[parts[1]] = 1 }
    if ("close" in broken) delete r["close nginx"]
    if ("64k" in broken) delete r["64k nginx"]
    if ("1m" in broken) delete r["1m nginx"]
    if ("idle-before" in broken || "idle-held" in broken) delete r["idle-before portico"]
    if ("storm-quiet" in broken || "storm-publishing" in broken) delete r["storm-quiet portico"]
    if ("close nginx" in r) printf "goal 2  Connection: close   portico/nginx requests/s %.2f\n", r["close portico"] / r["close nginx"]
    if ("64k nginx" in r) printf "goal 3  64 KiB              portico/nginx MB/s %.2f\n", m["64k portico"] / m["64k nginx"]
    if ("1m nginx" in r) printf "goal 3  1 MiB               portico/nginx MB/s %.2f\n", m["1m portico"] / m["1m nginx"]
    if ("idle-before portico" in r) printf "goal 4  10,000 idle held    requests/s held/before %.2f\n", r["idle-held portico"] / r["idle-before portico"]
    if ("storm-quiet portico" in r) printf "goal 6  publish storm       p99 publishing/quiet %.2f\n", q["storm-publishing portico"] / q["storm-quiet portico"]
  }' "$results"
grep -E "^(large portico-peak|idle connections|storm publishes)" "$results" || true
