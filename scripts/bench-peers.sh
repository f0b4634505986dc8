#!/usr/bin/env bash
# End-to-end benchmark of VSwitch against its peers, all on the same topology: two namespaces (client, server) joined
#   - directly by a veth pair (the ceiling),
#   - by a Linux bridge with stateful nftables rules (bridge family; on kernels without nf_conntrack_bridge, an inet
#     table through br_netfilter, switched on only in the bridge's own namespace),
#   - by Open vSwitch's userspace datapath (datapath_type=netdev, ct() firewall flows, userspace TSO on), 1 and 2 PMD cores,
#   - by VSwitch with tap: ports and with afpacket: ports (stateful security group), --workers 1 and 2,
# and, routed (the client outside reaches the server inside through a floating IP, 1:1 NAT, the same policy):
#   - by a Linux router namespace with nftables DNAT/SNAT and a stateful forward chain between two Linux bridges, the
#     way Neutron's L3 agent does it (linux-router-nft),
#   - by VSwitch's own router, an external network and a floating IP, tap: ports, 1 worker (vswitch-routed-fip-w1),
# and, for the systems named vhost-*, two DPDK virtio-user NICs (VMs without the VM) joined by VSwitch's vhostuser:
# ports, by Open vSwitch with DPDK (dpdkvhostuser) and by testpmd's net_vhost backend (the ceiling): those run
# scripts/bench-vhost.sh (its header says how), with the same repetitions, and their table follows in the report.
# Metrics: single-stream TCP throughput (iperf3), 64-byte UDP packets per second received (trafgen, and iperf3
# -u -l 64 -b 0), new TCP connections per second (one sequential client), round-trip latency (ping, and a 1-byte TCP
# request/response). Every value is the median of REPS runs; the report prints the ratio VSwitch / peer.
#
#   scripts/bench-peers.sh [--quick] [--reps N] [--secs N] [--tcp-secs N] [--systems "LIST"] [--wait-quiet]
#                          [--out FILE] [--keep-logs] [--afpacket-rx v2|v3] [--tap-io uring|syscalls]
#                          [--busy-poll USEC] [--vhost-flows "1 256 10000"] [--vhost-warm SECS]
#     --quick       2 s runs, 3 repetitions (about 8 minutes)
#     default       10 s TCP runs, 4 s for the other metrics, 3 repetitions (about 15 minutes)
#     --systems     subset of: veth bridge-nft ovs-pmd1 ovs-pmd2 vswitch-tap-w1 vswitch-afpacket-w1
#                   vswitch-tap-w2 vswitch-afpacket-w2 linux-router-nft vswitch-routed-fip-w1
#                   vhost-vswitch vhost-ovs-dpdk vhost-testpmd
#                   (default: all, in this order; the vhost-* systems add about 12 minutes)
#     --wait-quiet  first wait (up to 15 minutes, checking every 30 s) for a 1-minute load average below 1.0
#     --out FILE    also write the report (Markdown) to FILE
#     --afpacket-rx the receive ring of the vswitch-afpacket-* ports: v2 (TPACKET_V2 frames) or v3 (TPACKET_V3
#                   blocks); default: the switch's default (afpacket:IF without an option)
#     --tap-io      the I/O path of the vswitch-tap-* ports: uring (reads and writes batched per io_uring_enter) or
#                   syscalls (one readv/writev per frame); default: the switch's default (tap:IF without an option)
#     --busy-poll   pass --busy-poll USEC to vswitchd (workers poll without sleeping for USEC after traffic,
#                   as Open vSwitch's PMD threads always do); default: off
#     --vhost-flows numbers of flows for the vhost-* systems (default "1 256 10000")
#     --vhost-warm  seconds of unmeasured traffic after each vhost-* start (default 30: VSwitch's worker shares its
#                   CPU with the JIT's background compiler there, so its hot code takes seconds to reach tier 1)
#
# Needs root. Installs its tools (scripts/install-deps.sh --bench) and builds vswitchd (Release). Uses only
# 198.18.7.0/24 (and 198.18.8.0/24 inside the routed systems), namespaces and links named with a per-run prefix, and
# removes all of them (and the OVS daemons, vswitchd, the nftables tables) on exit, also on Ctrl-C. Every load, daemon
# start and control command is bounded by `timeout`; vswitchd is stopped by the script (SIGTERM, then SIGKILL after 10 s).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
# shellcheck source=bench-lib.sh
source "$repo/scripts/bench-lib.sh"
tools="$repo/scripts/bench-peers-tools.py"

