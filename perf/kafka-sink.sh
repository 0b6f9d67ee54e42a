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
#      (records acknowledged / time from before its first send to the end of producer.close());
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
#    - base (only with HTTPCAP_BASELINE_JAR=path/to/an/older/httpcap.jar): the sink as above, from
#      that jar, to compare a change of the sink in the same run;
# 4. prints each round, then a markdown table: best and range of each, sink/tool of the bests.
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

tool() { # TOPIC -> "RATE|the tool's summary line|errors"
  local out line rate
  out=$("$broker" run "$work/broker" org.apache.kafka.tools.ProducerPerformance --topic "$1" \
    --num-records "$records" --throughput -1 --payload-file "$work/events.ndjson" \
    --producer-props "${props[@]}" 2>&1)
  line=$(grep -E '^[0-9]+ records sent, .*50th' <<<"$out" | tail -n 1)
  rate=$(sed -n 's/.* records sent, \([0-9]*\)[0-9.]* records\/sec.*/\1/p' <<<"$line")
  echo "$rate|$line|$(grep -c 'Exception' <<<"$out" || true) exceptions"
}

# The app's JVM options (bin/httpcap) for the feed, so the sink runs as it does in the app.
feed() { # TOPIC [JAR] [SPEC OPTIONS] -> "RATE|feed line|sink summary"
  local out rate
  # shellcheck disable=SC2086 # HTTPCAP_JAVA_OPTS is word-split, as bin/httpcap does
  out=$("$java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED \
    -Xms64m -Xmx512m ${HTTPCAP_JAVA_OPTS:-} -cp "${2:-$root/app/target/httpcap.jar}" "$root/perf/KafkaSinkFeed.java" \
    "$work/events.ndjson" "kafka://$bootstrap/$1?spill-dir=$work/spill&close-seconds=600${3:-}" 2>&1)
  rate=$(sed -n 's/.*: \([0-9]*\) events\/s; sink:.*/\1/p' <<<"$out")
  echo "$rate|$(grep '^fed' <<<"$out")|$(grep ' delivered' <<<"$out" | sed 's/.*: \([0-9]* delivered\)/\1/')"
}

read_kafka() { # TOPIC [SPEC OPTIONS] -> "SINK_RATE|WALL_RATE|sink summary"
  local start end summary
  start=$(date +%s.%N)
  "$root/bin/httpcap" read "$work/traffic.pcap" --sink "kafka://$bootstrap/$1?spill-dir=$work/spill&close-seconds=600${2:-}" \
    2>"$work/httpcap.err"
  end=$(date +%s.%N)
  summary=$(grep ' delivered' "$work/httpcap.err" | tail -n 1 | sed 's/.*: \([0-9]* delivered\)/\1/')
  echo "$(sed -n 's/.* delivered at \([0-9]*\) events\/s.*/\1/p' <<<"$summary")|$(wall "$start" "$end")|$summary"
}

ceiling() { # -> WALL_RATE
  local start end
  start=$(date +%s.%N)
  "$root/bin/httpcap" read "$work/traffic.pcap" --sink file:/dev/null 2>/dev/null
  end=$(date +%s.%N)
  wall "$start" "$end"
}

wall() { awk -v n="$records" -v a="$1" -v b="$2" 'BEGIN { printf "%d", n / (b - a) }'; }

topic perf-warmup
for ((r = 1; r <= rounds; r++)); do
  for t in tool sink salo read ralo ${HTTPCAP_BASELINE_JAR:+base}; do topic "perf-$t-$r"; done
done
echo "warming the broker up: $(tool perf-warmup | cut -d'|' -f2-)" >&2

base_rates=() base_own_rates=() tool_rates=() sink_rates=() sink_own_rates=() read_rates=() read_wall_rates=() ceiling_rates=()
salo_rates=() salo_own_rates=() ralo_rates=() ralo_wall_rates=()
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2 == 1)); then order=(tool sink salo base read ralo ceiling); else order=(ceiling ralo read base salo sink tool); fi
  for what in "${order[@]}"; do
    case $what in
      tool)
        IFS='|' read -r rate line errors <<<"$(tool "perf-tool-$r")"
        echo "round $r tool: $line ($errors)" >&2
        tool_rates+=("$rate")
        ;;
      sink)
        IFS='|' read -r rate line summary <<<"$(feed "perf-sink-$r")"
        echo "round $r sink: $line; $summary" >&2
        sink_rates+=("$rate")
        sink_own_rates+=("$(sed -n 's/.* delivered at \([0-9]*\) events\/s.*/\1/p' <<<"$summary")")
        ;;
      salo)
        IFS='|' read -r rate line summary <<<"$(feed "perf-salo-$r" "" "&delivery=at-least-once")"
        echo "round $r sink at-least-once: $line; $summary" >&2
        salo_rates+=("$rate")
        salo_own_rates+=("$(sed -n 's/.* delivered at \([0-9]*\) events\/s.*/\1/p' <<<"$summary")")
        ;;
      ralo)
        IFS='|' read -r rate wall_rate summary <<<"$(read_kafka "perf-ralo-$r" "&delivery=at-least-once")"
        echo "round $r read at-least-once: whole process $wall_rate events/s; sink: $summary" >&2
        ralo_rates+=("$rate")
        ralo_wall_rates+=("$wall_rate")
        ;;
      base)
        [[ -n ${HTTPCAP_BASELINE_JAR:-} ]] || continue
        IFS='|' read -r rate line summary <<<"$(feed "perf-base-$r" "$HTTPCAP_BASELINE_JAR")"
        echo "round $r base: $line; $summary" >&2
        base_rates+=("$rate")
        base_own_rates+=("$(sed -n 's/.* delivered at \([0-9]*\) events\/s.*/\1/p' <<<"$summary")")
        ;;
      read)
        IFS='|' read -r rate wall_rate summary <<<"$(read_kafka "perf-read-$r")"
        echo "round $r read: whole process $wall_rate events/s; sink: $summary" >&2
        read_rates+=("$rate")
        read_wall_rates+=("$wall_rate")
        ;;
      ceiling)
        rate=$(ceiling)
        echo "round $r ceiling (read to file:/dev/null): whole process $rate events/s" >&2
        ceiling_rates+=("$rate")
        ;;
    esac
  done
