#!/usr/bin/env bash
# The first packets through a freshly started vswitchd: how much longer the first ping takes than the ones after it.
# Each run starts a new daemon (fresh state dir) with two VMs on TAP ports with port security and the default group,
# waits until it says it is ready, then pings from one VM to the other and prints every round trip in milliseconds.
# The first round trip includes ARP resolution through the switch, as a VM's first packet does.
#   perf/first-packet.sh [RUNS] [WORKERS]      (default 5 runs, 2 workers; root; builds the daemon first)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
workers=${2:-2}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build vswitch/VSwitch.Daemon -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
vswitchd=vswitch/VSwitch.Daemon/bin/Release/net10.0/vswitchd
command -v ping >/dev/null || { echo "first-packet: ping is missing (scripts/install-deps.sh installs it)"; exit 1; }

state=""; pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  pid=""
  for vm in fpa fpb; do ip netns del "$vm" 2>/dev/null || true; done
  [[ -n "$state" ]] && rm -rf "$state"
  state=""
}
trap cleanup EXIT INT TERM

echo "run first_ms then_ms..."
for run in $(seq "$runs"); do
  state=$(mktemp -d /tmp/vswitch-first.XXXX)
  cat > "$state/config.json" <<JSON
{
  "workers": $workers,
  "networks": [ { "name": "lab" } ],
  "ports": [
    { "name": "a", "network": "lab", "device": "tap:fpa0@fpa${PORT_OPTIONS:-}", "mac_address": "fa:16:3e:00:0f:01", "fixed_ips": [ "198.18.15.1" ] },
    { "name": "b", "network": "lab", "device": "tap:fpb0@fpb${PORT_OPTIONS:-}", "mac_address": "fa:16:3e:00:0f:02", "fixed_ips": [ "198.18.15.2" ] }
  ]
}
JSON
  for vm in fpa fpb; do ip netns del "$vm" 2>/dev/null || true; ip netns add "$vm"; done
  "$vswitchd" --config "$state/config.json" --metrics-listen none --state-dir "$state" --api-socket "$state/api.sock" > "$state/log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do grep -q "vswitchd ready" "$state/log" && break; sleep 0.05; done
  grep -q "vswitchd ready" "$state/log" || { echo "vswitchd did not start:"; cat "$state/log"; exit 1; }
  for vm in a b; do
    ip netns exec "fp$vm" ip link set lo up
    ip netns exec "fp$vm" ip link set "fp${vm}0" up
  done
  ip netns exec fpa ip addr add 198.18.15.1/24 dev fpa0
  ip netns exec fpb ip addr add 198.18.15.2/24 dev fpb0
  rtts=$(ip netns exec fpa ping -c 6 -i 0.2 -W 2 198.18.15.2 | sed -nE 's/.*time=([0-9.]+) ms.*/\1/p' | tr '\n' ' ')
  echo "$run $rtts"
  cleanup
done
