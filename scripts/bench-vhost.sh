#!/usr/bin/env bash
# vhost-user benchmark: 64-byte UDP packets per second between two VM NICs (DPDK virtio-user ports, no VMs) through
#   - vhost-vswitch:  VSwitch, two vhostuser: ports with port security and a stateful security group, --workers 1,
#   - vhost-ovs-dpdk: Open vSwitch with DPDK (ovs-vswitchd-dpdk), two dpdkvhostuser ports, 1 PMD core, the ct()
#                     firewall flows of scripts/bench-peers.sh,
#   - vhost-testpmd:  dpdk-testpmd's net_vhost backend, io forwarding between the two ports, no policy (the ceiling).
# The generator (perf/vhost-gen) sends on one port and drains the other in one loop on CPU 0; every process of the
# system under test (its forwarding thread and its idle control threads) is confined to CPU 1 with taskset.
# Before measuring, each flow sends one frame and gets one reply, so stateful firewalls measure established
# connections. Each system, once started, first carries 256 flows for WARM seconds unmeasured (VSwitch's JIT compiles
# its hot methods in tiers during the first seconds of traffic; the C systems need no warm-up but get the same run).
# For each number of flows (source ports cycled over 1, 256, 10,000 flows) each system is measured REPS
# times; the repetitions are interleaved (system after system, each started afresh), so that the machine's slow drift
# falls on every system alike. Every value is the median; the report gives the ratios VSwitch / peer.
#
#   scripts/bench-vhost.sh [--reps N] [--secs N] [--warm N] [--flows "1 256 10000"] [--systems "LIST"]
#                          [--busy-poll USEC] [--wait-quiet] [--out FILE] [--keep-logs] [--hold SYSTEM]
#     --reps        repetitions (default 3)             --secs    seconds measured per run (default 5; 1 s warm-up)
#     --warm        seconds of unmeasured traffic after each start (default 10; 0: none)
#     --flows       numbers of flows (default "1 256 10000")
#     --systems     subset of: vhost-vswitch vhost-ovs-dpdk vhost-testpmd (default: all three)
#     --busy-poll   pass --busy-poll USEC to vswitchd (default: off, the daemon's default)
#     --wait-quiet  first wait (up to 20 minutes, checking every 30 s) for a 1-minute load average below 1.0
#     --out FILE    also write the report (Markdown) to FILE
#     --hold SYSTEM set SYSTEM up, print the switch's pid (SWITCH_PID=...), run the generator for 30 s with the
#                   first of --flows, and tear down (for profiling: perf record -p PID from another shell; vswitchd
#                   inherits the environment, e.g. DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0)
#
# Needs root. Installs its tools (scripts/install-deps.sh --bench), builds vswitchd (Release) and perf/vhost-gen.
# Huge pages: raises vm.nr_hugepages to 512 if lower and mounts a private hugetlbfs under its temporary directory
# (every DPDK process runs --in-memory --iova-mode=va with --huge-dir there); both are undone on exit. Uses
# 198.18.8.0/24 only inside the frames; Open vSwitch runs in a namespace of its own (its bridge port is a TAP). Every
# process, socket, namespace and mount it made is removed on exit, also on Ctrl-C; every start and run is bounded
# by timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
# shellcheck source=bench-lib.sh
source "$repo/scripts/bench-lib.sh"

reps=3; secs=5; warm=10; flows_list="1 256 10000"; wait_quiet=0; out=""; keep_logs=0; busy_poll=0; hold=""
all_systems="vhost-vswitch vhost-ovs-dpdk vhost-testpmd"
systems=$all_systems
while (($#)); do
  case "$1" in
    --reps) reps=$2; shift ;;
    --secs) secs=$2; shift ;;
    --warm) warm=$2; shift ;;
    --flows) flows_list=$2; shift ;;
    --systems) systems=$2; shift ;;
    --busy-poll) busy_poll=$2; shift ;;
    --wait-quiet) wait_quiet=1 ;;
    --out) out=$2; shift ;;
    --keep-logs) keep_logs=1 ;;
    --hold) hold=$2; shift ;;
    -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
    *) echo "bench-vhost: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
