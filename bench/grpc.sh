#!/usr/bin/env bash
# gRPC unary through Portico next to nginx's grpc_pass, in one run: the same gRPC backend
# (bench/micro/grpc_echo_backend.cpp, gRPC's C++ server, built here with Debian's
# libgrpc++-dev: fast enough that the proxies, not the backend, set the pace), h2c on both
# proxies' fronts, h2load sending the same unary call (POST /portico.test.Echo/Unary, a
# 4-byte message) with -c 16 -m 10, one worker each. Prints each run, the medians and
# Portico's ratio; a side with any failed request or non-2xx status voids the ratio.
# Usage: bench/grpc.sh [seconds=10] [runs=3]   Ports 21380-21389.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-10}; runs=${2:-3}
script/bootstrap nginx-light nghttp2-client libgrpc++-dev >/dev/null
script/build Release >/dev/null
echo_backend=build/bin/grpc-echo-backend
if [ ! -x "$echo_backend" ] || [ bench/micro/grpc_echo_backend.cpp -nt "$echo_backend" ]; then
  # shellcheck disable=SC2046 # pkg-config's flags are words
  g++ -std=c++17 -O2 bench/micro/grpc_echo_backend.cpp $(pkg-config --cflags --libs grpc++) \
    -o "$echo_backend"
fi
scratch_and_cleanup
nginx_port=21381; portico_port=21382
"$echo_backend" >"$work/backend.out" & pids+=($!)
for _ in $(seq 50); do grep -q listening "$work/backend.out" 2>/dev/null && break; sleep 0.1; done
backend=$(awk '/listening/ { print $2 }' "$work/backend.out")
nginx_proxy_config "$work" "$backend" 64 "    listen 127.0.0.1:$nginx_port http2;
    location / { grpc_pass grpc://be; }" >"$work/nginx.conf"
cat >"$work/grpc.yaml" <<YAML
$(bench/backend-manifests.sh "$backend")
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: bench
  annotations: {nginx.ingress.kubernetes.io/backend-protocol: GRPC}
spec:
  defaultBackend: {service: {name: backend, port: {number: 80}}}
YAML
nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)
build/bin/portico --manifests "$work/grpc.yaml" --workers 1 --log-level warn \
  --http-listen "127.0.0.1:$portico_port" --https-listen 127.0.0.1:21383 \
  --admin-listen 127.0.0.1:21384 & pids+=($!)
sleep 1
printf '\0\0\0\0\4ping' >"$work/call.bin"  # one gRPC message: uncompressed, 4 bytes

load() { # port -> calls/s, or "error: ..."
  h2load_rps -D "$seconds" -c 16 -m 10 -t 1 -d "$work/call.bin" \
    -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$1/portico.test.Echo/Unary"
}
declare -A all
for ((r = 1; r <= runs; r++)); do
  for side in nginx:$nginx_port portico:$portico_port; do
    rps=$(load "${side##*:}")
    printf "run %d  %-8s %s\n" "$r" "${side%%:*}" "$rps"
    all[${side%%:*}]+="$rps "
  done
done
if grep -q error <<<"${all[nginx]}${all[portico]}"; then
  echo "a side answered errors: no ratio (see the runs above)"
  exit 1
fi
n=$(median <<<"${all[nginx]}"); p=$(median <<<"${all[portico]}")
awk -v n="$n" -v p="$p" 'BEGIN { printf "median calls/s  nginx %s  portico %s  portico/nginx %.2f\n", n, p, p / n }'
