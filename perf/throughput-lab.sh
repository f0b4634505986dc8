#!/usr/bin/env bash
# Single-stream TCP throughput (iperf3) between two namespaces: over a direct veth pair (the ceiling), through
# VSwitch with TAP ports, and through VSwitch with AF_PACKET ports (veth host ends).
#   perf/throughput-lab.sh [SECONDS] [WORKERS]      defaults: 10 s, 2 workers
# Needs root; installs iperf3 if missing. Uses only 198.18.0.0/15 and cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}; workers=${2:-2}
scripts/install-deps.sh >/dev/null
dotnet build vswitch/VSwitch.Daemon -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
vswitchd=vswitch/VSwitch.Daemon/bin/Release/net10.0/vswitchd
tmp=$(mktemp -d /tmp/vsw-tput.XXXX); pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  for ns in tpa tpb; do { ip netns pids $ns 2>/dev/null || true; } | xargs -r kill -9 || true; ip netns del $ns 2>/dev/null || true; done
  ip link del tph-a 2>/dev/null || true; ip link del tph-b 2>/dev/null || true; ip link del tpveth 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fresh() { cleanup; trap cleanup EXIT; tmp=$(mktemp -d /tmp/vsw-tput.XXXX); pid=""; ip netns add tpa; ip netns add tpb; }
addr() { ip netns exec "$1" ip link set lo up; ip netns exec "$1" ip link set "$2" up; ip netns exec "$1" ip addr add "$3/24" dev "$2"; }
measure() {
  ip netns exec tpb iperf3 -s -1 -D; sleep 0.5
  ip netns exec tpa iperf3 -c 198.18.1.2 -t "$secs" -J | python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
}
start() {
  cat > "$tmp/c.json"
  "$vswitchd" --config "$tmp/c.json" --workers "$workers" --metrics-listen none > "$tmp/log" 2>&1 & pid=$!
  for _ in $(seq 100); do grep -q "applied generation" "$tmp/log" && break; sleep 0.1; done
}

fresh
ip link add tpveth netns tpa type veth peer name eth0 netns tpb
ip netns exec tpa ip link set tpveth name eth0
addr tpa eth0 198.18.1.1; addr tpb eth0 198.18.1.2
veth=$(measure)

fresh
start <<'JSON'
{ "networks": [ { "name": "n" } ], "ports": [
  { "name": "a", "network": "n", "device": "tap:tpa0@tpa", "port_security_enabled": false },
  { "name": "b", "network": "n", "device": "tap:tpb0@tpb", "port_security_enabled": false } ] }
JSON
for _ in $(seq 50); do ip netns exec tpb ip link show tpb0 >/dev/null 2>&1 && break; sleep 0.1; done
addr tpa tpa0 198.18.1.1; addr tpb tpb0 198.18.1.2
tap=$(measure)

fresh
ip link add tph-a type veth peer name eth0 netns tpa; ip link add tph-b type veth peer name eth0 netns tpb
ip link set tph-a up; ip link set tph-b up
start <<'JSON'
{ "networks": [ { "name": "n" } ], "ports": [
  { "name": "a", "network": "n", "device": "afpacket:tph-a", "port_security_enabled": false },
  { "name": "b", "network": "n", "device": "afpacket:tph-b", "port_security_enabled": false } ] }
JSON
addr tpa eth0 198.18.1.1; addr tpb eth0 198.18.1.2
afp=$(measure)

printf '%-28s %10s\n' "path ($secs s, 1 stream)" "Gbit/s"
printf '%-28s %10s\n' "direct veth pair" "$veth" "vswitch tap <-> tap" "$tap" "vswitch afpacket <-> afpacket" "$afp"
