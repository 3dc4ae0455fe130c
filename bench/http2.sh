#!/usr/bin/env bash
# HTTP/2 next to nginx and haproxy, in one run, with the same certificate (ECDSA P-256) and
# the same HTTP/1.1 backend (portico-echo): h2load over TLS h2, small GETs, -c 64 -m 10
# (64 connections, 10 streams each in flight), one worker each. Every run prints requests/s
# per proxy; then the medians and Portico's ratio to the better peer. A side that answered
# any request with an error (h2load's failed/errored, or a non-2xx status) voids the run:
# no ratio is printed for it.
# Usage: bench/http2.sh [seconds=10] [runs=3]
# Ports 21180-21189 (below the kernel's ephemeral range, so no client's source port takes one).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-10}; runs=${2:-3}
script/bootstrap nginx-light haproxy nghttp2-client openssl >/dev/null
script/build Release >/dev/null

scratch_and_cleanup

backend=21180; nginx_port=21181; haproxy_port=21182; portico_port=21183
build/bin/portico-echo --listen "127.0.0.1:$backend" >/dev/null 2>&1 & pids+=($!)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj /CN=bench.example.com -addext subjectAltName=DNS:bench.example.com \
  -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
cat "$work/tls.crt" "$work/tls.key" >"$work/tls.pem"
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
nginx_proxy_config "$work" "$backend" 256 "    listen 127.0.0.1:$nginx_port ssl http2 reuseport backlog=4096;
    ssl_certificate $work/tls.crt;
    ssl_certificate_key $work/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      proxy_pass http://be;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header Host \$host;
    }" >"$work/nginx.conf"
cat >"$work/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  http-reuse always
frontend fe
  bind 127.0.0.1:$haproxy_port ssl crt $work/tls.pem alpn h2,http/1.1
  default_backend be
backend be
  server s1 127.0.0.1:$backend
CONF
nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)
haproxy -f "$work/haproxy.cfg" -q & pids+=($!)
build/bin/portico --manifests "$work/ingress.yaml" --workers 1 --log-level warn \
  --http-listen 127.0.0.1:21184 --https-listen "127.0.0.1:$portico_port" \
  --admin-listen 127.0.0.1:21185 --default-cert-file "$work/tls.crt" \
  --default-key-file "$work/tls.key" & pids+=($!)
sleep 1

load() { # port -> requests/s, or "error: ..."
  h2load_rps -D "$seconds" -c 64 -m 10 -t 1 "https://127.0.0.1:$1/"
}

declare -A all
for ((r = 1; r <= runs; r++)); do
  for side in nginx:$nginx_port haproxy:$haproxy_port portico:$portico_port; do
    name=${side%%:*}
    rps=$(load "${side##*:}")
    printf "run %d  %-8s %s\n" "$r" "$name" "$rps"
    all[$name]+="$rps "
  done
done
void=0
for name in nginx haproxy portico; do
  if grep -q error <<<"${all[$name]}"; then void=1; fi
done
if ((void)); then
  echo "a side answered errors: no ratio (see the runs above)"
  exit 1
fi
nginx_m=$(median <<<"${all[nginx]}"); haproxy_m=$(median <<<"${all[haproxy]}")
portico_m=$(median <<<"${all[portico]}")
best=$(printf "%s\n%s\n" "$nginx_m" "$haproxy_m" | sort -g | tail -1)
printf "median requests/s  nginx %s  haproxy %s  portico %s\n" "$nginx_m" "$haproxy_m" "$portico_m"
awk -v p="$portico_m" -v b="$best" 'BEGIN { printf "portico / better peer: %.2fx\n", p / b }'
