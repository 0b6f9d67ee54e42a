#!/usr/bin/env bash
# Live capture at rising rates: the highest packet rate each capturer takes with no kernel drops.
#
#   perf/live-capture-rates.sh [--rates LIST] [--pcap FILE] [--seconds S] [--buffer-mb MB]
#                              [--repeat N] [--record-seconds S] [--out DIR] [--unique-ip]
#                              [--tools afpacket,pcap,tcpdump] [--mode cold|service|both]
#                              [--warm-rate PPS] [--warm-seconds S] [--name PREFIX] [--no-match]
#
#   --mode cold         (the default) every step starts a fresh capturer process: the cold-start
#                       mode, JVM start-up and JIT warm-up inside the step
#   --mode service      one capturer process per tool, started before the first step and warmed
#                       with --warm-seconds (default 10) at --warm-rate pps (default 20000), then
#                       every rate in turn within that same process, as a daemon on a front end
#                       would see them. Per step, the counters are read from httpcap's stats line
#                       (--stats-interval 0.5: running totals of packets, kernel, ring and event
#                       drops) or tcpdump's (SIGUSR1) before and after; the CPU time of httpcap's
#                       capture, worker and sink threads (/proc/PID/task) per packet received is a
#                       second table. Every step replays the capture with its addresses rewritten
#                       (tcprewrite --seed, a new seed a step; with --unique-ip also new ones every
#                       loop), so the process sees new connections, not the earlier steps' again
#                       (and its events can be told apart: see "Events, one for one" below). Note
#                       that afpacket and pcap run with their defaults (since issue 21:
#                       --back-pressure block, so loss shows as kernel drops).
#   --mode both         service mode, then cold mode, in one run
#
#   --rates LIST        comma-separated packets/s to ask tcpreplay for, rising; "max" is tcpreplay
#                       --topspeed (as fast as it can send: the sender's own ceiling)
#                       (default 25000,50000,100000,150000,200000,300000,max)
#   --pcap FILE         the Ethernet capture to replay (default: a fresh scripts/record-nginx-wrk.sh
#                       recording, nginx loaded by wrk on loopback, --record-seconds long, default 3;
#                       tcpreplay preloads the whole file before every step, so keep it modest)
#   --seconds S         length of each step: tcpreplay sends rate x S packets, or what it manages in
#                       S seconds when it cannot keep the rate (default 4)
#   --buffer-mb MB      the kernel buffer of every capturer: httpcap --buffer-mb MB, tcpdump
#                       -B MB*1024 (default 32)
#   --repeat N          measure every rate N times (in turn); a rate is sustained only if all N pass
#   --unique-ip         tcpreplay --unique-ip: new IP addresses on every loop of the file, so every
#                       loop's connections are new ones to httpcap (costs the sender some speed).
#                       Not for loopback recordings (the default): client and server share
#                       127.0.0.1 there, and tcpreplay moves source and destination apart in
#                       opposite directions, so the two halves of a connection become two flows;
#                       only with --no-match (the event check replays the file's own addresses)
#   --tools LIST        which capturers to measure (default afpacket,pcap,tcpdump); afcopy is
#                       afpacket with --no-zero-copy (payloads copied into the packet ring, the
#                       path before issue 21), for a side-by-side of the two; affanout2 is afpacket
#                       with --fanout 2 (two sockets, capture threads, rings and worker sets);
#                       afkafka is afpacket with a Kafka sink (kafka://HOST:PORT/TOPIC, its defaults:
#                       exactly-once) on a local broker (scripts/kafka/broker.sh, started once for the
#                       run, a fresh one-partition topic for every httpcap process): when the process
#                       has stopped, perf/KafkaTopicCount.java reads the topic read_committed and the
#                       run prints whether every event httpcap wrote is there exactly once (records =
#                       distinct records = events written), in a table of its own
#                       For the start-up: afnoaot is afpacket without the JVM's AOT cache (HTTPCAP_AOT=0;
#                       afpacket uses bin/httpcap's, trained on `read samples/demo.pcap`), afliveaot
#                       afpacket with a cache trained on live capture: --live-aot FILE, made first
#                       if missing (httpcap live with -XX:AOTCacheOutput=FILE in the namespace,
#                       --live-aot-seconds (default 20) of the capture replayed at 100,000 pps)
#                       afkeepcache is afpacket with its file sink's cache=keep (the file left in the
#                       page cache, as before write-behind) for a side-by-side of the two
#                       afwrite and afwritekeep are afpacket also recording every frame (--write, into
#                       the work directory, deleted when the process stops), the recording dropped from
#                       the page cache or left in it (--write-cache drop, the default, or keep)
#                       Before and after in one run: afbase and afcopybase are afpacket and afcopy run
#                       from another checkout, $HTTPCAP_BASE/bin/httpcap (its jar built; e.g. a git
#                       worktree of the commit before a change)
#   --name PREFIX       the network namespace is PREFIX-PID and the veths PREFIX's first 7
#                       characters + t/r + PID (default hcrate), so that others measuring on the
#                       machine at the same time do not collide
#   --out DIR           keep every log, report and tcpreplay output in DIR (default: a temp dir,
#                       removed at exit)
#   --no-match          only the counters: do not hold the events against `bin/httpcap read`
#
# One network namespace with a veth pair and no addresses (IPv6 off, so the kernel sends nothing
# of its own): tcpreplay (-K, the file preloaded into memory, --loop 0 --limit N) sends out of one
# end and the capturer listens on the other, so every frame arrives exactly once. At each rate the
# three capturers take turns (the one that starts rotates from rate to rate):
#   afpacket  bin/httpcap live --engine afpacket --buffer-mb MB --sink file:…   (full decoding, all
#   pcap      bin/httpcap live --engine pcap     --buffer-mb MB --sink file:…    other options default)
#   tcpdump   tcpdump -w /dev/null -B MB*1024 -n   (its defaults otherwise: snaplen 262144, promiscuous)
# A step is sustained ("kernel") when the capturer reports 0 kernel drops AND received exactly the
# packets tcpreplay says it sent; "yes" when, besides, httpcap's pipeline dropped nothing after
# reading either (live capture drops rather than blocks when its decoding workers fall behind:
# drops ring_full, and events dropped). tcpreplay's achieved rate (its "Rated:" line) is what the
# table shows beside the requested one; where it is short of the request the step is sender-bound.
#
# Events, one for one (issue 21's criterion for a lossless step): tcpreplay -K --loop=0 --limit=L
# sends the file's frames in order, from the top again at its end, and stops after its "Actual: N
# packets", so the packets of a step are exactly the first N of the file looped.
# perf/PcapLoop.java writes them (each loop's time stamps moved past the previous loop's) into
# `bin/httpcap read -` (its defaults, plus HTTPCAP_READ_OPTS), and perf/LiveEventMatch.java holds
# what httpcap wrote live (the file sink's file; for afkafka the topic, read read_committed by
# perf/KafkaTopicCount.java) against those events as multisets of normalised events: everything
# but @timestamp, event.id/start/end/duration, observer, host, network.direction and the values of
# httpcap.timing.* must be equal (as in LiveReplayIT). An event read but not written live is
# "missing", one written live more often than read (a duplicate, or one never read) "extra". Cold
# mode compares each step's process; service mode compares the process's whole output once it has
# stopped, each event counted for the step whose (rewritten) addresses it has, the warm-up too.
# "yes" needs missing = extra = 0 besides the counters; a step whose counters show no loss but whose
# events differ is "events" (in service mode, so is every step of a process that wrote events no
# step's addresses explain). The matching runs after each cold step and after each service process
# (not during a measured step), and its read and compare take a few seconds per million packets.
#
# HTTPCAP_LIVE_OPTS (word-split) adds options to both httpcap runs, HTTPCAP_JAVA_OPTS JVM options
# (e.g. a flight recording), for diagnosis; the measurement itself uses neither.
# Prints a Markdown table per step and tool (with the CPU time, user + system, the capturer had used
# when it was told to stop: JVM start-up and JIT included for httpcap), then the highest sustained
# rate per tool, on stdout.
# Needs root and: iproute2 (ip), tcpreplay, tcpdump, libpcap, a JDK 25 for bin/httpcap, and to
# record the default capture nginx, wrk and curl (apt-get install tcpreplay tcpdump nginx-light wrk
# curl iproute2). Run it under the machine-wide measurement lock:
#   flock /tmp/httpcap-perf.lock perf/live-capture-rates.sh
set -euo pipefail
case ":$PATH:" in *:/usr/sbin:*) ;; *) export PATH=$PATH:/usr/sbin:/sbin ;; esac
root=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd -P)
me='live-capture-rates'
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/jdk.sh
source "$root/scripts/lib/jdk.sh"

