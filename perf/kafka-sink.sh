#!/usr/bin/env bash
# Kafka sink throughput against Kafka's own kafka-producer-perf-test, same broker, same run:
#
#   flock /tmp/httpcap-perf.lock perf/kafka-sink.sh [EVENTS] [PARTITIONS] [ROUNDS]
#                                        (defaults: 300000 events, 1 partition, 3 rounds)
#
# 1. generates synthetic HTTP traffic (scripts/kafka/HttpTrafficPcap.java) and writes its events
#    once to an NDJSON file: the very record bytes all three producers below send;
# 2. starts a local single-node KRaft broker (scripts/kafka/broker.sh, from Maven Central) and
#    warms it up with one perf-tool run (a cold broker would penalise whoever goes first);
# 3. ROUNDS times, in alternating order, each to a fresh topic of PARTITIONS partitions:
#    - tool: org.apache.kafka.tools.ProducerPerformance (kafka-producer-perf-test) with
#      --payload-file of those events and the sink's producer settings; its own measurement
#      (records acknowledged / time from before its first send to the end of producer.close()),
#      and its whole process under /usr/bin/time (JVM start to exit, reading and splitting the
#      payload file included), as httpcap's whole process is timed;
#    - sink: perf/KafkaSinkFeed.java hands the same events to a KafkaSink opened from the same
#      spec as the app's (`kafka://HOST:PORT/TOPIC`, all defaults: exactly-once), on one thread as
#      the app's sink thread does; timed from the first onEvent to the end of close() (= last
#      acknowledgement), the sink's own "first send to last acknowledgement" printed beside it;
#    - salo: the same with `delivery=at-least-once`;
#    - read: the whole app, `bin/httpcap read traffic.pcap --sink kafka://...`: capture file,
#      TCP reassembly, HTTP decoding, JSON encoding and the sink, as the sink's and the whole
#      process's wall clock (JVM start included); ralo: the same at least once;
#    - ceiling: `bin/httpcap read traffic.pcap --sink file:/dev/null`, what the app produces
#      without Kafka on this machine while the broker idles;
#    - base, balo, rbase, rbalo (only with HTTPCAP_BASELINE_JAR=path/to/an/older/httpcap.jar): sink,
#      salo, read and ralo from that jar, to compare a change in the same run;
#    the broker is warmed up first with one tool run and one exactly-once sink run (which makes the
#    broker's __transaction_state and __consumer_offsets, as any cluster in use has them);
# 4. prints each round, a markdown table (best and all rounds of each), then the ratios the
#    targets are about, round by round (the producers of a round run within a minute or two):
#    read → kafka against the tool both ways that compare like with like (whole process against
#    whole process, each one's own clock against the other's), and the CPU time (user + system)
#    of the whole processes and of the broker while each ran.
set -euo pipefail

events=${1:-300000}
partitions=${2:-1}
rounds=${3:-3}
root=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd -P)
work=$(mktemp -d /tmp/httpcap-kafka-perf.XXXXXX)
broker="$root/scripts/kafka/broker.sh"
trap '"$broker" stop "$work/broker" || true; rm -rf "$work"' EXIT

# shellcheck source-path=SCRIPTDIR source=../scripts/lib/jdk.sh
source "$root/scripts/lib/jdk.sh"
httpcap_select_jdk || { httpcap_no_jdk_message; exit 1; }
java=$HTTPCAP_JAVA_HOME/bin/java

