#!/usr/bin/env bash
# The demo lab: the network story of the clouds whose security groups VSwitch reproduces. Three "VMs" (network
# namespaces vm-web, vm-app, vm-db) take their addresses by DHCP from the switch: web on the public subnet with a
# floating IP and the preset `web` group, app and db on a private subnet behind the router; an "outside" host
# (vm-outside) on the external network. Then a short demonstration, traffic and the daemon's counters.
# Installs what it needs; run as root on Debian with the .NET SDK.
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
  "networks": [ { "name": "public" }, { "name": "private" }, { "name": "ext", "external": true } ],
  "subnets": [
    { "name": "public-v4", "network": "public", "cidr": "198.18.10.0/24", "dns_nameservers": [ "198.18.0.53" ] },
    { "name": "private-v4", "network": "private", "cidr": "198.18.11.0/24", "dns_nameservers": [ "198.18.0.53" ] },
    { "name": "ext-v4", "network": "ext", "cidr": "198.18.12.0/24", "enable_dhcp": false }
  ],
  "ports": [
    { "name": "web", "network": "public", "device": "tap:web0@vm-web", "mac_address": "fa:16:3e:00:00:11",
      "security_groups": [ "default", "web" ] },
    { "name": "app", "network": "private", "device": "tap:app0@vm-app", "mac_address": "fa:16:3e:00:00:12" },
    { "name": "db",  "network": "private", "device": "tap:db0@vm-db",   "mac_address": "fa:16:3e:00:00:13" },
    { "name": "outside", "network": "ext", "device": "tap:out0@vm-outside", "mac_address": "fa:16:3e:00:00:14",
      "fixed_ips": [ "198.18.12.10" ], "port_security_enabled": false }
  ],
  "routers": [ { "name": "edge", "subnets": [ "public-v4", "private-v4" ], "external_gateway": { "network": "ext", "ip_address": "198.18.12.2" } } ],
  "floating_ips": [ { "network": "ext", "port": "web", "floating_ip_address": "198.18.12.80" } ]
}
JSON
cat > "$state/udhcpc.sh" <<'SH'
#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
ip addr replace "$ip/$mask" dev "$interface"
ip route replace default via "${router%% *}" dev "$interface"
SH
chmod 700 "$state/udhcpc.sh"

vms=(web app db outside)
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  for vm in "${vms[@]}"; do { ip netns pids "vm-$vm" 2>/dev/null || true; } | xargs -r kill -9 || true; ip netns del "vm-$vm" 2>/dev/null || true; done
  rm -rf "$state"
}
trap cleanup EXIT INT TERM

for vm in "${vms[@]}"; do ip netns del "vm-$vm" 2>/dev/null || true; ip netns add "vm-$vm"; done
"$vswitchd" --config "$state/config.json" --metrics-listen 127.0.0.1:9477 --state-dir "$state" --api-socket "$state/api.sock" > "$state/vswitchd.log" 2>&1 &
pid=$!
declare -A dev=([web]=web0 [app]=app0 [db]=db0 [outside]=out0)
for vm in "${vms[@]}"; do
  for _ in $(seq 50); do ip netns exec "vm-$vm" ip link show "${dev[$vm]}" >/dev/null 2>&1 && break; sleep 0.1; done
  ip netns exec "vm-$vm" ip link set lo up
  ip netns exec "vm-$vm" ip link set "${dev[$vm]}" up
done
ip netns exec vm-outside ip addr add 198.18.12.10/24 dev out0
# The outside knows the way to the inside subnets (as an upstream router would): only the groups stand in the way.
ip netns exec vm-outside ip route add 198.18.10.0/23 via 198.18.12.2
echo "== the VMs ask the switch for their addresses (DHCP: address, default route through the router)"
declare -A ip4
for vm in web app db; do
  ip netns exec "vm-$vm" busybox udhcpc -i "${dev[$vm]}" -n -q -f -t 5 -T 1 -s "$state/udhcpc.sh" >/dev/null 2>&1
  ip4[$vm]=$(ip netns exec "vm-$vm" ip -4 -o addr show dev "${dev[$vm]}" | awk '{ split($4, a, "/"); print a[1] }')
  echo "   vm-$vm: ${ip4[$vm]}, default via $(ip netns exec "vm-$vm" ip -4 route show default | awk '{ print $3 }')"
done

echo "== web (public) -> app and db (private), through the router: default admits its members on both networks"
ip netns exec vm-web ping -c 2 -i 0.2 "${ip4[app]}"
ip netns exec vm-web ping -c 2 -i 0.2 "${ip4[db]}"

echo "== app reaches out through SNAT: the outside sees the router's gateway address"
ip netns exec vm-outside python3 -c "import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('0.0.0.0',7000)); s.settimeout(10); d,a=s.recvfrom(100); s.sendto(('seen from %s:%d' % a).encode(),a)" &
echo_server=$!
sleep 0.5
ip netns exec vm-app python3 -c "import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(4); s.sendto(b'hi',('198.18.12.10',7000)); print('   outside answered:', s.recv(100).decode())"
wait "$echo_server" 2>/dev/null || true

echo "== the outside reaches web on its floating IP 198.18.12.80, port 80 (the web group), and not app"
ip netns exec vm-web python3 -m http.server 80 --bind 0.0.0.0 >/dev/null 2>&1 &
disown  # the cleanup kills it with its namespace
sleep 1
ip netns exec vm-outside curl -s -o /dev/null -w '   http://198.18.12.80/ -> HTTP %{http_code}\n' --max-time 5 http://198.18.12.80/ || true
if ip netns exec vm-outside ping -c 1 -W 1 "${ip4[app]}" >/dev/null 2>&1; then echo "   (unexpected: the outside pinged app)"; else echo "   ping ${ip4[app]} (app) from outside: no answer, as its groups say"; fi

echo "== TCP throughput web -> db across the router (iperf3, 5 s)"
ip netns exec vm-db iperf3 -s -1 -D
sleep 0.5
ip netns exec vm-web iperf3 -c "${ip4[db]}" -t 5 | tail -4

echo "== counters (http://127.0.0.1:9477/metrics)"
curl -s http://127.0.0.1:9477/metrics | grep -E '^vswitch_port_(rx|tx)_packets_total|^vswitch_router_forwarded|^vswitch_nat_translated|^vswitch_dhcp_replies'

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
