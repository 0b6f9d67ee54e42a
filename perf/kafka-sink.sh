#!/usr/bin/env bash
# Kafka sink throughput against Kafka's own kafka-producer-perf-test, same broker, same run:
#
#   perf/kafka-sink.sh [EVENTS] [PARTITIONS]        (default 300000 events, 1 partition)
#
# 1. starts a local single-node KRaft broker (scripts/kafka/broker.sh, from Maven Central);
# 2. generates synthetic HTTP traffic (scripts/kafka/HttpTrafficPcap.java) and writes its events
#    once to a file: the payloads for the perf tool, so both send the very same records;
# 3. bin/httpcap read → --sink kafka://.../perf-httpcap, timed by the sink (first send to last
#    acknowledgement, printed at close) and by the wall clock of the whole process;
# 4. org.apache.kafka.tools.ProducerPerformance (kafka-producer-perf-test) → perf-tool, with
#    --payload-file of those events and the sink's producer settings: acks=all, idempotence,
#    lz4, batch.size=262144, linger.ms=5, max.in.flight=5, buffer.memory=64 MiB.
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
for topic in perf-httpcap perf-tool; do
  "$broker" run "$work/broker" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
    --create --topic "$topic" --partitions "$partitions" --replication-factor 1 >/dev/null
done

echo "httpcap → kafka ($records events, mean $size bytes)" >&2
start=$(date +%s.%N)
"$root/bin/httpcap" read "$work/traffic.pcap" --workers 1 \
  --sink "kafka://$bootstrap/perf-httpcap?spill-dir=$work/spill" 2>"$work/httpcap.err"
end=$(date +%s.%N)
summary=$(grep 'delivered' "$work/httpcap.err" | tail -n 1)
sink_rate=$(sed -n 's/.* delivered at \([0-9]*\) events\/s.*/\1/p' <<<"$summary")
wall_rate=$(awk -v n="$records" -v a="$start" -v b="$end" 'BEGIN { printf "%d", n / (b - a) }')

echo "kafka-producer-perf-test ($records records from the same events)" >&2
"$broker" run "$work/broker" org.apache.kafka.tools.ProducerPerformance --topic perf-tool \
  --num-records "$records" --throughput -1 --payload-file "$work/events.ndjson" \
  --producer-props bootstrap.servers="$bootstrap" acks=all enable.idempotence=true compression.type=lz4 \
  batch.size=262144 linger.ms=5 max.in.flight.requests.per.connection=5 buffer.memory=67108864 \
  >"$work/tool.out" 2>&1
tool_line=$(grep -E '^[0-9]+ records sent' "$work/tool.out" | tail -n 1)
tool_rate=$(sed -n 's/.* records sent, \([0-9.]*\) records\/sec.*/\1/p' <<<"$tool_line" | cut -d. -f1)

echo
echo "httpcap sink:   $summary"
echo "perf tool:      $tool_line"
printf '| %s | %s | %s | %s | %s | %s |\n' "records" "mean bytes" "partitions" \
  "httpcap sink events/s (wall, whole process)" "kafka-producer-perf-test records/s" "ratio"
printf '| %s | %s | %s | %s (%s) | %s | %s |\n' "$records" "$size" "$partitions" "$sink_rate" "$wall_rate" \
  "$tool_rate" "$(awk -v a="$sink_rate" -v b="$tool_rate" 'BEGIN { printf "%.0f%%", 100 * a / b }')"
rm -rf "$work/traffic.pcap" "$work/events.ndjson"