reps=3; secs=4; tcp_secs=10; quick=0; wait_quiet=0; out=""; keep_logs=0; afpacket_rx=""; tap_io=""; busy_poll=0
vhost_flows="1 256 10000"; vhost_warm=30
all_systems="veth bridge-nft ovs-pmd1 ovs-pmd2 vswitch-tap-w1 vswitch-afpacket-w1 vswitch-tap-w2 vswitch-afpacket-w2"
all_systems+=" linux-router-nft vswitch-routed-fip-w1"
all_systems+=" vhost-vswitch vhost-ovs-dpdk vhost-testpmd"
systems=$all_systems
while (($#)); do
  case "$1" in
    --quick) quick=1; secs=2; tcp_secs=2; reps=3 ;;
    --reps) reps=$2; shift ;;
    --secs) secs=$2; shift ;;
    --tcp-secs) tcp_secs=$2; shift ;;
    --systems) systems=$2; shift ;;
    --wait-quiet) wait_quiet=1 ;;
    --out) out=$2; shift ;;
    --keep-logs) keep_logs=1 ;;
    --afpacket-rx) afpacket_rx=$2; shift ;;
    --tap-io) tap_io=$2; shift ;;
    --busy-poll) busy_poll=$2; shift ;;
    --vhost-flows) vhost_flows=$2; shift ;;
    --vhost-warm) vhost_warm=$2; shift ;;
    -h|--help) sed -n '2,43p' "$0"; exit 0 ;;
    *) echo "bench-peers: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
for s in $systems; do [[ " $all_systems " == *" $s "* ]] || { echo "bench-peers: unknown system $s" >&2; exit 2; }; done
kernel_systems=""; vhost_systems=""
for s in $systems; do
  if [[ $s == vhost-* ]]; then vhost_systems+="${vhost_systems:+ }$s"; else kernel_systems+="${kernel_systems:+ }$s"; fi
done
[[ $vhost_warm =~ ^[0-9]+$ ]] || { echo "bench-peers: --vhost-warm must be a number of seconds" >&2; exit 2; }
((reps >= 1 && secs >= 1 && tcp_secs >= 1)) || { echo "bench-peers: bad --reps/--secs" >&2; exit 2; }
[[ -z $afpacket_rx || $afpacket_rx == v2 || $afpacket_rx == v3 ]] || { echo "bench-peers: --afpacket-rx must be v2 or v3" >&2; exit 2; }
afpacket_opt=${afpacket_rx:+?rx=$afpacket_rx}
[[ -z $tap_io || $tap_io == uring || $tap_io == syscalls ]] || { echo "bench-peers: --tap-io must be uring or syscalls" >&2; exit 2; }
tap_opt=${tap_io:+?io=$tap_io}
[[ $busy_poll =~ ^[0-9]+$ ]] || { echo "bench-peers: --busy-poll must be a number of microseconds" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "bench-peers: needs root (namespaces, veth, OVS, nftables)" >&2; exit 1; }

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

log "installing tools and building vswitchd (Release)"
timeout 900 scripts/install-deps.sh --bench >/dev/null
timeout 900 dotnet build vswitch/VSwitch.Daemon -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
vswitchd="$repo/vswitch/VSwitch.Daemon/bin/Release/net10.0/vswitchd"

# Per-run names: namespaces client / server / switch (the bridge and OVS live in the switch namespace, so their
# sysctls and the OVS datapath's tap devices stay private), host ends of the veths, bridges, nft table.
P="bp$(($$ % 100000))"
NC="$P-c"; NS="$P-s"; NX="$P-x"; NR="$P-r"
HC="${P}hc"; HS="${P}hs"; BR="${P}br"; OB="${P}ob"
IP_C=198.18.7.1; IP_S=198.18.7.2
MAC_C=fa:16:3e:b7:00:01; MAC_S=fa:16:3e:b7:00:02
# Routed systems: the client stays on 198.18.7.0/24 (outside), the server moves to 198.18.8.0/24 (inside) and is
# reached on its floating IP; DST and DST_MAC are what the client sends to (the server, or the floating IP through
# the router's MAC).
FIP=198.18.7.100; GW_OUT=198.18.7.254; IP_IN=198.18.8.2; GW_IN=198.18.8.1
DST=$IP_S; DST_MAC=$MAC_S
PORT_TCP=5201; PORT_CONN=5301; PORT_RR=5401; PORT_UDP_SINK=9; PORT_DENIED=5999
tmp=$(mktemp -d /tmp/bench-peers.XXXXXX)
results="$tmp/results.txt"; : > "$results"
vsw_pid=""; ovs_dir=""; IFC=""; IFS_=""