for s in $systems $hold; do [[ " $all_systems " == *" $s "* ]] || { echo "bench-vhost: unknown system $s" >&2; exit 2; }; done
for f in $flows_list; do [[ $f =~ ^[0-9]+$ ]] && ((f >= 1 && f <= 60000)) || { echo "bench-vhost: bad flow count $f" >&2; exit 2; }; done
[[ $reps =~ ^[0-9]+$ && $secs =~ ^[0-9]+$ && $warm =~ ^[0-9]+$ ]] && ((reps >= 1 && secs >= 1 && secs <= 120 && warm <= 120)) || { echo "bench-vhost: bad --reps/--secs/--warm" >&2; exit 2; }
[[ $busy_poll =~ ^[0-9]+$ ]] || { echo "bench-vhost: --busy-poll must be a number of microseconds" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "bench-vhost: needs root (huge pages, namespaces, Open vSwitch)" >&2; exit 1; }
(($(nproc) >= 2)) || { echo "bench-vhost: needs 2 CPUs (generator on CPU 0, switch on CPU 1)" >&2; exit 1; }

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

log "installing tools, building vswitchd (Release) and perf/vhost-gen"
timeout 900 scripts/install-deps.sh --bench >/dev/null
timeout 900 dotnet build vswitch/VSwitch.Daemon -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
timeout 300 make -s -C perf/vhost-gen >/dev/null
vswitchd="$repo/vswitch/VSwitch.Daemon/bin/Release/net10.0/vswitchd"
gen="$repo/perf/vhost-gen/vhost-gen"
ovs_dpdk=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
GEN_CPU=0; SW_CPU=1; SW_MASK=0x2

P="bv$(($$ % 100000))"
NX="$P-x"; OB="${P}br"
IP_A=198.18.8.1; IP_B=198.18.8.2
MAC_A=fa:16:3e:b8:00:01; MAC_B=fa:16:3e:b8:00:02
PORT_UDP=9; PORT_DENIED=5999
HUGE_PAGES=512
tmp=$(mktemp -d /tmp/bench-vhost.XXXXXX)
huge="$tmp/huge"; sock="$tmp/sock"
results="$tmp/results.txt"; : > "$results"
sw_pid=""; ovs_dir=""; huge_mounted=0; pages_before=""

# ---------------------------------------------------------------------------------------------------- huge pages

pages_before=$(cat /proc/sys/vm/nr_hugepages)
cleanup_huge() {
  if ((huge_mounted)); then umount "$huge" 2>/dev/null || umount -l "$huge" 2>/dev/null || true; huge_mounted=0; fi
  # Give back what this script added (never less than there was before: another user may hold those).
  if [[ -n $pages_before ]] && (($(cat /proc/sys/vm/nr_hugepages) != pages_before)); then
    echo "$pages_before" > /proc/sys/vm/nr_hugepages || true
  fi
}

# ------------------------------------------------------------------------------------------------------- teardown

