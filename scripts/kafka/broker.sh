#!/usr/bin/env bash
# A single-node Kafka (KRaft, broker+controller) on 127.0.0.1 from Maven Central's
# org.apache.kafka:kafka_2.13, for trying the Kafka sink and for perf/kafka-sink.sh.
#
#   scripts/kafka/broker.sh start DIR [PORT]   format DIR (fresh cluster id) if new, start, wait; prints HOST:PORT
#   scripts/kafka/broker.sh stop DIR           SIGTERM, wait
#   scripts/kafka/broker.sh kill DIR           SIGKILL
#   scripts/kafka/broker.sh run DIR MAIN ARGS  run a Kafka tool class on the same classpath
#                                             (e.g. org.apache.kafka.tools.TopicCommand, ...ProducerPerformance)
# The integration tests start their own broker (app/src/test/.../KafkaBroker.java); this is the same
# recipe for a shell.
set -euo pipefail

here=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")" && pwd -P)
root=$(cd -- "$here/../.." && pwd -P)
# shellcheck source-path=SCRIPTDIR source=../lib/jdk.sh
source "$root/scripts/lib/jdk.sh"
httpcap_select_jdk || { httpcap_no_jdk_message; exit 1; }
java=$HTTPCAP_JAVA_HOME/bin/java

cmd=${1:?usage: broker.sh start|stop|kill|run DIR ...}
dir=${2:?usage: broker.sh start|stop|kill|run DIR ...}
mkdir -p "$dir"
dir=$(cd -- "$dir" && pwd -P)

classpath() {
  local cp=$root/scripts/kafka/target/classpath.txt
  if [[ ! -s $cp || $root/scripts/kafka/pom.xml -nt $cp ]]; then
    mkdir -p "$(dirname "$cp")"
    JAVA_HOME=$HTTPCAP_JAVA_HOME MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow ${MAVEN_OPTS:-}" \
      mvn -q -B -ntp -f "$root/scripts/kafka/pom.xml" dependency:build-classpath -Dmdep.outputFile="$cp" >&2
  fi
  cat "$cp"
}

# KAFKA_TOOL_HEAP: the heap of `run` (kafka-producer-perf-test holds its whole --payload-file in memory).
kjava() {
  "$java" -Xms256m "-Xmx${KAFKA_TOOL_HEAP:-1g}" --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED \
    -Dlog4j2.configurationFile="$root/scripts/kafka/log4j2.properties" -cp "$(classpath)" "$@"
}

# One line on why the broker did not start, from what its log says.
why() {
  local log=$dir/broker.log
  if grep -q 'Address already in use' "$log" 2>/dev/null; then
    echo "broker.sh: a port in $dir/server.properties is taken by another process (ss -ltnp shows which); stop it or remove $dir to start on new ports"
  elif grep -q 'Invalid cluster.id\|INCONSISTENT_CLUSTER_ID\|does not match' "$log" 2>/dev/null; then
    echo "broker.sh: $dir/data belongs to another cluster (formatted with another id); remove $dir to start afresh"
  elif [[ ! -f $dir/data/meta.properties ]] || grep -q 'No meta.properties\|not formatted\|have not been formatted' "$log" 2>/dev/null; then
    echo "broker.sh: $dir/data was never formatted (format.log says why); remove $dir to start afresh"
  elif grep -q 'OutOfMemoryError\|Could not reserve enough space' "$log" 2>/dev/null; then
    echo "broker.sh: the broker's JVM ran out of memory (-Xmx1g)"
  elif grep -q 'No space left on device' "$log" 2>/dev/null; then
    echo "broker.sh: the disk under $dir is full"
  elif pid=$(cat "$dir/broker.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null; then
    echo "broker.sh: the broker (pid $pid) runs but does not listen yet; the end of $dir/broker.log says where it is"
  else
    echo "broker.sh: the broker exited; the lines above, from $dir/broker.log, say why"
  fi
}

case $cmd in
  start)
    port=${3:-}
    if [[ ! -f $dir/server.properties ]]; then
      # Ports below the kernel's ephemeral range (ip_local_port_range, often 32768-60999): a port
      # in it can be taken by any outgoing connection between now and the broker's bind (or on a
      # restart), and the broker then dies with "Address already in use".
      free_port() {
        local lo hi p
        read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { lo=32768; hi=60999; }
        while :; do
          if ((lo > 11000)); then
            p=$((10000 + RANDOM % (lo - 10000)))
          else
            p=$((hi + 1 + RANDOM % (65535 - hi)))
          fi
          (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
        done
      }
      port=${port:-$(free_port)}
      cport=$(free_port)
      cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
      id=$(kjava kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
      kjava kafka.tools.StorageTool format --cluster-id="$id" -c "$dir/server.properties" >"$dir/format.log" 2>&1
    fi
    port=$(sed -n 's/^advertised.listeners=PLAINTEXT:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$dir/server.properties")
    if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "broker.sh: 127.0.0.1:$port (from $dir/server.properties) already accepts connections: another" \
        "process holds it (a broker of $dir still running? ss -ltnp shows which)" >&2
      exit 1
    fi
    nohup "$java" -Xms512m -Xmx1g --sun-misc-unsafe-memory-access=allow \
      -Dlog4j2.configurationFile="$root/scripts/kafka/log4j2.properties" -cp "$(classpath)" \
      kafka.Kafka "$dir/server.properties" >>"$dir/broker.log" 2>&1 &
    echo $! >"$dir/broker.pid"
    for _ in $(seq 1 240); do
      if kill -0 "$(cat "$dir/broker.pid")" 2>/dev/null && (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "127.0.0.1:$port"
        exit 0
      fi
      kill -0 "$(cat "$dir/broker.pid")" 2>/dev/null || { tail -n 30 "$dir/broker.log" >&2; why >&2; exit 1; }
      sleep 0.5
    done
    echo "broker.sh: Kafka did not open 127.0.0.1:$port in 120 s; see $dir/broker.log" >&2
    why >&2
    exit 1
    ;;
  stop|kill)
    [[ -f $dir/broker.pid ]] || exit 0
    pid=$(cat "$dir/broker.pid")
    kill "$([[ $cmd == kill ]] && echo -KILL || echo -TERM)" "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    rm -f "$dir/broker.pid"
    ;;
  run)
    shift 2
    kjava "$@"
    ;;
  *)
    echo "usage: broker.sh start|stop|kill|run DIR ..." >&2
    exit 2
    ;;
esac