stop_vswitch() { stop_pid "$vsw_pid"; vsw_pid=""; }
teardown() {
  stop_vswitch
  stop_ovs
  ip netns exec "$NX" nft delete table bridge "$P" 2>/dev/null || true
  ip netns exec "$NX" nft delete table inet "$P" 2>/dev/null || true
  DST=$IP_S; DST_MAC=$MAC_S
  for ns in "$NC" "$NS" "$NX" "$NR"; do
    { ip netns pids "$ns" 2>/dev/null || true; } | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  ip link del "$HC" 2>/dev/null || true
  ip link del "$HS" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  teardown
  if ((keep_logs)) || ((rc != 0)); then log "logs kept in $tmp"; else rm -rf "$tmp"; fi
  exit $rc
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------------- topology

make_endpoints() {
  for ns in "$NC" "$NS"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # One client makes thousands of connections a second: widen the port range and reuse TIME_WAIT ports.
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1 \
      net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
}
# addr NS DEV IP MAC
addr() {
  ip -n "$1" link set "$2" address "$4"
  ip -n "$1" addr add "$3/24" dev "$2"
  ip -n "$1" link set "$2" up
}
# Veth pairs from each endpoint namespace to host ends HC/HS, in namespace $1 ("" = the root namespace).
host_veths() {
  local where=()
  [[ -n "$1" ]] && where=(-n "$1")
  ip "${where[@]}" link add "$HC" type veth peer name eth0 netns "$NC"
  ip "${where[@]}" link add "$HS" type veth peer name eth0 netns "$NS"
  ip "${where[@]}" link set "$HC" up
  ip "${where[@]}" link set "$HS" up
  IFC=eth0; IFS_=eth0
  addr "$NC" eth0 "$IP_C" "$MAC_C"; addr "$NS" eth0 "$IP_S" "$MAC_S"
}
switch_ns() {
  ip netns add "$NX"
  ip -n "$NX" link set lo up
  # Bridged frames are filtered by the bridge family only, never by the IP hooks (no br_netfilter).
  ip netns exec "$NX" sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 \
    net.bridge.bridge-nf-call-arptables=0 2>/dev/null || true
}

setup_veth() {
  make_endpoints
  ip link add "${P}v" netns "$NC" type veth peer name eth0 netns "$NS"
  ip -n "$NC" link set "${P}v" name eth0
  IFC=eth0; IFS_=eth0
  addr "$NC" eth0 "$IP_C" "$MAC_C"; addr "$NS" eth0 "$IP_S" "$MAC_S"
}

# The server's stateful security group as nftables rules (forward chain body): what every peer system enforces.
server_group_rules() {
  cat <<EOF
    ct state established,related accept
    ct state invalid drop
    ip protocol icmp ct state new accept
    tcp dport { $PORT_TCP, $PORT_CONN, $PORT_RR } ct state new accept
    udp dport { $PORT_TCP, $PORT_UDP_SINK } ct state new accept
EOF
}

setup_bridge_nft() {
  make_endpoints; switch_ns; host_veths "$NX"
  ip -n "$NX" link add "$BR" type bridge stp_state 0 forward_delay 0
  ip -n "$NX" link set "$HC" master "$BR"
  ip -n "$NX" link set "$HS" master "$BR"
  ip -n "$NX" link set "$BR" up
  # Stateful filtering of bridged frames: the bridge family's own conntrack (nf_conntrack_bridge) where the kernel
  # has it; otherwise (CONFIG_NF_CONNTRACK_BRIDGE is not set on some kernels) br_netfilter, switched on in the switch
  # namespace only, hands bridged IPv4 to the inet family's forward hook with conntrack.
  local family=bridge
  if ! timeout 10 ip netns exec "$NX" nft -f - <<EOF
table bridge $P {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ether type arp accept
$(server_group_rules)
  }
}
EOF
  then
    family=inet
    log "bridge-family conntrack is not available on this kernel: using br_netfilter + an inet table"
    timeout 10 ip netns exec "$NX" nft delete table bridge "$P" 2>/dev/null || true
    ip netns exec "$NX" sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1 || return 1
    timeout 10 ip netns exec "$NX" nft -f - <<EOF || return 1
table inet $P {
  chain forward {
    type filter hook forward priority filter; policy drop;
$(server_group_rules)
  }
}
EOF
  fi
  timeout 10 ip netns exec "$NX" nft list table "$family" "$P" > "$tmp/nft-ruleset.txt" || return 1
  echo "$family" > "$tmp/bridge-nft-family"
}