rates=25000,50000,100000,150000,200000,300000,max
pcap=""
seconds=4
buffer_mb=32
repeat=1
record_seconds=3
out=""
unique_ip=0
tool_names=afpacket,pcap,tcpdump
mode=cold
warm_rate=20000
warm_seconds=10
name=hcrate
live_aot=""
live_aot_seconds=20
match=1

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
die() { echo "$me: $*" >&2; exit 2; }
while (($#)); do
  case $1 in
    --rates) rates=${2:?}; shift 2 ;;
    --pcap) pcap=${2:?}; shift 2 ;;
    --seconds) seconds=${2:?}; shift 2 ;;
    --buffer-mb) buffer_mb=${2:?}; shift 2 ;;
    --repeat) repeat=${2:?}; shift 2 ;;
    --record-seconds) record_seconds=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --unique-ip) unique_ip=1; shift ;;
    --tools) tool_names=${2:?}; shift 2 ;;
    --mode) mode=${2:?}; shift 2 ;;
    --warm-rate) warm_rate=${2:?}; shift 2 ;;
    --warm-seconds) warm_seconds=${2:?}; shift 2 ;;
    --name) name=${2:?}; shift 2 ;;
    --live-aot) live_aot=${2:?}; shift 2 ;;
    --live-aot-seconds) live_aot_seconds=${2:?}; shift 2 ;;
    --no-match) match=0; shift ;;
    -h|--help) usage ;;
    *) echo "$me: unknown option $1" >&2; usage ;;
  esac