tx=20
connections=$(((events + tx - 1) / tx))
echo "generating $((connections * tx)) events ($connections connections x $tx transactions)" >&2
"$java" "$root/scripts/kafka/HttpTrafficPcap.java" "$work/traffic.pcap" "$connections" "$tx"
"$root/bin/httpcap" read "$work/traffic.pcap" --sink "file:$work/events.ndjson" 2>/dev/null
export HTTPCAP_NO_BUILD=1 # built by now; never rebuild inside a timed run
records=$(wc -l <"$work/events.ndjson")
size=$(awk '{ s += length($0) } END { printf "%d", s / NR }' "$work/events.ndjson")
# The tool and the feed hold every event in memory (the tool reads the file whole, makes it one String,
# splits it and copies each piece: four times the file at its peak; at most ~2 GB of events), on top of the
# producer's buffer: size their heaps to the events, 512 MiB at least.
heap_mb=$(( $(stat -c %s "$work/events.ndjson") * 4 / 1048576 + 512 ))
export KAFKA_TOOL_HEAP=${heap_mb}m
# Fed from memory, the sink takes events faster than any producer sends them: its log must hold them
# all (twice the file, and 1 GiB), or it drops what does not fit (counted: "dropped (full)").
spill_mb=$(( $(stat -c %s "$work/events.ndjson") * 2 / 1048576 + 1024 ))

bootstrap=$("$broker" start "$work/broker")
echo "broker at $bootstrap" >&2
topic() {
  "$broker" run "$work/broker" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
    --create --topic "$1" --partitions "$partitions" --replication-factor 1 >/dev/null
}

# The producer settings of the sink's at-least-once mode (KafkaSinkConfig.producerConfig with the
# defaults, no transactions), but for max.block.ms: the tool sends its first records before it
# has metadata and, with the sink's 1 s, may lose them; so the tool keeps its default (60 s).
props=(bootstrap.servers="$bootstrap" acks=all enable.idempotence=true compression.type=lz4
  batch.size=262144 linger.ms=5 max.in.flight.requests.per.connection=5 buffer.memory=67108864)

# The broker's CPU time so far (user + system, in clock ticks), to charge each producer its share.
broker_ticks() { awk '{ print $14 + $15 }' "/proc/$(cat "$work/broker/broker.pid")/stat"; }
ticks=$(getconf CLK_TCK)
# COMMAND...: runs it under /usr/bin/time; its wall and CPU seconds and the broker's CPU seconds
# meanwhile go to $work/timed ("WALL CPU BROKER_CPU").
timed() {
  local before status=0
  before=$(broker_ticks)
  /usr/bin/time -o "$work/time" -f '%e %U %S' "$@" || status=$?
  # (the last line: a failed command's status comes first)
  awk -v b="$before" -v a="$(broker_ticks)" -v t="$ticks" 'END { printf "%s %.2f %.2f\n", $1, $2 + $3, (a - b) / t }' \
    "$work/time" >"$work/timed"
  return $status
}

tool() { # TOPIC -> "RATE|WALL_RATE|the tool's summary line|errors"
  local out line rate
  out=$(timed "$broker" run "$work/broker" org.apache.kafka.tools.ProducerPerformance --topic "$1" \
    --num-records "$records" --throughput -1 --payload-file "$work/events.ndjson" \
    --producer-props "${props[@]}" 2>&1)
  line=$(grep -E '^[0-9]+ records sent, .*50th' <<<"$out" | tail -n 1)
  grep -m 1 -E 'Exception|Error' <<<"$out" | sed 's/^/kafka-producer-perf-test: /' >&2 || true
  rate=$(sed -n 's/.* records sent, \([0-9]*\)[0-9.]* records\/sec.*/\1/p' <<<"$line")
  echo "$rate|$(whole)|$line|$(grep -c 'Exception' <<<"$out" || true) exceptions"
}

