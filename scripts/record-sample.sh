#!/usr/bin/env bash
# Records the small demo capture kept in the repo (samples/demo.pcap): a private nginx on
# 127.0.0.1 and a handful of curl requests, each on its own TCP connection except the keep-alive
# pair: GET /1k.txt + GET /index.html (one keep-alive connection), GET of a missing file (404),
# POST /echo with a JSON body, HEAD /10k.txt.
#
# Usage: scripts/record-sample.sh [OUT.pcap]   (default: samples/demo.pcap in the repo)
# Needs root (or CAP_NET_RAW for tcpdump), nginx, tcpdump and curl.
set -euo pipefail

# shellcheck disable=SC2034 # used by lib/record.sh
REC_NAME=record-sample
here=$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")
root=$(cd -- "$here/.." && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib/record.sh
source "$here/lib/record.sh"

(($# <= 1)) || { echo "usage: $0 [OUT.pcap]" >&2; exit 2; }
out=${1:-$root/samples/demo.pcap}
mkdir -p -- "$(dirname -- "$out")"
out=$(cd -- "$(dirname -- "$out")" && pwd -P)/$(basename -- "$out")

rec_require_tools nginx tcpdump curl
rec_init
rec_start_nginx
rec_start_tcpdump "$out.tmp"
rec_curl_set
rec_stop_tcpdump
mv -f -- "$out.tmp" "$out"
rec_log "wrote $out ($(rec_file_size "$out") bytes)"