done
IFS=, read -r -a rate_list <<<"$rates"
IFS=, read -r -a tools <<<"$tool_names"
((${#tools[@]})) || die "--tools is empty"
for t in "${tools[@]}"; do
  [[ $t =~ ^(afpacket|afcopy|affanout2|afkafka|afnoaot|afliveaot|afbase|afcopybase|afkeepcache|afwrite|afwritekeep|pcap|tcpdump)$ ]] ||
    die "--tools: '$t' is not afpacket, afcopy, affanout2, afkafka, afnoaot, afliveaot, afbase, afcopybase, afkeepcache, afwrite, afwritekeep, pcap or tcpdump"
  [[ ! $t =~ base$ || -x ${HTTPCAP_BASE:-}/bin/httpcap ]] ||
    die "--tools $t runs \$HTTPCAP_BASE/bin/httpcap: set HTTPCAP_BASE to another checkout with its jar built"
done
[[ ,$tool_names, != *,afliveaot,* || -n $live_aot ]] || die "afliveaot needs --live-aot FILE"
[[ $name =~ ^[a-z][a-z0-9]*$ ]] || die "--name must be lower-case letters and digits: $name"
((${#rate_list[@]})) || die "--rates is empty"
[[ $mode == cold || $mode == service || $mode == both ]] || die "--mode must be cold, service or both: $mode"
[[ $warm_rate =~ ^[1-9][0-9]*$ ]] || die "--warm-rate must be a positive integer: $warm_rate"
[[ $warm_seconds =~ ^[0-9]+$ ]] || die "--warm-seconds must be an integer: $warm_seconds"
max_numeric=0
for r in "${rate_list[@]}"; do
  if [[ $r == max ]]; then continue; fi
  [[ $r =~ ^[1-9][0-9]*$ ]] || die "--rates: '$r' is neither a positive integer nor max"
  ((r > max_numeric)) && max_numeric=$r
done
((max_numeric > 0)) || max_numeric=100000
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "--seconds must be a positive integer: $seconds"
[[ $buffer_mb =~ ^[1-9][0-9]*$ ]] || die "--buffer-mb must be a positive integer: $buffer_mb"
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "--repeat must be a positive integer: $repeat"
if ! [[ $record_seconds =~ ^[1-9][0-9]*$ ]] || ((record_seconds < 2)); then die "--record-seconds must be an integer >= 2"; fi
[[ -z $pcap || -r $pcap ]] || die "cannot read --pcap $pcap"
# The event check replays the file's own addresses on every loop (perf/PcapLoop.java).
((!unique_ip || !match)) || die "--unique-ip gives every loop new addresses, which the event check cannot replay: add --no-match"
((EUID == 0)) || die "needs root (a network namespace, packet sockets)"
httpcap_select_jdk || { httpcap_no_jdk_message; exit 1; }
missing=()
for tool in ip tcpreplay tcprewrite tcpdump; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [[ -z $pcap ]]; then
  for tool in nginx wrk curl; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
fi
((${#missing[@]} == 0)) || die "missing: ${missing[*]} (apt-get install tcpreplay tcpdump nginx-light wrk curl iproute2)"

if [[ -n $out ]]; then
  mkdir -p -- "$out"
  work=$(cd -- "$out" && pwd -P)
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/httpcap-rates.XXXXXX")
fi
ns=$name-$$
tx=${name:0:7}t$$
rx=${name:0:7}r$$
capture_pid=""
capture_cpu="?"
broker=$root/scripts/kafka/broker.sh
bootstrap=""
kafka_topic=""
cleanup() {
  if [[ -n $capture_pid ]]; then
    kill -TERM "$capture_pid" 2>/dev/null || true
    wait "$capture_pid" 2>/dev/null || true
  fi
  [[ -z $bootstrap ]] || "$broker" stop "$work/broker" >/dev/null 2>&1 || true
  ip netns del "$ns" 2>/dev/null || true
  [[ -n $out ]] || rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# bin/httpcap builds the jar if it is stale: do that now, not inside the first measurement.
"$root/bin/httpcap" --version >/dev/null

if [[ -z $pcap ]]; then
  pcap=$work/nginx-wrk.pcap
  echo "$me: recording $pcap (scripts/record-nginx-wrk.sh, ${record_seconds}s)" >&2
  "$root/scripts/record-nginx-wrk.sh" "$pcap" "$record_seconds" >"$work/record.out" 2>"$work/record.err" ||
    { cat "$work/record.err" >&2; exit 1; }
fi

# perf/PcapLoop.java reads classic pcap only: a pcapng capture is replayed (and read) as tcpdump rewrites it.
case $(od -An -tx1 -N4 -- "$pcap" | tr -d ' ') in
  d4c3b2a1|a1b2c3d4|4d3cb2a1|a1b23c4d) ;;
  *) if ((match)); then
       tcpdump -Z root -r "$pcap" -w "$work/replay.pcap" 2>/dev/null || die "tcpdump could not rewrite $pcap as pcap"
       pcap=$work/replay.pcap
     fi ;;
esac

ip netns add "$ns"
ip -n "$ns" link add "$tx" type veth peer name "$rx"
for dev in "$tx" "$rx"; do
  # No addresses and no IPv6: nothing but the replay crosses the pair. The recording holds loopback
  # segments of up to 64 KiB (GSO), so the MTU must let them through.
  ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
  ip -n "$ns" link set "$dev" mtu 65535 up
done
ip -n "$ns" link set lo up
topics=0
if [[ ,$tool_names, == *,afkafka,* ]]; then
  # In the namespace, where httpcap runs: its loopback is the only way there.
  echo "$me: starting a Kafka broker (scripts/kafka/broker.sh) in $ns" >&2
  bootstrap=$(ip netns exec "$ns" "$broker" start "$work/broker") || die "the Kafka broker did not start"
fi
# make_topic NAME: a one-partition topic on the run's broker.
make_topic() {
  ip netns exec "$ns" "$broker" run "$work/broker" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
    --create --topic "$1" --partitions 1 --replication-factor 1 >/dev/null
}
# check_topic TOOL LOG: after an afkafka process has stopped, every event it wrote must be in its
# topic exactly once (read_committed): a line in $work/kafka.md.
check_topic() {
  local tool=$1 log=$2 written counted records distinct ok=no
  written=$(num 's/^events: \([0-9]*\) written.*/\1/p' "$log")
  local dump=()
  ((match)) && dump=("$work/topic-$kafka_topic.ndjson")
  counted=$(ip netns exec "$ns" "$HTTPCAP_JAVA_HOME/bin/java" -Xmx1g -cp "$root/app/target/httpcap.jar" \
    "$root/perf/KafkaTopicCount.java" "$bootstrap" "$kafka_topic" "${dump[@]}" 2>>"$work/kafka-count.err" | tail -n 1)
  records=$(echo "$counted" | sed -n 's/^records \([0-9]*\) .*/\1/p')
  distinct=$(echo "$counted" | sed -n 's/.* distinct \([0-9]*\)$/\1/p')
  [[ -n $written && $records == "$written" && $distinct == "$written" ]] && ok=yes
  echo "| $tool | $kafka_topic | ${written:-?} | ${records:-?} | ${distinct:-?} | $ok |" >>"$work/kafka.md"
  echo "$me: $tool, topic $kafka_topic: httpcap wrote ${written:-?} events; read_committed ${records:-?} records," \
    "${distinct:-?} distinct: exactly once $ok" >&2
}

# The live-trained AOT cache: a training run of `httpcap live` on the replay (the JVM writes the
# cache when it exits), with the JVM options it will be used with.
if [[ ,$tool_names, == *,afliveaot,* && ! -s $live_aot ]]; then
  echo "$me: training the AOT cache $live_aot on ${live_aot_seconds}s of live capture at 100000 pps" >&2
  ip netns exec "$ns" env HTTPCAP_AOT=0 "HTTPCAP_JAVA_OPTS=-XX:AOTCacheOutput=$live_aot ${HTTPCAP_JAVA_OPTS:-}" \
    "$root/bin/httpcap" live --interface "$rx" --buffer-mb "$buffer_mb" --sink "file:$work/aot-training.ndjson" \
    </dev/null >/dev/null 2>"$work/aot-training.err" &
  capture_pid=$!
  for ((i = 0; i < 600; i++)); do grep -q 'capturing on' "$work/aot-training.err" 2>/dev/null && break; sleep 0.05; done
  ip netns exec "$ns" tcpreplay -K --loop=0 --limit=$((100000 * live_aot_seconds)) --duration="$live_aot_seconds" \
    --pps=100000 -i "$tx" "$pcap" >"$work/aot-training.tcpreplay" 2>&1 || true
  kill -TERM "$capture_pid"
  wait "$capture_pid" || true
  capture_pid=""
  rm -f -- "$work/aot-training.ndjson"
  [[ -s $live_aot ]] || { tail -n 5 "$work/aot-training.err" >&2; die "the training run made no AOT cache $live_aot"; }
fi

# Frames in the file (tcpreplay counts them itself on a dry run through the same options).
file_packets=$(tcpdump -r "$pcap" -n -q 2>/dev/null | wc -l)
((file_packets > 0)) || die "no packets in $pcap"
file_bytes=$(stat -c %s -- "$pcap")
echo "$me: $pcap: $file_packets frames, $file_bytes bytes; veth $tx -> $rx in netns $ns; ${seconds}s a step," \
  "buffer ${buffer_mb} MiB, rates $rates, repeat $repeat" >&2

# start_capture TOOL LOG: starts it on $rx in the background ($capture_pid) and waits until it is capturing.
start_capture() {
  local tool=$1 log=$2 ready i
  case $tool in
    afpacket|afcopy|affanout2|afkafka|afnoaot|afliveaot|afbase|afcopybase|afkeepcache|afwrite|afwritekeep|pcap)
      local engine=$tool copy=() sink="file:$work/events-$tool.ndjson" env=() exe=$root/bin/httpcap
      case $tool in
        afcopy) engine=afpacket copy=(--no-zero-copy) ;;
        afkeepcache) engine=afpacket sink+='?cache=keep' ;;
        afwrite) engine=afpacket copy=(--write "$work/recording-$tool.pcap") ;;
        afwritekeep) engine=afpacket copy=(--write "$work/recording-$tool.pcap" --write-cache keep) ;;
        afbase) engine=afpacket exe=$HTTPCAP_BASE/bin/httpcap ;;
        afcopybase) engine=afpacket copy=(--no-zero-copy) exe=$HTTPCAP_BASE/bin/httpcap ;;
        affanout2) engine=afpacket copy=(--fanout 2) ;;
        afkafka) engine=afpacket; kafka_topic=live-$tool-$((++topics)); make_topic "$kafka_topic"
                 sink="kafka://$bootstrap/$kafka_topic?spill-dir=$work/spill-$kafka_topic" ;;
        afnoaot) engine=afpacket env=(HTTPCAP_AOT=0) ;;
        afliveaot) engine=afpacket
                   env=(HTTPCAP_AOT=0 "HTTPCAP_JAVA_OPTS=-XX:AOTCache=$live_aot -Xlog:aot*=off -Xlog:cds*=off ${HTTPCAP_JAVA_OPTS:-}") ;;
      esac
      # shellcheck disable=SC2086 # HTTPCAP_LIVE_OPTS is options, word-split on purpose
      ip netns exec "$ns" env "${env[@]}" "$exe" live --interface "$rx" --engine "$engine" "${copy[@]}" \
        --buffer-mb "$buffer_mb" --sink "$sink" ${HTTPCAP_LIVE_OPTS:-} </dev/null >/dev/null 2>"$log" &
      ready='capturing on' ;;
    tcpdump)
      ip netns exec "$ns" tcpdump -i "$rx" -n -B $((buffer_mb * 1024)) -w /dev/null </dev/null >/dev/null 2>"$log" &
      ready='listening on' ;;
  esac
  capture_pid=$!
  for ((i = 0; i < 600; i++)); do
    grep -q "$ready" "$log" 2>/dev/null && return 0
    kill -0 "$capture_pid" 2>/dev/null || { cat "$log" >&2; die "$tool exited before capturing"; }
    sleep 0.05
  done
  die "$tool did not start capturing within 30 s"
}

