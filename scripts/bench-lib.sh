# What the end-to-end benchmarks share (sourced by bench-peers.sh and bench-vhost.sh): stopping the switches they start.

# stop_pid PID: SIGTERM, then SIGKILL after 10 s; reaped.
stop_pid() {
  local pid=$1
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# stop_ovs: the Open vSwitch started in $ovs_dir (bridge $OB removed, ovs-vswitchd and ovsdb-server asked to exit,
# killed after 5 s); clears ovs_dir.
stop_ovs() {
  [[ -n "$ovs_dir" && -d "$ovs_dir" ]] || return 0
  OVS_RUNDIR=$ovs_dir timeout 10 ovs-vsctl --db="unix:$ovs_dir/db.sock" --timeout=5 --if-exists del-br "$OB" 2>/dev/null || true
  timeout 10 ovs-appctl -t "$ovs_dir/ovs-vswitchd.ctl" exit --cleanup >/dev/null 2>&1 || true
  timeout 10 ovs-appctl -t "$ovs_dir/ovsdb-server.ctl" exit >/dev/null 2>&1 || true
  for f in ovs-vswitchd ovsdb-server; do
    local pid; pid=$(cat "$ovs_dir/$f.pid" 2>/dev/null || true)
    if [[ -n "$pid" ]]; then
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  ovs_dir=""
}
