#!/usr/bin/env bash
# Replays a capture into a live httpcap, frame for frame, so that what it found live can be held
# against `bin/httpcap read` of exactly the frames sent:
#   scripts/live-replay-check.sh OUTDIR IN.pcap [--slow-sink SECONDS] [-- HTTPCAP_LIVE_OPTIONS...]
# Two private network namespaces joined by a veth pair (MTU 65535, no addresses, IPv6 off, so the
# kernel sends nothing of its own); scripts/lib/replay_frames.py sends IN.pcap out of one end and
# records what it sent in OUTDIR/sent.pcap; `bin/httpcap live` (AF_PACKET, --filter tcp, JSON
# events on standard output) captures on the other end and is stopped with SIGTERM once the replay
# is done. With --slow-sink SECONDS the events go into a pipe nobody reads for that long: the sink
# stalls, the pipeline fills and holds the kernel ring's blocks until the reader wakes up.
# Leaves in OUTDIR: sent.pcap, events.ndjson, httpcap.err (the report), replay.out.
# Namespace names start with $HTTPCAP_NETNS_PREFIX (default hcreplay) and end with the pid.
# Needs root. Everything is removed on exit.
set -euo pipefail
case ":$PATH:" in *:/usr/sbin:*) ;; *) export PATH=$PATH:/usr/sbin:/sbin ;; esac
root=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd -P)
(($# >= 2)) || { echo "usage: $0 OUTDIR IN.pcap [--slow-sink SECONDS] [-- OPTIONS...]" >&2; exit 2; }
mkdir -p -- "$1"
out=$(readlink -f -- "$1")
pcap=$(readlink -f -- "$2")
shift 2
slow=""
httpcap_options=()
while (($#)); do
  case $1 in
    --slow-sink) slow=$2; shift 2 ;;
    --) shift; httpcap_options=("$@"); break ;;
    *) echo "live-replay-check: unknown option $1" >&2; exit 2 ;;
  esac
done
((EUID == 0)) || { echo "live-replay-check: needs root (network namespaces, AF_PACKET)" >&2; exit 1; }

id=$$
prefix=${HTTPCAP_NETNS_PREFIX:-hcreplay}
ns_capture=$prefix-cap-$id
ns_sender=$prefix-snd-$id
veth_capture=hrc$id
veth_sender=hrs$id
httpcap_pid=""
reader_pid=""
work=$(mktemp -d "${TMPDIR:-/tmp}/httpcap-replay.XXXXXX")

cleanup() {
  [[ -n $httpcap_pid ]] && kill "$httpcap_pid" 2>/dev/null || true
  [[ -n $reader_pid ]] && kill "$reader_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  ip netns del "$ns_capture" 2>/dev/null || true
  ip netns del "$ns_sender" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns_capture"
ip netns add "$ns_sender"
for ns in "$ns_capture" "$ns_sender"; do
  ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add "$veth_capture" type veth peer name "$veth_sender"
ip link set "$veth_capture" netns "$ns_capture"
ip link set "$veth_sender" netns "$ns_sender"
# Loopback recordings hold segments of up to 64 KiB.
ip -n "$ns_capture" link set "$veth_capture" mtu 65535 up
ip -n "$ns_sender" link set "$veth_sender" mtu 65535 up

if [[ -n $slow ]]; then
  sink=(--sink stdout:json)
  # The reader sleeps from the start of the replay: the sink thread blocks in write() once the
  # pipe's 64 KiB are full.
  reader=(bash -c "until [[ -e $work/replaying ]]; do sleep 0.02; done; sleep $slow; exec cat")
else
  sink=(--sink "file:$out/events.ndjson")
  reader=(cat)
fi
: >"$out/events.ndjson"
mkfifo "$work/stdout"
"${reader[@]}" <"$work/stdout" >>"$out/events.ndjson" &
reader_pid=$!
HTTPCAP_JAVA_OPTS=${HTTPCAP_JAVA_OPTS:-} ip netns exec "$ns_capture" "$root/bin/httpcap" live \
  --interface "$veth_capture" --filter tcp --duration "${HTTPCAP_LIVE_SECONDS:-120}" --workers 2 \
  --stats-interval 0.5 "${sink[@]}" "${httpcap_options[@]}" </dev/null 2>"$out/httpcap.err" >"$work/stdout" &
httpcap_pid=$!
for ((i = 0; i < 600; i++)); do
  grep -q "capturing on" "$out/httpcap.err" 2>/dev/null && break
  kill -0 "$httpcap_pid" 2>/dev/null || { cat "$out/httpcap.err" >&2; exit 1; }
  sleep 0.05
done

touch "$work/replaying"
ip netns exec "$ns_sender" python3 "$root/scripts/lib/replay_frames.py" "$pcap" "$veth_sender" "$out/sent.pcap" \
  >"$out/replay.out"
if [[ -n $slow ]]; then
  # Until the reader is awake and the pipeline has drained what the kernel ring kept.
  sleep "$slow"
fi
sleep 0.5
kill -TERM "$httpcap_pid"
status=0
wait "$httpcap_pid" || status=$?
httpcap_pid=""
# The reader ends once httpcap's standard output is closed.
wait "$reader_pid" || true
reader_pid=""
cat "$out/replay.out"
echo "httpcap exit $status"
cat "$out/httpcap.err"
exit "$status"