stop_capture() {
  local tool=$1 rc=0
  # Let the kernel hand over its last, partly filled ring block (httpcap retires blocks after
  # 20 ms, tcpdump's libpcap after its 1000 ms timeout; tcpdump does not read a block the kernel
  # still holds when it stops), then stop the way a user would: each prints its counters.
  sleep 1.5
  # CPU time the capturer has used so far (start-up included, its final drain not): user + system.
  capture_cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$capture_pid/stat" 2>/dev/null || echo "?")
  case $tool in
    tcpdump) kill -INT "$capture_pid" ;;
    *) kill -TERM "$capture_pid" ;;
  esac
  wait "$capture_pid" || rc=$?
  capture_pid=""
  if [[ -f $work/recording-$tool.pcap ]]; then
    echo "$me: $tool recorded $(stat -c %s -- "$work/recording-$tool.pcap") bytes, $(fincore --bytes --noheadings \
      --raw --output RES -- "$work/recording-$tool.pcap" 2>/dev/null || echo '?') of them in the page cache at the end" \
      "(on $(findmnt -n -o FSTYPE --target "$work" 2>/dev/null || echo "?"))" \
      "($(grep '^write:' "$log" | tail -n 1))" >&2
    rm -f -- "$work/recording-$tool.pcap"
  fi
  [[ $tool != afkafka ]] || check_topic "$tool" "$log"
  return "$rc"
}