# The app's JVM options (bin/httpcap) for the feed, so the sink runs as it does in the app.
feed() { # TOPIC [JAR] [SPEC OPTIONS] -> "RATE|feed line|sink summary"
  local out rate
  # shellcheck disable=SC2086 # HTTPCAP_JAVA_OPTS is word-split, as bin/httpcap does
  out=$("$java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED \
    -Xms64m "-Xmx${heap_mb}m" ${HTTPCAP_JAVA_OPTS:-} -cp "${2:-$root/app/target/httpcap.jar}" "$root/perf/KafkaSinkFeed.java" \
    "$work/events.ndjson" "kafka://$bootstrap/$1?spill-dir=$work/spill&spill-max-mb=$spill_mb&close-seconds=600${3:-}" 2>&1)
  rate=$(sed -n 's/.*: \([0-9]*\) events\/s; sink:.*/\1/p' <<<"$out")
  echo "$rate|$(grep '^fed' <<<"$out")|$(grep ' delivered' <<<"$out" | sed 's/.*: \([0-9]* delivered\)/\1/')"
}

read_kafka() { # TOPIC [SPEC OPTIONS] [LAUNCHER] -> "SINK_RATE|WALL_RATE|sink summary"
  local summary
  rm -f "$work/gc.log"
  HTTPCAP_JAVA_OPTS="${HTTPCAP_JAVA_OPTS:-} -Xlog:gc:file=$work/gc.log" timed "${3:-$root/bin/httpcap}" read "$work/traffic.pcap" \
    --sink "kafka://$bootstrap/$1?spill-dir=$work/spill&close-seconds=600${2:-}" 2>"$work/httpcap.err"
  summary=$(grep ' delivered' "$work/httpcap.err" | tail -n 1 | sed 's/.*: \([0-9]* delivered\)/\1/')
  echo "$(sed -n 's/.* delivered at \([0-9]*\) events\/s.*/\1/p' <<<"$summary")|$(whole)|$summary"
}

ceiling() { # -> WALL_RATE
  rm -f "$work/gc.log"
  HTTPCAP_JAVA_OPTS="${HTTPCAP_JAVA_OPTS:-} -Xlog:gc:file=$work/gc.log" timed "$root/bin/httpcap" read "$work/traffic.pcap" --sink file:/dev/null 2>/dev/null
  whole
}

# The last timed run's events/s, whole process.
whole() { awk -v n="$records" '{ printf "%d", n / $1 }' "$work/timed"; }
# The last timed run's CPU seconds: "PROCESS BROKER".
cpu_of() { cut -d' ' -f2- "$work/timed"; }
# The last httpcap run's stop-the-world collections (its -Xlog:gc).
gc_pauses() { grep -c 'Pause' "$work/gc.log" 2>/dev/null || true; }

# The baseline's launcher: bin/httpcap in a tree of its own whose app/target/httpcap.jar is the
# baseline jar (same JVM options; its AOT cache made once here, outside the timed runs, by the same
# training as ours: the launcher trains on samples/demo.pcap into scripts/kafka/TrainingBroker.java,
# and makes no cache at all without the first).
base_launcher=""
if [[ -n ${HTTPCAP_BASELINE_JAR:-} ]]; then
  mkdir -p "$work/base/bin" "$work/base/scripts/lib" "$work/base/scripts/kafka" "$work/base/samples" "$work/base/app/target"
  cp "$root/bin/httpcap" "$work/base/bin/"
  cp "$root/scripts/lib/"*.sh "$work/base/scripts/lib/"
  cp "$root/scripts/kafka/TrainingBroker.java" "$work/base/scripts/kafka/"
  cp "$root/samples/demo.pcap" "$work/base/samples/"
  cp "$HTTPCAP_BASELINE_JAR" "$work/base/app/target/httpcap.jar"
  (unset HTTPCAP_NO_BUILD; "$work/base/bin/httpcap" read "$work/traffic.pcap" --sink file:/dev/null 2>/dev/null)
  [[ -f $work/base/app/target/httpcap.aot ]] || echo "kafka-sink.sh: the baseline has no AOT cache: its rows are slower for it" >&2
  base_launcher=$work/base/bin/httpcap
fi

what_all=(tool sink salo read ralo ceiling)
[[ -z $base_launcher ]] || what_all+=(base balo rbase rbalo)
topic perf-warmup
topic perf-warmup-eos
for ((r = 1; r <= rounds; r++)); do
  for t in "${what_all[@]}"; do [[ $t == ceiling ]] || topic "perf-$t-$r"; done
done
echo "warming the broker up: $(tool perf-warmup | cut -d'|' -f2-)" >&2
echo "warming the broker up (transactions): $(feed perf-warmup-eos | cut -d'|' -f3)" >&2

declare -A own wall_rate cpu bcpu gcs
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2 == 1)); then order=("${what_all[@]}"); else
    order=(); for ((i = ${#what_all[@]} - 1; i >= 0; i--)); do order+=("${what_all[i]}"); done
  fi
  echo "round $r at $(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  for what in "${order[@]}"; do
    # shellcheck disable=SC2034 # own, wall_rate, cpu, bcpu are read through values()' nameref
    case $what in
      tool)
        IFS='|' read -r rate wrate line errors <<<"$(tool "perf-tool-$r")"
        read -r "cpu[$what,$r]" "bcpu[$what,$r]" <<<"$(cpu_of)"
        echo "round $r tool: $line ($errors); whole process $wrate events/s, cpu ${cpu[$what,$r]} s, broker ${bcpu[$what,$r]} s" >&2
        own[$what,$r]=$rate; wall_rate[$what,$r]=$wrate
        ;;
      sink | salo | base | balo)
        opts="" jar=""
        [[ $what == salo || $what == balo ]] && opts="&delivery=at-least-once"
        [[ $what == base || $what == balo ]] && jar=$HTTPCAP_BASELINE_JAR
        IFS='|' read -r rate line summary <<<"$(feed "perf-$what-$r" "$jar" "$opts")"
        echo "round $r $what: $line; $summary" >&2
        wall_rate[$what,$r]=$rate
        own[$what,$r]=$(sed -n 's/.* delivered at \([0-9]*\) events\/s.*/\1/p' <<<"$summary")
        ;;
      read | ralo | rbase | rbalo)
        opts="" launcher=""
        [[ $what == ralo || $what == rbalo ]] && opts="&delivery=at-least-once"
        [[ $what == rbase || $what == rbalo ]] && launcher=$base_launcher
        IFS='|' read -r rate wrate summary <<<"$(read_kafka "perf-$what-$r" "$opts" "$launcher")"
        read -r "cpu[$what,$r]" "bcpu[$what,$r]" <<<"$(cpu_of)"
        gcs[$what,$r]=$(gc_pauses)
        echo "round $r $what: whole process $wrate events/s, cpu ${cpu[$what,$r]} s, broker ${bcpu[$what,$r]} s," \
          "gc pauses ${gcs[$what,$r]}; sink: $summary" >&2
        own[$what,$r]=$rate; wall_rate[$what,$r]=$wrate
        ;;
      ceiling)
        rate=$(ceiling)
        read -r "cpu[$what,$r]" "bcpu[$what,$r]" <<<"$(cpu_of)"
        gcs[$what,$r]=$(gc_pauses)
        echo "round $r ceiling (read to file:/dev/null): whole process $rate events/s, cpu ${cpu[$what,$r]} s," \
          "gc pauses ${gcs[$what,$r]}" >&2
        own[$what,$r]=$rate; wall_rate[$what,$r]=$rate
        ;;
    esac
  done