done

best() { printf '%s\n' "$@" | sort -n | tail -n 1; }
cell() { printf '%s (%s)' "$(best "$@")" "$(printf '%s\n' "$@" | sort -n | paste -sd' ' | sed 's/ /, /g')"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }
best_tool=$(best "${tool_rates[@]}")
echo
echo "$records records, mean $size bytes, $partitions partition(s), $rounds rounds; best (all rounds, sorted); events/s"
echo
echo "| producer | what is timed | events/s best (all) | best vs tool's best |"
echo "|---|---|---|---|"
echo "| kafka-producer-perf-test | its own: before first send → producer closed | $(cell "${tool_rates[@]}") | 100% |"
echo "| KafkaSink exactly-once (fed from memory) | first onEvent → close() returned | $(cell "${sink_rates[@]}") | $(pct "$(best "${sink_rates[@]}")" "$best_tool") |"
echo "| KafkaSink exactly-once (fed from memory) | sink's own: first send → last ack | $(cell "${sink_own_rates[@]}") | $(pct "$(best "${sink_own_rates[@]}")" "$best_tool") |"
echo "| KafkaSink at-least-once (fed from memory) | first onEvent → close() returned | $(cell "${salo_rates[@]}") | $(pct "$(best "${salo_rates[@]}")" "$best_tool") |"
echo "| KafkaSink at-least-once (fed from memory) | sink's own: first send → last ack | $(cell "${salo_own_rates[@]}") | $(pct "$(best "${salo_own_rates[@]}")" "$best_tool") |"
if [[ -n ${HTTPCAP_BASELINE_JAR:-} ]]; then
  echo "| KafkaSink of $HTTPCAP_BASELINE_JAR | first onEvent → close() returned | $(cell "${base_rates[@]}") | $(pct "$(best "${base_rates[@]}")" "$best_tool") |"
  echo "| KafkaSink of $HTTPCAP_BASELINE_JAR | sink's own: first send → last ack | $(cell "${base_own_rates[@]}") | $(pct "$(best "${base_own_rates[@]}")" "$best_tool") |"
fi
echo "| httpcap read → kafka exactly-once | sink's own: first send → last ack | $(cell "${read_rates[@]}") | $(pct "$(best "${read_rates[@]}")" "$best_tool") |"
echo "| httpcap read → kafka exactly-once | whole process (JVM start to exit) | $(cell "${read_wall_rates[@]}") | $(pct "$(best "${read_wall_rates[@]}")" "$best_tool") |"
echo "| httpcap read → kafka at-least-once | sink's own: first send → last ack | $(cell "${ralo_rates[@]}") | $(pct "$(best "${ralo_rates[@]}")" "$best_tool") |"
echo "| httpcap read → kafka at-least-once | whole process (JVM start to exit) | $(cell "${ralo_wall_rates[@]}") | $(pct "$(best "${ralo_wall_rates[@]}")" "$best_tool") |"
echo "| httpcap read → file:/dev/null | whole process (no Kafka: the app's ceiling) | $(cell "${ceiling_rates[@]}") | $(pct "$(best "${ceiling_rates[@]}")" "$best_tool") |"
