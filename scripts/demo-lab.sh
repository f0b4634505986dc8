#!/usr/bin/env bash
# The demo lab: three "VMs" (network namespaces vm-web, vm-app, vm-db) on TAP ports of one VSwitch network,
# the daemon, and a short traffic demonstration. Installs what it needs; run as root on Debian with the .NET SDK.
#   scripts/demo-lab.sh           build, start, demonstrate, then open the operator console (vswitchctl console) on the
#                                 lab; q leaves it and everything is cleaned up (without a terminal: runs until Ctrl-C)
#   scripts/demo-lab.sh --once    demonstrate and stop (non-interactive, for CI)
set -euo pipefail
cd "$(dirname "$0")/.."
once=0; [[ "${1:-}" == "--once" ]] && once=1

scripts/install-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build vswitch/VSwitch.Daemon -c Release -nologo -v quiet -clp:ErrorsOnly
dotnet build admin/VSwitch.Cli -c Release -nologo -v quiet -clp:ErrorsOnly
vswitchd=vswitch/VSwitch.Daemon/bin/Release/net10.0/vswitchd
vswitchctl=admin/VSwitch.Cli/bin/Release/net10.0/vswitchctl

state=$(mktemp -d /tmp/vswitch-demo.XXXX)
cat > "$state/config.json" <<'JSON'
{
  "workers": 2,
  "networks": [ { "name": "lab" } ],
  "ports": [
    { "name": "web", "network": "lab", "device": "tap:web0@vm-web", "mac_address": "fa:16:3e:00:00:11",
      "fixed_ips": [ "198.18.10.11", "2001:db8:10::11" ] },
    { "name": "app", "network": "lab", "device": "tap:app0@vm-app", "mac_address": "fa:16:3e:00:00:12",
      "fixed_ips": [ "198.18.10.12", "2001:db8:10::12" ] },
    { "name": "db",  "network": "lab", "device": "tap:db0@vm-db",   "mac_address": "fa:16:3e:00:00:13",
      "fixed_ips": [ "198.18.10.13", "2001:db8:10::13" ] }
  ]
}
JSON

declare -A ip4=([web]=198.18.10.11 [app]=198.18.10.12 [db]=198.18.10.13)
declare -A ip6=([web]=2001:db8:10::11 [app]=2001:db8:10::12 [db]=2001:db8:10::13)
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  for vm in web app db; do { ip netns pids "vm-$vm" 2>/dev/null || true; } | xargs -r kill -9 || true; ip netns del "vm-$vm" 2>/dev/null || true; done
  rm -rf "$state"
}
trap cleanup EXIT INT TERM

for vm in web app db; do ip netns del "vm-$vm" 2>/dev/null || true; ip netns add "vm-$vm"; done
"$vswitchd" --config "$state/config.json" --metrics-listen 127.0.0.1:9477 --state-dir "$state" --api-socket "$state/api.sock" > "$state/vswitchd.log" 2>&1 &
pid=$!
for vm in web app db; do
  for _ in $(seq 50); do ip netns exec "vm-$vm" ip link show "${vm}0" >/dev/null 2>&1 && break; sleep 0.1; done
  ip netns exec "vm-$vm" ip link set lo up
  ip netns exec "vm-$vm" ip link set "${vm}0" up
  ip netns exec "vm-$vm" ip addr add "${ip4[$vm]}/24" dev "${vm}0"
  ip netns exec "vm-$vm" ip -6 addr add "${ip6[$vm]}/64" dev "${vm}0" nodad
done
echo "== vswitchd log"; cat "$state/vswitchd.log"

echo "== ping web -> app, app -> db (IPv4), db -> web (IPv6)"
ip netns exec vm-web ping -c 3 -i 0.2 "${ip4[app]}"
ip netns exec vm-app ping -c 3 -i 0.2 "${ip4[db]}"
ip netns exec vm-db ping -6 -c 3 -i 0.2 "${ip6[web]}"

echo "== TCP throughput web -> db (iperf3, 5 s)"
ip netns exec vm-db iperf3 -s -1 -D
sleep 0.5
ip netns exec vm-web iperf3 -c "${ip4[db]}" -t 5 | tail -4

echo "== per-port counters (http://127.0.0.1:9477/metrics)"
curl -s http://127.0.0.1:9477/metrics | grep -E '^vswitch_port_(rx|tx)_packets_total|^vswitch_port_up'

if ((once)); then exit 0; fi
if [[ -t 0 && -t 1 ]]; then
  # Background traffic so the console has something to show: web pings db, app pings web (bounded: 10 minutes).
  ip netns exec vm-web ping -q -i 0.5 -w 600 "${ip4[db]}" >/dev/null 2>&1 &
  ip netns exec vm-app ping -q -i 1 -w 600 "${ip4[web]}" >/dev/null 2>&1 &
  echo "== the operator console (1-5 switch screens, q quits and cleans up)"; sleep 1
  "$vswitchctl" console --socket "$state/api.sock" || true
  exit 0
fi
echo "== the lab is running: try 'ip netns exec vm-web ping ${ip4[db]}'; Ctrl-C stops and cleans up"
wait "$pid"
