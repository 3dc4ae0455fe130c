#!/usr/bin/env bash
# The binary started the way Kubernetes starts the chart's container on containerd 1.x or
# CRI-O: as the chart's user, with the chart's capability sets and no ambient capabilities
# (so a non-root process has no effective capability at all). It must bind the chart's ports
# and serve. As a control, binding :80 the same way must fail: that proves the capabilities
# really are gone, so the first check means something. Runs in a network namespace of its
# own, so the chart's fixed ports are free whatever else runs on this machine.
# Usage: nonroot_test.sh PORTICO_BINARY SOURCE_DIR   (as root)
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root (setpriv, unshare)"; exit 77; }
binary=$1
source_dir=$2
deploy=$source_dir/deploy/portico.yaml
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

uid=$(grep -m1 'runAsUser:' "$deploy" | awk '{print $2}')
gid=$(grep -m1 'runAsGroup:' "$deploy" | awk '{print $2}')
# The capabilities the chart adds to an empty set ("drop: [ALL]"), as setpriv names them.
adds=$(sed -n 's/^ *add: \[\(.*\)\]/\1/p' "$deploy" | tr -d '" ' | tr 'A-Z' 'a-z' |
       sed 's/\(^\|,\)\([a-z_]\)/\1+\2/g')
caps="-all${adds:+,$adds}"
flag() { grep -o -- "- --$1=[^ ]*" "$deploy" | head -1 | cut -d' ' -f2; }
listen=("$(flag http-listen)" "$(flag https-listen)" "$(flag admin-listen)")
port_of() { echo "${1##*:}"; }
http_port=$(port_of "${listen[0]}")
https_port=$(port_of "${listen[1]}")
admin_port=$(port_of "${listen[2]}")
echo "chart: uid $uid gid $gid, capabilities $caps, listeners ${listen[*]}"
grep -q 'drop: \["ALL"\]' "$deploy" || fail "the chart no longer drops every capability"

# What the container holds: the binary and manifests the user may read.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
cp "$binary" "$work/portico"
cp -r "$source_dir/examples/blog/local" "$work/manifests"
chmod -R a+rX "$work"

as_the_chart() {
  exec setpriv --reuid "$uid" --regid "$gid" --clear-groups --inh-caps="$caps" --ambient-caps=-all \
    --bounding-set="$caps" --no-new-privs "$work/portico" --manifests "$work/manifests" \
    --shutdown-delay=0s "$@"
}
export -f as_the_chart
export uid gid caps work

unshare --net bash -c '
  set -u
  ip link set lo up
  as_the_chart "$@" 2>"$work/log" &
  pid=$!
  trap "kill $pid 2>/dev/null" EXIT
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:'"$admin_port"'/readyz" >/dev/null && break
    sleep 0.1
  done
  ready=$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:'"$admin_port"'/readyz")
  http=$(curl -s -o /dev/null -w "%{http_code}" -H "Host: nobody.localhost" \
    "http://127.0.0.1:'"$http_port"'/")
  https=$(curl -sk -o /dev/null -w "%{http_code}" --resolve "nobody.localhost:'"$https_port"':127.0.0.1" \
    "https://nobody.localhost:'"$https_port"'/")
  effective=$(grep CapEff "/proc/$pid/status" | awk "{print \$2}")
  kill -TERM "$pid"; wait "$pid"
  echo "readyz $ready, http $http, https $https, effective capabilities $effective"
  [ "$ready" = 200 ] && [ "$http" = 404 ] && [ "$https" = 404 ] && [ "$effective" = 0000000000000000 ]
' _ "${listen[@]}" || { cat "$work/log"; fail "the chart's configuration does not start and serve as uid $uid"; }

# The control: the same process may not bind a privileged port (were it to, it would serve
# until the timeout ends it).
if unshare --net timeout 10 bash -c 'ip link set lo up; as_the_chart --http-listen=127.0.0.1:80 \
     --https-listen=127.0.0.1:8443 --admin-listen=127.0.0.1:10254' 2>"$work/log"; then
  fail "binding :80 without capabilities succeeded: the test does not drop them"
elif ! grep -q 'cannot listen on 127.0.0.1:80' "$work/log"; then
  cat "$work/log"; fail "binding :80 failed for another reason"
else
  echo "control: :80 refused as expected ($(head -1 "$work/log"))"
fi

[ "$failures" -eq 0 ] && echo "1 passed, 0 failed" || { echo "0 passed, $failures failed"; exit 1; }
