#!/usr/bin/env bash
# What a live httpcap costs on a quiet link, and how late its events are there: for each launcher
# given (default: this tree's bin/httpcap), in turn, ROUNDS times,
#   idle:   `live -i lo` with a filter nothing matches; each thread's CPU (utime + stime from
#           /proc/PID/task) over SECONDS after 5 s of start-up, as % of one CPU
#   sparse: `live -i lo` of a port where curl asks python3's http.server for a page every 100 ms
#           (80 requests); the final report's `latency: capture to written` line
#   perf/quiet-link.sh [--seconds S] [--rounds N] [LAUNCHER...]
# Run it under flock /tmp/httpcap-perf.lock; it needs root (live capture), curl and python3.
set -euo pipefail
root=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd -P)
seconds=15 rounds=1
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "quiet-link.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
launchers=("$@")
[[ ${#launchers[@]} -gt 0 ]] || launchers=("$root/bin/httpcap")
dir=$(mktemp -d)
port=18765
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$dir" >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; rm -rf "$dir"' EXIT

# comm CPU-ticks per thread name (summed over threads of that name: the workers), sorted.
thread_ticks() {
  local task
  for task in /proc/"$1"/task/*; do
    printf '%s %s\n' "$(tr ' ' _ <"$task/comm")" "$(awk '{print $14 + $15}' "$task/stat")"
  done | awk '{t[$1] += $2} END {for (k in t) print k, t[k]}' | sort
}

idle() {
  local launcher=$1 pid
  HTTPCAP_NO_BUILD=1 "$launcher" live -i lo --filter "tcp port 9" --duration $((seconds + 8)) \
    --sink file:/dev/null >/dev/null 2>"$dir/idle.err" &
  pid=$!
  sleep 5
  thread_ticks "$pid" >"$dir/before"
  sleep "$seconds"
  thread_ticks "$pid" >"$dir/after"
  wait "$pid" || true
  join "$dir/before" "$dir/after" | awk -v s="$seconds" -v hz="$(getconf CLK_TCK)" '
    { d = ($3 - $2) / hz; all += d; if (d > 0) printf "%s %.2f%%  ", $1, 100 * d / s }
    END { printf "| all %.2f%% of a CPU\n", 100 * all / s }'
}

sparse() {
  local launcher=$1 pid
  HTTPCAP_NO_BUILD=1 "$launcher" live -i lo --filter "tcp port $port" --duration 14 \
    --sink file:/dev/null >/dev/null 2>"$dir/sparse.err" &
  pid=$!
  sleep 4
  for _ in $(seq 80); do
    curl -s -o /dev/null "http://127.0.0.1:$port/"
    sleep 0.1
  done
  wait "$pid" || true
  grep -o 'latency: capture to written.*' "$dir/sparse.err" | tail -1
}

sleep 1
for round in $(seq "$rounds"); do
  for launcher in "${launchers[@]}"; do
    echo "round $round, $launcher"
    echo "  idle ${seconds} s: $(idle "$launcher")"
    echo "  sparse (a request every 100 ms): $(sparse "$launcher")"
  done
done
