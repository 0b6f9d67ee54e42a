#!/usr/bin/env bash
# CPU time one scrape of /metrics costs a running httpcap, in steady state: httpcap reads an idle
# pipe with --metrics-listen (its registry filled as for any run), is scraped 100 times to warm
# up, then SCRAPES times; the process's CPU time (utime + stime from /proc) over those scrapes,
# less what it uses idle over as long (its workers poll the ring), divided by their number.
#   perf/metrics-scrape-cpu.sh [SCRAPES]
set -euo pipefail
scrapes=${1:-1000}
root=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd -P)
dir=$(mktemp -d)
port=19138
mkfifo "$dir/in"
"$root/bin/httpcap" read - --sink "file:$dir/events.ndjson" --metrics-listen "127.0.0.1:$port" --progress never \
  <"$dir/in" 2>"$dir/err" &
pid=$!
exec 8>"$dir/in"
# A pcap header (Ethernet), then nothing: the pipeline runs and waits.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' >&8
java_pid() { pgrep -P "$pid" java || echo "$pid"; }
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/metrics" || sleep 0.1; done
jp=$(java_pid)
ticks() { awk '{print $14 + $15}' "/proc/$jp/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks); start=$(date +%s.%N)
for _ in $(seq "$scrapes"); do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; done
after=$(ticks); end=$(date +%s.%N)
idle0=$(ticks); sleep "$(python3 -c "print($end-$start)")"; idle1=$(ticks)
bytes=$(curl -s "http://127.0.0.1:$port/metrics" | wc -c)
exec 8>&-
wait "$pid" || true
python3 -c "
busy=($after-$before)/$hz; idle=($idle1-$idle0)/$hz; cpu=busy-idle; n=$scrapes
print(f'{n} scrapes of {$bytes} bytes in {$end-$start:.2f} s: {busy:.2f} CPU-s in httpcap, {idle:.2f} CPU-s idle over as long;'
      f' {cpu/n*1000:.3f} ms a scrape; one a second is {cpu/n*100:.3f}% of one core')"
rm -rf "$dir"
