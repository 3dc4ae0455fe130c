# Shared by the bench scripts (sourced): medians, an h2load run that refuses to report a rate
# when any request failed, and the frame of the nginx configurations they compare against.

# The median of the numbers on stdin (space or newline separated).
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

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
