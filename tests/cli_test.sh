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
expect "missing manifests path" 2 "$portico" --manifests /nonexistent/portico/path
expect "no routing source" 2 env -u KUBERNETES_SERVICE_HOST "$portico"
echo "$((8 - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
