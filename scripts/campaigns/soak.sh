#!/usr/bin/env bash
# Soak campaign (issue 15): mixed traffic through vswitchd with churn for SECONDS, sampling the daemon's RSS, open fds
# and threads every 30 s into a CSV, and failing if they grow or the daemon dies.
#
#   scripts/campaigns/soak.sh [SECONDS=3600]
#   (root; build first: dotnet build VSwitch.sln -c Release; installs its tools with scripts/install-deps.sh)
#   Environment: SOAK_CSV=PATH (default scripts/campaigns/results/soak-<date>.csv), KEEP=1 keeps the run
#   directory (daemon log, traffic outputs) also on success (it is always kept after a failure).
#
# Set-up: one daemon (2 workers, its own state dir, API socket in it, /metrics on a free loopback port), one network,
# four VM namespaces PREFIX-v1..v4 on TAP ports (port security; 198.18.100.1-4/24, 2001:db8:100::1-4/64; a stateful
# group PREFIX-vm allowing ICMP, ICMPv6 and TCP/UDP 5201-5210 from those prefixes). PREFIX is random per run (skXXXX).
# Traffic, each bounded by SECONDS:
#   - pings every 0.2 s: v1->v2 and v3->v4 (IPv4), v2->v3 and v4->v1 (IPv6);
#   - a TCP stream v1->v2, iperf3 -b 50M (capped so the machine stays usable);
#   - UDP with fragments v3->v4, iperf3 -u -l 3000 -b 5M (3000-byte datagrams: three IPv4 fragments each);
#   - short TCP connections v4->v3:5203, one every 0.1 s (ncat; the server answers "ok" and closes).
# Churn, one round every ~5 s until the end: a namespace PREFIX-cN and a port with a TAP device in it (group
#   PREFIX-vm), waited ACTIVE, addressed, pinged to v1, then a new group with two rules (bulk) attached to a VM port
#   next to PREFIX-vm, detached again, one rule deleted, the group deleted, the port deleted, its TAP device waited
#   gone (10 s), the namespace deleted. All through the REST API (curl on the Unix socket).
# Samples, every 30 s (first at 0 s): elapsed, VmRSS, open fds (/proc/PID/fd), Threads (/proc/PID/status), the
#   daemon's CPU seconds, conntrack entries and the number of ports.
#
# Growth rule (W = min(300 s, SECONDS/6) warm-up, L = min(600 s, SECONDS/6)): "early" is the samples in [W, W + 2L)
# (minutes 5-15 of an hour), "late" the samples in the last L seconds (the last 10 minutes). It fails if
#   - mean RSS late > 1.10 x mean RSS early (10 %), or
#   - mean fds late > mean fds early + (fds of one TAP port + 2) (one churn port exists about half the time), or
#   - mean threads late > mean threads early + 2.
# It also fails if the daemon dies, if the churn hits an API error, a port that does not become ACTIVE, a TAP device
# that outlives its port, or a new port that cannot ping, if a churned port, group or namespace is left at the end,
# or if a traffic generator fails outright (iperf3 error, a ping with no reply, no successful short connection).
# Losses are printed, not judged.
# At the end: the CSV's first/last/min/max of RSS, fds and threads, traffic counts, the daemon's /metrics counters of
# interest (drops by reason summed over ports and directions; deleted churn ports take their counters with them) and
# the verdict. Everything it created is removed on exit, failure or Ctrl-C (the CSV stays).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
# shellcheck source=lib.sh
source "$repo/scripts/campaigns/lib.sh"
DURATION=${1:-3600}
[[ "$DURATION" =~ ^[0-9]+$ ]] && ((DURATION >= 120 && DURATION <= 86400)) || { echo "usage: $0 [SECONDS=3600] (120..86400)" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "soak: run as root" >&2; exit 2; }

scripts/install-deps.sh
vswitchd=$repo/vswitch/VSwitch.Daemon/bin/Release/net10.0/vswitchd
vswitchctl=$repo/admin/VSwitch.Cli/bin/Release/net10.0/vswitchctl
for b in "$vswitchd" "$vswitchctl"; do
  [[ -x "$b" ]] || { echo "soak: $b is missing: dotnet build VSwitch.sln -c Release" >&2; exit 2; }
