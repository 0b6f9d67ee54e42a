#!/usr/bin/env bash
# What scraping /metrics every second costs a read: bin/httpcap read of CAPTURE plain, with
# --metrics-listen and no scraper (the endpoint's start-up), and with a curl of /metrics each
# second, interleaved ROUNDS times under the measurement lock; prints wall and CPU seconds per run
# and the median ratios per round.
#   perf/metrics-scrape-cost.sh CAPTURE [ROUNDS]
set -euo pipefail
capture=${1:?usage: perf/metrics-scrape-cost.sh CAPTURE [ROUNDS]}
rounds=${2:-5}
root=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd -P)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
port=19137

run() { # $1 = plain|endpoint|scraped
  local scraper=""
  local args=(read "$capture" --sink "file:$out/events.ndjson" --progress never)
  if [[ $1 != plain ]]; then
    args+=(--metrics-listen "127.0.0.1:$port")
  fi
  if [[ $1 == scraped ]]; then
    ( while sleep 1; do curl -s -o /dev/null "http://127.0.0.1:$port/metrics" || true; done ) &
    scraper=$!
  fi
  /usr/bin/time -f "$1 %e %U %S" "$root/bin/httpcap" "${args[@]}" 2>>"$out/time.log" >/dev/null
  [[ -n $scraper ]] && kill "$scraper" 2>/dev/null; wait "$scraper" 2>/dev/null || true
  rm -f "$out/events.ndjson"
}

exec 9>/tmp/httpcap-perf.lock
flock 9
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
run plain >/dev/null 2>&1 || true # warm the page cache and the AOT cache
: > "$out/time.log"
for ((i = 0; i < rounds; i++)); do
  run plain; run endpoint; run scraped
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E '^(plain|endpoint|scraped) ' "$out/time.log"
python3 - "$out/time.log" <<'PY'
import sys, statistics
runs = {"plain": [], "endpoint": [], "scraped": []}
for line in open(sys.argv[1]):
    f = line.split()
    if f and f[0] in runs:
        runs[f[0]].append((float(f[1]), float(f[2]) + float(f[3])))
for name in runs:
    print(f"{name}: wall median {statistics.median(r[0] for r in runs[name]):.2f} s, "
          f"cpu median {statistics.median(r[1] for r in runs[name]):.2f} s")
def ratio(a, b, i):
    r = [y[i] / x[i] for x, y in zip(runs[a], runs[b])]
    return f"{statistics.median(r):.3f} (min {min(r):.3f}, max {max(r):.3f})"
print(f"endpoint/plain per round: wall {ratio('plain', 'endpoint', 0)}, cpu {ratio('plain', 'endpoint', 1)}")
print(f"scraped/endpoint per round: wall {ratio('endpoint', 'scraped', 0)}, cpu {ratio('endpoint', 'scraped', 1)}")
PY
