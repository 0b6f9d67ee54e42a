# shellcheck shell=bash
# Shared by scripts/record-*.sh: a private nginx on 127.0.0.1 and a tcpdump on lo that records
# only its port. Source it, call rec_init (sets the cleanup trap), rec_start_nginx,
# rec_start_tcpdump OUT, generate traffic against $REC_URL, then rec_stop_tcpdump.
#
# Everything lives in a private temp dir ($REC_DIR) that the EXIT trap removes, after stopping
# tcpdump and nginx, whether the script succeeded or not.

# nginx and tcpdump live in /usr/sbin, which a non-root PATH often lacks.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac

REC_DIR=""
REC_PORT=""
REC_URL=""
REC_NGINX_PID=""
REC_TCPDUMP_PID=""
REC_OUT=""
REC_CHILD_PID=""
# Optional nginx config hooks for scripts that need more than the default site (empty by default,
# which gives the default config): directives added at the end of the server block and of the
# http block (locations, gzip, types, ...). Set them before rec_start_nginx.
REC_NGINX_SERVER_EXTRA=${REC_NGINX_SERVER_EXTRA:-}
REC_NGINX_HTTP_EXTRA=${REC_NGINX_HTTP_EXTRA:-}

rec_log() { printf '%s: %s\n' "${REC_NAME:-record}" "$*" >&2; }
rec_die() { rec_log "error: $*"; exit 1; }

