#!/usr/bin/env bash
# The dashboard in a real browser: Portico serves the demo blog (examples/blog/local, its
# backends on free ports) plus a TLS Secret and one invalid Ingress; after some traffic, headless
# Chromium loads the dashboard from the admin listener, runs its JavaScript and the DOM it
# renders must show a route and its endpoints, the Secret's certificate, a traffic chart drawn
# from real data, the invalid object, and an explain answer. It also writes a screenshot.
# Usage: dashboard_test.sh PORTICO PORTICO_ECHO SOURCE_DIR SCREENSHOT_PNG
#        (KEEP=1 keeps its working directory, with the DOM Chromium rendered, for a look)
set -euo pipefail
portico=$1 echo_server=$2 source_dir=$3 screenshot=$4
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/dom.html" ] && head -c 4000 "$work/dom.html" >&2; exit 1; }

# Backends on free ports; the demo's manifests name 9101-9103 (9104, gRPC, stays unused).
manifests=$work/manifests
mkdir -p "$manifests"
cp "$source_dir"/examples/blog/local/*.yaml "$manifests/"
for backend in auth:9101 blog-api:9102 frontend:9103; do
  "$echo_server" --name "${backend%%:*}" --listen 127.0.0.1:0 >"$work/${backend%%:*}.out" &
  pids+=($!)
  for _ in $(seq 50); do grep -qs "listening on" "$work/${backend%%:*}.out" && break; sleep 0.1; done
  port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/${backend%%:*}.out")
  [ -n "$port" ] || fail "portico-echo ${backend%%:*} did not start"
  sed -i "s/port: ${backend##*:}$/port: $port/" "$manifests/services.yaml"
done
blog_api_port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/blog-api.out")

# A certificate from a Secret, and an Ingress that does not validate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj /CN=blog.localhost -addext subjectAltName=DNS:blog.localhost \
  -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
cat >"$manifests/extras.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata: {name: blog-tls, namespace: blog}
type: kubernetes.io/tls
data:
  tls.crt: $(base64 -w0 "$work/tls.crt")
  tls.key: $(base64 -w0 "$work/tls.key")
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: blog-tls, namespace: blog}
spec:
  ingressClassName: portico
  tls: [{hosts: [blog.localhost], secretName: blog-tls}]
  rules:
  - host: blog.localhost
    http:
      paths:
      - {path: /secure, pathType: Prefix, backend: {service: {name: frontend, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: broken, namespace: blog}
spec:
  ingressClassName: portico
  rules:
  - host: broken.localhost
    http:
      paths:
      - {path: /, pathType: Sideways, backend: {service: {name: frontend, port: {number: 80}}}}
YAML

"$portico" --manifests "$manifests" --http-listen 127.0.0.1:0 --https-listen 127.0.0.1:0 \
  --admin-listen 127.0.0.1:0 --shutdown-delay 0s 2>"$work/portico.log" &
pids+=($!)
for _ in $(seq 100); do grep -q 'admin=' "$work/portico.log" && break; sleep 0.1; done
http=$(sed -n 's/.* http=127.0.0.1:\([0-9]*\).*/\1/p' "$work/portico.log" | head -1)
https=$(sed -n 's/.* https=127.0.0.1:\([0-9]*\).*/\1/p' "$work/portico.log" | head -1)
admin=$(sed -n 's/.* admin=127.0.0.1:\([0-9]*\).*/\1/p' "$work/portico.log" | head -1)
[ -n "$admin" ] || fail "portico did not start: $(cat "$work/portico.log")"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$admin/readyz" >/dev/null && break; sleep 0.1; done

# Traffic (HTTPS: the Secret's host redirects plain HTTP) until the history holds three points
# with requests in them (one sample every 5 s), so the charts have lines to draw.
points() {
  curl -s "http://127.0.0.1:$admin/debug/traffic" |
    /usr/bin/python3 -c 'import json, sys
series = json.load(sys.stdin)["ingresses"].get("blog/blog", {"rps": []})["rps"]
print(sum(1 for v in series if v))'
}
for _ in $(seq 60); do
  curl -sk --resolve "blog.localhost:$https:127.0.0.1" >/dev/null \
    "https://blog.localhost:$https/api/posts?[1-30]" "https://blog.localhost:$https/?[1-10]"
  curl -s -o /dev/null -H 'Host: nobody.localhost' "http://127.0.0.1:$http/"
  [ "$(points)" -ge 3 ] && break
  sleep 0.5
done
[ "$(points)" -ge 3 ] || fail "the traffic history did not count requests in three intervals"

# As root Chromium needs --no-sandbox; the virtual time budget lets the page fetch its JSON and
# render before the DOM is taken.
page="http://127.0.0.1:$admin/#explain=https%3A%2F%2Fblog.localhost%2Fapi%2Fposts"
browser=(chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage
         --no-first-run --user-data-dir="$work/profile" --virtual-time-budget=5000)
# Traffic goes on while Chromium starts and renders (seconds on a busy machine), so the newest
# sample of the history, which the chart's last value shows, has requests in it too.
while :; do
  curl -sk --resolve "blog.localhost:$https:127.0.0.1" >/dev/null "https://blog.localhost:$https/api/posts"
  sleep 0.2
done &
traffic=$!
"${browser[@]}" --dump-dom "$page" >"$work/dom.html" 2>"$work/chromium.log" ||
  { kill "$traffic"; fail "chromium failed: $(tail -5 "$work/chromium.log")"; }
kill "$traffic"
wait "$traffic" 2>/dev/null || true

check() { # description extended-regex
  grep -Eq "$2" "$work/dom.html" || fail "the dashboard does not show $1"
  echo "ok: $1"
}
check "the refresh having run" 'data-refreshed="[1-9]'
check "the host blog.localhost" '<h3 class="mono">blog.localhost</h3>'
check "the /api rule and its backend" '>/api</span>.*blog/blog-api:80'
check "the blog API's endpoint as ready" "127.0.0.1:$blog_api_port ready"
check "the Secret's certificate" 'Secret blog/blog-tls'
check "a requests chart drawn from data" 'blog/blog</span></td><td><div class="chart" data-metric="requests" data-points="[3-9]" data-last="[0-9.]*[1-9]'
check "a polyline in that chart" '<polyline points="[0-9.]+,[0-9.]+ '
check "the invalid Ingress and why" 'Ingress blog/broken'
check "the explain answer" 'id="explain-outcome"><b>Outcome: </b>proxied to blog/blog-api:80'
check "the control plane's source" 'manifests: '
check "the published snapshots" 'the first complete state'

"${browser[@]}" --window-size=1280,1500 --hide-scrollbars --screenshot="$screenshot" "$page" \
  >/dev/null 2>>"$work/chromium.log" || fail "chromium could not take the screenshot"
[ -s "$screenshot" ] || fail "no screenshot written"
echo "ok: screenshot in $screenshot"