done

while :; do
  P=sk$(printf %04x $((RANDOM % 65536)))
  ip netns list | grep -q "^$P" || ip -o link show | grep -q ": $P" || break
done
run=$(mktemp -d "/tmp/vswitch-soak-$P.XXXXXX")
state=$run/state
sock=$state/api.sock
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
csv=${SOAK_CSV:-$repo/scripts/campaigns/results/soak-$(date +%F).csv}
[[ -n "${SOAK_CSV:-}" || ! -e "$csv" ]] || csv=${csv%.csv}-$(date +%H%M).csv   # a second run that day keeps the first
mkdir -p "$(dirname "$csv")"
dpid=""; bg_pids=(); failed=0; keep=${KEEP:-0}
VMS=(v1 v2 v3 v4)
declare -A ip4=([v1]=198.18.100.1 [v2]=198.18.100.2 [v3]=198.18.100.3 [v4]=198.18.100.4)
declare -A ip6=([v1]=2001:db8:100::1 [v2]=2001:db8:100::2 [v3]=2001:db8:100::3 [v4]=2001:db8:100::4)

log() { printf '%s %s\n' "$(date +%T)" "$*"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  ((${#bg_pids[@]})) && stop_pids "${bg_pids[@]}"
  stop_daemon "$dpid"
  remove_prefixed "$P"
  if ((failed || rc != 0 || keep)); then echo "soak: run directory kept: $run"; else rm -rf "$run"; fi
  exit "$rc"
}
trap cleanup EXIT

ctl() { "$vswitchctl" --socket "$sock" "$@"; }
api() { # METHOD PATH [BODY]: prints the answer; fails unless HTTP 2xx
  local code out=$run/api.$BASHPID
  code=$(curl -s --max-time 30 --unix-socket "$sock" -o "$out" -w '%{http_code}' -X "$1" \
    ${3:+-H 'Content-Type: application/json' -d "$3"} "http://vswitch$2") || code=000
  cat "$out" 2>/dev/null || true; rm -f "$out"
  [[ "$code" == 2* ]]
}
metric() { curl -s --max-time 5 "http://127.0.0.1:$mport/metrics" | awk -v m="$1" '$1 == m && !v {v = $2} END {print v}' || true; }

# ------------------------------------------------------------------------------------------------ set-up
log "prefix $P, run directory $run, metrics 127.0.0.1:$mport, $DURATION s, CSV $csv"
for v in "${VMS[@]}"; do ip netns add "$P-$v"; done
mkdir -p "$state"
"$vswitchd" --workers 2 --state-dir "$state" --api-socket "$sock" --metrics-listen "127.0.0.1:$mport" > "$run/vswitchd.log" 2>&1 &
dpid=$!
for _ in $(seq 300); do grep -q "vswitchd ready" "$run/vswitchd.log" && break; kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
grep -q "vswitchd ready" "$run/vswitchd.log" || { echo "vswitchd did not start:"; tail -20 "$run/vswitchd.log"; exit 1; }
net_id=$(ctl network create "$P-lab" -f value -c id)
base=$(ctl security group create "$P-vm" -f value -c id)
ctl security group rule create "$P-vm" --ingress --protocol icmp --remote-ip 198.18.100.0/24 -f value -c id >/dev/null
ctl security group rule create "$P-vm" --ingress --protocol icmpv6 --ethertype IPv6 --remote-ip 2001:db8:100::/64 -f value -c id >/dev/null
ctl security group rule create "$P-vm" --ingress --protocol tcp --dst-port 5201:5210 --remote-ip 198.18.100.0/24 -f value -c id >/dev/null
ctl security group rule create "$P-vm" --ingress --protocol udp --dst-port 5201:5210 --remote-ip 198.18.100.0/24 -f value -c id >/dev/null
declare -A port_id
n=0
for v in "${VMS[@]}"; do
  n=$((n + 1))
  port_id[$v]=$(ctl port create "$P-$v" --network "$P-lab" --device "tap:$P$v@$P-$v" --mac-address "fa:16:3e:a0:00:0$n" \
    --fixed-ip "ip-address=${ip4[$v]}" --fixed-ip "ip-address=${ip6[$v]}" --security-group "$P-vm" -f value -c id)
done
for v in "${VMS[@]}"; do
  for _ in $(seq 100); do ip -n "$P-$v" link show "$P$v" >/dev/null 2>&1 && break; sleep 0.1; done
  ip -n "$P-$v" link set lo up
  ip -n "$P-$v" link set "$P$v" up
  ip -n "$P-$v" addr add "${ip4[$v]}/24" dev "$P$v"
  ip -n "$P-$v" -6 addr add "${ip6[$v]}/64" dev "$P$v" nodad
done
for _ in $(seq 10); do ip netns exec "$P-v1" ping -c 1 -W 1 -q "${ip4[v2]}" >/dev/null 2>&1 && break; done
# fds of one TAP port (for the fd tolerance): a probe port in its own namespace, counted, deleted.
sleep 1; fd0=$(ls "/proc/$dpid/fd" | wc -l)
ip netns add "$P-probe"
ctl port create "$P-probe" --network "$P-lab" --device "tap:${P}probe@$P-probe" -f value -c id >/dev/null
for _ in $(seq 100); do ip -n "$P-probe" link show "${P}probe" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 1; fd1=$(ls "/proc/$dpid/fd" | wc -l)
ctl port delete "$P-probe"
for _ in $(seq 100); do ip -n "$P-probe" link show "${P}probe" >/dev/null 2>&1 || break; sleep 0.1; done
ip netns del "$P-probe"
fd_per_tap=$((fd1 - fd0))
log "daemon pid $dpid ready, 4 VM ports; fds $fd0, $fd_per_tap per TAP port"

# ------------------------------------------------------------------------------------------------ traffic
t0=$SECONDS
end=$((t0 + DURATION))
bound=$((DURATION + 60))   # every process's hard limit
ip netns exec "$P-v2" timeout "$bound" iperf3 -s -1 -p 5201 > "$run/iperf-tcp-server.log" 2>&1 & bg_pids+=($!)
ip netns exec "$P-v4" timeout "$bound" iperf3 -s -1 -p 5202 > "$run/iperf-udp-server.log" 2>&1 & bg_pids+=($!)
ip netns exec "$P-v3" timeout "$bound" ncat -l -k "${ip4[v3]}" 5203 --sh-exec 'echo ok' >/dev/null 2>&1 & bg_pids+=($!)
sleep 0.5
ip netns exec "$P-v1" timeout "$bound" ping -q -i 0.2 -w "$DURATION" "${ip4[v2]}" > "$run/ping.v1-v2.v4" 2>&1 & bg_pids+=($!)
ip netns exec "$P-v3" timeout "$bound" ping -q -i 0.2 -w "$DURATION" "${ip4[v4]}" > "$run/ping.v3-v4.v4" 2>&1 & bg_pids+=($!)
ip netns exec "$P-v2" timeout "$bound" ping -6 -q -i 0.2 -w "$DURATION" "${ip6[v3]}" > "$run/ping.v2-v3.v6" 2>&1 & bg_pids+=($!)
ip netns exec "$P-v4" timeout "$bound" ping -6 -q -i 0.2 -w "$DURATION" "${ip6[v1]}" > "$run/ping.v4-v1.v6" 2>&1 & bg_pids+=($!)
ip netns exec "$P-v1" timeout "$bound" iperf3 -c "${ip4[v2]}" -p 5201 -b 50M -t "$DURATION" -i 60 -J > "$run/iperf-tcp.json" 2> "$run/iperf-tcp.err" & tcp_pid=$!; bg_pids+=($tcp_pid)
ip netns exec "$P-v3" timeout "$bound" iperf3 -c "${ip4[v4]}" -p 5202 -u -l 3000 -b 5M -t "$DURATION" -i 60 -J > "$run/iperf-udp.json" 2> "$run/iperf-udp.err" & udp_pid=$!; bg_pids+=($udp_pid)
# Short TCP connections: one every 0.1 s, counted (ok / failed) into a file every 100 and at the end.
ip netns exec "$P-v4" timeout "$bound" bash -c '
  ok=0; bad=0; end=$((SECONDS + '"$DURATION"'))
  while ((SECONDS < end)); do
    if [[ "$(ncat --recv-only -w 2 '"${ip4[v3]}"' 5203 </dev/null 2>/dev/null)" == ok ]]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
    (((ok + bad) % 100)) || echo "$ok $bad" > "$0"
    sleep 0.1
  done
  echo "$ok $bad" > "$0"' "$run/short-tcp.count" & short_pid=$!; bg_pids+=($short_pid)

# ------------------------------------------------------------------------------------------------ churn
churn() { # runs until $end; counts into $run/churn.count: rounds ports_ok ping_ok groups_ok errors
  set +e
  local i=0 rounds=0 ports_ok=0 ping_ok=0 groups_ok=0 errors=0 ns tap pid g rids st vm a
  cerr() { errors=$((errors + 1)); echo "$(date +%T) round $i: $*" >> "$run/churn.errors"; }
  while ((SECONDS < end - 10)); do
    i=$((i + 1)); ns=$P-c$i; tap=${P}c$i; a=198.18.100.$((10 + i % 200))
    ip netns add "$ns"
    pid=$(api POST /v2.0/ports "{\"port\": {\"name\": \"$P-c$i\", \"network_id\": \"$net_id\",
      \"mac_address\": \"$(printf 'fa:16:3e:a1:%02x:%02x' $(((i >> 8) & 255)) $((i & 255)))\",
      \"fixed_ips\": [{\"ip_address\": \"$a\"}], \"security_groups\": [\"$base\"],
      \"binding:profile\": {\"device\": \"tap:$tap@$ns\"}}}" | jq -r '.port.id // empty') && [[ -n "$pid" ]] ||
      { cerr "port create failed"; pid=""; }
    if [[ -n "$pid" ]]; then
      st=""
      for _ in $(seq 100); do st=$(api GET "/v2.0/ports/$pid" | jq -r '.port.status'); [[ "$st" == ACTIVE ]] && break; sleep 0.1; done
      if [[ "$st" == ACTIVE ]]; then
        ports_ok=$((ports_ok + 1))
        ip -n "$ns" link set "$tap" up; ip -n "$ns" addr add "$a/24" dev "$tap"
        local pinged=0
        for _ in 1 2 3 4 5; do ip netns exec "$ns" ping -c 1 -W 1 -q "${ip4[v1]}" >/dev/null 2>&1 && { pinged=1; break; }; done
        ((pinged)) && ping_ok=$((ping_ok + 1)) || cerr "port $P-c$i cannot ping v1"
      else
        cerr "port $P-c$i is $st after 10 s"
      fi
    fi
    vm=${VMS[$((i % 4))]}
    g=$(api POST /v2.0/security-groups "{\"security_group\": {\"name\": \"$P-g$i\"}}" | jq -r '.security_group.id // empty') &&
      [[ -n "$g" ]] || { cerr "group create failed"; g=""; }
    if [[ -n "$g" ]]; then
      rids=$(api POST /v2.0/security-group-rules "{\"security_group_rules\": [
        {\"security_group_id\": \"$g\", \"direction\": \"ingress\", \"ethertype\": \"IPv4\", \"protocol\": \"tcp\", \"port_range_min\": $((6000 + i % 1000)), \"port_range_max\": $((6000 + i % 1000)), \"remote_ip_prefix\": \"198.18.100.0/24\"},
        {\"security_group_id\": \"$g\", \"direction\": \"ingress\", \"ethertype\": \"IPv6\", \"protocol\": \"udp\", \"port_range_min\": 7000, \"port_range_max\": 7100, \"remote_ip_prefix\": \"2001:db8:100::/64\"}]}" |
        jq -r '.security_group_rules[].id') || cerr "bulk rule create failed"
      api PUT "/v2.0/ports/${port_id[$vm]}" "{\"port\": {\"security_groups\": [\"$base\", \"$g\"]}}" >/dev/null || cerr "attach to $vm failed"
      sleep 1
      api PUT "/v2.0/ports/${port_id[$vm]}" "{\"port\": {\"security_groups\": [\"$base\"]}}" >/dev/null || cerr "detach from $vm failed"
      [[ -n "$rids" ]] && { api DELETE "/v2.0/security-group-rules/$(head -1 <<<"$rids")" >/dev/null || cerr "rule delete failed"; }
      api DELETE "/v2.0/security-groups/$g" >/dev/null && groups_ok=$((groups_ok + 1)) || cerr "group delete failed"
    fi
    if [[ -n "$pid" ]]; then
      api DELETE "/v2.0/ports/$pid" >/dev/null || cerr "port delete failed"
      local gone=0
      for _ in $(seq 100); do ip -n "$ns" link show "$tap" >/dev/null 2>&1 || { gone=1; break; }; sleep 0.1; done
      ((gone)) || cerr "TAP $tap outlived its port by 10 s"
    fi
    ip netns del "$ns"
    rounds=$((rounds + 1))
    echo "$rounds $ports_ok $ping_ok $groups_ok $errors" > "$run/churn.count"
    sleep 2
  done
}
churn & churn_pid=$!; bg_pids+=($churn_pid)

# ------------------------------------------------------------------------------------------------ samples
echo "time_utc,elapsed_s,rss_kb,fds,threads,cpu_s,conntrack_entries,ports" > "$csv"
tck=$(getconf CLK_TCK)
sample() { # one CSV row; nothing if the daemon is gone
  local el=$1 rss thr fds cpu ct np
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$dpid/status" 2>/dev/null) || return 0
  thr=$(awk '/^Threads:/ {print $2}' "/proc/$dpid/status" 2>/dev/null) || return 0
  fds=$(ls "/proc/$dpid/fd" 2>/dev/null | wc -l)
  cpu=$(awk -v t="$tck" '{ sub(/^.*\) /, ""); printf "%.1f", ($12 + $13) / t }' "/proc/$dpid/stat" 2>/dev/null) || return 0
  ct=$(metric vswitch_conntrack_entries); np=$(curl -s --max-time 5 "http://127.0.0.1:$mport/metrics" | grep -c '^vswitch_port_up{' || true)
  echo "$(date -u +%FT%TZ),$el,$rss,$fds,$thr,$cpu,${ct:-},${np:-}" >> "$csv"
  printf '%s sample t=%ss rss=%s kB fds=%s threads=%s cpu=%ss conntrack=%s ports=%s\n' "$(date +%T)" "$el" "$rss" "$fds" "$thr" "$cpu" "${ct:-?}" "${np:-?}"
}
died=0
next=$t0
while :; do
  if ! kill -0 "$dpid" 2>/dev/null; then died=1; log "vswitchd died"; break; fi
  now=$SECONDS
  if ((now >= next)); then sample $((now - t0)); next=$((next + 30)); fi
  ((now >= end)) && break
  sleep 1
done

# ------------------------------------------------------------------------------------------------ results
log "duration reached; waiting for the traffic to finish"
for p in "$tcp_pid" "$udp_pid" "$short_pid" "$churn_pid"; do
  for _ in $(seq 60); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
done
sleep 1
kill -0 "$dpid" 2>/dev/null || died=1
metrics=$(curl -s --max-time 5 "http://127.0.0.1:$mport/metrics" || true)
# What the churn leaves behind: nothing (the VM ports and PREFIX-vm remain).
left_ports=$( ((died)) || api GET /v2.0/ports | jq -r '.ports[].name' | grep -vxE "$P-v[1-4]" | tr '\n' ' ' || true)
left_groups=$( ((died)) || api GET /v2.0/security-groups | jq -r '.security_groups[].name' | grep "^$P-" | grep -vx "$P-vm" | tr '\n' ' ' || true)
left_ns=$(ip netns list | awk -v p="$P-" 'index($1, p) == 1 {print $1}' | grep -vxE "$P-v[1-4]" | tr '\n' ' ' || true)
stop_pids "${bg_pids[@]}"; bg_pids=()

echo
echo "== soak summary (prefix $P, $DURATION s, CSV $csv)"
awk -F, 'NR > 1 { n++; for (c = 3; c <= 5; c++) { v = $c + 0; if (n == 1) { f[c] = v; mn[c] = v; mx[c] = v }
                   l[c] = v; if (v < mn[c]) mn[c] = v; if (v > mx[c]) mx[c] = v } }
         END { split("rss_kb fds threads", name, " ");
               printf "samples: %d\n", n;
               for (c = 3; c <= 5; c++) printf "%-8s first %8d  last %8d  min %8d  max %8d\n", name[c - 2], f[c], l[c], mn[c], mx[c] }' "$csv"
verdict=$(awk -F, -v D="$DURATION" -v tap="$fd_per_tap" '
  NR > 1 { t = $2; rss[NR] = $3; fds[NR] = $4; thr[NR] = $5; ts[NR] = t; last = NR }
  END {
    W = (D / 6 < 300) ? D / 6 : 300; L = (D / 6 < 600) ? D / 6 : 600
    for (i = 2; i <= last; i++) {
      if (ts[i] >= W && ts[i] < W + 2 * L) { ne++; er += rss[i]; ef += fds[i]; et += thr[i] }
      if (ts[i] >= D - L) { nl++; lr += rss[i]; lf += fds[i]; lt += thr[i] }
    }
    if (!ne || !nl) { print "FAIL too few samples for the growth rule"; exit }
    er /= ne; ef /= ne; et /= ne; lr /= nl; lf /= nl; lt /= nl
    printf "growth rule: early = samples in [%d s, %d s) (%d), late = samples in [%d s, %d s] (%d)\n", W, W + 2 * L, ne, D - L, D, nl
    printf "  RSS     early %.0f kB, late %.0f kB: %+.1f %% (limit +10 %%)\n", er, lr, 100 * (lr - er) / er
    printf "  fds     early %.1f, late %.1f: %+.1f (limit +%d: one TAP port + 2)\n", ef, lf, lf - ef, tap + 2
    printf "  threads early %.1f, late %.1f: %+.1f (limit +2)\n", et, lt, lt - et
    if (lr > 1.10 * er) print "FAIL RSS grew more than 10 %"
    if (lf > ef + tap + 2) print "FAIL fds grew"
    if (lt > et + 2) print "FAIL threads grew"
  }' "$csv")
echo "$verdict"
grep -q '^FAIL' <<<"$verdict" && failed=$((failed + 1))

echo "traffic:"
for f in "$run"/ping.*; do
  name=${f##*/ping.}
  line=$(grep -E 'packets transmitted' "$f" || echo "no summary")
  echo "  ping $name: $line"
  rx=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' <<<"$line")
  [[ "${rx:-0}" -gt 0 ]] || { echo "  FAIL ping $name got no reply"; failed=$((failed + 1)); }
done
if jq -e '.end.sum_received' "$run/iperf-tcp.json" >/dev/null 2>&1; then
  jq -r '"  TCP v1->v2 (iperf3 -b 50M): sent \(.end.sum_sent.bytes / 1e9 * 1000 | round / 1000) GB, received \(.end.sum_received.bytes / 1e9 * 1000 | round / 1000) GB, \(.end.sum_received.bits_per_second / 1e6 * 10 | round / 10) Mbit/s, \(.end.sum_sent.retransmits) retransmits"' "$run/iperf-tcp.json"
else
  echo "  FAIL TCP stream: $(jq -r '.error // empty' "$run/iperf-tcp.json" 2>/dev/null || head -c 300 "$run/iperf-tcp.json")"; failed=$((failed + 1))
fi
if jq -e '.end.sum' "$run/iperf-udp.json" >/dev/null 2>&1; then
  jq -r '"  UDP v3->v4 (iperf3 -u -l 3000 -b 5M): \(.end.sum.packets) datagrams of 3000 bytes (3 IPv4 fragments each), \(.end.sum.lost_packets) lost (\(.end.sum.lost_percent * 1000 | round / 1000) %)"' "$run/iperf-udp.json"
else
  echo "  FAIL UDP stream: $(jq -r '.error // empty' "$run/iperf-udp.json" 2>/dev/null || head -c 300 "$run/iperf-udp.json")"; failed=$((failed + 1))
fi
read -r sok sbad 2>/dev/null < "$run/short-tcp.count" || { sok=0; sbad=0; }
echo "  short TCP connections v4->v3: $sok ok, $sbad failed"
((sok > 0)) || { echo "  FAIL no short TCP connection succeeded"; failed=$((failed + 1)); }
read -r rounds ports_ok ping_ok groups_ok cerrors 2>/dev/null < "$run/churn.count" || { rounds=0; ports_ok=0; ping_ok=0; groups_ok=0; cerrors=0; }
echo "  churn: $rounds rounds: $ports_ok TAP ports (and namespaces) created ACTIVE and deleted, $ping_ok pinged v1," \
     "$groups_ok groups created with 2 rules, attached to a VM port, detached and deleted; $cerrors errors"
if [[ -n "$left_ports$left_groups$left_ns" ]]; then
  echo "  FAIL the churn left ports [$left_ports], groups [$left_groups], namespaces [$left_ns]"; failed=$((failed + 1))
fi
if ((cerrors > 0)) || ((rounds == 0)); then
  echo "  FAIL churn errors:"; { sed 's/^/    /' "$run/churn.errors" 2>/dev/null | head -20 || true; }; failed=$((failed + 1))
fi

echo "daemon counters (/metrics at the end):"
awk '
  /^vswitch_port_dropped_packets_total/ { match($0, /reason="[^"]*"/); r = substr($0, RSTART + 8, RLENGTH - 9); drops[r] += $NF }
  /^vswitch_port_rx_packets_total/ { rx += $NF } /^vswitch_port_tx_packets_total/ { tx += $NF }
  /^vswitch_conntrack_created_total / { cc = $NF } /^vswitch_conntrack_entries / { ce = $NF }
  /^vswitch_conntrack_early_drops_total / { ced = $NF } /^vswitch_conntrack_revoked_total / { crv = $NF }
  /^vswitch_flow_cache_hits_total / { fh = $NF } /^vswitch_flow_cache_misses_total / { fm = $NF }
  /^vswitch_ip_first_fragments_total / { ff = $NF } /^vswitch_ip_later_fragments_matched_total / { lf = $NF }
  /^vswitch_ip_fragment_evictions_total / { fe = $NF } /^vswitch_port_rx_errors_total/ { rxe += $NF }
  END {
    printf "  ports rx %d packets, tx %d packets, rx errors %d (ports that still exist)\n", rx, tx, rxe
    printf "  drops by reason:"; n = 0; for (r in drops) { printf " %s=%d", r, drops[r]; n++ }; if (!n) printf " (none listed)"; printf "\n"
    printf "  conntrack: %d entries, %d created, %d early drops, %d revoked\n", ce, cc, ced, crv
    printf "  flow cache: %d hits, %d misses; fragments: %d first, %d later matched, %d evictions\n", fh, fm, ff, lf, fe
  }' <<<"$metrics"
warns=$(grep -cE ' (warn|fail|crit):' "$run/vswitchd.log" || true)
echo "daemon log: $warns warning/error lines"
grep -E ' (warn|fail|crit):' "$run/vswitchd.log" | cut -c1-240 | sort | uniq -c | sort -rn | head -5 | sed 's/^/  /' || true
if ((died)); then
  echo "FAIL vswitchd died (log $run/vswitchd.log):"; tail -20 "$run/vswitchd.log"; failed=$((failed + 1))
else
  echo "daemon alive at the end: pid $dpid"
fi
echo "verdict: $( ((failed)) && echo "FAIL ($failed)" || echo PASS)"
((failed == 0))