teardown() {
  stop_pid "$sw_pid"; sw_pid=""
  stop_ovs
  if ip netns list 2>/dev/null | grep -qw "$NX"; then
    { ip netns pids "$NX" 2>/dev/null || true; } | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$NX" 2>/dev/null || true
  fi
  rm -rf "$sock"
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  teardown
  cleanup_huge
  if ((keep_logs)) || ((rc != 0)); then log "logs kept in $tmp"; else rm -rf "$tmp"; fi
  exit $rc
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

if ((pages_before < HUGE_PAGES)); then echo "$HUGE_PAGES" > /proc/sys/vm/nr_hugepages; fi
mkdir -p "$huge"
mount -t hugetlbfs -o pagesize=2M nodev "$huge"
huge_mounted=1
free_pages=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
((free_pages >= 256)) || { log "only $free_pages free huge pages (need 256 or more)"; exit 1; }

# --------------------------------------------------------------------------------------------------------- systems

wait_file() {  # PATH TRIES(0.1 s)
  for _ in $(seq "$2"); do [[ -S $1 ]] && return 0; sleep 0.1; done
  return 1
}

# VSwitch: both ports with port security and the stateful group of scripts/bench-peers.sh; the whole daemon on CPU 1
# (pin_workers: worker 0 is pinned to the first allowed CPU, which is CPU 1).
setup_vswitch() {
  mkdir -p "$sock"
  cat > "$tmp/vswitch.json" <<EOF
{
  "workers": 1, "pin_workers": true,
  "networks": [ { "name": "bench" } ],
  "security_groups": [ { "name": "bench", "stateful": true, "rules": [
    { "direction": "ingress", "protocol": "icmp" },
    { "direction": "ingress", "protocol": "tcp", "port_range_min": 5201, "port_range_max": 5201 },
    { "direction": "ingress", "protocol": "tcp", "port_range_min": 5301, "port_range_max": 5301 },
    { "direction": "ingress", "protocol": "tcp", "port_range_min": 5401, "port_range_max": 5401 },
    { "direction": "ingress", "protocol": "udp", "port_range_min": 5201, "port_range_max": 5201 },
    { "direction": "ingress", "protocol": "udp", "port_range_min": $PORT_UDP, "port_range_max": $PORT_UDP } ] } ],
  "ports": [
    { "name": "a", "network": "bench", "device": "vhostuser:$sock/a.sock", "port_security_enabled": true,
      "mac_address": "$MAC_A", "fixed_ips": [ "$IP_A" ], "security_groups": [ "bench" ] },
    { "name": "b", "network": "bench", "device": "vhostuser:$sock/b.sock", "port_security_enabled": true,
      "mac_address": "$MAC_B", "fixed_ips": [ "$IP_B" ], "security_groups": [ "bench" ] } ]
}
EOF
  rm -rf "$tmp/vswitch-state"; mkdir -p "$tmp/vswitch-state"
  taskset -c "$SW_CPU" "$vswitchd" --config "$tmp/vswitch.json" \
    --workers 1 --busy-poll "$busy_poll" --metrics-listen none --state-dir "$tmp/vswitch-state" \
    --api-socket "$tmp/vswitch-state/api.sock" > "$tmp/vswitch.log" 2>&1 &
  sw_pid=$!
  for _ in $(seq 300); do
    grep -q "vswitchd ready" "$tmp/vswitch.log" && break
    kill -0 "$sw_pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q "vswitchd ready" "$tmp/vswitch.log" || { log "vswitchd did not start"; tail -20 "$tmp/vswitch.log" >&2; return 1; }
  wait_file "$sock/a.sock" 50 && wait_file "$sock/b.sock" 50
}

# Open vSwitch with DPDK in a namespace of its own, every thread on CPU 1 (PMD mask 0x2, the rest by taskset).
setup_ovs_dpdk() {
  ip netns add "$NX"
  ovs_dir="$tmp/ovs"; rm -rf "$ovs_dir"; mkdir -p "$ovs_dir"
  export OVS_RUNDIR=$ovs_dir OVS_LOGDIR=$ovs_dir OVS_DBDIR=$ovs_dir
  local vsctl=(timeout 30 ovs-vsctl --db="unix:$ovs_dir/db.sock" --timeout=25)
  timeout 10 ovsdb-tool create "$ovs_dir/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
  timeout 20 ip netns exec "$NX" taskset -c "$SW_CPU" ovsdb-server "$ovs_dir/conf.db" --remote="punix:$ovs_dir/db.sock" \
    --pidfile="$ovs_dir/ovsdb-server.pid" --unixctl="$ovs_dir/ovsdb-server.ctl" \
    --log-file="$ovs_dir/ovsdb-server.log" --detach --no-chdir || return 1
  "${vsctl[@]}" --no-wait init || return 1
  "${vsctl[@]}" --no-wait set Open_vSwitch . other_config:dpdk-init=true \
    other_config:dpdk-extra="--no-pci --in-memory --iova-mode=va --huge-dir=$huge" \
    other_config:dpdk-socket-limit=512 other_config:pmd-cpu-mask="$SW_MASK" || return 1
  timeout 60 ip netns exec "$NX" taskset -c "$SW_CPU" "$ovs_dpdk" "unix:$ovs_dir/db.sock" \
    --pidfile="$ovs_dir/ovs-vswitchd.pid" --unixctl="$ovs_dir/ovs-vswitchd.ctl" \
    --log-file="$ovs_dir/ovs-vswitchd.log" --detach --no-chdir || return 1
  "${vsctl[@]}" add-br "$OB" -- set bridge "$OB" datapath_type=netdev fail_mode=secure || return 1
  # dpdkvhostuser: Open vSwitch is the server; the socket is $OVS_RUNDIR/PORT.
  "${vsctl[@]}" add-port "$OB" a -- set Interface a type=dpdkvhostuser ofport_request=1 || return 1
  "${vsctl[@]}" add-port "$OB" b -- set Interface b type=dpdkvhostuser ofport_request=2 || return 1
  mkdir -p "$sock"
  ln -s "$ovs_dir/a" "$sock/a.sock"; ln -s "$ovs_dir/b" "$sock/b.sock"
  wait_file "$ovs_dir/a" 100 && wait_file "$ovs_dir/b" 100 || return 1
  # The ct() firewall of scripts/bench-peers.sh: new TCP/UDP to the test ports and ICMP, then everything of an
  # established or related connection; the rest is dropped.
  cat > "$tmp/flows.txt" <<EOF
table=0,priority=100,arp,actions=NORMAL
table=0,priority=100,ip,actions=ct(table=1)
table=0,priority=0,actions=drop
table=1,priority=100,ip,ct_state=+trk+est-inv,actions=NORMAL
table=1,priority=100,ip,ct_state=+trk+rel-inv,actions=NORMAL
table=1,priority=90,icmp,ct_state=+trk+new-inv,actions=ct(commit),NORMAL
table=1,priority=90,tcp,tp_dst=5201,ct_state=+trk+new-inv,actions=ct(commit),NORMAL
table=1,priority=90,tcp,tp_dst=5301,ct_state=+trk+new-inv,actions=ct(commit),NORMAL
table=1,priority=90,tcp,tp_dst=5401,ct_state=+trk+new-inv,actions=ct(commit),NORMAL
table=1,priority=90,udp,tp_dst=5201,ct_state=+trk+new-inv,actions=ct(commit),NORMAL
table=1,priority=90,udp,tp_dst=$PORT_UDP,ct_state=+trk+new-inv,actions=ct(commit),NORMAL
table=1,priority=0,actions=drop
EOF
  timeout 20 ovs-ofctl del-flows "$OB" || return 1
  timeout 20 ovs-ofctl add-flows "$OB" "$tmp/flows.txt" || return 1
  sw_pid=""
  log "ovs-dpdk: $(timeout 10 ovs-vsctl --db="unix:$ovs_dir/db.sock" get Open_vSwitch . dpdk_version) $(timeout 10 ovs-vsctl --db="unix:$ovs_dir/db.sock" get Open_vSwitch . other_config | tr -d '\n')"
}

# testpmd's vhost-user backend: io forwarding port 0 <-> port 1; main lcore 0 (sleeps) and forwarding lcore 1 both on CPU 1.
setup_testpmd() {
  mkdir -p "$sock"
  taskset -c "$SW_CPU" dpdk-testpmd --lcores "0@$SW_CPU,1@$SW_CPU" --in-memory --iova-mode=va --huge-dir="$huge" \
    --no-pci --no-telemetry --vdev "net_vhost0,iface=$sock/a.sock" --vdev "net_vhost1,iface=$sock/b.sock" -- \
    --forward-mode=io --nb-cores=1 --stats-period 60 --total-num-mbufs=16384 > "$tmp/testpmd.log" 2>&1 &
  sw_pid=$!
  wait_file "$sock/a.sock" 150 && wait_file "$sock/b.sock" 50 || { log "testpmd did not start"; tail -20 "$tmp/testpmd.log" >&2; return 1; }
  grep -q "Start\|start packet forwarding" "$tmp/testpmd.log" || sleep 1
}

setup_system() {
  case "$1" in
    vhost-vswitch) setup_vswitch ;;
    vhost-ovs-dpdk) setup_ovs_dpdk ;;
    vhost-testpmd) setup_testpmd ;;
  esac
}