# setup_ovs PMD_MASK
setup_ovs() {
  make_endpoints; switch_ns; host_veths "$NX"
  ovs_dir="$tmp/ovs-$1"; rm -rf "$ovs_dir"; mkdir -p "$ovs_dir"
  export OVS_RUNDIR=$ovs_dir OVS_LOGDIR=$ovs_dir OVS_DBDIR=$ovs_dir
  local vsctl=(timeout 20 ovs-vsctl --db="unix:$ovs_dir/db.sock" --timeout=15)
  timeout 10 ovsdb-tool create "$ovs_dir/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
  timeout 20 ip netns exec "$NX" ovsdb-server "$ovs_dir/conf.db" --remote="punix:$ovs_dir/db.sock" \
    --pidfile="$ovs_dir/ovsdb-server.pid" --unixctl="$ovs_dir/ovsdb-server.ctl" \
    --log-file="$ovs_dir/ovsdb-server.log" --detach --no-chdir || return 1
  "${vsctl[@]}" --no-wait init || return 1
  # userspace-tso-enable is read at start: set it before ovs-vswitchd runs.
  "${vsctl[@]}" --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true other_config:pmd-cpu-mask="$1" || return 1
  timeout 30 ip netns exec "$NX" ovs-vswitchd "unix:$ovs_dir/db.sock" --pidfile="$ovs_dir/ovs-vswitchd.pid" \
    --unixctl="$ovs_dir/ovs-vswitchd.ctl" --log-file="$ovs_dir/ovs-vswitchd.log" --detach --no-chdir || return 1
  "${vsctl[@]}" add-br "$OB" -- set bridge "$OB" datapath_type=netdev fail_mode=secure || return 1
  "${vsctl[@]}" add-port "$OB" "$HC" -- set Interface "$HC" ofport_request=1 || return 1
  "${vsctl[@]}" add-port "$OB" "$HS" -- set Interface "$HS" ofport_request=2 || return 1
  # The same policy as the nftables rules and the security group: new TCP/UDP to the test ports and ICMP, then
  # everything of an established or related connection; the rest is dropped.
  cat > "$tmp/flows.txt" <<EOF
table=0,priority=100,arp,actions=NORMAL
table=0,priority=100,ip,actions=ct(table=1)
table=0,priority=0,actions=drop
table=1,priority=100,ip,ct_state=+trk+est-inv,actions=NORMAL
table=1,priority=100,ip,ct_state=+trk+rel-inv,actions=NORMAL
table=1,priority=90,icmp,ct_state=+trk+new-inv,actions=ct(commit),NORMAL
table=1,priority=90,tcp,tp_dst=$PORT_TCP,ct_state=+trk+new-inv,actions=ct(commit),NORMAL
table=1,priority=90,tcp,tp_dst=$PORT_CONN,ct_state=+trk+new-inv,actions=ct(commit),NORMAL
table=1,priority=90,tcp,tp_dst=$PORT_RR,ct_state=+trk+new-inv,actions=ct(commit),NORMAL
table=1,priority=90,udp,tp_dst=$PORT_TCP,ct_state=+trk+new-inv,actions=ct(commit),NORMAL
table=1,priority=90,udp,tp_dst=$PORT_UDP_SINK,ct_state=+trk+new-inv,actions=ct(commit),NORMAL
table=1,priority=0,actions=drop
EOF
  timeout 20 ovs-ofctl del-flows "$OB"
  timeout 20 ovs-ofctl add-flows "$OB" "$tmp/flows.txt" || return 1
  timeout 10 ovs-appctl -t "$ovs_dir/ovs-vswitchd.ctl" dpif-netdev/pmd-rxq-show > "$tmp/ovs-pmd-rxq-$1.txt" 2>&1 || true
  log "ovs: $(timeout 10 ovs-vsctl --db="unix:$ovs_dir/db.sock" get Open_vSwitch . other_config | tr -d '\n'); \
userspace TSO: $(grep -c -i 'userspace TCP Segmentation Offloading support enabled' "$ovs_dir/ovs-vswitchd.log" || true) log line(s)"
}

