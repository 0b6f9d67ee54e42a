#!/usr/bin/env bash
# Live capture end to end, in two private network namespaces joined by a veth pair:
#   scripts/live-netns-check.sh OUTDIR [REQUESTS]
# nginx serves in namespace "server"; curl makes REQUESTS connections (one request each) plus one
# keep-alive connection with three requests from namespace "client"; `bin/httpcap live` captures
# on the server's veth with AF_PACKET. Leaves in OUTDIR: events.ndjson, capture.pcap (what it
# recorded with --write), httpcap.err (the report),
# curl.codes (one HTTP status per request). httpcap is stopped with SIGTERM once curl is done.
# Needs root. Everything is removed on exit.
set -euo pipefail
case ":$PATH:" in *:/usr/sbin:*) ;; *) export PATH=$PATH:/usr/sbin:/sbin ;; esac
root=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd -P)
out=$(readlink -f -- "$1")
requests=${2:-20}
mkdir -p "$out"
((EUID == 0)) || { echo "live-netns-check: needs root (network namespaces, AF_PACKET)" >&2; exit 1; }

id=$$
ns_server=hcap-srv-$id
ns_client=hcap-cli-$id
veth_server=hcs$id
veth_client=hcc$id
# A /30 of 10.231.0.0/16 chosen from the pid; it exists only inside these two namespaces.
subnet=$(( (id % 16000) * 4 ))
server_ip=10.231.$((subnet / 256)).$((subnet % 256 + 1))
client_ip=10.231.$((subnet / 256)).$((subnet % 256 + 2))
work=$(mktemp -d "${TMPDIR:-/tmp}/httpcap-live.XXXXXX")
nginx_pid=""
httpcap_pid=""

cleanup() {
  [[ -n $httpcap_pid ]] && kill "$httpcap_pid" 2>/dev/null || true
  [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  ip netns del "$ns_server" 2>/dev/null || true
  ip netns del "$ns_client" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns_server"
ip netns add "$ns_client"
ip link add "$veth_server" type veth peer name "$veth_client"
ip link set "$veth_server" netns "$ns_server"
ip link set "$veth_client" netns "$ns_client"
ip -n "$ns_server" addr add "$server_ip/30" dev "$veth_server"
ip -n "$ns_client" addr add "$client_ip/30" dev "$veth_client"
ip -n "$ns_server" link set lo up
ip -n "$ns_client" link set lo up
ip -n "$ns_server" link set "$veth_server" up
ip -n "$ns_client" link set "$veth_client" up

mkdir -p "$work/www" "$work/tmp"
head -c 20000 /dev/urandom | base64 >"$work/www/page.txt"
echo ok >"$work/www/index.html"
cat >"$work/nginx.conf" <<CONF
user root root;
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  server { listen $server_ip:80; root $work/www; }
}
CONF
ip netns exec "$ns_server" nginx -p "$work" -e "$work/nginx-error.log" -c "$work/nginx.conf" </dev/null >/dev/null 2>&1 &
nginx_pid=$!
for ((i = 0; i < 100; i++)); do
  ip netns exec "$ns_client" curl -s --noproxy '*' -o /dev/null --max-time 1 "http://$server_ip/index.html" && break
  sleep 0.05
done

# The readiness probes above are not captured: httpcap starts now.
HTTPCAP_JAVA_OPTS=${HTTPCAP_JAVA_OPTS:-} ip netns exec "$ns_server" "$root/bin/httpcap" live \
  --interface "$veth_server" --filter "tcp port 80" --duration "${HTTPCAP_LIVE_SECONDS:-120}" \
  --flows --sink "file:$out/events.ndjson" --workers 2 --write "$out/capture.pcap" --stats-interval 0.2 </dev/null >"$out/httpcap.out" 2>"$out/httpcap.err" &
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

# Stop it as a user would: SIGTERM makes it drain the ring and the pipeline, then report.
# (--duration above is only a safety net.) Give the last FIN/ACKs a moment to be captured.
sleep 0.3
kill -TERM "$httpcap_pid"
status=0
wait "$httpcap_pid" || status=$?
httpcap_pid=""
echo "client $client_ip server $server_ip; httpcap exit $status"
cat "$out/httpcap.err"
exit "$status"
