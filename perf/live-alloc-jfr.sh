#!/usr/bin/env bash
# A flight recording of a long live capture: does the hot path allocate once warm? (issue 21, point 4)
#
#   perf/live-alloc-jfr.sh --pcap FILE [--rate PPS] [--seconds S] [--warm-rate PPS] [--warm-seconds S]
#                          [--buffer-mb MB] [--settle S] [--name PREFIX] [--out DIR]
#
# One network namespace with a veth pair (as perf/live-capture-rates.sh): `bin/httpcap live` on one
# end with its defaults and a file sink, under a flight recording (settings=profile, allocation
# samples throttled at 10,000/s instead of 300/s, per-thread allocation statistics every second);
# tcpreplay sends FILE (addresses rewritten by tcprewrite --seed, so the connections are new ones) at
# --warm-rate for --warm-seconds (default 20000 pps, 10 s), then, with the addresses rewritten
# again, at --rate for --seconds (default 200000 pps, 60 s). Then httpcap is stopped (SIGTERM: the
# recording is written at exit) and perf/JfrAllocations.java reads it from the end of the warm-up:
# bytes allocated per httpcap thread (jdk.ThreadAllocationStatistics, the JVM's exact counters),
# every jdk.ObjectAllocationSample from those threads with its stack, and the collections; then the
# same from --settle seconds (default 10) into the measured part: a rate higher than the warm-up's
# holds more connections at once, and the flow and connection pools grow (once) to that number first.
# Also prints httpcap's last stats line and its final report (with the "stalls:" line).
# JFR_SETTINGS adds event settings to the recording; to see every allocation, not samples:
#   JFR_SETTINGS='jdk.ObjectAllocationOutsideTLAB#enabled=true' HTTPCAP_JAVA_OPTS=-XX:-UseTLAB perf/live-alloc-jfr.sh ...
#
# --name PREFIX names the namespace PREFIX-PID and the veths (default hcjfr), so that parallel
# users of the machine do not collide. Needs root, iproute2, tcpreplay, tcprewrite, a JDK 25.
# Run it under the machine-wide measurement lock: flock /tmp/httpcap-perf.lock perf/live-alloc-jfr.sh ...
set -euo pipefail
case ":$PATH:" in *:/usr/sbin:*) ;; *) export PATH=$PATH:/usr/sbin:/sbin ;; esac
root=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd -P)
me=live-alloc-jfr
pcap="" rate=200000 seconds=60 warm_rate=20000 warm_seconds=10 buffer_mb=256 name=hcjfr out="" settle=10
die() { echo "$me: $*" >&2; exit 2; }
while (($#)); do
  case $1 in
    --pcap) pcap=${2:?}; shift 2 ;;
    --rate) rate=${2:?}; shift 2 ;;
    --seconds) seconds=${2:?}; shift 2 ;;
    --warm-rate) warm_rate=${2:?}; shift 2 ;;
    --warm-seconds) warm_seconds=${2:?}; shift 2 ;;
    --buffer-mb) buffer_mb=${2:?}; shift 2 ;;
    --name) name=${2:?}; shift 2 ;;
    --settle) settle=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[[ -r $pcap ]] || die "--pcap FILE is needed (e.g. a scripts/record-nginx-wrk.sh recording)"
((EUID == 0)) || die "needs root (a network namespace, packet sockets)"
for tool in ip tcpreplay tcprewrite; do command -v "$tool" >/dev/null || die "missing $tool"; done
source "$root/scripts/lib/jdk.sh"
httpcap_select_jdk || { httpcap_no_jdk_message; exit 1; }

if [[ -n $out ]]; then mkdir -p -- "$out"; work=$(cd -- "$out" && pwd -P); else work=$(mktemp -d /tmp/httpcap-jfr.XXXXXX); fi
ns=$name-$$ tx=${name:0:7}t$$ rx=${name:0:7}r$$
pid=""
cleanup() {
  [[ -z $pid ]] || { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  ip netns del "$ns" 2>/dev/null || true
  [[ -n $out ]] || rm -rf -- "$work"
}
trap cleanup EXIT
"$root/bin/httpcap" --version >/dev/null

ip netns add "$ns"
ip -n "$ns" link add "$tx" type veth peer name "$rx"
for dev in "$tx" "$rx"; do
  ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
  ip -n "$ns" link set "$dev" mtu 65535 up
done
for seed in 1 2; do
  tcprewrite --seed="$seed" --fixcsum --infile="$pcap" --outfile="$work/seed-$seed.pcap" >/dev/null 2>&1
done

jfr=$work/live.jfr
HTTPCAP_JAVA_OPTS="-XX:StartFlightRecording=filename=$jfr,settings=profile,jdk.ObjectAllocationSample#throttle=10000/s,jdk.ThreadAllocationStatistics#period=1s${JFR_SETTINGS:+,$JFR_SETTINGS} ${HTTPCAP_JAVA_OPTS:-}" \
  ip netns exec "$ns" "$root/bin/httpcap" live --interface "$rx" --buffer-mb "$buffer_mb" --stats-interval 5 \
  --sink "file:$work/events.ndjson" </dev/null >/dev/null 2>"$work/httpcap.err" &
pid=$!
for ((i = 0; i < 600; i++)); do
  grep -q 'capturing on' "$work/httpcap.err" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/httpcap.err" >&2; die "httpcap exited"; }
  sleep 0.05
done
echo "$me: $(date -u '+%F %T UTC'), load $(cut -d' ' -f1-3 /proc/loadavg); warming ${warm_seconds}s at $warm_rate pps" >&2
ip netns exec "$ns" tcpreplay -K --loop=0 --limit=$((warm_rate * warm_seconds)) --duration="$warm_seconds" --pps="$warm_rate" \
  -i "$tx" "$work/seed-1.pcap" >"$work/warm.tcpreplay" 2>&1
sleep 2
from=$(date +%s%3N)
echo "$me: measuring ${seconds}s at $rate pps" >&2
ip netns exec "$ns" tcpreplay -K --loop=0 --limit=$((rate * seconds)) --duration="$seconds" --pps="$rate" \
  -i "$tx" "$work/seed-2.pcap" >"$work/run.tcpreplay" 2>&1
sleep 2
to=$(date +%s%3N)
kill -TERM "$pid"
wait "$pid" || true
pid=""
echo "$me: done $(date -u '+%F %T UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

echo "## tcpreplay (measured part)"
grep -E 'Actual|Rated' "$work/run.tcpreplay"
echo "## httpcap: last stats line and final report"
grep '^stats:' "$work/httpcap.err" | tail -n 1
grep -v '^stats:' "$work/httpcap.err" | grep -v '^httpcap: capturing' || true
echo "## flight recording, the whole measured part (from the end of the warm-up)"
"$HTTPCAP_JAVA_HOME/bin/java" "$root/perf/JfrAllocations.java" "$jfr" "$from" "$to"
echo "## flight recording, the measured part after its first $settle s (the pools grown to the rate's connections)"
"$HTTPCAP_JAVA_HOME/bin/java" "$root/perf/JfrAllocations.java" "$jfr" "$((from + settle * 1000))" "$to"
[[ -z $out ]] || echo "$me: recording and logs in $work" >&2