# setup_vswitch tap|afpacket WORKERS
setup_vswitch() {
  local kind=$1 workers=$2 dev_c dev_s
  make_endpoints
  if [[ $kind == tap ]]; then
    IFC="${P}tc"; IFS_="${P}ts"; dev_c="tap:$IFC@$NC$tap_opt"; dev_s="tap:$IFS_@$NS$tap_opt"
  else
    host_veths ""; dev_c="afpacket:$HC$afpacket_opt"; dev_s="afpacket:$HS$afpacket_opt"
  fi
  cat > "$tmp/vswitch.json" <<EOF
{
  "networks": [ { "name": "bench" } ],
  "security_groups": [ { "name": "bench", "stateful": true, "rules": [
    { "direction": "ingress", "protocol": "icmp" },
    { "direction": "ingress", "protocol": "tcp", "port_range_min": $PORT_TCP, "port_range_max": $PORT_TCP },
    { "direction": "ingress", "protocol": "tcp", "port_range_min": $PORT_CONN, "port_range_max": $PORT_CONN },
    { "direction": "ingress", "protocol": "tcp", "port_range_min": $PORT_RR, "port_range_max": $PORT_RR },
    { "direction": "ingress", "protocol": "udp", "port_range_min": $PORT_TCP, "port_range_max": $PORT_TCP },
    { "direction": "ingress", "protocol": "udp", "port_range_min": $PORT_UDP_SINK, "port_range_max": $PORT_UDP_SINK } ] } ],
  "ports": [
    { "name": "client", "network": "bench", "device": "$dev_c", "mac_address": "$MAC_C",
      "fixed_ips": [ "$IP_C" ], "security_groups": [ "bench" ] },
    { "name": "server", "network": "bench", "device": "$dev_s", "mac_address": "$MAC_S",
      "fixed_ips": [ "$IP_S" ], "security_groups": [ "bench" ] } ]
}
EOF
  start_vswitchd "$workers" "$tmp/vswitch-$kind-w$workers.log" || return 1
  if [[ $kind == tap ]]; then
    for _ in $(seq 100); do
      ip -n "$NC" link show "$IFC" >/dev/null 2>&1 && ip -n "$NS" link show "$IFS_" >/dev/null 2>&1 && break
      sleep 0.1
    done
    addr "$NC" "$IFC" "$IP_C" "$MAC_C"; addr "$NS" "$IFS_" "$IP_S" "$MAC_S"
  fi
}

# start_vswitchd WORKERS LOG: vswitchd on $tmp/vswitch.json, until it has applied its configuration.
start_vswitchd() {
  rm -rf "$tmp/vswitch-state"; mkdir -p "$tmp/vswitch-state"
  "$vswitchd" --config "$tmp/vswitch.json" --workers "$1" --busy-poll "$busy_poll" --metrics-listen none \
    --state-dir "$tmp/vswitch-state" --api-socket "$tmp/vswitch.sock" > "$2" 2>&1 &
  vsw_pid=$!
  local ready=0
  for _ in $(seq 300); do
    grep -q "applied generation" "$2" && { ready=1; break; }
    kill -0 "$vsw_pid" 2>/dev/null || break
    sleep 0.1
  done
  ((ready)) || { log "vswitchd did not start:"; tail -20 "$2" >&2; return 1; }
}

# A Linux router namespace between two bridges (ext: the client; int: the server), as Neutron's L3 agent builds one:
# the floating IP on its external interface, nftables DNAT/SNAT, and the policy as a stateful forward chain.
setup_linux_router() {
  make_endpoints; switch_ns
  ip netns add "$NR"; ip -n "$NR" link set lo up
  ip netns exec "$NR" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$NX" link add "$BR" type bridge stp_state 0 forward_delay 0
  ip -n "$NX" link add "${BR}i" type bridge stp_state 0 forward_delay 0
  ip -n "$NX" link add "$HC" type veth peer name eth0 netns "$NC"
  ip -n "$NX" link add "$HS" type veth peer name eth0 netns "$NS"
  ip -n "$NX" link add "${P}rg" type veth peer name qg netns "$NR"
  ip -n "$NX" link add "${P}ri" type veth peer name qr netns "$NR"
  for l in "$HC:$BR" "${P}rg:$BR" "$HS:${BR}i" "${P}ri:${BR}i"; do
    ip -n "$NX" link set "${l%%:*}" master "${l##*:}"
    ip -n "$NX" link set "${l%%:*}" up
  done
  ip -n "$NX" link set "$BR" up; ip -n "$NX" link set "${BR}i" up
  IFC=eth0; IFS_=eth0
  addr "$NC" eth0 "$IP_C" "$MAC_C"; addr "$NS" eth0 "$IP_IN" "$MAC_S"
  ip -n "$NS" route add default via "$GW_IN"
  ip -n "$NR" addr add "$GW_OUT/24" dev qg; ip -n "$NR" addr add "$FIP/32" dev qg; ip -n "$NR" link set qg up
  ip -n "$NR" addr add "$GW_IN/24" dev qr; ip -n "$NR" link set qr up
  timeout 10 ip netns exec "$NR" nft -f - <<EOF || return 1
table ip $P {
  chain prerouting { type nat hook prerouting priority dstnat; ip daddr $FIP dnat to $IP_IN; }
  chain postrouting { type nat hook postrouting priority srcnat; ip saddr $IP_IN oifname "qg" snat to $FIP; }
  chain forward {
    type filter hook forward priority filter; policy drop;
$(server_group_rules)
  }
}
EOF
  DST=$FIP
}

