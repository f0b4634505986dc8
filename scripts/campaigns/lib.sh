# What the campaign scripts share (sourced by kill9-cycles.sh and soak.sh): stopping their own processes and
# removing what a run created, found by its per-run prefix.

# stop_pids PID...: TERM (timeout(1) passes it on to its command), up to 3 s for all of them to end, then KILL; reap.
stop_pids() {
  local p
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 30); do
    for p in "$@"; do kill -0 "$p" 2>/dev/null && break; done
    kill -0 "$p" 2>/dev/null || break
    sleep 0.1
  done
  for p in "$@"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

# stop_daemon PID: vswitchd gets 10 s to stop by itself (it removes its TAP devices and socket), then stop_pids.
stop_daemon() {
  [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null || return 0
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  stop_pids "$1"
}

# remove_prefixed PREFIX: every namespace named PREFIX-* (its processes killed first) and every link named PREFIX*.
remove_prefixed() {
  local ns
  for ns in $(ip netns list | awk -v p="$1-" 'index($1, p) == 1 {print $1}'); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  ip -o link show 2>/dev/null | awk -F': ' -v p="$1" 'index($2, p) == 1 { split($2, a, "@"); print a[1] }' |
    while read -r l; do ip link del "$l" 2>/dev/null || true; done
}

# Ctrl-C and kill end the script through its EXIT trap (the cleanup), with the shell's usual status.
trap 'exit 130' INT
trap 'exit 143' TERM
