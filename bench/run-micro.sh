#!/usr/bin/env bash
# Runs the micro-benchmarks (route lookup scaling; incremental snapshot builds at 10,000
# Ingresses) on a Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
script/build Release >/dev/null
build/bin/route_match_bench
echo
build/bin/snapshot_build_bench