num() { sed -n "$1" "$2" | tail -n 1; }

# read_sent PCAP N OUT: `bin/httpcap read` of the first N frames of PCAP played in a loop (what
# tcpreplay --loop=0 sent when it says "Actual: N packets"), its events (JSON) into OUT.
read_sent() {
  # shellcheck disable=SC2086 # HTTPCAP_READ_OPTS is options, word-split on purpose
  "$HTTPCAP_JAVA_HOME/bin/java" "$root/perf/PcapLoop.java" "$1" "$2" |
    "$root/bin/httpcap" read - --sink "file:$3" ${HTTPCAP_READ_OPTS:-} >/dev/null 2>"$3.err" ||
    { tail -n 5 "$3.err" >&2; die "bin/httpcap read of the packets sent ($1, $2 frames) failed"; }
}

# match_events TOOL LIVE LABEL=READ...: holds LIVE's events against the READ files (labels
# RATE:TOOL:ROUND, or warm:TOOL:0), one line per label in $work/match.tsv:
# rate tool round read live missing extra duplicates; samples of the differences in $work/diff/.
match_events() {
  local tool=$1 live=$2 line label rest
  shift 2
  [[ -f $live ]] || { echo "$me: $tool wrote no events file $live" >&2; : >"$live"; }
  "$HTTPCAP_JAVA_HOME/bin/java" -Xmx2g "$root/perf/LiveEventMatch.java" --samples "$work/diff" "$live" "$@" \
    >"$work/match.out" 2>>"$work/match.err" || die "perf/LiveEventMatch.java failed (see $work/match.err)"
  while read -r line; do
    # match LABEL read R live L missing M extra X duplicates D
    read -r _ label rest <<<"$line"
    # Unexplained events: in cold mode (one step to a process) that step's; in service mode every step's.
    if [[ $label == - ]]; then
      if (($# == 1)); then label=${1%%=*}; else label="-:$tool:-"; fi
    fi
    IFS=: read -r r t n <<<"$label"
    echo "$rest" | awk -v r="$r" -v t="$t" -v n="$n" -v OFS='\t' '{ print r, t, n, $2, $4, $6, $8, $10 }' >>"$work/match.tsv"
    echo "$me: events of $label, live against read: $rest" >&2
  done <"$work/match.out"
}

# measure RATE TOOL ROUND: one step; appends a line to $work/results.tsv:
# rate tool round sent achieved_pps achieved_mbps received kernel_drops other_drops events ok cpu_seconds
measure() {
  local rate=$1 tool=$2 round=$3 tag log replay limit pace=()
  tag=$rate-$tool-$round
  log=$work/$tag.err
  replay=$work/$tag.tcpreplay
  if [[ $rate == max ]]; then
    limit=$((max_numeric * seconds * 10))
    pace=(--topspeed)
  else
    limit=$((rate * seconds))
    pace=(--pps="$rate")
  fi
  local extra=()
  ((unique_ip)) && extra=(--unique-ip)
  rm -f -- "$work/events-$tool.ndjson"
  start_capture "$tool" "$log"
  ip netns exec "$ns" tcpreplay -K --loop=0 --limit="$limit" --duration="$seconds" "${pace[@]}" "${extra[@]}" -i "$tx" "$pcap" \
    >"$replay" 2>&1 || { cat "$replay" >&2; die "tcpreplay failed"; }
  stop_capture "$tool" || echo "$me: $tool exited with status $? at $rate pps (see $log)" >&2

  local sent pps mbps failed received kdrops other=0 events=-
  sent=$(num 's/^[[:space:]]*Actual: \([0-9]*\) packets.*/\1/p' "$replay")
  if ((match)) && [[ $tool != tcpdump && -n $sent ]]; then
    local live=$work/events-$tool.ndjson
    [[ $tool != afkafka ]] || live=$work/topic-$kafka_topic.ndjson
    read_sent "$pcap" "$sent" "$work/read-$tag.ndjson"
    match_events "$tool" "$live" "$rate:$tool:$round=$work/read-$tag.ndjson"
    rm -f -- "$live" "$work/read-$tag.ndjson"
  fi
  pps=$(num 's/^[[:space:]]*Rated: .* \([0-9.]*\) pps.*/\1/p' "$replay")
  mbps=$(num 's/^[[:space:]]*Rated: .*Bps, \([0-9.]*\) Mbps.*/\1/p' "$replay")
  failed=$(num 's/^[[:space:]]*Failed packets:[[:space:]]*\([0-9]*\).*/\1/p' "$replay")
  case $tool in
    tcpdump)
      received=$(num 's/^\([0-9]*\) packets captured.*/\1/p' "$log")
      kdrops=$(num 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$log") ;;
    *)
      received=$(num 's/^packets: \([0-9]*\) read.*/\1/p' "$log")
      kdrops=$(num 's/^kernel: [0-9]* packets captured, \([0-9]*\) dropped.*/\1/p' "$log")
      local ring evdrops spilldrops
      ring=$(num 's/^drops: .*ring_full=\([0-9]*\).*/\1/p' "$log")
      evdrops=$(num 's/^events: [0-9]* written, \([0-9]*\) dropped.*/\1/p' "$log")
      spilldrops=$(num 's/.*dropped (full) \([0-9]*\).*/\1/p' "$log")
      other=$(( ${ring:-0} + ${evdrops:-0} + ${spilldrops:-0} ))
      events=$(num 's/^events: \([0-9]*\) written.*/\1/p' "$log") ;;
  esac
  # yes: nothing lost anywhere; kernel: the kernel lost nothing and every packet was read, but
  # httpcap's own pipeline dropped some (workers behind: ring_full, or events); no: packets lost.
  local ok=no
  if [[ -n $sent && -n $received && -n $kdrops ]] && ((kdrops == 0 && received == sent && ${failed:-0} == 0)); then
    ok=kernel
    ((other == 0)) && ok=yes
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rate" "$tool" "$round" "${sent:-?}" "${pps:-?}" "${mbps:-?}" \
    "${received:-?}" "${kdrops:-?}" "$other" "${events:-?}" "$ok" "$capture_cpu" >>"$work/results.tsv"
  echo "$me: $rate pps, $tool, round $round: sent ${sent:-?} at ${pps:-?} pps / ${mbps:-?} Mbit/s;" \
    "received ${received:-?}, kernel drops ${kdrops:-?}, other drops $other, events ${events:-?}, CPU ${capture_cpu}s: $ok" >&2
}

# replay RATE OUT [PCAP]: one tcpreplay run at RATE pps (or max) for $seconds, output in OUT.
replay() {
  local rate=$1 file=${3:-$pcap} limit pace=() extra=()
  if [[ $rate == max ]]; then
    limit=$((max_numeric * seconds * 10))
    pace=(--topspeed)
  else
    limit=$((rate * seconds))
    pace=(--pps="$rate")
  fi
  ((unique_ip)) && extra=(--unique-ip)
  ip netns exec "$ns" tcpreplay -K --loop=0 --limit="$limit" --duration="$seconds" "${pace[@]}" "${extra[@]}" -i "$tx" "$file" \
    >"$2" 2>&1 || { cat "$2" >&2; die "tcpreplay failed"; }
}

# seeded SEED: the capture with its IP addresses rewritten by tcprewrite --seed SEED, so that a
# long-running capturer sees new connections at every step, not the previous steps' again.
# tcprewrite writes 65535 as the file's snapshot length whatever the frames are, and libpcap (so
# tcpreplay) cuts every longer frame to it when it reads the file: the recording's 64 KiB loopback
# segments (65,549-byte frames) would go out 14 bytes short, as they do not from the original file.
# The original's snapshot length goes back into the header.
seeded() {
  tcprewrite --seed="$1" --fixcsum --infile="$pcap" --outfile="$work/seed-$1.pcap" >/dev/null 2>&1 ||
    die "tcprewrite --seed $1 failed"
  if [[ $(od -An -tx1 -N4 -- "$pcap") == "$(od -An -tx1 -N4 -- "$work/seed-$1.pcap")" ]]; then
    dd if="$pcap" bs=1 skip=16 count=4 status=none | dd of="$work/seed-$1.pcap" bs=1 seek=16 count=4 conv=notrunc status=none
  fi
  echo "$work/seed-$1.pcap"
}

# thread_cpu PID PATTERN: CPU seconds of the process's threads whose name matches (schedstat's time
# on CPU, in nanoseconds: finer than stat's clock ticks; threads that ended are not counted).
thread_cpu() {
  local pid=$1 pattern=$2 t total=0 name ns
  for t in /proc/"$pid"/task/*; do
    name=$(cat "$t/comm" 2>/dev/null) || continue
    [[ $name =~ $pattern ]] || continue
    ns=$(cut -d' ' -f1 "$t/schedstat" 2>/dev/null) || continue
    total=$((total + ns))
  done
  awk -v t="$total" 'BEGIN { printf "%.6f", t / 1e9 }'
}

# counters TOOL LOG: "received kernel_drops other_drops events" so far, from the capturer's last report line.
counters() {
  local tool=$1 log=$2 line
  if [[ $tool == tcpdump ]]; then
    kill -USR1 "$capture_pid"
    sleep 0.3
    # "tcpdump: N packets captured, M packets received by filter, D packets dropped by kernel": what the
    # kernel took into the ring is M - D (the last block may not have been read yet: "captured" lags).
    line=$(grep '^tcpdump: .* packets dropped by kernel' "$log" | tail -n 1)
    echo "$line" | sed -n 's/.* \([0-9]*\) packets received by filter, \([0-9]*\) packets dropped by kernel.*/\1 \2/p' |
      awk '{ print $1 - $2, $2, 0, "-" }'
  else
    # Two intervals: a line written after everything before this moment was counted.
    sleep 1.1
    # A Kafka sink's spill dropping events (full) is a loss too.
    line=$(grep '^stats:' "$log" | tail -n 1)
    local spill
    spill=$(echo "$line" | sed -n 's/.*dropped (full) \([0-9]*\).*/\1/p')
    echo "$line" | sed -n 's/.*kernel drops \([0-9]*\), ring drops \([0-9]*\),.* event drops \([0-9]*\),.* total packets \([0-9]*\), total events \([0-9]*\).*/\4 \1 \2+\3 \5/p' |
      awk -v s="${spill:-0}" '{ split($3, d, "+"); print $1, $2, d[1] + d[2] + s, $4 }'
  fi
}

# measure_service TOOL: one process for every rate (see --mode service).
measure_service() {
  local tool=$1
  local log=$work/service-$tool.err rate round replay_out
  local -a before after
  local cpu_cap0 cpu_wrk0 cpu_snk0 cpu_all0
  local -a step_labels=() step_seeds=() step_sent=()
  HTTPCAP_LIVE_OPTS="--stats-interval 0.5 ${HTTPCAP_LIVE_OPTS:-}" start_capture "$tool" "$log"
  if ((warm_seconds > 0)); then
    local saved=$seconds
    seconds=$warm_seconds
    replay "$warm_rate" "$work/service-$tool-warm.tcpreplay" "$(seeded 1)"
    step_labels+=("warm:$tool-service:0") step_seeds+=(1)
    step_sent+=("$(num 's/^[[:space:]]*Actual: \([0-9]*\) packets.*/\1/p' "$work/service-$tool-warm.tcpreplay")")
    rm -f -- "$work/seed-1.pcap"
    seconds=$saved
    echo "$me: $tool service: warmed ${warm_seconds}s at $warm_rate pps" >&2
  fi
  local seed=1 step_pcap
  for rate in "${rate_list[@]}"; do
    for ((round = 1; round <= repeat; round++)); do
      seed=$((seed + 1))
      step_pcap=$(seeded "$seed")
      read -r -a before <<<"$(counters "$tool" "$log")"
      if [[ $tool != tcpdump ]]; then
        cpu_cap0=$(thread_cpu "$capture_pid" '^httpcap-captur'); cpu_wrk0=$(thread_cpu "$capture_pid" '^httpcap-worker')
        cpu_snk0=$(thread_cpu "$capture_pid" '^httpcap-sink'); cpu_all0=$(thread_cpu "$capture_pid" '.')
      else
        cpu_all0=$(thread_cpu "$capture_pid" '.')
      fi
      replay_out=$work/service-$rate-$tool-$round.tcpreplay
      replay "$rate" "$replay_out" "$step_pcap"
      rm -f -- "$step_pcap"
      sleep 1
      local sent pps mbps failed received kdrops other events ok=no cpu polls
      sent=$(num 's/^[[:space:]]*Actual: \([0-9]*\) packets.*/\1/p' "$replay_out")
      read -r -a after <<<"$(counters "$tool" "$log")"
      # With back-pressure the kernel ring may still hold the step's last packets when the replay
      # ends (the pipeline behind, e.g. a Kafka sink's GC pauses): wait (up to 20 more stats lines)
      # until every packet sent is read or dropped, not to count it for no step.
      for ((polls = 0; polls < 20; polls++)); do
        ((after[0] - before[0] + after[1] - before[1] < ${sent:-0})) || break
        read -r -a after <<<"$(counters "$tool" "$log")"
      done
      pps=$(num 's/^[[:space:]]*Rated: .* \([0-9.]*\) pps.*/\1/p' "$replay_out")
      mbps=$(num 's/^[[:space:]]*Rated: .*Bps, \([0-9.]*\) Mbps.*/\1/p' "$replay_out")
      failed=$(num 's/^[[:space:]]*Failed packets:[[:space:]]*\([0-9]*\).*/\1/p' "$replay_out")
      step_labels+=("$rate:$tool-service:$round") step_seeds+=("$seed") step_sent+=("$sent")
      received=$((after[0] - before[0]))
      kdrops=$((after[1] - before[1]))
      other=$((after[2] - before[2]))
      events=-
      [[ ${after[3]} == - ]] || events=$((after[3] - before[3]))
      if ((kdrops == 0 && received == sent && ${failed:-0} == 0)); then
        ok=kernel
        ((other == 0)) && ok=yes
      fi
      cpu=$(awk -v a="$(thread_cpu "$capture_pid" '.')" -v b="$cpu_all0" 'BEGIN { printf "%.2f", a - b }')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rate" "$tool-service" "$round" "${sent:-?}" "${pps:-?}" \
        "${mbps:-?}" "$received" "$kdrops" "$other" "$events" "$ok" "$cpu" >>"$work/results.tsv"
      if [[ $tool != tcpdump ]] && ((received > 0)); then
        awk -v r="$rate" -v n="$received" -v c1="$(thread_cpu "$capture_pid" '^httpcap-captur')" -v c0="$cpu_cap0" \
          -v w1="$(thread_cpu "$capture_pid" '^httpcap-worker')" -v w0="$cpu_wrk0" \
          -v s1="$(thread_cpu "$capture_pid" '^httpcap-sink')" -v s0="$cpu_snk0" \
          -v a1="$(thread_cpu "$capture_pid" '.')" -v a0="$cpu_all0" -v t="$tool" -v p="$pps" \
          'BEGIN { printf "| %s | %s | %s | %d | %.2f | %.2f | %.2f | %.2f |\n", r, t, p, n, (c1 - c0) * 1e6 / n,
                   (w1 - w0) * 1e6 / n, (s1 - s0) * 1e6 / n, (a1 - a0) * 1e6 / n }' >>"$work/threads.md"
      fi
      echo "$me: $rate pps, $tool service, round $round: sent ${sent:-?} at ${pps:-?} pps; received $received," \
        "kernel drops $kdrops, other drops $other, events $events, CPU ${cpu}s: $ok" >&2
    done
  done
  stop_capture "$tool" || echo "$me: $tool service exited with status $? (see $log)" >&2
  # Every step's events, now that the process has written them all: each against a read of its own
  # packets (its seeded capture, regenerated: tcprewrite --seed gives the same addresses again).
  if ((match)) && [[ $tool != tcpdump ]]; then
    local live=$work/events-$tool.ndjson i reads=()
    [[ $tool != afkafka ]] || live=$work/topic-$kafka_topic.ndjson
    for ((i = 0; i < ${#step_labels[@]}; i++)); do
      [[ -n ${step_sent[i]} ]] || continue
      step_pcap=$(seeded "${step_seeds[i]}")
      read_sent "$step_pcap" "${step_sent[i]}" "$work/read-service-$tool-$i.ndjson"
      rm -f -- "$step_pcap"
      reads+=("${step_labels[i]}=$work/read-service-$tool-$i.ndjson")
    done
    match_events "$tool-service" "$live" "${reads[@]}"
    rm -f -- "$live" "$work"/read-service-"$tool"-*.ndjson
  fi
}

: >"$work/results.tsv"
: >"$work/threads.md"
: >"$work/kafka.md"
: >"$work/match.tsv"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
if [[ $mode != cold ]]; then
  for tool in "${tools[@]}"; do
    measure_service "$tool"
  done
fi
step=0
if [[ $mode != service ]]; then
  for rate in "${rate_list[@]}"; do
    for ((round = 1; round <= repeat; round++)); do
      for ((k = 0; k < ${#tools[@]}; k++)); do
        measure "$rate" "${tools[(step + k) % ${#tools[@]}]}" "$round"
      done
      step=$((step + 1))
    done
  done
fi

# The events' one-for-one comparison into each step's line: columns 13-15 (events read, missing,
# extra; "-" where not compared), and a step whose counters show no loss but whose events differ
# is "events", not "yes".
# Events a service process wrote that no step's addresses explain ("-") fail every step of it.
awk -F'\t' -v OFS='\t' 'FILENAME == ARGV[1] { k = $1 FS $2 FS $3; seen[k] = 1; rd[k] += $4; mi[k] += $6; ex[k] += $7
                                     if ($1 == "-" && $7 > 0) unexplained[$2] = 1; next }
  { k = $1 FS $2 FS $3
    if ($11 == "yes" && (mi[k] + ex[k] > 0 || $2 in unexplained)) $11 = "events"
    if (k in seen) print $0, rd[k], mi[k], ex[k]; else print $0, "-", "-", "-" }' \
  "$work/match.tsv" "$work/results.tsv" >"$work/results.tsv.new"
mv -- "$work/results.tsv.new" "$work/results.tsv"

# The table, then for each tool the highest rate it sustained (every round passing) before its first
# failure, by two measures: the kernel's (0 kernel drops, every packet sent was received) and the
# whole pipeline's (that, and httpcap dropped nothing after reading either).
echo "$started; $(nproc) CPUs, kernel $(uname -r); load average (1/5/15 min) $load_before at the start," \
  "$(cut -d' ' -f1-3 /proc/loadavg) at the end; $file_packets-frame capture replayed, ${seconds}s steps, ${buffer_mb} MiB buffers"
echo
echo "| requested pps | tool | round | sent | achieved pps | achieved Mbit/s | received | kernel drops | pipeline drops | events | events read | missing | extra | capturer CPU s | sustained |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $13, $14, $15, $12, $11 }' \
  "$work/results.tsv"
echo
echo "(events: written, from httpcap's counters; events read: \`bin/httpcap read\` of exactly the packets sent;"
echo "missing: read but not written live; extra: written live but not read, or more often; sustained \"events\":"
echo "no loss on the counters, but the events differ)"
echo
if [[ -s $work/match.tsv ]]; then
  echo "Events one for one, live (the file, or the topic read_committed) against \`bin/httpcap read\` of the packets"
  echo "sent, every step and the service mode's warm-up (\"-\": live events no step's addresses explain):"
  echo
  echo "| step | tool | round | events read | events live | missing | extra | of which duplicates |"
  echo "|---|---|---|---|---|---|---|---|"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8 }' "$work/match.tsv"
  echo
fi
if [[ -s $work/threads.md ]]; then
  echo "Service mode, httpcap's CPU per packet received, by thread (µs; capture = httpcap-capture, workers = all"
  echo "httpcap-worker-*, sink = httpcap-sink, process = every thread, JIT and GC included):"
  echo
  echo "| requested pps | tool | achieved pps | received | capture µs/pkt | workers µs/pkt | sink µs/pkt | process µs/pkt |"
  echo "|---|---|---|---|---|---|---|---|"
  cat "$work/threads.md"
  echo
fi
if [[ -s $work/kafka.md ]]; then
  echo "Kafka sink: every event httpcap wrote (its final report's \"events: N written\") in the topic exactly once,"
  echo "read with isolation.level=read_committed (records = distinct records = N):"
  echo
  echo "| tool | topic | events written | records read_committed | distinct | exactly once |"
  echo "|---|---|---|---|---|---|"
  cat "$work/kafka.md"
  echo
fi
summary() {
  awk -F'\t' -v tool="$1" -v measure="$2" '
    $2 == tool { if (!($1 in seen)) { order[++n] = $1; seen[$1] = 1 }
                 if (!($11 == "yes" || (measure == "kernel" && $11 == "kernel"))) bad[$1] = 1
                 if (!($1 in lo) || $5 + 0 < lo[$1]) lo[$1] = $5 + 0
                 if (!($1 in hi) || $5 + 0 > hi[$1]) hi[$1] = $5 + 0 }
    END {
      label = measure == "kernel" ? "0 kernel drops, all received" : "nothing dropped anywhere"
      # The steps sustained before the first failure, and the fastest of them as tcpreplay achieved
      # it (a capturer that takes CPU from the sender makes it fall short of the request).
      best = ""; top = -1
      for (i = 1; i <= n; i++) {
        r = order[i]; if (r in bad) break
        best = r; if (lo[r] > top) { top = lo[r]; topr = r }
      }
      if (best == "") { printf "%s (%s): not even the lowest rate (%s pps)\n", tool, label, order[1]; exit }
      printf "%s (%s): every step up to requested %s pps; fastest achieved %.0f pps (requested %s)", tool, label, best, top, topr
      if (hi[topr] != lo[topr]) printf ", %.0f-%.0f over the rounds", lo[topr], hi[topr]
      if (i <= n) printf "; first failure at %s", order[i]
      else if (best == "max") printf "; it kept up with tcpreplay --topspeed too: the test is bounded by the sender"
      else printf "; every step passed (add higher rates or max)"
      printf "\n"
    }' "$work/results.tsv"
}
for tool in "${tools[@]}"; do
  for variant in "$tool-service" "$tool"; do
    [[ $variant == *-service && $mode == cold || $variant != *-service && $mode == service ]] && continue
    summary "$variant" kernel
    [[ $tool == tcpdump ]] || summary "$variant" all
  done
done
[[ -z $out ]] || echo "$me: logs in $work" >&2
