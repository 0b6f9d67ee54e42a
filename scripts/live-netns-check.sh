#!/usr/bin/env bash
# Live capture end to end, in two private network namespaces joined by a veth pair:
#   scripts/live-netns-check.sh OUTDIR [REQUESTS] [--vlan ID] [--wrk SECONDS] [--replay-vlan ID]
#                               [-- HTTPCAP_LIVE_OPTIONS...]
# nginx serves in namespace "server"; curl makes REQUESTS connections (one request each) plus one
# keep-alive connection with three requests from namespace "client"; with --wrk, wrk then loads
# /wrk.txt over 4 keep-alive connections for SECONDS, 1 ms between a connection's requests. `bin/httpcap live` captures on the server's
# veth (AF_PACKET unless the options after -- say otherwise, e.g. --engine pcap or --fanout 2).
# With --vlan ID the two sides talk over VLAN sub-interfaces (veth.ID) and httpcap captures the
# tagged frames on the parent veth; it needs a kernel with 802.1Q support (CONFIG_VLAN_8021Q), and
# exits 77 without touching anything when it has none.
# With --replay-vlan ID, a second capture follows: what the first recorded (capture.pcap) is sent
# again out of the client's veth by scripts/lib/replay_frames.py, every frame tagged with VLAN ID
# (the tcpreplay way, so it works without kernel VLAN support); the frames as sent are in
# replay-vlan.pcap, the second capture's events in replay-events.ndjson and its report in replay.err.
# With --delay MS every packet the client sends is held MS milliseconds on its way out of the
# client's veth: by netem (tc qdisc ... netem delay) where the kernel has it, else by an NFQUEUE
# delay line (iptables + scripts/lib/delay_line.py at a real-time priority); the report's first line
# names which. With --slow MS nginx proxies /slow to scripts/lib/slow_upstream.py, which sleeps MS
# milliseconds before answering, and curl fetches /slow 5 times (one connection each; their statuses
# in slow.codes) after the other requests. --name TAG (at most 9 characters) puts TAG in the names
# of the namespaces and veths.
# Leaves in OUTDIR: events.ndjson, capture.pcap (what it recorded with --write; capture-K.pcap per
# socket with --fanout), httpcap.err (the report), curl.codes (one HTTP status per request),
# access.log (nginx: "METHOD URI STATUS BODY_BYTES CLIENT_PORT" per request) and, with --wrk,
# wrk.out. httpcap is stopped with SIGTERM once the clients are done.
# Needs root. Everything is removed on exit.
set -euo pipefail
case ":$PATH:" in *:/usr/sbin:*) ;; *) export PATH=$PATH:/usr/sbin:/sbin ;; esac
root=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd -P)
mkdir -p -- "$1"
out=$(readlink -f -- "$1")
shift
requests=20
if (($#)) && [[ $1 =~ ^[0-9]+$ ]]; then
  requests=$1
  shift
fi
vlan=""
replay_vlan=""
wrk_seconds=""
delay_ms=""
slow_ms=""
name=""
httpcap_options=()
while (($#)); do
  case $1 in
    --vlan) vlan=$2; shift 2 ;;
    --wrk) wrk_seconds=$2; shift 2 ;;
    --replay-vlan) replay_vlan=$2; shift 2 ;;
    --delay) delay_ms=$2; shift 2 ;;
    --slow) slow_ms=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --) shift; httpcap_options=("$@"); break ;;
    *) echo "live-netns-check: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
((EUID == 0)) || { echo "live-netns-check: needs root (network namespaces, AF_PACKET)" >&2; exit 1; }

id=$$
ns_server=hcap-srv-$id
ns_client=hcap-cli-$id
veth_server=hcs$id
veth_client=hcc$id
if [[ -n $name ]]; then
  ns_server=$name-srv-$id
  ns_client=$name-cli-$id
  veth_server=${name}s$((id % 100000))
  veth_client=${name}c$((id % 100000))
fi
# A /30 of 10.231.0.0/16 chosen from the pid; it exists only inside these two namespaces.
subnet=$(( (id % 16000) * 4 ))
server_ip=10.231.$((subnet / 256)).$((subnet % 256 + 1))
client_ip=10.231.$((subnet / 256)).$((subnet % 256 + 2))
work=$(mktemp -d "${TMPDIR:-/tmp}/httpcap-live.XXXXXX")
nginx_pid=""
httpcap_pid=""
delay_pid=""
upstream_pid=""