# VSwitch's own router: networks ext (external, the client) and int (the server), the router's gateway on ext, its
# interface on int, the server's floating IP; the same security group as the switched systems.
setup_vswitch_routed() {
  local workers=$1
  make_endpoints
  IFC="${P}tc"; IFS_="${P}ts"
  cat > "$tmp/vswitch.json" <<EOF
{
  "networks": [ { "name": "ext", "external": true }, { "name": "int" } ],
  "subnets": [
    { "name": "ext4", "network": "ext", "cidr": "198.18.7.0/24", "no_gateway": true, "enable_dhcp": false },
    { "name": "int4", "network": "int", "cidr": "198.18.8.0/24", "gateway_ip": "$GW_IN", "enable_dhcp": false } ],
  "security_groups": [ { "name": "bench", "stateful": true, "rules": [
    { "direction": "ingress", "protocol": "icmp" },
    { "direction": "ingress", "protocol": "tcp", "port_range_min": $PORT_TCP, "port_range_max": $PORT_TCP },
    { "direction": "ingress", "protocol": "tcp", "port_range_min": $PORT_CONN, "port_range_max": $PORT_CONN },
    { "direction": "ingress", "protocol": "tcp", "port_range_min": $PORT_RR, "port_range_max": $PORT_RR },
    { "direction": "ingress", "protocol": "udp", "port_range_min": $PORT_TCP, "port_range_max": $PORT_TCP },
    { "direction": "ingress", "protocol": "udp", "port_range_min": $PORT_UDP_SINK, "port_range_max": $PORT_UDP_SINK } ] } ],
  "ports": [
    { "name": "client", "network": "ext", "device": "tap:$IFC@$NC$tap_opt", "mac_address": "$MAC_C",
      "fixed_ips": [ "$IP_C" ], "port_security_enabled": false },
    { "name": "server", "network": "int", "device": "tap:$IFS_@$NS$tap_opt", "mac_address": "$MAC_S",
      "fixed_ips": [ "$IP_IN" ], "security_groups": [ "bench" ] } ],
  "routers": [ { "name": "edge", "subnets": [ "int4" ],
    "external_gateway": { "network": "ext", "ip_address": "$GW_OUT", "enable_snat": false } } ],
  "floating_ips": [ { "network": "ext", "port": "server", "floating_ip_address": "$FIP" } ]
}
EOF
  start_vswitchd "$workers" "$tmp/vswitch-routed-w$workers.log" || return 1
  for _ in $(seq 100); do
    ip -n "$NC" link show "$IFC" >/dev/null 2>&1 && ip -n "$NS" link show "$IFS_" >/dev/null 2>&1 && break
    sleep 0.1
  done
  addr "$NC" "$IFC" "$IP_C" "$MAC_C"; addr "$NS" "$IFS_" "$IP_IN" "$MAC_S"
  ip -n "$NS" route add default via "$GW_IN"
  DST=$FIP
}

setup_system() {
  case "$1" in
    veth) setup_veth ;;
    bridge-nft) setup_bridge_nft ;;
    ovs-pmd1) setup_ovs 0x1 ;;
    ovs-pmd2) setup_ovs 0x3 ;;
    vswitch-tap-w*) setup_vswitch tap "${1##*-w}" ;;
    vswitch-afpacket-w*) setup_vswitch afpacket "${1##*-w}" ;;
    linux-router-nft) setup_linux_router ;;
    vswitch-routed-fip-w*) setup_vswitch_routed "${1##*-w}" ;;
  esac
}