# gen FLOWS SECS [extra vhost-gen options]: one run, prints the generator's line
gen() {
  local flows=$1 s=$2; shift 2
  timeout -s INT $((s + 60)) taskset -c "$GEN_CPU" "$gen" -c "$GEN_CPU" -H "$huge" -f "$flows" -t "$s" -w 1 \
    -p "$PORT_UDP" --mac-a "$MAC_A" --mac-b "$MAC_B" --ip-a "$IP_A" --ip-b "$IP_B" "$@" \
    "$sock/a.sock" "$sock/b.sock" 2>> "$tmp/gen-stderr.log" | grep '^vhost-gen'
}

# ---------------------------------------------------------------------------------------------------------- hold

if [[ -n $hold ]]; then
  setup_system "$hold" > "$tmp/setup-$hold.log" 2>&1 || { log "$hold: setup failed"; cat "$tmp/setup-$hold.log" >&2; exit 1; }
  [[ $hold == vhost-ovs-dpdk ]] && sw_pid_show=$(cat "$ovs_dir/ovs-vswitchd.pid") || sw_pid_show=$sw_pid
  log "$hold: switch pid $sw_pid_show; generator runs 30 s with ${flows_list%% *} flows"
  echo "SWITCH_PID=$sw_pid_show"
  gen "${flows_list%% *}" 30 -r -i || true
  exit 0
