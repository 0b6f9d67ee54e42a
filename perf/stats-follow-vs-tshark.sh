#!/usr/bin/env bash
# httpcap stats and follow against tshark on the same capture, whole processes, interleaved (REPS rounds).
# Usage: flock /tmp/httpcap-perf.lock perf/stats-follow-vs-tshark.sh CAPTURE [REPS]
# Prints one line per run: name, wall seconds, peak RSS in KiB, user and system CPU seconds; then the
# median wall time of each and the ratios of the medians (tshark / httpcap), with the range over rounds.
# Needs bin/httpcap built, tshark, capinfos, bc.
set -euo pipefail
big=$1; reps=${2:-3}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$(dirname -- "$(readlink -f -- "$0")")/.."
export HTTPCAP_NO_BUILD=1
port=$(tshark -n -r "$big" -c 200 -T fields -e tcp.dstport -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' 2>/dev/null | sort | uniq -c | sort -rn | head -1 | awk '{print $2}')
last=$(tshark -n -r "$big" -T fields -e tcp.stream 2>/dev/null | tail -1)
echo "capture $big ($(stat -c %s "$big") bytes, $(capinfos -c -M "$big" 2>/dev/null | awk '/Number of packets/ {print $NF}') packets), server port $port, last tcp.stream $last"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
t() { # name cmd...: wall seconds, max RSS, user and system CPU
  local s e
  s=$(date +%s.%N)
  /usr/bin/time -f '%M %U %S' -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err" || { echo "FAILED: $*"; cat "$tmp/err"; }
  e=$(date +%s.%N)
  printf '%s %.3f %s\n' "$name" "$(echo "$e - $s" | bc)" "$(cat "$tmp/rss")" | tee -a "$tmp/runs"
}
for r in $(seq "$reps"); do
  name=httpcap-stats t bin/httpcap stats "$big" --format json -o /dev/null
  name=httpcap-stats-w1 t bin/httpcap stats "$big" --format json -o /dev/null --workers 1
  name=tshark-stats t tshark -n -q -r "$big" -d "tcp.port==$port,http" -z http,tree -z http_req,tree -z http_srv,tree -z conv,tcp
  name=httpcap-follow t bin/httpcap follow "$big" --stream "$last" --as raw -o /dev/null
  name=tshark-follow t tshark -n -q -r "$big" -z "follow,tcp,raw,$last"
  name=httpcap-follow-mid t bin/httpcap follow "$big" --stream $((last / 2)) --as raw -o /dev/null
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
# Medians, and per round the ratio tshark/httpcap of that round's runs (the spread).
python3 - "$tmp/runs" <<'PY'
import sys, statistics
runs = {}
for line in open(sys.argv[1]):
    name, wall = line.split()[:2]
    runs.setdefault(name, []).append(float(wall))
for name, walls in runs.items():
    print(f"{name}: median {statistics.median(walls):.3f} s over {len(walls)} runs ({', '.join(f'{w:.2f}' for w in walls)})")
for ours, theirs in (("httpcap-stats", "tshark-stats"), ("httpcap-stats-w1", "tshark-stats"), ("httpcap-follow", "tshark-follow")):
    if ours in runs and theirs in runs:
        per_round = [t / o for o, t in zip(runs[ours], runs[theirs])]
        print(f"{theirs} / {ours}: {statistics.median(runs[theirs]) / statistics.median(runs[ours]):.1f}x of the medians, "
              f"rounds {min(per_round):.1f}-{max(per_round):.1f}x")
PY
