#!/usr/bin/env bash
# Times `bin/httpcap read` against `httpry -r` on the same capture, each as a whole process
# (JVM start included), interleaved: httpcap, httpry, httpcap, httpry, ... RUNS times each.
# Both write every HTTP request/response they find to a file, not a terminal. Prints the packet
# count, a table (median/min/max wall seconds, max RSS, requests reported) and the ratio of the
# medians httpry/httpcap (above 1 means httpcap is faster).
#
# Usage: scripts/compare-httpry.sh [PCAP] [RUNS]
#   PCAP  capture to read; if omitted, scripts/record-nginx-wrk.sh records one
#         (COMPARE_RECORD_SECONDS, default 8, and COMPARE_RECORD_CONNECTIONS, default 32, give
#         about 750k packets on a 2-core machine) into a temp dir that is removed at the end
#   RUNS  timed runs per tool (default 5)
# Environment:
#   COMPARE_HTTPCAP       the launcher to time (default: this checkout's bin/httpcap); point it at
#                         the bin/httpcap of a clean export (git archive HEAD | tar -x -C DIR) to
#                         time a commit while the working tree is being edited
#   COMPARE_HTTPCAP_ARGS  extra `read` options, word-split (e.g. "--workers 2")
#   COMPARE_HTTPRY_FILTER httpry's BPF filter (default "tcp": every TCP packet, as httpcap reads;
#                         httpry's own default, 'tcp port 80 or 8080', would miss the recorders'
#                         random port)
#   COMPARE_KEEP=DIR      keep the outputs of the last runs (and a recorded capture) in DIR
# Needs httpry (apt-get install httpry), GNU time (/usr/bin/time) and a JDK 25 for bin/httpcap;
# capinfos (tshark's package) for the packet count if present. Recording needs root, nginx,
# tcpdump, wrk and curl.
set -euo pipefail

here=$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")
root=$(cd -- "$here/.." && pwd -P)
httpcap=${COMPARE_HTTPCAP:-$root/bin/httpcap}
# httpry lives in /usr/sbin, which a non-root PATH often lacks.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac

# Every field httpry can give without naming headers: about what an httpcap event holds.
HTTPRY_FORMAT=timestamp,source-ip,source-port,dest-ip,dest-port,direction,method,host,request-uri,http-version,status-code,reason-phrase
HTTPRY_DIRECTION_COLUMN=6

die() { echo "compare-httpry: $*" >&2; exit 1; }
log() { echo "compare-httpry: $*" >&2; }
usage() { echo "usage: $0 [PCAP] [RUNS]" >&2; exit 2; }

