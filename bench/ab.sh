#!/usr/bin/env bash
# A/B of two Portico binaries in one run: the same backend (portico-echo), one worker each,
# wrk -t1 -c64 small keep-alive GETs, then the same with Connection: close, alternating
# between the binaries run after run so the machine's drift hits both alike. Prints each run,
# then medians and new/old ratios; a side with any error (non-2xx, socket errors) voids the
# ratio.
# Usage: bench/ab.sh OLD_PORTICO_BINARY [seconds=8] [runs=3]   (new: build/bin/portico)
# Ports 21280-21286, below the kernel's ephemeral range.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
old=${1:?usage: bench/ab.sh OLD_PORTICO_BINARY [seconds] [runs]}; seconds=${2:-8}; runs=${3:-3}
new=build/bin/portico
script/bootstrap wrk >/dev/null
scratch_and_cleanup
build/bin/portico-echo --listen 127.0.0.1:21280 >/dev/null 2>&1 & pids+=($!)
bench/backend-manifests.sh 21280 blog.example.com >"$work/bench.yaml"
start() { # binary http-port admin-port
  "$1" --manifests "$work/bench.yaml" --workers 1 --log-level warn --http-listen "127.0.0.1:$2" \
    --https-listen "127.0.0.1:$(($2 + 2))" --admin-listen "127.0.0.1:$3" & pids+=($!)
}
start "$old" 21281 21285
start "$new" 21282 21286
sleep 1
load() { # port [header] -> requests/s or "error: ..."
  local extra=(); [[ -n "${2:-}" ]] && extra=(-H "$2")
  local out
  out=$(wrk -t1 -c64 -d"${seconds}s" -H 'Host: blog.example.com' "${extra[@]}" "http://127.0.0.1:$1/" 2>&1 || true)
  local errors
  errors=$(wrk_errors "$out")
  if [[ -n $errors ]]; then
    echo "error: $errors"
  else
    awk '/Requests\/sec/ { print $2 }' <<<"$out"
  fi
}
declare -A all
machine_load_note
for ((r = 1; r <= runs; r++)); do
  for mode in keep-alive close; do
    header=""; [[ $mode == close ]] && header="Connection: close"
    for side in old:21281 new:21282; do
      rps=$(load "${side##*:}" "$header")
      printf "run %d  %-10s %-3s %s\n" "$r" "$mode" "${side%%:*}" "$rps"
      all[$mode-${side%%:*}]+="$rps "
    done
  done
done
for mode in keep-alive close; do
  if grep -q error <<<"${all[$mode-old]}${all[$mode-new]}"; then
    echo "$mode: a side answered errors, no ratio"
    continue
  fi
  o=$(median <<<"${all[$mode-old]}"); n=$(median <<<"${all[$mode-new]}")
  awk -v m="$mode" -v o="$o" -v n="$n" 'BEGIN { printf "%-10s median old %s new %s  new/old %.2f\n", m, o, n, n / o }'
done