cleanup() {
  [[ -n $httpcap_pid ]] && kill "$httpcap_pid" 2>/dev/null || true
  [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null || true
  [[ -n $delay_pid ]] && kill "$delay_pid" 2>/dev/null || true
  [[ -n $upstream_pid ]] && kill "$upstream_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  ip netns del "$ns_server" 2>/dev/null || true
  ip netns del "$ns_client" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns_server"
ip netns add "$ns_client"
if [[ -n $vlan ]] && ! ip -n "$ns_server" link add hcvlantest type vlan id 1 2>/dev/null; then
  ip -n "$ns_server" link add hcvlanbase type dummy 2>/dev/null || true
  if ! ip -n "$ns_server" link add link hcvlanbase name hcvlantest type vlan id 1 2>/dev/null; then
    echo "live-netns-check: this kernel cannot make VLAN interfaces (no 802.1Q support); skipped" >&2
    exit 77
  fi
fi
ip link add "$veth_server" type veth peer name "$veth_client"
ip link set "$veth_server" netns "$ns_server"
ip link set "$veth_client" netns "$ns_client"
ip -n "$ns_server" link set lo up
ip -n "$ns_client" link set lo up
ip -n "$ns_server" link set "$veth_server" up
ip -n "$ns_client" link set "$veth_client" up
if [[ -n $vlan ]]; then
  # The addresses live on the VLAN sub-interfaces; the parent veths carry 802.1Q-tagged frames.
  ip -n "$ns_server" link add link "$veth_server" name "$veth_server.$vlan" type vlan id "$vlan"
  ip -n "$ns_client" link add link "$veth_client" name "$veth_client.$vlan" type vlan id "$vlan"
  ip -n "$ns_server" link set "$veth_server.$vlan" up
  ip -n "$ns_client" link set "$veth_client.$vlan" up
  ip -n "$ns_server" addr add "$server_ip/30" dev "$veth_server.$vlan"
  ip -n "$ns_client" addr add "$client_ip/30" dev "$veth_client.$vlan"
else
  ip -n "$ns_server" addr add "$server_ip/30" dev "$veth_server"
  ip -n "$ns_client" addr add "$client_ip/30" dev "$veth_client"
fi

# What times itself (the delay line, and with --slow nginx and its upstream) runs at a real-time
# priority where it can, so that a busy machine does not add to the times set.
rt=()
if [[ -n $delay_ms || -n $slow_ms ]] && chrt -f 50 true 2>/dev/null; then
  rt=(chrt -f 50)
fi
delay_how=""
if [[ -n $delay_ms ]]; then
  if ip netns exec "$ns_client" tc qdisc add dev "$veth_client" root netem delay "${delay_ms}ms" 2>/dev/null; then
    delay_how="netem"
  else
    # No netem in this kernel (CONFIG_NET_SCH_NETEM): hold the packets in an NFQUEUE instead.
    ip netns exec "$ns_client" iptables -t mangle -A POSTROUTING -o "$veth_client" -j NFQUEUE --queue-num 20
    ip netns exec "$ns_client" "${rt[@]}" python3 "$root/scripts/lib/delay_line.py" 20 "$delay_ms" "$work/delay.ready" \
      </dev/null >"$work/delay.log" 2>&1 &
    delay_pid=$!
    for ((i = 0; i < 100; i++)); do
      [[ -s $work/delay.ready ]] && break
      kill -0 "$delay_pid" 2>/dev/null || { cat "$work/delay.log" >&2; exit 1; }
      sleep 0.05
    done
    delay_how="nfqueue (no netem in this kernel)"
  fi
  echo "delay: ${delay_ms} ms on $veth_client's way out by $delay_how"
fi
slow_location=""
if [[ -n $slow_ms ]]; then
  ip netns exec "$ns_server" "${rt[@]}" python3 "$root/scripts/lib/slow_upstream.py" 127.0.0.1 8081 "$slow_ms" "$work/upstream.ready" \
    </dev/null >"$work/upstream.log" 2>&1 &
  upstream_pid=$!
  for ((i = 0; i < 100; i++)); do
    [[ -s $work/upstream.ready ]] && break
    kill -0 "$upstream_pid" 2>/dev/null || { cat "$work/upstream.log" >&2; exit 1; }
    sleep 0.05
  done
  slow_location="location /slow { proxy_pass http://127.0.0.1:8081; }"
fi

mkdir -p "$work/www" "$work/tmp"
head -c 20000 /dev/urandom | base64 >"$work/www/page.txt"
head -c 1500 /dev/urandom | base64 >"$work/www/wrk.txt"
echo ok >"$work/www/index.html"
: >"$out/access.log"
cat >"$work/nginx.conf" <<CONF
user root root;
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 256; }
http {
  log_format check '\$request_method \$request_uri \$status \$body_bytes_sent \$remote_port';
  access_log off;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  # Every request, the readiness probes (/ready, before httpcap starts) included.
  server { listen $server_ip:80; root $work/www; access_log $out/access.log check; $slow_location }
}
CONF
slow_rt=()
[[ -n $slow_ms ]] && slow_rt=("${rt[@]}")
ip netns exec "$ns_server" "${slow_rt[@]}" nginx -p "$work" -e "$work/nginx-error.log" -c "$work/nginx.conf" </dev/null >/dev/null 2>&1 &
nginx_pid=$!
for ((i = 0; i < 100; i++)); do
  ip netns exec "$ns_client" curl -s --noproxy '*' -o /dev/null --max-time 1 "http://$server_ip/ready" && break
  sleep 0.05
done

# The readiness probes above are not captured: httpcap starts now.
HTTPCAP_JAVA_OPTS=${HTTPCAP_JAVA_OPTS:-} ip netns exec "$ns_server" "$root/bin/httpcap" live \
  --interface "$veth_server" --filter "tcp port 80" --duration "${HTTPCAP_LIVE_SECONDS:-120}" \
  --flows --sink "file:$out/events.ndjson" --workers 2 --write "$out/capture.pcap" --stats-interval 0.2 \
  "${httpcap_options[@]}" </dev/null >"$out/httpcap.out" 2>"$out/httpcap.err" &
httpcap_pid=$!
for ((i = 0; i < 600; i++)); do
  grep -q "capturing on" "$out/httpcap.err" 2>/dev/null && break
  kill -0 "$httpcap_pid" 2>/dev/null || { cat "$out/httpcap.err" >&2; exit 1; }
  sleep 0.05
done

: >"$out/curl.codes"
for ((r = 0; r < requests; r++)); do
  ip netns exec "$ns_client" curl -s --noproxy '*' -o /dev/null -w '%{http_code}\n' "http://$server_ip/page.txt" >>"$out/curl.codes"
done
# One keep-alive connection carrying three requests.
ip netns exec "$ns_client" curl -s --noproxy '*' -o /dev/null -o /dev/null -o /dev/null -w '%{http_code}\n' \
  "http://$server_ip/page.txt" "http://$server_ip/index.html" "http://$server_ip/missing" >>"$out/curl.codes"
if [[ -n $slow_ms ]]; then
  : >"$out/slow.codes"
  for ((r = 0; r < 5; r++)); do
    ip netns exec "$ns_client" curl -s --noproxy '*' -o /dev/null -w '%{http_code}\n' "http://$server_ip/slow" >>"$out/slow.codes"
  done
fi
if [[ -n $wrk_seconds ]]; then
  # A steady load rather than a flood (each connection waits 1 ms between requests), so that even
  # the slower pcap engine on a busy 2-CPU machine sees every packet: the point is finding every
  # request. nginx's access log says how many there were.
  echo 'function delay() return 1 end' >"$work/wrk-delay.lua"
  ip netns exec "$ns_client" wrk -t 1 -c 4 -d "${wrk_seconds}s" -s "$work/wrk-delay.lua" \
    "http://$server_ip/wrk.txt" >"$out/wrk.out"
fi

# Stop it as a user would: SIGTERM makes it drain the ring and the pipeline, then report.
# (--duration above is only a safety net.) Give the last FIN/ACKs a moment to be captured.
sleep 0.3
kill -TERM "$httpcap_pid"
status=0
wait "$httpcap_pid" || status=$?
httpcap_pid=""
echo "client $client_ip server $server_ip; httpcap exit $status"
cat "$out/httpcap.err"
((status == 0)) || exit "$status"

if [[ -n $replay_vlan ]]; then
  # The recording holds segments of up to 64 KiB (the veth offloads), and each gains a VLAN tag.
  ip -n "$ns_server" link set "$veth_server" mtu 65000
  ip -n "$ns_client" link set "$veth_client" mtu 65000
  HTTPCAP_JAVA_OPTS=${HTTPCAP_JAVA_OPTS:-} ip netns exec "$ns_server" "$root/bin/httpcap" live \
    --interface "$veth_server" --duration "${HTTPCAP_LIVE_SECONDS:-120}" --sink "file:$out/replay-events.ndjson" \
    --workers 2 --stats-interval 0 "${httpcap_options[@]}" </dev/null >/dev/null 2>"$out/replay.err" &
  httpcap_pid=$!
  for ((i = 0; i < 600; i++)); do
    grep -q "capturing on" "$out/replay.err" 2>/dev/null && break
    kill -0 "$httpcap_pid" 2>/dev/null || { cat "$out/replay.err" >&2; exit 1; }
    sleep 0.05
  done
  ip netns exec "$ns_client" python3 "$root/scripts/lib/replay_frames.py" "$out/capture.pcap" "$veth_client" \
    "$out/replay-vlan.pcap" --vlan "$replay_vlan"
  sleep 0.3
  kill -TERM "$httpcap_pid"
  wait "$httpcap_pid" || status=$?
  httpcap_pid=""
  echo "replay with VLAN $replay_vlan: httpcap exit $status"
  cat "$out/replay.err"
fi
exit "$status"
