# Shared by the bench scripts (sourced): medians, wrk and h2load runs that refuse to report a
# rate when any request failed, the peers' configurations on ports of our choosing, the
# machine's load, and the frame of the nginx configurations they compare against.
#
# Every script listens below the kernel's ephemeral port range (32768-60999 here): a port
# inside it can be taken by a client's source port or a self-connect between runs, and the
# run then measures a server answering errors. Each script owns a block of ten:
#   21080 run.sh, scaling.sh, scenarios.sh (one at a time)   21180 http2.sh   21190 tls.sh
#   21280 ab.sh   21380 grpc.sh

# Sets $work (a scratch directory) and $pids (background processes to stop; append to it),
# and removes the one and stops the others when the script exits, however it exits.
scratch_and_cleanup() {
  work=$(mktemp -d)
  pids=()
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
}

# The median of the numbers on stdin (space or newline separated).
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The errors in wrk's output ("Non-2xx ..." and "Socket errors ..." lines), on one line; empty
# when every request got a 2xx answer.
wrk_errors() { grep -E "Non-2xx|Socket errors" <<<"$1" | tr '\n' ' ' || true; }

# The shared peers' file FILE (backend-nginx.conf, proxy-nginx.conf, proxy-haproxy.cfg) for
# run directory RUN with WORKERS workers, its ports moved from 39080-39082 to BASE..BASE+2.
# Usage: peer_config FILE RUN WORKERS BASE >RUN/FILE
peer_config() {
  sed "s#RUNDIR/#$2/#g; s/WORKERS/$3/; s/39080/$4/g; s/39081/$(($4 + 1))/g; s/39082/$(($4 + 2))/g" \
    "${PEERS_DIR:-../shared/bench/peers}/$1"
}

# Says how busy the machine is before a measurement: on 2 cores, anything else running moves
# every number (the same binaries gave 0.76x and 0.97x within an hour on a busy host). Prints
# the load average; warns when the 1-minute load is over 0.5.
machine_load_note() {
  local load
  load=$(cut -d' ' -f1 /proc/loadavg)
  echo "machine: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
    echo "machine: NOT QUIET (1-minute load $load): ratios from this run are suspect" >&2
  fi
}

# h2load with the given arguments -> requests/s, or "error: ..." when any request failed,
# errored, timed out or got a status other than 2xx.
h2load_rps() {
  local out
  out=$(h2load "$@" 2>&1 || true)
  if ! grep -q " 0 failed, 0 errored, 0 timeout" <<<"$out" ||
     ! grep -qE "status codes: [0-9]+ 2xx, 0 3xx, 0 4xx, 0 5xx" <<<"$out"; then
    echo "error: $(grep -E 'requests:|status codes:' <<<"$out" | tr '\n' ' ')"
    return
  fi
  awk '/^finished in/ { gsub(",", "", $4); print $4 }' <<<"$out"
}

# A one-worker nginx configuration for directory DIR (pid and error log there) proxying to
# 127.0.0.1:BACKEND through an upstream "be" keeping KEEPALIVE idle connections, with SERVER
# (the listen line and what follows) as its one server block.
# Usage: nginx_proxy_config DIR BACKEND KEEPALIVE SERVER >DIR/nginx.conf
nginx_proxy_config() {
  cat <<CONF
worker_processes 1;
daemon off;
pid $1/nginx.pid;
error_log $1/nginx.err warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream be { server 127.0.0.1:$2; keepalive $3; }
  server {
$4
  }
}
CONF
}
