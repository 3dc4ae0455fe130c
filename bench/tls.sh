#!/usr/bin/env bash
# TLS next to nginx, in one run, with the same certificate and the same backend: full and
# resumed handshakes per second (openssl s_time: one client, one connection at a time, each
# with a GET of /) and keep-alive HTTPS requests per second (wrk), for an ECDSA P-256 and an
# RSA 2048 certificate. One worker each (nginx worker_processes 1, portico --workers 1).
# Usage: bench/tls.sh [seconds=10] [runs=3]   Prints each run, then medians and ratios; a
# measurement that failed (no handshake completed, wrk errors) voids its column's ratio.
# Ports 21190-21194.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-10}; runs=${2:-3}
script/bootstrap wrk nginx-light openssl
script/build Release >/dev/null

scratch_and_cleanup

backend=21190; nginx_port=21191; portico_port=21192
build/bin/portico-echo --listen "127.0.0.1:$backend" >/dev/null 2>&1 & pids+=($!)

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj /CN=bench.example.com -addext subjectAltName=DNS:bench.example.com \
  -keyout "$work/ecdsa.key" -out "$work/ecdsa.crt" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
  -subj /CN=bench.example.com -addext subjectAltName=DNS:bench.example.com \
  -keyout "$work/rsa.key" -out "$work/rsa.crt" 2>/dev/null
{
  bench/backend-manifests.sh "$backend"
  cat <<'YAML'
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bench}
spec:
  defaultBackend: {service: {name: backend, port: {number: 80}}}
YAML
} >"$work/ingress.yaml"

start_servers() { # key type
  nginx_proxy_config "$work" "$backend" 256 "    listen 127.0.0.1:$nginx_port ssl reuseport backlog=4096;
    ssl_certificate $work/$1.crt;
    ssl_certificate_key $work/$1.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_tickets on;
    ssl_session_cache shared:tls:10m;
    location / {
      proxy_pass http://be;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header Host \$host;
    }" >"$work/nginx.conf"
  nginx -c "$work/nginx.conf" -p "$work" & nginx_pid=$!
  build/bin/portico --manifests "$work/ingress.yaml" --workers 1 --log-level warn \
    --http-listen 127.0.0.1:21193 --https-listen "127.0.0.1:$portico_port" \
    --admin-listen 127.0.0.1:21194 --default-cert-file "$work/$1.crt" \
    --default-key-file "$work/$1.key" & portico_pid=$!
  sleep 1
}
stop_servers() {
  kill "$nginx_pid" "$portico_pid" 2>/dev/null || true
  wait "$nginx_pid" "$portico_pid" 2>/dev/null || true
}

s_time() { # port new|reuse -> connections per second
  openssl s_time -connect "127.0.0.1:$1" -"$2" -time "$seconds" -www / 2>/dev/null |
    awk '/connections in .* real seconds/ { for (i = 1; i <= NF; i++) if ($i == "connections") { n = $(i - 1) } }
         /real seconds/ { for (i = 1; i <= NF; i++) if ($i == "real") { t = $(i - 1) } }
         END { if (t > 0) printf "%.0f", n / t; else print 0 }'
}
keepalive() { # port -> requests per second, or 0 when any request failed
  local out
  out=$(wrk -t1 -c64 -d"${seconds}s" -H 'Host: bench.example.com' "https://127.0.0.1:$1/" 2>&1 || true)
  if [[ -n $(wrk_errors "$out") ]]; then echo 0; return; fi
  awk '/Requests\/sec/ { printf "%.0f", $2 }' <<<"$out"
}

results="$work/results"
machine_load_note
for key in ecdsa rsa; do
  start_servers "$key"
  for run in $(seq "$runs"); do
    for server in nginx portico; do
      port=$nginx_port; [ "$server" = portico ] && port=$portico_port
      line="$key $server full=$(s_time "$port" new) resumed=$(s_time "$port" reuse) keepalive=$(keepalive "$port")"
      echo "run $run: $line" >&2
      echo "$line" >>"$results"
    done
  done
  stop_servers
done

awk '
  { key = $1; server = $2
    for (i = 3; i <= NF; i++) {
      split($i, kv, "="); v[key, server, kv[1], ++n[key, server, kv[1]]] = kv[2]
      if (kv[2] + 0 == 0) failed[key, kv[1]] = 1
    } }
  function ratio(key, metric) {
    if ((key, metric) in failed) return "failed"
    return sprintf("%.2f", median(key, "portico", metric) / median(key, "nginx", metric))
  }
  function median(key, server, metric,   c, i, j, t, a) {
    c = n[key, server, metric]
    for (i = 1; i <= c; i++) a[i] = v[key, server, metric, i]
    for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return a[int((c + 1) / 2)]
  }
  END {
    printf "\nmedians of %s runs\n%-6s %-8s %14s %14s %16s\n", n["ecdsa", "nginx", "full"], "key", "server",
      "full hs/s", "resumed hs/s", "keep-alive rps"
    split("ecdsa rsa", keys, " "); split("full resumed keepalive", metrics, " ")
    for (k = 1; k <= 2; k++) {
      for (s = 1; s <= 2; s++) {
        server = s == 1 ? "nginx" : "portico"
        printf "%-6s %-8s %14.0f %14.0f %16.0f\n", keys[k], server,
          median(keys[k], server, "full"), median(keys[k], server, "resumed"), median(keys[k], server, "keepalive")
      }
      printf "%-6s %-8s %14s %14s %16s\n", keys[k], "ratio",
        ratio(keys[k], "full"), ratio(keys[k], "resumed"), ratio(keys[k], "keepalive")
    }
  }' "$results"