fi

# -------------------------------------------------------------------------------------------------------------- main

if ((wait_quiet)); then
  for i in $(seq 40); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    python3 -c "import sys; sys.exit(0 if $load < 1.0 else 1)" && break
    ((i == 40)) && { log "load still $load after 20 minutes: running anyway"; break; }
    log "load $load: waiting for < 1.0"
    sleep 30
  done
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +"%Y-%m-%d %H:%M UTC")
log "run $P: systems: $systems; flows: $flows_list; $reps repetitions of ${secs} s; load $load_before"

for rep in $(seq "$reps"); do
  for system in $systems; do
    teardown
    if ! setup_system "$system" > "$tmp/setup-$system-$rep.log" 2>&1; then
      log "$system: setup failed (see $tmp/setup-$system-$rep.log)"; keep_logs=1
      for f in $flows_list; do echo "$system $f fail" >> "$results"; done
      continue
    fi
    if ((warm > 0)); then
      line=$(gen 256 "$warm" -r -i || true)
      # Open vSwitch now and then resets the first connection to a new dpdkvhostuser socket: connect again.
      grep -q '^vhost-gen ' <<< "$line" || line=$(gen 256 "$warm" -r -i || true)
      { echo "$system rep $rep:"; echo "$line"; } >> "$tmp/warm.txt"
      log "$system rep $rep, warm-up: $(grep '^vhost-gen ' <<< "$line" || echo fail)"
    fi
    # The policy is in force: frames to a UDP port the firewall does not allow must not arrive (once per system).
    if ((rep == 1)); then
      line=$(gen 1 1 -p "$PORT_DENIED" | grep '^vhost-gen ' || true)
      echo "$system ${line:-fail}" >> "$tmp/firewall.txt"
    fi
    for f in $flows_list; do
      line=$(gen "$f" "$secs" -r | grep '^vhost-gen ' || true)
      if [[ -z $line ]]; then v=fail; keep_logs=1; else v=$(sed -n 's/.* rx_pps=\([0-9]*\).*/\1/p' <<< "$line"); fi
      echo "$system $f $v" >> "$results"
      echo "$system $f $line" >> "$tmp/lines.txt"
      log "$system rep $rep, $f flows: ${line:-fail}"
    done
  done