done
echo "end at $(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

values() { # ARRAY-NAME WHAT -> the rounds' values
  local -n map=$1
  local r
  for ((r = 1; r <= rounds; r++)); do echo "${map[$2,$r]:-0}"; done
}
best() { sort -n | tail -n 1; }
cell() { # ARRAY-NAME WHAT
  printf '%s (%s)' "$(values "$1" "$2" | best)" "$(values "$1" "$2" | sort -n | paste -sd' ' | sed 's/ /, /g')"
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else printf "-" }'; }
best_tool=$(values own tool | best)
row() { # LABEL TIMING ARRAY-NAME WHAT
  echo "| $1 | $2 | $(cell "$3" "$4") | $(pct "$(values "$3" "$4" | best)" "$best_tool") |"
}
echo
echo "$records records, mean $size bytes, $partitions partition(s), $rounds rounds; best (all rounds, sorted); events/s"
echo
echo "| producer | what is timed | events/s best (all) | best vs tool's best |"
echo "|---|---|---|---|"
row kafka-producer-perf-test "its own: before first send → producer closed" own tool
row kafka-producer-perf-test "whole process (JVM start to exit, payload file read)" wall_rate tool
for what in sink salo ${base_launcher:+base balo}; do
  case $what in
    sink) label="KafkaSink exactly-once (fed from memory)" ;; salo) label="KafkaSink at-least-once (fed from memory)" ;;
    base) label="baseline KafkaSink exactly-once (fed from memory)" ;; balo) label="baseline KafkaSink at-least-once (fed from memory)" ;;
  esac
  row "$label" "first onEvent → close() returned" wall_rate "$what"
  row "$label" "sink's own: first send → last ack" own "$what"
