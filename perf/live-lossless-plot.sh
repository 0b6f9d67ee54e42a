#!/usr/bin/env bash
# The plot of lossless rate per tool (issue 21): from the tables perf/live-capture-rates.sh writes,
# the highest rate each tool sustained with nothing lost anywhere (the table's "sustained: yes":
# no kernel, ring, hand-off or sink drop, every frame received; in tables with the events columns,
# also no event missing or extra against `bin/httpcap read`), per workload, as a bar chart.
#
#   perf/live-lossless-plot.sh OUT.png LABEL=RESULTS.md [LABEL=RESULTS.md ...]
#
# e.g. perf/live-lossless-plot.sh perf/live-lossless.png \
#        "small frames=perf/results/live-capture-rates-issue21-targets-small.md" \
#        "nginx/wrk=perf/results/live-capture-rates-issue21-targets-wrk.md"
#
# Also prints the numbers as a table (tool, workload, highest sustained achieved pps, the lowest
# achieved pps of a step that lost something, or "-" when none did). Needs gnuplot.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
out=$1
shift
command -v gnuplot >/dev/null || { echo "live-lossless-plot: gnuplot is not installed (apt-get install gnuplot-nox)" >&2; exit 1; }

data=$(mktemp "${TMPDIR:-/tmp}/httpcap-lossless.XXXXXX")
trap 'rm -f -- "$data"' EXIT

# Columns of a step row: | requested | tool | round | sent | achieved pps | Mbit/s | received |
# kernel drops | pipeline drops | events | CPU s | sustained |
for spec in "$@"; do
  label=${spec%%=*}
  file=${spec#*=}
  [[ -r $file ]] || { echo "live-lossless-plot: cannot read $file" >&2; exit 1; }
  awk -F'|' -v label="$label" '
    $2 ~ /^ *([0-9]+|max) *$/ && NF >= 13 {
      tool = $3; gsub(/ /, "", tool); achieved = $6 + 0; ok = $(NF - 1); gsub(/ /, "", ok)
      if (!(tool in best)) { best[tool] = 0; worst[tool] = -1; order[++n] = tool }
      if (ok == "yes" && achieved > best[tool]) best[tool] = achieved
      if (ok != "yes" && (worst[tool] < 0 || achieved < worst[tool])) worst[tool] = achieved
    }
    END {
      for (i = 1; i <= n; i++) {
        t = order[i]
        printf "%s\t%s\t%.0f\t%s\n", t, label, best[t], worst[t] < 0 ? "-" : sprintf("%.0f", worst[t])
      }
    }' "$file"
done >"$data"

printf 'tool\tworkload\thighest sustained pps\tlowest pps with a loss\n'
cat -- "$data"

# One cluster per tool, one bar per workload.
workloads=()
for spec in "$@"; do workloads+=("${spec%%=*}"); done
tools=$(cut -f1 "$data" | awk '!seen[$0]++')
table=$(mktemp "${TMPDIR:-/tmp}/httpcap-lossless-table.XXXXXX")
trap 'rm -f -- "$data" "$table"' EXIT
{
  printf 'tool'
  for w in "${workloads[@]}"; do printf '\t"%s"' "$w"; done
  printf '\n'
  for t in $tools; do
    case $t in
      afpacket-service) name="httpcap service" ;;
      afpacket) name="httpcap cold" ;;
      tcpdump-service) name="tcpdump service" ;;
      tcpdump) name="tcpdump cold" ;;
      *) name=$t ;;
    esac
    printf '"%s"' "$name"
    for w in "${workloads[@]}"; do
      v=$(awk -F'\t' -v t="$t" -v w="$w" '$1 == t && $2 == w { print $3 / 1000 }' "$data")
      printf '\t%s' "${v:-0}"
    done
    printf '\n'
  done
} >"$table"

columns=$(( ${#workloads[@]} + 1 ))
gnuplot <<PLOT
set terminal pngcairo size 900,460 font ",10"
set output "$out"
set title "Highest rate with nothing lost (k packets/s achieved; tcpdump is -w /dev/null; the sender on the same 2 CPUs)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set key top left
set ylabel "k packets/s"
set yrange [0:*]
set offsets 0,0,150,0
set grid ytics
set datafile separator "\t"
plot for [c=2:$columns] "$table" using c:xtic(1) title columnheader(c)
PLOT
echo "live-lossless-plot: wrote $out" >&2