rec_require_tools() {
  local missing=() t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  if ((${#missing[@]})); then
    rec_die "missing tools: ${missing[*]} (apt-get install tcpdump nginx-light wrk curl)"
  fi
}

rec_init() {
  REC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/httpcap-rec.XXXXXX")
  # nginx workers may run as another user; let them read the docroot.
  chmod 755 "$REC_DIR"
  trap rec_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Stop a process we started: signal, wait up to ~5 s, then SIGKILL.
rec_stop_pid() {
  local pid=$1 sig=$2 i
  [[ -n $pid ]] || return 0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    rec_log "pid $pid ignored SIG$sig; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

rec_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $REC_CHILD_PID ]]; then
    rec_stop_pid "$REC_CHILD_PID" TERM
    REC_CHILD_PID=""
  fi
  if [[ -n $REC_TCPDUMP_PID ]]; then
    rec_stop_pid "$REC_TCPDUMP_PID" INT
    REC_TCPDUMP_PID=""
  fi
  if [[ -n $REC_NGINX_PID ]]; then
    rec_stop_pid "$REC_NGINX_PID" QUIT
    REC_NGINX_PID=""
  fi
  if ((rc != 0)) && [[ -n $REC_DIR ]]; then
    local f
    for f in "$REC_DIR"/nginx-error.log "$REC_DIR"/tcpdump.err; do
      [[ -s $f ]] && { rec_log "--- $(basename "$f") ---"; tail -n 20 "$f" >&2; }
    done
  fi
  [[ -n $REC_DIR ]] && rm -rf -- "$REC_DIR"
  exit "$rc"
}

# Docroot: files of several sizes; anything else is a 404. /echo answers any method (POST too).
rec_make_docroot() {
  local www=$REC_DIR/www
  mkdir -p "$www"
  : >"$www/empty.txt"
  head -c 1024 /dev/zero | tr '\0' 'a' >"$www/1k.txt"
  head -c 10240 /dev/zero | tr '\0' 'b' >"$www/10k.txt"
  head -c 102400 /dev/zero | tr '\0' 'c' >"$www/100k.txt"
  printf '<!doctype html><title>httpcap</title><p>hello\n' >"$www/index.html"
  chmod -R a+rX "$www"
}

rec_write_nginx_conf() {
  local port=$1 user_line=""
  ((EUID == 0)) && user_line="user root root;"
  mkdir -p "$REC_DIR/nginx-tmp"
  cat >"$REC_DIR/nginx.conf" <<CONF
$user_line
daemon off;
master_process on;
worker_processes ${REC_NGINX_WORKERS:-1};
pid $REC_DIR/nginx.pid;
error_log $REC_DIR/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  log_not_found off;
  client_body_temp_path $REC_DIR/nginx-tmp/body;
  proxy_temp_path $REC_DIR/nginx-tmp/proxy;
  fastcgi_temp_path $REC_DIR/nginx-tmp/fastcgi;
  uwsgi_temp_path $REC_DIR/nginx-tmp/uwsgi;
  scgi_temp_path $REC_DIR/nginx-tmp/scgi;
  types { text/html html; text/plain txt; }
  default_type application/octet-stream;
  sendfile on;
  keepalive_requests 100000;
  keepalive_timeout 30s;
  server {
    listen 127.0.0.1:$port reuseport backlog=4096;
    server_name localhost;
    root $REC_DIR/www;
    location = /echo { return 200 "ok\n"; }
$REC_NGINX_SERVER_EXTRA
  }
$REC_NGINX_HTTP_EXTRA
}
CONF
}

# Picks a port below the ephemeral range (so wrk's client ports never collide with it), starts
# nginx in the foreground (daemon off) in the background of this shell and waits until it serves.
rec_start_nginx() {
  rec_make_docroot
  local attempt port i
  for ((attempt = 0; attempt < 20; attempt++)); do
    port=$((10000 + RANDOM % 20000))
    # Something already listening there? Try another port.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    rec_write_nginx_conf "$port"
    : >"$REC_DIR/nginx-error.log"
    nginx -p "$REC_DIR" -e "$REC_DIR/nginx-error.log" -c "$REC_DIR/nginx.conf" \
      </dev/null >"$REC_DIR/nginx.out" 2>&1 &
    REC_NGINX_PID=$!
    for ((i = 0; i < 100; i++)); do
      kill -0 "$REC_NGINX_PID" 2>/dev/null || break
      if curl -s --noproxy '*' -o /dev/null --max-time 1 "http://127.0.0.1:$port/index.html"; then
        REC_PORT=$port
        REC_URL=http://127.0.0.1:$port
        rec_log "nginx (pid $REC_NGINX_PID) serving $REC_DIR/www on $REC_URL"
        return 0
      fi
      sleep 0.05
    done
    rec_stop_pid "$REC_NGINX_PID" TERM
    REC_NGINX_PID=""
    if grep -q 'Address already in use' "$REC_DIR/nginx-error.log" "$REC_DIR/nginx.out" 2>/dev/null; then
      continue
    fi
    cat "$REC_DIR/nginx.out" "$REC_DIR/nginx-error.log" >&2 2>/dev/null || true
    rec_die "nginx did not start"
  done
  rec_die "found no free port for nginx"
}

# rec_start_tcpdump OUT: capture everything on lo to/from our port, unbuffered (-U) so the file
# grows packet by packet, and wait until tcpdump reports it is capturing.
rec_start_tcpdump() {
  REC_OUT=$1
  local zopt=() i
  # Debian's tcpdump drops to user "tcpdump" after opening the device; stay root so it can write
  # wherever the caller asked.
  ((EUID == 0)) && zopt=(-Z root)
  rm -f -- "$REC_OUT"
  tcpdump -i lo -s 0 -B 65536 -U "${zopt[@]}" -w "$REC_OUT" "tcp port $REC_PORT" \
    </dev/null >"$REC_DIR/tcpdump.out" 2>"$REC_DIR/tcpdump.err" &
  REC_TCPDUMP_PID=$!
  for ((i = 0; i < 200; i++)); do
    if ! kill -0 "$REC_TCPDUMP_PID" 2>/dev/null; then
      wait "$REC_TCPDUMP_PID" 2>/dev/null || true
      REC_TCPDUMP_PID=""
      cat "$REC_DIR/tcpdump.err" >&2
      rec_die "tcpdump exited early (needs root or CAP_NET_RAW to capture on lo)"
    fi
    if grep -q '^tcpdump: listening on' "$REC_DIR/tcpdump.err" && [[ -e $REC_OUT ]]; then
      rec_log "tcpdump (pid $REC_TCPDUMP_PID) capturing tcp port $REC_PORT on lo to $REC_OUT"
      return 0
    fi
    sleep 0.05
  done
  rec_die "tcpdump did not start capturing within 10 s"
}

# rec_run CMD...: run a load generator in the background and wait for it, so a signal to this
# script is handled at once (bash defers traps while a foreground child runs) and the cleanup
# trap can stop it.
rec_run() {
  local rc=0
  "$@" </dev/null &
  REC_CHILD_PID=$!
  wait "$REC_CHILD_PID" || rc=$?
  REC_CHILD_PID=""
  return "$rc"
}

rec_file_size() { stat -c %s -- "$1" 2>/dev/null || echo 0; }

# Sends one request and waits until tcpdump has written it: proof that the capture is live.
rec_probe() {
  local path=$1 before i
  before=$(rec_file_size "$REC_OUT")
  curl -s --noproxy '*' -o /dev/null --max-time 5 "$REC_URL$path" || rec_die "probe request $path failed"
  for ((i = 0; i < 100; i++)); do
    (($(rec_file_size "$REC_OUT") > before)) && return 0
    sleep 0.05
  done
  rec_die "tcpdump did not record the probe request within 5 s"
}

# Waits until the capture file stops growing, then SIGINT, wait, and print tcpdump's statistics
# to stdout. libpcap (TPACKET_V3) hands packets to tcpdump in blocks that the kernel retires when
# full or after tcpdump's 1 s buffer timeout, and tcpdump drops an unretired block on SIGINT; so
# "stopped growing" must mean unchanged for longer than that timeout.
rec_stop_tcpdump() {
  local last=-1 now stable=0 i rc=0 stats captured received
  for ((i = 0; i < 150 && stable < 15; i++)); do
    sleep 0.1
    now=$(rec_file_size "$REC_OUT")
    if ((now == last)); then stable=$((stable + 1)); else stable=0; fi
    last=$now
  done
  kill -INT "$REC_TCPDUMP_PID" 2>/dev/null || true
  wait "$REC_TCPDUMP_PID" || rc=$?
  REC_TCPDUMP_PID=""
  ((rc == 0)) || { cat "$REC_DIR/tcpdump.err" >&2; rec_die "tcpdump exited with status $rc"; }
  stats=$(grep -E 'packets (captured|received by filter|dropped by kernel)' "$REC_DIR/tcpdump.err" || true)
  printf '%s\n' "$stats"
  # On lo the filter sees each packet twice (outgoing and incoming copy); libpcap keeps one.
  captured=$(awk '/packets captured/ {print $1}' <<<"$stats")
  received=$(awk '/packets received by filter/ {print $1}' <<<"$stats")
  if [[ -n $captured && -n $received ]] && ((captured * 2 != received)); then
    rec_log "warning: $captured packets captured but $received received by filter on lo (expected twice as many)"
  fi
  return 0
}

# A few hand-made HTTP/1.1 exchanges: a keep-alive GET pair on one connection, a 404, a POST with
# a body, a HEAD.
rec_curl_set() {
  local c=(curl -sS --noproxy '*' --max-time 10 -o /dev/null)
  "${c[@]}" "$REC_URL/1k.txt" -o /dev/null "$REC_URL/index.html"
  "${c[@]}" "$REC_URL/no-such-file"
  "${c[@]}" -X POST -H 'Content-Type: application/json' --data-binary '{"hello":"httpcap","n":42}' "$REC_URL/echo"
  "${c[@]}" -I "$REC_URL/10k.txt"
}

# rec_raw_exchange REQUESTS_FILE RESPONSES_FILE: opens one connection to $REC_URL, writes the file's
# bytes with a single write(2) (cat copies up to 128 KiB per write, so a small file leaves as one
# segment on lo: pipelined requests), then reads until the server closes, for at most 10 s; so the
# last request should say "Connection: close".
rec_raw_exchange() {
  local requests=$1 responses=$2 fd
  exec {fd}<>"/dev/tcp/127.0.0.1/$REC_PORT" || rec_die "cannot connect to 127.0.0.1:$REC_PORT"
  cat -- "$requests" >&"$fd"
  timeout 10 cat <&"$fd" >"$responses" || rec_die "no complete answer to $requests within 10 s"
  exec {fd}>&-
}

# rec_start_tcpdump_filter OUT FILTER: like rec_start_tcpdump, for a capture filter of the
# caller's (several ports, say); rec_stop_tcpdump and the cleanup trap stop it the same way.
rec_start_tcpdump_filter() {
  REC_OUT=$1
  local filter=$2 zopt=() i
  ((EUID == 0)) && zopt=(-Z root)
  rm -f -- "$REC_OUT"
  tcpdump -i lo -s 0 -B 65536 -U "${zopt[@]}" -w "$REC_OUT" "$filter" \
    </dev/null >"$REC_DIR/tcpdump.out" 2>"$REC_DIR/tcpdump.err" &
  REC_TCPDUMP_PID=$!
  for ((i = 0; i < 200; i++)); do
    if ! kill -0 "$REC_TCPDUMP_PID" 2>/dev/null; then
      wait "$REC_TCPDUMP_PID" 2>/dev/null || true
      REC_TCPDUMP_PID=""
      cat "$REC_DIR/tcpdump.err" >&2
      rec_die "tcpdump exited early (needs root or CAP_NET_RAW to capture on lo)"
    fi
    if grep -q '^tcpdump: listening on' "$REC_DIR/tcpdump.err" && [[ -e $REC_OUT ]]; then
      rec_log "tcpdump (pid $REC_TCPDUMP_PID) capturing '$filter' on lo to $REC_OUT"
      return 0
    fi
    sleep 0.05
  done
  rec_die "tcpdump did not start capturing within 10 s"
}
