#!/usr/bin/env bash
# Kafka sink throughput against Kafka's own kafka-producer-perf-test, same broker, same run:
#
#   perf/kafka-sink.sh [EVENTS] [PARTITIONS]        (default 300000 events, 1 partition)
#
# 1. starts a local single-node KRaft broker (scripts/kafka/broker.sh, from Maven Central);
# 2. generates synthetic HTTP traffic (scripts/kafka/HttpTrafficPcap.java) and writes its events
#    once to a file: the payloads for the perf tool, so both send the very same records;
# 3. warms the broker up with one perf-tool run, then twice in turn:
#    bin/httpcap read → --sink kafka://.../perf-httpcap-N, timed by the sink (first send to last
#    acknowledgement, printed at close; the whole process's wall clock is printed too), and
#    org.apache.kafka.tools.ProducerPerformance (kafka-producer-perf-test) → perf-tool-N, with
#    --payload-file of those events and the sink's producer settings: acks=all, idempotence,
#    lz4, batch.size=262144, linger.ms=5, max.in.flight=5, buffer.memory=64 MiB, max.block.ms=100;
# 4. prints the best of each and their ratio.
# With one partition, keyed (httpcap) and unkeyed (perf tool) records batch alike.
set -euo pipefail

events=${1:-300000}
partitions=${2:-1}
root=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd -P)
work=$(mktemp -d /tmp/httpcap-kafka-perf.XXXXXX)
broker="$root/scripts/kafka/broker.sh"
trap '"$broker" stop "$work/broker" || true' EXIT

# shellcheck source-path=SCRIPTDIR source=../scripts/lib/jdk.sh
source "$root/scripts/lib/jdk.sh"
httpcap_select_jdk || { httpcap_no_jdk_message; exit 1; }

tx=20
connections=$(((events + tx - 1) / tx))
echo "generating $((connections * tx)) events ($connections connections x $tx transactions)" >&2
"$HTTPCAP_JAVA_HOME/bin/java" "$root/scripts/kafka/HttpTrafficPcap.java" "$work/traffic.pcap" "$connections" "$tx"
"$root/bin/httpcap" read "$work/traffic.pcap" --sink "file:$work/events.ndjson" 2>/dev/null
records=$(wc -l <"$work/events.ndjson")
size=$(awk '{ s += length($0) } END { printf "%d", s / NR }' "$work/events.ndjson")

bootstrap=$("$broker" start "$work/broker")
echo "broker at $bootstrap" >&2
topic() {
  "$broker" run "$work/broker" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
    --create --topic "$1" --partitions "$partitions" --replication-factor 1 >/dev/null
}

# The producer settings of the sink (KafkaSinkConfig): the perf tool gets the same.
tool() {
  "$broker" run "$work/broker" org.apache.kafka.tools.ProducerPerformance --topic "$1" \
    --num-records "$2" --throughput -1 --payload-file "$work/events.ndjson" \
    --producer-props bootstrap.servers="$bootstrap" acks=all enable.idempotence=true compression.type=lz4 \
    batch.size=262144 linger.ms=5 max.in.flight.requests.per.connection=5 buffer.memory=67108864 max.block.ms=100 \
    2>&1 | grep -E '^[0-9]+ records sent' | tail -n 1
}

# A fresh broker is slow until its JIT has warmed up; whoever ran first would lose. Warm it, then
# alternate the two producers, twice each.
topic perf-warmup
echo "warming the broker up: $(tool perf-warmup "$records")" >&2

sink_rates=()
tool_rates=()
for round in 1 2; do
  topic "perf-httpcap-$round"
  topic "perf-tool-$round"
  start=$(date +%s.%N)
  "$root/bin/httpcap" read "$work/traffic.pcap" --workers 1 \
    --sink "kafka://$bootstrap/perf-httpcap-$round?spill-dir=$work/spill" 2>"$work/httpcap.err"
  end=$(date +%s.%N)
  summary=$(grep ' delivered' "$work/httpcap.err" | tail -n 1)
  sink_rate=$(sed -n 's/.* delivered at \([0-9]*\) events\/s.*/\1/p' <<<"$summary")
  wall_rate=$(awk -v n="$records" -v a="$start" -v b="$end" 'BEGIN { printf "%d", n / (b - a) }')
  echo "round $round httpcap: ${summary#*: }" >&2
  echo "round $round httpcap: whole process $wall_rate events/s" >&2
  tool_line=$(tool "perf-tool-$round" "$records")
  echo "round $round perf tool: $tool_line" >&2
  sink_rates+=("$sink_rate")
  tool_rates+=("$(sed -n 's/.* records sent, \([0-9]*\)[0-9.]* records\/sec.*/\1/p' <<<"$tool_line")")
done

best() { printf '%s\n' "$@" | sort -n | tail -n 1; }
best_sink=$(best "${sink_rates[@]}")
best_tool=$(best "${tool_rates[@]}")
echo
printf '| %s | %s | %s | %s | %s | %s |\n' "records" "mean bytes" "partitions" \
  "httpcap sink events/s (rounds)" "kafka-producer-perf-test records/s (rounds)" "best vs best"
printf '| %s | %s | %s | %s (%s) | %s (%s) | %s |\n' "$records" "$size" "$partitions" \
  "$best_sink" "${sink_rates[*]}" "$best_tool" "${tool_rates[*]}" \
  "$(awk -v a="$best_sink" -v b="$best_tool" 'BEGIN { printf "%.0f%%", 100 * a / b }')"
rm -rf "$work/traffic.pcap" "$work/events.ndjson"
