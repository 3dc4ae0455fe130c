#!/usr/bin/env bash
# A/B of two Portico binaries in one run: the same backend (portico-echo), one worker each,
# alternating between the binaries run after run so the machine's drift hits both alike.
# Scenarios: wrk -t1 -c64 small keep-alive GETs, the same with Connection: close, the same
# keep-alive over HTTPS, and h2load over TLS h2 (-c 64 -m 10); both sides use the same ECDSA
# P-256 certificate. Each run prints
# requests/s and the proxy's CPU per request (user and system time from /proc/PID/stat); then
# medians and new/old ratios. A side with any error (non-2xx, socket errors, failed streams)
# voids the scenario's ratio.
# Usage: bench/ab.sh OLD_PORTICO_BINARY [seconds=8] [runs=3]   (new: build/bin/portico)
# Ports 21280-21288, below the kernel's ephemeral range.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
old=${1:?usage: bench/ab.sh OLD_PORTICO_BINARY [seconds] [runs]}; seconds=${2:-8}; runs=${3:-3}
new=build/bin/portico
script/bootstrap wrk nghttp2-client openssl >/dev/null
scratch_and_cleanup
build/bin/portico-echo --listen 127.0.0.1:21280 >/dev/null 2>&1 & pids+=($!)
bench/backend-manifests.sh 21280 blog.example.com >"$work/bench.yaml"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj /CN=blog.example.com -addext subjectAltName=DNS:blog.example.com \
  -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
declare -A pid
start() { # side binary http-port (https: +2, admin: +4)
  "$2" --manifests "$work/bench.yaml" --workers 1 --log-level warn --http-listen "127.0.0.1:$3" \
    --https-listen "127.0.0.1:$(($3 + 2))" --admin-listen "127.0.0.1:$(($3 + 4))" \
    --default-cert-file "$work/tls.crt" --default-key-file "$work/tls.key" & pids+=($!)
  pid[$1]=$!
}
start old "$old" 21281
start new "$new" 21282
sleep 1
declare -A port=([old]=21281 [new]=21282)

cpu_ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }
# Runs one scenario against one side: prints "requests/s user-us system-us", or "error: ...".
load() { # side mode
  local p=${port[$1]} out requests errors u0 s0 u1 s1
  read -r u0 s0 < <(cpu_ticks "${pid[$1]}")
  case $2 in
    keep-alive | close | https)
      local extra=() url="http://127.0.0.1:$p/"
      [[ $2 == close ]] && extra=(-H 'Connection: close')
      [[ $2 == https ]] && url="https://127.0.0.1:$((p + 2))/"
      out=$(wrk -t1 -c64 -d"${seconds}s" -H 'Host: blog.example.com' "${extra[@]}" "$url" 2>&1 ||
        true)
      errors=$(wrk_errors "$out")
      requests=$(awk '/requests in/ { print $1 }' <<<"$out")
      rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out") ;;
    h2)
      out=$(h2load -D "$seconds" -c 64 -m 10 -t 1 "https://127.0.0.1:$((p + 2))/" 2>&1 || true)
      grep -q " 0 failed, 0 errored, 0 timeout" <<<"$out" &&
        grep -qE "status codes: [0-9]+ 2xx, 0 3xx, 0 4xx, 0 5xx" <<<"$out" && errors="" ||
        errors=$(grep -E 'requests:|status codes:' <<<"$out" | tr '\n' ' ')
      requests=$(awk '/^requests:/ { print $8 }' <<<"$out")
      rps=$(awk '/^finished in/ { gsub(",", "", $4); print $4 }' <<<"$out") ;;
  esac
  read -r u1 s1 < <(cpu_ticks "${pid[$1]}")
  if [[ -n $errors || -z $requests || $requests == 0 ]]; then
    echo "error: $errors"
    return
  fi
  awk -v rps="$rps" -v n="$requests" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.0f %.2f %.2f\n", rps, u / hz * 1e6 / n, s / hz * 1e6 / n }'
}

modes=(keep-alive close https h2)
declare -A rps user sys failed
machine_load_note
for ((r = 1; r <= runs; r++)); do
  for mode in "${modes[@]}"; do
    for side in old new; do
      result=$(load "$side" "$mode")
      printf "run %d  %-10s %-3s %s\n" "$r" "$mode" "$side" "$result"
      if [[ $result == error* ]]; then
        failed[$mode]=1
        continue
      fi
      read -r a b c <<<"$result"
      rps[$mode-$side]+="$a "; user[$mode-$side]+="$b "; sys[$mode-$side]+="$c "
    done
  done
done
echo "medians: requests/s, CPU us per request (user + system)"
for mode in "${modes[@]}"; do
  if [[ -n ${failed[$mode]:-} ]]; then
    echo "$mode: a side answered errors, no ratio"
    continue
  fi
  line=$mode
  for side in old new; do
    line+=" $(median <<<"${rps[$mode-$side]}") $(median <<<"${user[$mode-$side]}") $(median <<<"${sys[$mode-$side]}")"
  done
  awk -v line="$line" 'BEGIN {
    split(line, v, " ")
    printf "%-10s old %7.0f req/s %5.2f+%5.2f us   new %7.0f req/s %5.2f+%5.2f us   new/old req/s %.2f, CPU %.2f\n",
      v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[5] / v[2], (v[6] + v[7]) / (v[3] + v[4]) }'
done
