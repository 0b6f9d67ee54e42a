#!/usr/bin/env bash
# Records a large HTTP/1.1 capture on loopback: a private nginx on 127.0.0.1 (free port, its own
# temp prefix and config, access log off) serving static files of 0 B, 1 KiB, 10 KiB and 100 KiB
# and 404s, loaded by wrk twice (keep-alive, then "Connection: close" so there are many short
# connections) plus a few curl requests, while tcpdump records that port on lo.
#
# Usage: scripts/record-nginx-wrk.sh OUT.pcap [SECONDS] [CONNECTIONS]
#   SECONDS      total wrk time, split between the two runs (default 6)
#   CONNECTIONS  wrk connections per run (default 32)
# Needs root (or CAP_NET_RAW for tcpdump), nginx, tcpdump, wrk and curl.
# Prints tcpdump's "N packets captured / received by filter / dropped by kernel" lines on stdout.
set -euo pipefail

# shellcheck disable=SC2034 # used by lib/record.sh
REC_NAME=record-nginx-wrk
here=$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")
# shellcheck source-path=SCRIPTDIR source=lib/record.sh
source "$here/lib/record.sh"

usage() { echo "usage: $0 OUT.pcap [SECONDS] [CONNECTIONS]" >&2; exit 2; }
(($# >= 1 && $# <= 3)) || usage
out=$1
seconds=${2:-6}
conns=${3:-32}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 2)); then
  echo "$0: SECONDS must be an integer >= 2" >&2
  exit 2
fi
if ! [[ $conns =~ ^[0-9]+$ ]] || ((conns < 2)); then
  echo "$0: CONNECTIONS must be an integer >= 2" >&2
  exit 2
fi
out_dir=$(dirname -- "$out")
[[ -d $out_dir ]] || { echo "$0: no such directory: $out_dir" >&2; exit 2; }
out=$(cd -- "$out_dir" && pwd -P)/$(basename -- "$out")

rec_require_tools nginx tcpdump wrk curl
rec_init
REC_NGINX_WORKERS=${REC_NGINX_WORKERS:-1} rec_start_nginx
rec_start_tcpdump "$out"
rec_probe /1k.txt

# Mostly small responses, some 404s, a 100 KiB body 1 time in 128 (keeps the file size sane).
cat >"$REC_DIR/mix.lua" <<'LUA'
local paths = {}
local function add(p, n) for _ = 1, n do paths[#paths + 1] = p end end
add("/empty.txt", 40)
add("/1k.txt", 50)
add("/10k.txt", 4)
add("/no-such-file", 30)
add("/index.html", 3)
add("/100k.txt", 1)
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, paths[(i % #paths) + 1])
end
LUA

threads=2
((conns < threads)) && threads=$conns
ka_secs=$(((seconds + 1) / 2))
close_secs=$((seconds - ka_secs))
start=$SECONDS
rec_log "wrk keep-alive: ${ka_secs}s, $conns connections"
rec_run wrk -t"$threads" -c"$conns" -d"${ka_secs}s" -s "$REC_DIR/mix.lua" "$REC_URL/" >"$REC_DIR/wrk1.out"
sed 's/^/  /' "$REC_DIR/wrk1.out" >&2
rec_log "wrk Connection: close: ${close_secs}s, $conns connections"
rec_run wrk -t"$threads" -c"$conns" -d"${close_secs}s" -H 'Connection: close' -s "$REC_DIR/mix.lua" \
  "$REC_URL/" >"$REC_DIR/wrk2.out"
sed 's/^/  /' "$REC_DIR/wrk2.out" >&2
rec_curl_set
rec_stop_tcpdump
rec_log "wrote $out ($(rec_file_size "$out") bytes); $((SECONDS - start))s from the first wrk run to the end of the capture"