(($# <= 2)) || usage
pcap=${1:-}
runs=${2:-5}
if ! [[ $runs =~ ^[0-9]+$ ]] || ((runs < 1)); then
  echo "$0: RUNS must be an integer >= 1" >&2
  exit 2
fi
[[ -z $pcap || -r $pcap ]] || die "cannot read $pcap"
httpcap_args=()
if [[ -n ${COMPARE_HTTPCAP_ARGS:-} ]]; then
  read -r -a httpcap_args <<<"$COMPARE_HTTPCAP_ARGS"
fi
httpry_filter=${COMPARE_HTTPRY_FILTER:-tcp}

command -v httpry >/dev/null 2>&1 || die "httpry is missing (apt-get install httpry)"
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is missing (apt-get install time)"
[[ -x $httpcap ]] || die "$httpcap is missing"

work=$(mktemp -d "${TMPDIR:-/tmp}/httpcap-compare.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

if [[ -z $pcap ]]; then
  pcap=$work/capture.pcap
  secs=${COMPARE_RECORD_SECONDS:-8}
  conns=${COMPARE_RECORD_CONNECTIONS:-32}
  log "no PCAP given: recording ${secs}s of nginx + wrk ($conns connections) with scripts/record-nginx-wrk.sh"
  "$here/record-nginx-wrk.sh" "$pcap" "$secs" "$conns" >&2 || die "recording failed"
fi

# Build (if stale) once, then never again while timing: a build inside a timed run would count.
log "checking the httpcap jar (builds it if stale)"
"$httpcap" --help >/dev/null || die "bin/httpcap does not run (no JDK 25 or the build failed)"
export HTTPCAP_NO_BUILD=1

packets=""
if command -v capinfos >/dev/null 2>&1; then
  packets=$(capinfos -M -T -r -c -- "$pcap" 2>/dev/null | awk -F'\t' 'NF >= 2 { print $2; exit }') || packets=""
fi

# Warm the page cache so neither tool pays for the first read from disk.
cat -- "$pcap" >/dev/null

# run_timed TIMES_FILE STDERR_FILE CMD...: appends "wall_s max_rss_kib user_s sys_s" to TIMES_FILE.
run_timed() {
  local times=$1 err=$2
  shift 2
  /usr/bin/time -f '%e %M %U %S' -o "$work/time.out" "$@" >/dev/null 2>"$err" || return 1
  tail -n 1 "$work/time.out" >>"$times"
}

# Another engineer's `mvn package` may replace the jar under a running JVM; such a run fails and
# is run again (at most twice). Its time is not counted.
run_httpcap() {
  local attempt
  for attempt in 1 2 3; do
    rm -f -- "$work/httpcap.ndjson"* # the file sink appends to an existing file
    if run_timed "$work/httpcap.times" "$work/httpcap.err" \
         "$httpcap" read "$pcap" --sink "file:$work/httpcap.ndjson" --progress never "${httpcap_args[@]}"; then
      return 0
    fi
    log "httpcap run failed (attempt $attempt); its standard error ends with:"
    tail -n 5 "$work/httpcap.err" >&2
    sleep 5
  done
  die "httpcap failed three times in a row"
}

run_httpry() {
  rm -f -- "$work/httpry.txt"
  run_timed "$work/httpry.times" "$work/httpry.err" \
    httpry -q -r "$pcap" -o "$work/httpry.txt" -f "$HTTPRY_FORMAT" "$httpry_filter" ||
    { tail -n 5 "$work/httpry.err" >&2; die "httpry failed"; }
}

: >"$work/httpcap.times"
: >"$work/httpry.times"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "$runs runs each, interleaved: httpcap read $pcap --sink file:OUT.ndjson ${httpcap_args[*]} / httpry -r $pcap -o OUT.txt '$httpry_filter'"
for ((i = 1; i <= runs; i++)); do
  run_httpcap
  run_httpry
  log "run $i: httpcap $(tail -n 1 "$work/httpcap.times" | cut -d' ' -f1) s, httpry $(tail -n 1 "$work/httpry.times" | cut -d' ' -f1) s"
done

# Requests each tool reported in its last run. httpcap: HTTP events with a request method;
# httpry: lines whose direction column is '>' (a request line at the start of a packet).
httpcap_requests=$(grep -c '"dataset":"http".*"request":{"method":"' "$work/httpcap.ndjson" || true)
httpcap_responses=$(grep -c '"dataset":"http".*"response":{"status_code":' "$work/httpcap.ndjson" || true)
httpry_requests=$(awk -F'\t' -v c="$HTTPRY_DIRECTION_COLUMN" '$c == ">"' "$work/httpry.txt" | wc -l)
httpry_responses=$(awk -F'\t' -v c="$HTTPRY_DIRECTION_COLUMN" '$c == "<"' "$work/httpry.txt" | wc -l)
[[ -n $packets ]] || packets=$(sed -n 's/^packets: \([0-9]*\) read.*/\1/p' "$work/httpcap.err")
flows=$(sed -n 's/^flows: \([0-9]*\) .*/\1/p' "$work/httpcap.err")

# median: the median of the numbers on standard input, one a line.
median() {
  sort -n | awk '{ v[NR] = $1 } END { printf "%.2f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# stats FILE: "median min max max_rss_kib median_cpu" of the wall seconds, RSS and user+sys seconds.
stats() {
  local med cpu
  med=$(cut -d' ' -f1 "$1" | median)
  cpu=$(awk '{ print $3 + $4 }' "$1" | median)
  sort -n -k1,1 "$1" | awk -v med="$med" -v cpu="$cpu" '
    { t[NR] = $1; if ($2 > rss) rss = $2 }
    END { printf "%s %.2f %.2f %d %s\n", med, t[1], t[NR], rss, cpu }'
}
read -r c_med c_min c_max c_rss c_cpu < <(stats "$work/httpcap.times")
read -r r_med r_min r_max r_rss r_cpu < <(stats "$work/httpry.times")
# Per-pair ratios (run i of httpry / run i of httpcap): their spread shows how noisy the machine was.
read -r p_min p_max < <(paste -d' ' "$work/httpry.times" "$work/httpcap.times" |
  awk '{ r = $1 / $5; if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r }
       END { printf "%.2f %.2f\n", lo, hi }')
ratio=$(awk -v a="$r_med" -v b="$c_med" 'BEGIN { printf "%.2f", a / b }')

echo "capture: $pcap"
echo "httpcap: $httpcap ${httpcap_args[*]}"
echo "packets: ${packets:-?}  connections (httpcap flows): ${flows:-?}  runs: $runs each, interleaved"
echo "load average before: $load_before  after: $(cut -d' ' -f1-3 /proc/loadavg)  ($(nproc) CPUs)"
printf '%-8s %8s %8s %8s %10s %12s %10s %10s\n' tool median_s min_s max_s cpu_s max_rss_MiB requests responses
printf '%-8s %8s %8s %8s %10s %12s %10s %10s\n' httpcap "$c_med" "$c_min" "$c_max" "$c_cpu" \
  "$(awk -v k="$c_rss" 'BEGIN { printf "%.1f", k / 1024 }')" "$httpcap_requests" "$httpcap_responses"
printf '%-8s %8s %8s %8s %10s %12s %10s %10s\n' httpry "$r_med" "$r_min" "$r_max" "$r_cpu" \
  "$(awk -v k="$r_rss" 'BEGIN { printf "%.1f", k / 1024 }')" "$httpry_requests" "$httpry_responses"
echo "ratio of medians httpry/httpcap: ${ratio}x (per-run pairs: ${p_min}x .. ${p_max}x); above 1 means httpcap is faster"
echo "(cpu_s: median user+sys seconds, all threads; wall time is what the ratio compares)"
if awk -v r="$ratio" 'BEGIN { exit !(r >= 3) }'; then
  echo "goal (httpcap at least 3x faster than httpry): met"
else
  echo "goal (httpcap at least 3x faster than httpry): NOT met"
fi
echo "httpcap's report (last run):"
grep -E '^(packets|flows|reassembly|http|events|latency|time):|^sink ' "$work/httpcap.err" | sed 's/^/  /' || true

if [[ -n ${COMPARE_KEEP:-} ]]; then
  mkdir -p -- "$COMPARE_KEEP"
  cp -- "$work"/httpcap.ndjson "$work"/httpcap.err "$work"/httpcap.times \
    "$work"/httpry.txt "$work"/httpry.times "$COMPARE_KEEP"/
  if [[ $pcap == "$work/capture.pcap" ]]; then
    cp -- "$pcap" "$COMPARE_KEEP"/
  fi
  log "outputs kept in $COMPARE_KEEP"
fi
