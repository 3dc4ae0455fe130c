#!/usr/bin/env bash
# Runs bench/run.sh and plots its medians with gnuplot: requests/s, and p50 and p99 latency,
# of nginx, haproxy and Portico side by side. Writes bench/throughput.png.
# Usage: bench/plot.sh [workers=1] [seconds=10] [connections=64] [runs=3]
set -euo pipefail
cd "$(dirname "$0")/.."
script/bootstrap gnuplot-nox
raw=$(mktemp); data=$(mktemp)
trap 'rm -f "$raw" "$data"' EXIT
RESULTS_OUT=$raw bench/run.sh "$@"
# name, median requests/s, median p50 and p99 in milliseconds.
awk '
  function ms(v) { if (v ~ /ms$/) return v + 0; if (v ~ /us$/) return v / 1000; if (v ~ /s$/) return v * 1000; return v }
  { name = $1; sub("rps=", "", $2); sub("p50=", "", $3); sub("p99=", "", $4)
    k = ++n[name]; rps[name, k] = $2; p50[name, k] = ms($3); p99[name, k] = ms($4) }
  function median(arr, name,   c, i, j, t, v) {
    c = n[name]; for (i = 1; i <= c; i++) v[i] = arr[name, i]
    for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return v[int((c + 1) / 2)]
  }
  END { split("nginx haproxy portico", order, " ")
        for (i = 1; i <= 3; i++) printf "%s %.0f %.3f %.3f\n", order[i], median(rps, order[i]), median(p50, order[i]), median(p99, order[i]) }
' "$raw" > "$data"
cat "$data" >&2
gnuplot <<GP
set terminal pngcairo size 1100,450 font ",11"
set output "bench/throughput.png"
set multiplot layout 1,2 title "Reverse proxy on loopback (bench/plot.sh $*), medians"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key outside bottom center horizontal
set yrange [0:*]
set title "requests/s"
plot "$data" using 2:xtic(1) notitle linecolor rgb "#4477aa"
set title "latency (ms)"
plot "$data" using 3:xtic(1) title "p50" linecolor rgb "#66ccee", "" using 4 title "p99" linecolor rgb "#ee6677"
unset multiplot
GP
echo "wrote bench/throughput.png" >&2