done
teardown

{
  echo "Run $started, $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), kernel $(uname -r),"
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with local changes)'); \
$reps runs per value (interleaved), ${secs} s each after 1 s of warm-up, ${warm} s of 256 flows after each start; load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Generator on CPU $GEN_CPU, the system under test on CPU $SW_CPU; vswitchd busy poll: $( ((busy_poll)) && echo "$busy_poll us" || echo off)."
  echo
  python3 - "$results" "$tmp/firewall.txt" "$tmp/lines.txt" "$tmp/warm.txt" <<'EOF'
import statistics, sys
raw, order, flows = {}, [], []
for line in open(sys.argv[1]):
    s, f, v = line.split()
    if s not in order: order.append(s)
    if int(f) not in flows: flows.append(int(f))
    raw.setdefault((s, int(f)), []).append(v)
def med(s, f):
    vals = [float(v) for v in raw.get((s, f), []) if v != "fail"]
    return statistics.median(vals) if vals else None
def mpps(v): return "fail" if v is None else "%.2f" % (v / 1e6)
def ratio(a, b): return "-" if a is None or b is None or b == 0 else "%.2f" % (a / b)
print("64-byte UDP received, Mpps (median of %s runs)" % ", ".join(sorted({str(len(v)) for v in raw.values()})))
print()
cols = [("vhost-vswitch", "vhost-ovs-dpdk"), ("vhost-vswitch", "vhost-testpmd"), ("vhost-ovs-dpdk", "vhost-testpmd")]
cols = [c for c in cols if c[0] in order and c[1] in order]
print("| flows | " + " | ".join(order) + "".join(f" | {a.replace('vhost-', '')} / {b.replace('vhost-', '')}" for a, b in cols) + " |")
print("|---:|" + "---:|" * (len(order) + len(cols)))
for f in flows:
    print(f"| {f} | " + " | ".join(mpps(med(s, f)) for s in order) + "".join(f" | {ratio(med(a, f), med(b, f))}" for a, b in cols) + " |")
print()
print("Firewall check (one flow to udp/5999, which the policies do not allow; received must be 0 but for testpmd):")
print()
try:
    for line in open(sys.argv[2]):
        s, rest = line.split(" ", 1)
        print(f"    {s:16} {rest.strip()}")
except FileNotFoundError:
    print("    (none)")
print()
print("Raw runs (rx_pps):")
print()
for s in order:
    for f in flows:
        print(f"    {s:16} {f:>6} flows  " + " ".join(raw.get((s, f), [])))
print()
print("Generator lines:")
print()
try:
    for line in open(sys.argv[3]):
        print("    " + line.rstrip())
except FileNotFoundError:
    pass
print()
print("Warm-up runs after each start (256 flows, rx_pps per second):")
print()
try:
    for line in open(sys.argv[4]):
        line = line.rstrip()
        if line.startswith("vhost-gen-interval"):
            print(" " + line.split("rx_pps=")[1], end="")
        elif line.startswith("vhost-gen "):
            print()
        elif line:
            print("    " + line, end="")
    print()
except FileNotFoundError:
    print("    (none)")
EOF
} > "$tmp/report.md"
cat "$tmp/report.md"
[[ -n "$out" ]] && cp "$tmp/report.md" "$out"
exit 0