start_servers() {
  timeout 10 ip netns exec "$NS" iperf3 -s -D -p "$PORT_TCP" --logfile "$tmp/iperf3-server.log"
  # The trafgen flood's sink: dropped at the server interface's ingress hook, after rx_packets has counted it. With
  # no listener on the port, every frame would take the kernel's no-listener path (input and output route lookups
  # for an ICMP port unreachable) inside whichever thread delivers it: the sender's core for the bridge, the PMD or
  # worker thread for the userspace switches. That measured the server's error path more than the switch.
  timeout 5 ip netns exec "$NS" nft -f - <<EOF
table netdev sink {
  chain in {
    type filter hook ingress device "$IFS_" priority 0;
    udp dport $PORT_UDP_SINK counter drop
  }
}
EOF
  (ip netns exec "$NS" timeout 3600 python3 "$tools" server "$PORT_CONN" "$PORT_RR" "$PORT_DENIED" > "$tmp/server.log" 2>&1 &)
  # Connectivity (and ARP / MAC learning) before measuring.
  local up=0
  for _ in $(seq 20); do
    timeout 3 ip netns exec "$NC" ping -c 1 -W 1 "$DST" >/dev/null 2>&1 && { up=1; break; }
    sleep 0.25
  done
  ((up)) || return 1
  # What the client's frames go to: the server, or (routed) the router's MAC for the floating IP.
  DST_MAC=$(ip -n "$NC" neigh show "$DST" | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')
  [[ -n $DST_MAC ]] || return 1
  # The policy is in force: a listening TCP port outside the allowed ones is unreachable (except over plain veth).
  if timeout 5 ip netns exec "$NC" python3 "$tools" probe "$DST" "$PORT_DENIED"; then
    echo "$1 open" >> "$tmp/firewall.txt"
    [[ $1 == veth ]] || log "$1: WARNING: tcp/$PORT_DENIED is reachable: the firewall is not enforced"
  else
    echo "$1 enforced" >> "$tmp/firewall.txt"
  fi
}

# ----------------------------------------------------------------------------------------------------------- metrics

m_tcp() {
  timeout $((tcp_secs + 20)) ip netns exec "$NC" iperf3 -c "$DST" -p "$PORT_TCP" -t "$tcp_secs" -J \
    | python3 "$tools" iperf-tcp
}
m_pps_iperf() {
  timeout $((secs + 20)) ip netns exec "$NC" iperf3 -c "$DST" -p "$PORT_TCP" -u -l 64 -b 0 -t "$secs" -J \
    | python3 "$tools" iperf-udp
}
# trafgen sends 60-byte frames (64 on the wire with the FCS) of 16 UDP flows to the discard port as fast as one
# core can; the rate is what arrives at the server's interface (rx_packets) during the middle of the send. The server
# drops them at its interface's ingress hook (start_servers), so its IP stack does no work for them.
m_pps_trafgen() {
  local c=(${MAC_C//:/ }) s=(${DST_MAC//:/ })
  cat > "$tmp/udp64.cfg" <<EOF
{
  0x${s[0]}, 0x${s[1]}, 0x${s[2]}, 0x${s[3]}, 0x${s[4]}, 0x${s[5]},
  0x${c[0]}, 0x${c[1]}, 0x${c[2]}, 0x${c[3]}, 0x${c[4]}, 0x${c[5]},
  const16(0x0800),
  0x45, 0x00, const16(46), const16(0), 0x40, 0x00, 64, 17, csumip(14, 33),
  ${IP_C//./, }, ${DST//./, },
  0x9c, dinc(0x40, 0x4f), const16($PORT_UDP_SINK), const16(26), const16(0),
  fill(0x42, 18)
}
EOF
  local rx="/sys/class/net/$IFS_/statistics/rx_packets" r0 r1 t0 t1 tg
  timeout -s INT $((secs + 3)) ip netns exec "$NC" trafgen --dev "$IFC" --conf "$tmp/udp64.cfg" --cpus 1 \
    > "$tmp/trafgen.log" 2>&1 &
  tg=$!
  sleep 0.7
  r0=$(ip netns exec "$NS" cat "$rx"); t0=$(date +%s.%N)
  sleep "$secs"
  r1=$(ip netns exec "$NS" cat "$rx"); t1=$(date +%s.%N)
  kill -INT "$tg" 2>/dev/null || true
  wait "$tg" 2>/dev/null || true
  python3 -c "print('%.0f' % (($r1 - $r0) / ($t1 - $t0)))"
}
m_cps() {
  timeout $((secs + 20)) ip netns exec "$NC" python3 "$tools" conn "$DST" "$PORT_CONN" "$secs"
}
m_ping() {
  timeout $((secs + 10)) ip netns exec "$NC" ping -i 0.01 -c $((secs * 100)) -w $((secs + 5)) "$DST" \
    | python3 "$tools" ping-median
}
m_rr() {
  timeout $((secs + 20)) ip netns exec "$NC" python3 "$tools" rr "$DST" "$PORT_RR" "$secs"
}
metrics="tcp pps_trafgen pps_iperf cps ping rr"

# -------------------------------------------------------------------------------------------------------------- main

if ((wait_quiet)); then
  for i in $(seq 30); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    python3 -c "import sys; sys.exit(0 if $load < 1.0 else 1)" && break
    ((i == 30)) && { log "load still $load after 15 minutes: running anyway"; break; }
    log "load $load: waiting for < 1.0"
    sleep 30
  done
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +"%Y-%m-%d %H:%M UTC")
log "run $P: systems: $systems; $reps repetitions, TCP ${tcp_secs} s, others ${secs} s; load $load_before"

for system in $kernel_systems; do
  teardown
  log "$system: setting up"
  if ! setup_system "$system" > "$tmp/setup-$system.log" 2>&1 || ! start_servers "$system"; then
    log "$system: setup or connectivity failed (see $tmp/setup-$system.log)"; keep_logs=1
    for m in $metrics; do echo "$system $m fail" >> "$results"; done
    continue
  fi
  for rep in $(seq "$reps"); do
    line=""
    for m in $metrics; do
      v=$("m_$m" 2>> "$tmp/errors-$system.log") || v=""
      [[ -n "$v" ]] || { v=fail; keep_logs=1; }
      echo "$system $m $v" >> "$results"
      line+=" $m=$v"
    done
    log "$system run $rep:$line"
  done
done
teardown

if [[ -n $vhost_systems ]]; then
  # The vhost-user systems: same repetitions, each run at least 5 s (bench-vhost's own warm-up and confinement).
  log "vhost-user systems: $vhost_systems (scripts/bench-vhost.sh)"
  vhost_args=(--systems "$vhost_systems" --reps "$reps" --secs "$((secs > 5 ? secs : 5))" --warm "$vhost_warm"
    --flows "$vhost_flows" --out "$tmp/vhost.md")
  ((busy_poll)) && vhost_args+=(--busy-poll "$busy_poll")
  ((keep_logs)) && vhost_args+=(--keep-logs)
  timeout 7200 scripts/bench-vhost.sh "${vhost_args[@]}" > /dev/null || { log "bench-vhost failed"; echo "(bench-vhost failed)" > "$tmp/vhost.md"; }
fi

{
  echo "Run $started, $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), kernel $(uname -r),"
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with local changes)'); \
$reps runs per value, TCP ${tcp_secs} s, other metrics ${secs} s; load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)."
  if [[ -f "$tmp/bridge-nft-family" ]]; then
    echo "bridge-nft: stateful rules in the $(cat "$tmp/bridge-nft-family") family$([[ $(cat "$tmp/bridge-nft-family") == inet ]] && echo \
      " (the kernel has no nf_conntrack_bridge; br_netfilter on in the bridge's namespace only)")."
  fi
  [[ " $systems " == *" vswitch-afpacket-"* ]] && echo "vswitch-afpacket: receive ring ${afpacket_rx:-default} (device afpacket:IF$afpacket_opt)."
  [[ " $systems " == *" vswitch-tap-"* ]] && echo "vswitch-tap: I/O ${tap_io:-default} (device tap:IF@NETNS$tap_opt)."
  [[ " $systems " == *" vswitch-"* ]] && echo "vswitchd busy poll: $( ((busy_poll)) && echo "$busy_poll us (--busy-poll)" || echo off)."
  echo "Firewall check (tcp/$PORT_DENIED must be unreachable): $(paste -sd, "$tmp/firewall.txt" 2>/dev/null | sed 's/,/, /g')."
  echo
  [[ -n $kernel_systems ]] && python3 "$tools" report "$results"
  if [[ " $systems " == *" vswitch-routed-fip-w1 "* && " $systems " == *" vswitch-tap-w1 "* ]]; then
    # Issue 18's end-to-end target: TCP through a floating IP at least 0.9 times switched TCP on the same ports.
    python3 - "$results" <<'PY' || true
import statistics, sys
v = {}
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) == 3 and p[1] == "tcp" and p[2] not in ("fail", "-"):
        v.setdefault(p[0], []).append(float(p[2]))
if "vswitch-routed-fip-w1" in v and "vswitch-tap-w1" in v:
    r, s = statistics.median(v["vswitch-routed-fip-w1"]), statistics.median(v["vswitch-tap-w1"])
    print()
    print(f"TCP through the floating IP / switched TCP (VSwitch, tap ports, 1 worker): {r:.2f} / {s:.2f} Gbit/s = {r / s:.2f}")
PY
  fi
  if [[ -n $vhost_systems ]]; then
    echo
    echo "### vhost-user"
    echo
    cat "$tmp/vhost.md"
    # VSwitch's vhost-user rate beside its best TAP/AF_PACKET 64-byte rate of this run (trafgen, one flow).
    python3 - "$results" "$tmp/vhost.md" <<'PY' || true
import re, statistics, sys
best = {}
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) == 3 and p[0].startswith("vswitch-") and p[1] == "pps_trafgen" and p[2] not in ("fail", "-"):
        best.setdefault(p[0], []).append(float(p[2]))
m = re.search(r"^\s+vhost-vswitch\s+1 flows\s+(.+)$", open(sys.argv[2]).read(), re.M)
if best and m:
    runs = [float(v) for v in m.group(1).split() if v != "fail"]
    if runs:
        name, kernel = max(((s, statistics.median(v)) for s, v in best.items()), key=lambda x: x[1])
        vhost = statistics.median(runs)
        print()
        print(f"vhost-vswitch, 1 flow: {vhost / 1e6:.2f} Mpps = {vhost / kernel:.2f}x VSwitch's best kernel-port figure "
              f"of this run ({name}, 64-byte UDP by trafgen, {kernel / 1e3:.0f} kpps).")
PY
  fi
} > "$tmp/report.md"
cat "$tmp/report.md"
[[ -n "$out" ]] && cp "$tmp/report.md" "$out"
exit 0
