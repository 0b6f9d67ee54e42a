#!/usr/bin/env bash
# Records a small capture of varied HTTP/1.x exchanges on loopback, the reference material of
# HttpMatchesTsharkIT: a private nginx on 127.0.0.1 (gzip on for small text and JSON bodies, so
# HTTP/1.1 answers to "Accept-Encoding: gzip" are chunked gzip and HTTP/1.0 ones end at close)
# serving static files of 0 B to 100 KiB and locations that return 404, 302, 503, 201 (POST
# bodies, discarded) and 200, while tcpdump records that port on lo. Each round sends, with curl:
#   - keep-alive GETs of many URLs on one connection, some with query strings, some 404/302/503;
#   - the same with --compressed (chunked gzip answers);
#   - HEAD requests on one keep-alive connection;
#   - "Connection: close" requests (one connection each);
#   - HTTP/1.0 requests: without keep-alive, with "Connection: keep-alive", and with gzip (the
#     answer has no length and ends when nginx closes);
#   - POSTs on one keep-alive connection (201, 200, 405 for a static file);
#   - a POST with "Expect: 100-continue" (nginx sends 100 Continue before its 201);
#   - a POST with a chunked request body;
#   - conditional GETs answered 304 (If-Modified-Since, If-None-Match);
# and, from a raw socket, two connections that write all their requests in a single write before
# they read: nine pipelined GETs and POSTs (a body with a length, a chunked body, gzip, errors), and
# five with two HEADs among them.
#
# Usage: scripts/record-http-mix.sh OUT.pcap [ROUNDS]
#   ROUNDS  how many times the set above is sent (default 6: about 330 transactions, 2-3 s)
# Needs root (or CAP_NET_RAW for tcpdump), nginx, tcpdump and curl.
# Prints tcpdump's "N packets captured / received by filter / dropped by kernel" lines on stdout.
set -euo pipefail

# shellcheck disable=SC2034 # used by lib/record.sh
REC_NAME=record-http-mix
here=$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")
# shellcheck source-path=SCRIPTDIR source=lib/record.sh
source "$here/lib/record.sh"