done
for what in read ralo ${base_launcher:+rbase rbalo}; do
  case $what in
    read) label="httpcap read → kafka exactly-once" ;; ralo) label="httpcap read → kafka at-least-once" ;;
    rbase) label="baseline read → kafka exactly-once" ;; rbalo) label="baseline read → kafka at-least-once" ;;
  esac
  row "$label" "sink's own: first send → last ack" own "$what"
  row "$label" "whole process (JVM start to exit)" wall_rate "$what"
done
row "httpcap read → file:/dev/null" "whole process (no Kafka: the app's ceiling)" wall_rate ceiling
[[ -z $base_launcher ]] || echo "(baseline: $HTTPCAP_BASELINE_JAR)"

ratio() { # LABEL ARRAY-NAME A ARRAY-NAME B: A/B round by round, then the median
  local -n a=$2 b=$4
  local r list=() 
  for ((r = 1; r <= rounds; r++)); do list+=("$(pct "${a[$3,$r]:-0}" "${b[$5,$r]:-0}")"); done
  echo "| $1 | ${list[*]} | $(printf '%s\n' "${list[@]}" | tr -d % | sort -n | awk '{ v[NR] = $1 } END { printf "%s%%", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }') |"
}
echo
echo "| ratio | round by round | median |"
echo "|---|---|---|"
ratio "sink from memory: exactly-once / at-least-once, first onEvent → close()" wall_rate sink wall_rate salo
ratio "sink from memory: exactly-once / at-least-once, sink's own" own sink own salo
ratio "sink from memory: at-least-once / tool, first onEvent → close()" wall_rate salo own tool
ratio "sink from memory: at-least-once / tool, sink's own" own salo own tool
ratio "read → kafka: exactly-once / at-least-once, whole process" wall_rate read wall_rate ralo
ratio "read → kafka: exactly-once / at-least-once, sink's own" own read own ralo
ratio "read → kafka: at-least-once / tool, whole process" wall_rate ralo own tool
ratio "read → kafka: at-least-once / tool, sink's own" own ralo own tool
ratio "read → kafka: at-least-once / tool, whole process / whole process" wall_rate ralo wall_rate tool
ratio "read → kafka: exactly-once / tool, whole process / whole process" wall_rate read wall_rate tool
if [[ -n $base_launcher ]]; then
  ratio "sink exactly-once / baseline, first onEvent → close()" wall_rate sink wall_rate base
  ratio "sink at-least-once / baseline, first onEvent → close()" wall_rate salo wall_rate balo
  ratio "read exactly-once / baseline, whole process" wall_rate read wall_rate rbase
  ratio "read at-least-once / baseline, whole process" wall_rate ralo wall_rate rbalo
fi

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
echo "CPU seconds (user + system) of each whole process and of the broker while it ran, and httpcap's"
echo "stop-the-world collections; median of the rounds (all rounds):"
echo
echo "| producer | process CPU s | broker CPU s | process CPU µs per event | gc pauses |"
echo "|---|---|---|---|---|"
for what in tool read ralo ${base_launcher:+rbase rbalo} ceiling; do
  p=$(values cpu "$what" | median) b=$(values bcpu "$what" | median)
  g="-"
  [[ $what == tool ]] || g="$(values gcs "$what" | median) ($(values gcs "$what" | sort -n | paste -sd' '))"
  echo "| $what | $p ($(values cpu "$what" | sort -n | paste -sd' ')) | $b ($(values bcpu "$what" | sort -n | paste -sd' ')) |" \
    "$(awk -v c="$p" -v n="$records" 'BEGIN { printf "%.2f", c * 1e6 / n }') | $g |"
done
