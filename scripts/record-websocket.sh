#!/usr/bin/env bash
# Records real WebSocket traffic on loopback, the reference material of WebSocketMatchesClientIT:
# an echo server and a client from python3-websockets (Debian's, run by /usr/bin/python3 so that
# no pyenv or virtualenv gets in the way; scripts/ws/), and a private nginx that proxies
# /nginx to the server with the usual Upgrade/Connection headers, while tcpdump records the
# three ports on lo. The client (scripts/ws/ws_client.py lists everything it sends) opens:
#   - direct:      client to server, no compression: text (empty, ASCII, multi-byte UTF-8, at the
#                  7/16/64-bit length boundaries, 70 kB), binary (0 B to 200 kB), a fragmented
#                  text and a fragmented binary message with a ping between its fragments, a
#                  ping with a payload and an empty one, and a close with 1000 and a reason; the
#                  server echoes every message and the close, and answers each ping;
#   - nginx-front and nginx-back: the same through nginx (client to nginx, nginx to server);
#   - deflate:     a few messages with permessage-deflate (compressed frames, RSV1 set).
# One plain GET to nginx first proves the capture is live. scripts/ws/check_tshark.py OUT.pcap
# EXPECTED.jsonl holds a recording against tshark's WebSocket dissector.
#
# Usage: scripts/record-websocket.sh OUT.pcap EXPECTED.jsonl
#   EXPECTED.jsonl  one line per message as the client sent and received it, see ws_client.py:
#                   conn, client_port, server_port, direction, opcode, bytes, frames, compressed,
#                   text, close_code, close_reason
# Needs root (or CAP_NET_RAW for tcpdump), nginx, tcpdump, curl and python3-websockets.
# Prints tcpdump's "N packets captured / received by filter / dropped by kernel" lines and a
# "ports: SERVER,DEFLATE_SERVER,NGINX" line on stdout.
set -euo pipefail

# shellcheck disable=SC2034 # used by lib/record.sh
REC_NAME=record-websocket
here=$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")
# shellcheck source-path=SCRIPTDIR source=lib/record.sh
source "$here/lib/record.sh"

usage() { echo "usage: $0 OUT.pcap EXPECTED.jsonl" >&2; exit 2; }
(($# == 2)) || usage
absolute() {
  local dir
  dir=$(dirname -- "$1")
  [[ -d $dir ]] || { echo "$0: no such directory: $dir" >&2; exit 2; }
  printf '%s/%s\n' "$(cd -- "$dir" && pwd -P)" "$(basename -- "$1")"
}
out=$(absolute "$1")
expected=$(absolute "$2")

# Debian's python, explicitly: python3-websockets is installed for it, not for a pyenv one.
python=/usr/bin/python3
rec_require_tools nginx tcpdump curl timeout
[[ -x $python ]] || rec_die "$python is missing (apt-get install python3-websockets)"
"$python" -I -c 'import websockets' 2>/dev/null ||
  rec_die "$python has no websockets module (apt-get install python3-websockets)"

WS_SERVER_PID=""
ws_cleanup() {
  local rc=$?
  set +e
  if [[ -n $WS_SERVER_PID ]]; then
    rec_stop_pid "$WS_SERVER_PID" TERM
    WS_SERVER_PID=""
    if ((rc != 0)) && [[ -s $REC_DIR/ws-server.err ]]; then
      rec_log "--- ws-server.err ---"
      tail -n 20 "$REC_DIR/ws-server.err" >&2
    fi
  fi
  (exit "$rc")
  rec_cleanup
}
rec_init
trap ws_cleanup EXIT

# 1. The echo server, on two free ports: plain and permessage-deflate.
"$python" -I "$here/ws/ws_server.py" "$REC_DIR/ws-ports.json" "$REC_DIR/ws-peers.jsonl" \
  </dev/null >"$REC_DIR/ws-server.out" 2>"$REC_DIR/ws-server.err" &
WS_SERVER_PID=$!
for ((i = 0; i < 200; i++)); do
  [[ -s $REC_DIR/ws-ports.json ]] && break
  kill -0 "$WS_SERVER_PID" 2>/dev/null || rec_die "the WebSocket server exited: $(tail -n 5 "$REC_DIR/ws-server.err")"
  sleep 0.05
done
[[ -s $REC_DIR/ws-ports.json ]] || rec_die "the WebSocket server did not listen within 10 s"
read -r plain_port deflate_port < <("$python" -I -c \
  'import json, sys; p = json.load(open(sys.argv[1])); print(p["plain"], p["deflate"])' "$REC_DIR/ws-ports.json")
rec_log "$(tail -n 1 "$REC_DIR/ws-server.err")"

# 2. nginx in front of the plain port.
# shellcheck disable=SC2034 # used by lib/record.sh
# shellcheck disable=SC2016 # $http_upgrade and $host are nginx variables
REC_NGINX_SERVER_EXTRA="
    location /nginx {
      proxy_pass http://127.0.0.1:$plain_port;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \"upgrade\";
      proxy_set_header Host \$host;
      proxy_read_timeout 60s;
    }"
rec_start_nginx

# 3. Capture, then the conversations.
rec_start_tcpdump_filter "$out" "tcp port $plain_port or tcp port $deflate_port or tcp port $REC_PORT"
rec_probe /index.html
rm -f -- "$expected"
rec_run timeout 60 "$python" -I "$here/ws/ws_client.py" "$plain_port" "$deflate_port" "$REC_PORT" \
  "$REC_DIR/ws-peers.jsonl" "$expected" || rec_die "the WebSocket client failed"
[[ -s $expected ]] || rec_die "the client wrote no $expected"
rec_stop_tcpdump
echo "ports: $plain_port,$deflate_port,$REC_PORT"
rec_log "wrote $out ($(rec_file_size "$out") bytes) and $expected ($(wc -l <"$expected") messages)"