usage() { echo "usage: $0 OUT.pcap [ROUNDS]" >&2; exit 2; }
(($# >= 1 && $# <= 2)) || usage
out=$1
rounds=${2:-6}
if ! [[ $rounds =~ ^[0-9]+$ ]] || ((rounds < 1 || rounds > 1000)); then
  echo "$0: ROUNDS must be an integer from 1 to 1000" >&2
  exit 2
fi
out_dir=$(dirname -- "$out")
[[ -d $out_dir ]] || { echo "$0: no such directory: $out_dir" >&2; exit 2; }
out=$(cd -- "$out_dir" && pwd -P)/$(basename -- "$out")

rec_require_tools nginx tcpdump curl timeout
rec_init

# gzip for HTTP/1.0 too, so that an HTTP/1.0 gzip answer is delimited by the connection's close.
# shellcheck disable=SC2034 # used by lib/record.sh
REC_NGINX_HTTP_EXTRA='
  gzip on;
  gzip_min_length 20;
  gzip_http_version 1.0;
  gzip_types text/plain application/json;'
# shellcheck disable=SC2034 # used by lib/record.sh
# shellcheck disable=SC2016 # $arg_q is an nginx variable
REC_NGINX_SERVER_EXTRA='
    types { text/html html; text/plain txt; application/json json; }
    location = /missing { return 404; }
    location = /redirect { return 302 /elsewhere; }
    location = /unavailable { return 503; }
    location = /upload { return 201 "created\n"; }
    location = /search { default_type text/plain; return 200 "results for $arg_q\n"; }'
rec_start_nginx

www=$REC_DIR/www
{
  printf '{"items":['
  for ((i = 0; i < 100; i++)); do printf '{"id":%d,"name":"item %d","ok":true},' "$i" "$i"; done
  printf '{"id":-1}]}\n'
} >"$www/data.json"
# A fixed modification time, so the conditional requests can be written down: nginx's ETag is
# "<mtime in hex>-<size in hex>" and Last-Modified the mtime.
head -c 1000 /dev/zero | tr '\0' 'f' >"$www/fixed.txt"
touch -d @1577836800 "$www/fixed.txt"
chmod a+r "$www/data.json" "$www/fixed.txt"
etag='"5e0be100-3e8"'
last_modified='Wed, 01 Jan 2020 00:00:00 GMT'
head -c 1024 /dev/zero | tr '\0' 'u' >"$REC_DIR/body-1k"
head -c 10240 /dev/zero | tr '\0' 'v' >"$REC_DIR/body-10k"

crlf() { printf '%s\r\n' "$@"; }
# Nine pipelined requests, written at once. No HEAD among them: tshark 4.0 pairs every response on
# such a connection with the last request of the segment, so it would read a HEAD answer's
# Content-Length as a body to wait for and lose the rest of the connection.
{
  crlf 'GET /1k.txt?pipelined=1 HTTP/1.1' 'Host: 127.0.0.1' 'User-Agent: record-http-mix' ''
  crlf 'GET /missing HTTP/1.1' 'Host: 127.0.0.1' ''
  crlf 'POST /upload HTTP/1.1' 'Host: 127.0.0.1' 'Content-Type: text/plain' 'Content-Length: 11' ''
  printf 'hello world'
  crlf 'GET /redirect HTTP/1.1' 'Host: 127.0.0.1' ''
  crlf 'GET /data.json HTTP/1.1' 'Host: 127.0.0.1' 'Accept-Encoding: gzip' ''
  crlf 'GET /unavailable HTTP/1.1' 'Host: 127.0.0.1' ''
  crlf 'POST /upload HTTP/1.1' 'Host: 127.0.0.1' 'Transfer-Encoding: chunked' ''
  crlf 5 hello 6 ' world' 0 ''
  crlf 'GET /search?q=pipe%7Cline HTTP/1.1' 'Host: 127.0.0.1' ''
  crlf 'GET /index.html?last=1 HTTP/1.1' 'Host: 127.0.0.1' 'Connection: close' ''
} >"$REC_DIR/pipelined.req"
# Pipelined HEADs whose answers announce a body they do not carry; tshark gets the answers wrong
# (see above), so HttpMatchesTsharkIT knows them: 200, 200, 404, 200, 200.
{
  crlf 'GET /1k.txt?pipelined-head=1 HTTP/1.1' 'Host: 127.0.0.1' 'User-Agent: record-http-mix' ''
  crlf 'HEAD /10k.txt HTTP/1.1' 'Host: 127.0.0.1' ''
  crlf 'HEAD /missing HTTP/1.1' 'Host: 127.0.0.1' ''
  crlf 'GET /data.json HTTP/1.1' 'Host: 127.0.0.1' 'Accept-Encoding: gzip' ''
  crlf 'GET /index.html?last=1 HTTP/1.1' 'Host: 127.0.0.1' 'Connection: close' ''
} >"$REC_DIR/pipelined-head.req"

# curl: output to /dev/null (several URLs per invocation share one keep-alive connection), no URL
# globbing, no proxy.
c() { curl -sS -g --noproxy '*' --max-time 10 "$@" >/dev/null; }

one_round() {
  local r=$1 u=$REC_URL
  c "$u/empty.txt" "$u/1k.txt" "$u/10k.txt" "$u/index.html" "$u/missing" "$u/redirect" \
    "$u/unavailable" "$u/no-such-file" "$u/1k.txt?round=$r&x=a%20b" "$u/search?q=a%20b&round=$r" \
    "$u/data.json" "$u/fixed.txt"
  if ((r % 4 == 1)); then c "$u/100k.txt"; fi
  c --compressed "$u/1k.txt" "$u/10k.txt" "$u/data.json" "$u/index.html" "$u/empty.txt" \
    "$u/search?q=gzip&round=$r" "$u/missing"
  c -I "$u/10k.txt" "$u/1k.txt?head=$r" "$u/missing" "$u/data.json"
  c -H 'Connection: close' "$u/1k.txt" "$u/redirect"
  c --http1.0 "$u/index.html" "$u/missing"
  c --http1.0 -H 'Connection: keep-alive' "$u/1k.txt" "$u/empty.txt" "$u/unavailable" "$u/data.json"
  c --http1.0 --compressed "$u/10k.txt"
  c -H 'Content-Type: application/json' --data-binary '{"round":'"$r"'}' "$u/upload" "$u/echo" "$u/1k.txt"
  c -H 'Expect: 100-continue' -H 'Content-Type: text/plain' --data-binary "@$REC_DIR/body-10k" "$u/upload"
  c -H 'Transfer-Encoding: chunked' -H 'Content-Type: text/plain' --data-binary "@$REC_DIR/body-1k" "$u/upload"
  c -H "If-Modified-Since: $last_modified" "$u/fixed.txt" "$u/fixed.txt?since=$r"
  c -H "If-None-Match: $etag" "$u/fixed.txt" "$u/fixed.txt?etag=$r"
  rec_raw_exchange "$REC_DIR/pipelined.req" "$REC_DIR/pipelined.$r.resp"
  rec_raw_exchange "$REC_DIR/pipelined-head.req" "$REC_DIR/pipelined-head.$r.resp"
}

rec_start_tcpdump "$out"
rec_probe /1k.txt
start=$SECONDS
for ((round = 1; round <= rounds; round++)); do
  one_round "$round"
done
rec_log "$rounds rounds of requests took $((SECONDS - start))s"
# Bodies do not end in a newline, so count status lines anywhere (no body contains one).
answers() { grep -a -o 'HTTP/1\.1 [0-9][0-9][0-9] ' "$1" | wc -l; }
(($(answers "$REC_DIR/pipelined.1.resp") == 9)) || rec_die "the pipelined requests did not get 9 answers"
(($(answers "$REC_DIR/pipelined-head.1.resp") == 5)) || rec_die "the pipelined HEAD requests did not get 5 answers"
rec_stop_tcpdump
rec_log "wrote $out ($(rec_file_size "$out") bytes)"
