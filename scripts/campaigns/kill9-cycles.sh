#!/usr/bin/env bash
# kill -9 campaign (issue 15): kill vswitchd at a random moment while traffic flows and API writes are in flight,
# restart it on the same state dir, and check that nothing was lost, half-applied or leaked.
#
#   scripts/campaigns/kill9-cycles.sh [CYCLES=100]
#   (root; build first: dotnet build VSwitch.sln -c Release; installs its tools with scripts/install-deps.sh)
#   Environment: STOP_ON_FAIL=1 stops at the first failing cycle; KEEP=1 keeps the run directory (logs, journals,
#   state) also on success (it is always kept after a failure, and its path printed).
#
# Set-up: one daemon (2 workers, its own state dir, API socket in it, /metrics on a free loopback port), one network,
# three VM namespaces PREFIX-a/b/c on TAP ports (port security, fixed IPv4 198.18.90.x and IPv6 2001:db8:90::x, a
# group PREFIX-vm allowing ICMP, ICMPv6 and TCP/UDP 5201-5202 from the lab's prefixes) and a namespace PREFIX-ch for
# the TAP devices of ports made by the write loop. Every name starts with a random per-run PREFIX (k9XXXX).
#
# Each cycle:
#   1. traffic: ping a->b (IPv4) and c->a (IPv6) every 0.1 s, a UDP stream b->c (iperf3 -u -b 5M);
#   2. the API write loop (scripts/campaigns/kill9-tools.py writer): creates/deletes security groups, rules (one and
#      three at a time), ports (70% with a TAP device in PREFIX-ch), changes ports' groups; every request and its
#      outcome (ack = HTTP 2xx with the ids returned, refused, unsent, cut) is journalled;
#   3. after a random 0.2-3.0 s of that loop: kill -9 of the daemon; the loop stops at its next (failed) request;
#   4. restart on the same state dir (bounded: 30 s to "vswitchd ready"), then check:
#      - every acknowledged change of every cycle so far is in the store as acknowledged (created objects exist with
#        the attributes the API returned, deleted ones do not, changed ports have the new groups); refused/unsent
#        creates left nothing; the one request cut by the kill is applied wholly or not at all (kill9-tools.py check);
#        no duplicate or phantom object, no orphan rule, no port naming a missing group;
#      - every port with a tap: device is ACTIVE again, and the TAP devices in the run's namespaces are exactly those
#        of existing ports (no device left by a deleted port, none missing); no PREFIX* interface in the host
#        namespace (within 20 s: kill9-tools.py devices); the run's namespaces are exactly those it created;
#      - traffic flows again: ping a->b, b->c, c->a (IPv4), a->c (IPv6) and a TCP connection a->b each succeed
#        within 15 s;
#      - the killed daemon is gone and exactly one vswitchd runs on the state dir; the restarted daemon's log has no
#        crit line and no unhandled exception (its warn/fail lines are counted per cycle and listed in the summary);
#      - fds: /proc/PID/fd of the new daemon, counted once the checks pass, minus its TAP ports' share (fds per TAP
#        port are measured at set-up): fails if above the first 10 cycles' maximum + 8 (fds must not grow cycle over
#        cycle); the summary prints the least-squares slope.
# Prints a line per cycle and a summary (cycles, duration, acknowledged changes checked, fds first/last, failures);
# exits non-zero on any failure. Everything (processes, namespaces, devices, files) is removed on exit, failure or
# Ctrl-C, except the run directory after a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
# shellcheck source=lib.sh
source "$repo/scripts/campaigns/lib.sh"
CYCLES=${1:-100}
[[ "$CYCLES" =~ ^[0-9]+$ ]] && ((CYCLES > 0 && CYCLES <= 10000)) || { echo "usage: $0 [CYCLES=100] (1..10000)" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "kill9-cycles: run as root" >&2; exit 2; }

scripts/install-deps.sh
vswitchd=$repo/vswitch/VSwitch.Daemon/bin/Release/net10.0/vswitchd
vswitchctl=$repo/admin/VSwitch.Cli/bin/Release/net10.0/vswitchctl
tools=$repo/scripts/campaigns/kill9-tools.py
for b in "$vswitchd" "$vswitchctl"; do
  [[ -x "$b" ]] || { echo "kill9-cycles: $b is missing: dotnet build VSwitch.sln -c Release" >&2; exit 2; }
done

# A prefix no namespace or interface uses yet.
while :; do
  P=k9$(printf %04x $((RANDOM % 65536)))
  ip netns list | grep -q "^$P" || ip -o link show | grep -q ": $P" || break
