#!/usr/bin/env bash
# The portico binary as users and the chart run it: --help and --version exit 0; a bad flag
# or an unreadable path is one clear line on stderr and exit status 2.
set -u
portico=$1
failures=0
expect() { # description expected-status command...
  local what=$1 want=$2; shift 2
  local err; err=$(mktemp)
  "$@" >/dev/null 2>"$err"; local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, expected $want"; failures=$((failures + 1))
  elif [ "$want" -eq 2 ] && [ "$(wc -l <"$err")" -ne 1 ]; then
    echo "FAIL: $what: expected one line on stderr, got:"; cat "$err"; failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
  rm -f "$err"
}
expect "--help" 0 "$portico" --help
expect "--version" 0 "$portico" --version
"$portico" --help | grep -q -- '--manifests PATH' || { echo "FAIL: --help lacks --manifests"; failures=$((failures + 1)); }
"$portico" --version | grep -Eq '^portico [0-9]+\.[0-9]+\.[0-9]+$' || { echo "FAIL: --version format"; failures=$((failures + 1)); }
expect "unknown flag" 2 "$portico" --no-such-flag
expect "bad listen address" 2 "$portico" --manifests /tmp --http-listen nowhere
# Port 0 for every listener: a default port that something else holds would fail the test
# for the wrong reason.
free_ports=(--http-listen 127.0.0.1:0 --https-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0)
expect "missing manifests path" 2 "$portico" --manifests /nonexistent/portico/path "${free_ports[@]}"
expect "no routing source" 2 env -u KUBERNETES_SERVICE_HOST "$portico" "${free_ports[@]}"
# portico explain: offline, from manifests; the explanation on stdout.
manifests=$(mktemp -d)
trap 'rm -rf "$manifests"' EXIT
cat >"$manifests/site.yaml" <<'YAML'
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: blog, namespace: default}
spec:
  ingressClassName: portico
  rules:
  - host: blog.example.com
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: portico}
spec: {controller: portico.dev/ingress-controller}
YAML
expect "explain" 0 "$portico" explain --manifests "$manifests" http://blog.example.com/api/x
"$portico" explain --manifests "$manifests" http://blog.example.com/api/x 2>/dev/null |
  grep -q '"outcome": "503: the Service has no usable endpoint"' ||
  { echo "FAIL: explain outcome"; failures=$((failures + 1)); }
# The one-machine blog example parses and routes as its README says.
examples=$(dirname "$0")/../examples/blog/compose/manifests
"$portico" explain --manifests "$examples" http://blog.localhost/api/posts 2>/dev/null |
  grep -q '"outcome": "proxied to blog/blog-api:80"' ||
  { echo "FAIL: examples/blog/compose routes /api to blog-api"; failures=$((failures + 1)); }
expect "explain without a URL" 2 "$portico" explain --manifests "$manifests"
expect "explain without manifests" 2 "$portico" explain http://blog.example.com/
# portico migrate: the report on the sample of ingress-nginx Ingresses, exit 1 because one
# of them would fail closed; 0 when nothing would; 2 without a source.
sample=$(dirname "$0")/../examples/ingress-nginx
report=$("$portico" migrate --manifests "$sample" --controller-name k8s.io/ingress-nginx \
  --ingress-class nginx 2>/dev/null)
status=$?
check_report() { # description pattern
  if [ "$status" -ne 1 ] || ! grep -Eq -- "$2" <<<"$report"; then
    echo "FAIL: migrate: $1 (exit $status)"; failures=$((failures + 1))
  else
    echo "ok: migrate: $1"
  fi
}
check_report "each Ingress, served with these flags" '^Ingress monitoring/dashboard  \(class "nginx"; served with these flags\)'
check_report "honoured" '^  honoured +nginx.ingress.kubernetes.io/rewrite-target: /\$2'
check_report "honoured with a named difference" '^  honoured, differs +nginx.ingress.kubernetes.io/affinity-mode: balanced'
check_report "ignored, and why" '^  ignored +nginx.ingress.kubernetes.io/configuration-snippet'
check_report "failing closed" '^  FAILS CLOSED \(503\) +nginx.ingress.kubernetes.io/auth-tls-secret'
check_report "a redirect to www with its named difference" '^  honoured, differs +nginx.ingress.kubernetes.io/from-to-www-redirect: true'
check_report "the totals" '^12 Ingresses: .* 1 failing closed \(1 Ingress would answer 503 until fixed\)'
check_report "ssl-passthrough, ignored without its flag" '^  ignored +nginx.ingress.kubernetes.io/ssl-passthrough: true'
report=$("$portico" migrate --manifests "$sample" --controller-name k8s.io/ingress-nginx \
  --ingress-class nginx --enable-ssl-passthrough 2>/dev/null)
status=$?
check_report "ssl-passthrough, honoured with its flag" '^  honoured +nginx.ingress.kubernetes.io/ssl-passthrough: true'
# With the controller's ConfigMap: each key's verdict, and its defaults in the Ingresses'.
report=$("$portico" migrate --manifests "$sample" --controller-name k8s.io/ingress-nginx \
  --ingress-class nginx --configmap ingress-nginx/ingress-nginx-controller 2>/dev/null)
status=$?
check_report "the ConfigMap first" '^ConfigMap ingress-nginx/ingress-nginx-controller$'
check_report "a ConfigMap key honoured" '^  honoured +use-forwarded-headers: true'
check_report "a ConfigMap key ignored, and why" '^  ignored +enable-opentelemetry: false'
check_report "a ConfigMap key naming another ConfigMap" '^  honoured +add-headers: ingress-nginx/security-headers'
check_report "a keep-alive key" '^  honoured +keep-alive: 75'
check_report "a ConfigMap key for the handshakes" '^  honoured +ssl-protocols: TLSv1.2 TLSv1.3'
check_report "a ConfigMap default in an Ingress" '^  honoured +\(ConfigMap\) proxy-body-size: 50m'
"$portico" migrate --manifests "$sample" 2>/dev/null | grep -q 'not served with these flags' ||
  { echo "FAIL: migrate: the class flags decide what is served"; failures=$((failures + 1)); }
expect "migrate with nothing failing closed" 0 "$portico" migrate --manifests "$examples"
expect "migrate without a source" 2 "$portico" migrate
echo "$((31 - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