done
NS_A=$P-a NS_B=$P-b NS_C=$P-c NS_CH=$P-ch
NAMESPACES="$NS_A,$NS_B,$NS_C,$NS_CH"
run=$(mktemp -d "/tmp/vswitch-kill9-$P.XXXXXX")
state=$run/state
sock=$state/api.sock
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dpid=""; writer_pid=""; traffic_pids=(); server_pids=(); failed=0; keep=${KEEP:-0}

log() { printf '%s %s\n' "$(date +%T)" "$*"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n "$writer_pid" ]] && stop_pids "$writer_pid"
  ((${#traffic_pids[@]})) && stop_pids "${traffic_pids[@]}"
  ((${#server_pids[@]})) && stop_pids "${server_pids[@]}"
  stop_daemon "$dpid"
  remove_prefixed "$P"
  if ((failed || rc != 0 || keep)); then
    echo "kill9-cycles: run directory kept: $run"
  else
    rm -rf "$run"
  fi
  exit "$rc"
}
trap cleanup EXIT

ctl() { "$vswitchctl" --socket "$sock" "$@"; }

start_daemon() { # $1: log file. Starts vswitchd and waits for "vswitchd ready" (30 s)
  "$vswitchd" --workers 2 --state-dir "$state" --api-socket "$sock" --metrics-listen "127.0.0.1:$mport" > "$1" 2>&1 &
  dpid=$!
  local t0=$EPOCHREALTIME
  for _ in $(seq 300); do
    grep -q "vswitchd ready" "$1" && { ready_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}'); return 0; }
    kill -0 "$dpid" 2>/dev/null || break
    sleep 0.1
  done
  echo "vswitchd did not become ready (log $1):"; tail -20 "$1"
  return 1
}

fd_count() { ls "/proc/$dpid/fd" 2>/dev/null | wc -l; }

daemons_on_state() { # pids of vswitchd processes whose command line names our state dir
  local f
  for f in /proc/[0-9]*/cmdline; do
    { tr '\0' ' ' < "$f"; } 2>/dev/null | grep -qF -- "--state-dir $state " && { f=${f#/proc/}; echo "${f%/cmdline}"; }
  done
  return 0
}

wait_ping() { # NS ADDR [-6]: first success within 15 s; prints the seconds taken, returns 1 on timeout
  local ns=$1 addr=$2 t0=$EPOCHREALTIME
  for _ in $(seq 15); do
    if ip netns exec "$ns" ping ${3:-} -c 1 -W 1 -q "$addr" >/dev/null 2>&1; then
      awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}'; return 0
    fi
  done
  return 1
}

wait_tcp() { # NS ADDR PORT: a TCP connection that reads "ok" within 15 s
  local end=$((SECONDS + 15))
  while ((SECONDS < end)); do
    [[ "$(timeout 3 ip netns exec "$1" ncat --recv-only -w 2 "$2" "$3" </dev/null 2>/dev/null)" == ok ]] && return 0
    sleep 0.2
  done
  return 1
}

# ------------------------------------------------------------------------------------------------ set-up
log "prefix $P, run directory $run, metrics 127.0.0.1:$mport, $CYCLES cycles"
for ns in ${NAMESPACES//,/ }; do ip netns add "$ns"; done
mkdir -p "$state"
start_daemon "$run/vswitchd.0.log"
fd_empty=$(fd_count)
ctl network create "$P-lab" -f value -c id > "$run/network_id"
net_id=$(cat "$run/network_id")
ctl security group create "$P-vm" -f value -c id > "$run/base_group_id"
base_group=$(cat "$run/base_group_id")
ctl security group rule create "$P-vm" --ingress --protocol icmp --remote-ip 198.18.90.0/24 -f value -c id >/dev/null
ctl security group rule create "$P-vm" --ingress --protocol icmpv6 --ethertype IPv6 --remote-ip 2001:db8:90::/64 -f value -c id >/dev/null
ctl security group rule create "$P-vm" --ingress --protocol tcp --dst-port 5201:5202 --remote-ip 198.18.90.0/24 -f value -c id >/dev/null
ctl security group rule create "$P-vm" --ingress --protocol udp --dst-port 5201 --remote-ip 198.18.90.0/24 -f value -c id >/dev/null
declare -A ip4=([a]=198.18.90.1 [b]=198.18.90.2 [c]=198.18.90.3) ip6=([a]=2001:db8:90::1 [b]=2001:db8:90::2 [c]=2001:db8:90::3)
n=0
for v in a b c; do
  n=$((n + 1))
  ctl port create "$P-vm-$v" --network "$P-lab" --device "tap:${P}v$v@$P-$v" --mac-address "fa:16:3e:80:00:0$n" \
    --fixed-ip "ip-address=${ip4[$v]}" --fixed-ip "ip-address=${ip6[$v]}" --security-group "$P-vm" -f value -c id >/dev/null
done
for v in a b c; do
  for _ in $(seq 100); do ip -n "$P-$v" link show "${P}v$v" >/dev/null 2>&1 && break; sleep 0.1; done
  ip -n "$P-$v" link set lo up
  ip -n "$P-$v" link set "${P}v$v" up
  ip -n "$P-$v" addr add "${ip4[$v]}/24" dev "${P}v$v"
  ip -n "$P-$v" -6 addr add "${ip6[$v]}/64" dev "${P}v$v" nodad
done
wait_ping "$NS_A" "${ip4[b]}" >/dev/null || { echo "set-up: a cannot ping b"; exit 1; }
sleep 0.5
fd_vm=$(fd_count)
# fds per TAP port: two more TAP ports (in PREFIX-ch), counted, then deleted again.
for i in 1 2; do ctl port create "$P-fdprobe$i" --network "$P-lab" --device "tap:${P}f$i@$NS_CH" -f value -c id >/dev/null; done
for _ in $(seq 100); do [[ $(ip -n "$NS_CH" -o link show | grep -c ": ${P}f") == 2 ]] && break; sleep 0.1; done
sleep 0.5
fd_probe=$(fd_count)
ctl port delete "$P-fdprobe1" "$P-fdprobe2"
for _ in $(seq 100); do ip -n "$NS_CH" -o link show | grep -q ": ${P}f" || break; sleep 0.1; done
fd_per_tap=$(awk -v a="$fd_vm" -v b="$fd_probe" 'BEGIN{printf "%.2f", (b-a)/2}')
log "daemon pid $dpid ready; fds: $fd_empty without ports, $fd_vm with 3 TAP ports, $fd_probe with 5 ($fd_per_tap per TAP port)"
# Servers for the whole run (bounded by timeout): a TCP "ok" server in b for the connection check.
timeout $((CYCLES * 60 + 600)) ip netns exec "$NS_B" ncat -l -k "${ip4[b]}" 5202 --sh-exec 'echo ok' >/dev/null 2>&1 &
server_pids+=($!)
python3 "$tools" init "$sock" "$P" "$run/expect.json" > "$run/init.out"
log "expected state recorded: $(cat "$run/init.out")"

# ------------------------------------------------------------------------------------------------ cycles
t_start=$SECONDS
total_ops=0; total_acked=0; total_checked=0; total_cut=0; total_expect=0
ping_tx=0; ping_rx=0
fd_first=""; fd_last=""; fds_norm=(); fail_lines=()
declare -A reported=()

fail() { # cycle message: records a failure (a message already reported in an earlier cycle is not counted again)
  if [[ -z "${reported[$2]:-}" ]]; then
    reported[$2]=1; failed=$((failed + 1)); fail_lines+=("cycle $1: $2"); echo "  FAIL $2"
  fi
  cycle_ok=0
}

for c in $(seq "$CYCLES"); do
  cycle_ok=1
  # 1. traffic
  traffic_pids=()
  ip netns exec "$NS_C" timeout 120 iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
  traffic_pids+=($!)
  ip netns exec "$NS_A" timeout 120 ping -i 0.1 "${ip4[b]}" > "$run/ping4.$c" 2>&1 &
  traffic_pids+=($!)
  ip netns exec "$NS_C" timeout 120 ping -6 -i 0.1 "${ip6[a]}" > "$run/ping6.$c" 2>&1 &
  traffic_pids+=($!)
  sleep 0.3
  ip netns exec "$NS_B" timeout 120 iperf3 -c "${ip4[c]}" -p 5201 -u -b 5M -t 100 >/dev/null 2>&1 &
  traffic_pids+=($!)

  # 2. API writes; 3. kill -9 at a random moment while they run
  journal=$run/journal.$c.jsonl
  rm -f "$run/stop" "$run/stop.started"
  timeout 60 python3 "$tools" writer "$sock" "$P" "$net_id" "$base_group" "$NS_CH" "$journal" "$run/stop" "$run/seq" 30 \
    > "$run/writer.$c.out" 2>&1 &
  writer_pid=$!
  for _ in $(seq 100); do [[ -e "$run/stop.started" ]] && break; kill -0 "$writer_pid" 2>/dev/null || break; sleep 0.1; done
  [[ -e "$run/stop.started" ]] || fail "$c" "the write loop did not start: $(tail -3 "$run/writer.$c.out")"
  delay=$(awk -v s="$RANDOM$c" 'BEGIN{srand(s); printf "%.2f", 0.2 + rand() * 2.8}')
  sleep "$delay"
  old_pid=$dpid
  kill -9 "$dpid"
  wait "$dpid" 2>/dev/null || true
  touch "$run/stop"
  wait "$writer_pid" 2>/dev/null || fail "$c" "the write loop failed: $(tail -3 "$run/writer.$c.out")"
  writer_pid=""
  [[ -e "/proc/$old_pid" ]] && fail "$c" "killed daemon pid $old_pid still exists"

  # 4. restart and check
  if ! start_daemon "$run/vswitchd.$c.log"; then
    fail "$c" "restart failed (log $run/vswitchd.$c.log)"
    break
  fi
  others=$(daemons_on_state | grep -vx "$dpid" | tr '\n' ' ' || true)
  [[ -z "$others" ]] || fail "$c" "other vswitchd processes on the state dir: $others"

  check_out=$(python3 "$tools" check "$sock" "$P" "$journal" "$run/expect.json" 2>&1) || true
  figs=$(head -1 <<<"$check_out")
  while read -r l; do [[ "$l" == FAIL* ]] && fail "$c" "${l#FAIL }"; done <<<"$check_out"
  if ! jq -e . >/dev/null 2>&1 <<<"$figs"; then
    fail "$c" "check failed: $check_out"
    python3 "$tools" init "$sock" "$P" "$run/expect.json" >/dev/null || true
    figs='{}'
  elif grep -q '^FAIL' <<<"$check_out"; then
    python3 "$tools" init "$sock" "$P" "$run/expect.json" >/dev/null   # start the next cycle from what is there
  fi
  dev_out=$(python3 "$tools" devices "$sock" "$P" "$NAMESPACES" 20 2>&1) || true
  while read -r l; do [[ "$l" == FAIL* ]] && fail "$c" "${l#FAIL }"; done <<<"$dev_out"
  dev_figs=$(head -1 <<<"$dev_out"); jq -e . >/dev/null 2>&1 <<<"$dev_figs" || { fail "$c" "devices check failed: $dev_out"; dev_figs='{}'; }
  have_ns=$(ip netns list | awk '{print $1}' | grep "^$P" | sort | tr '\n' ' ')
  want_ns=$(tr ',' '\n' <<<"$NAMESPACES" | sort | tr '\n' ' ')
  [[ "$have_ns" == "$want_ns" ]] || fail "$c" "namespaces: have [$have_ns], created [$want_ns]"

  t4=$(wait_ping "$NS_A" "${ip4[b]}") || fail "$c" "ping a->b (IPv4) failed for 15 s after the restart"
  wait_ping "$NS_B" "${ip4[c]}" >/dev/null || fail "$c" "ping b->c (IPv4) failed for 15 s after the restart"
  wait_ping "$NS_C" "${ip4[a]}" >/dev/null || fail "$c" "ping c->a (IPv4) failed for 15 s after the restart"
  t6=$(wait_ping "$NS_A" "${ip6[c]}" -6) || fail "$c" "ping a->c (IPv6) failed for 15 s after the restart"
  wait_tcp "$NS_A" "${ip4[b]}" 5202 || fail "$c" "TCP a->b:5202 failed for 15 s after the restart"

  warns=$(grep -cE ' (warn|fail):' "$run/vswitchd.$c.log" || true)
  grep -E ' (warn|fail):' "$run/vswitchd.$c.log" | cut -d' ' -f2- | sed -E 's/[0-9a-f]{8}-[0-9a-f-]{27}/ID/g; s/[0-9]+/N/g' \
    >> "$run/warnings" || true
  if grep -qE ' crit:|Unhandled exception' "$run/vswitchd.$c.log"; then
    fail "$c" "restart log: $(grep -m1 -E ' crit:|Unhandled exception' "$run/vswitchd.$c.log" | cut -c1-300)"
  fi
  fds=$(fd_count)
  taps=$(jq -r '.tap_ports // 0' <<<"$dev_figs")
  norm=$(awk -v f="$fds" -v t="$taps" -v k="$fd_per_tap" 'BEGIN{printf "%.1f", f - t*k}')
  fds_norm+=("$norm")
  [[ -z "$fd_first" ]] && fd_first="$fds (taps $taps, normalised $norm)"
  fd_last="$fds (taps $taps, normalised $norm)"
  if ((c > 10)); then
    base=$(printf '%s\n' "${fds_norm[@]:0:10}" | sort -g | tail -1)
    awk -v n="$norm" -v b="$base" 'BEGIN{exit !(n > b + 8)}' &&
      fail "$c" "fd count grew: $fds fds with $taps TAP ports = $norm normalised, first 10 cycles' max $base"
  fi

  # Stop this cycle's traffic; count the pings.
  stop_pids "${traffic_pids[@]}"; traffic_pids=()
  for f in "$run/ping4.$c" "$run/ping6.$c"; do
    tx=$(sed -nE 's/.*icmp_seq=([0-9]+).*/\1/p' "$f" | sort -n | tail -1); rx=$(grep -c 'bytes from' "$f" || true)
    ping_tx=$((ping_tx + ${tx:-0})); ping_rx=$((ping_rx + rx))
  done

  ops=$(jq -r '.ops // 0' <<<"$figs"); acked=$(jq -r '.acked // 0' <<<"$figs"); cut=$(jq -r '.cut // 0' <<<"$figs")
  unsent=$(jq -r '.unsent // 0' <<<"$figs"); exp=$(jq -r '.expectations_checked // 0' <<<"$figs")
  total_ops=$((total_ops + ops)); total_acked=$((total_acked + acked)); total_cut=$((total_cut + cut)); total_expect=$((total_expect + exp))
  total_checked=$((total_checked + $(jq -r '.acked_checked // 0' <<<"$figs")))
  printf '%s cycle %d/%d kill@%ss ops=%d acked=%d cut=%d%s unsent=%d objects=%s/%s/%s tap=%s ready=%ss settle=%ss ping4=%ss ping6=%ss fds=%s warn=%s %s\n' \
    "$(date +%T)" "$c" "$CYCLES" "$delay" "$ops" "$acked" "$cut" "$(jq -r 'if .cut_resolved != "" then " [" + .cut_resolved + "]" else "" end' <<<"$figs" 2>/dev/null)" \
    "$unsent" "$(jq -r '.n_groups' <<<"$figs")" "$(jq -r '.n_rules' <<<"$figs")" "$(jq -r '.n_ports' <<<"$figs")" \
    "$taps" "$ready_s" "$(jq -r '.settle_s' <<<"$dev_figs")" "${t4:--}" "${t6:--}" "$fds" "$warns" "$( ((cycle_ok)) && echo ok || echo FAILED)"
  if ((!cycle_ok)) && [[ "${STOP_ON_FAIL:-0}" == 1 ]]; then break; fi
  if ((failed >= 50)); then echo "kill9-cycles: 50 failures, stopping"; break; fi
done

# ------------------------------------------------------------------------------------------------ summary
duration=$((SECONDS - t_start))
slope=$(printf '%s\n' "${fds_norm[@]}" | awk '{x=NR; y=$1; sx+=x; sy+=y; sxx+=x*x; sxy+=x*y} END{d=NR*sxx-sx*sx; printf "%.3f", d ? (NR*sxy-sx*sy)/d : 0}')
echo
echo "== kill9-cycles summary (prefix $P)"
echo "cycles:                      $c of $CYCLES"
echo "duration:                    ${duration} s"
echo "API requests:                $total_ops ($total_acked acknowledged, $total_cut cut by the kill)"
echo "acknowledged changes checked: $total_checked (and $total_expect object expectations checked over all cycles)"
echo "pings during cycles:         $ping_rx of $ping_tx answered (includes the seconds the daemon was down)"
range=$(printf '%s\n' "${fds_norm[@]}" | sort -g | sed -n '1p;$p' | tr '\n' ' ')
echo "fds after restart:           first cycle $fd_first, last cycle $fd_last"
echo "                             normalised (fds - $fd_per_tap x TAP ports): min/max ${range% }, slope ${slope} fds/cycle"
echo "restart log warn/fail lines: $(wc -l < "$run/warnings" 2>/dev/null || echo 0)"
{ sort "$run/warnings" 2>/dev/null | uniq -c | sort -rn | head -10 | cut -c1-220 | sed 's/^/  /'; } || true
echo "failures:                    $failed"
for l in "${fail_lines[@]}"; do echo "  $l"; done
((failed == 0))
