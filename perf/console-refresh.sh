#!/usr/bin/env bash
# What one refresh of the operator console costs at scale (issue 19): 1,000 ports and 10,000 tracked connections.
# A real vswitchd with two VMs on TAP ports (namespaces crfa, crfb) and 998 more ports on memory devices; hping3 opens
# 10,000 UDP connections from one VM to the other (one per source port). Two cases: the connections idle after they
# were opened ("idle"), and all of them carrying a packet every ~1.5 s, hping3 sending them again and again ("busy").
#   daemon:  the four requests of a refresh on the flows screen sent together, as the console sends them: stats,
#            ports and security groups with If-None-Match (unchanged: 304), flows?active_within=2&limit=5000 (the
#            console's default), and flows?limit=5000 (its "all" mode, key a); wall time per refresh (median, p90) and
#            the CPU time the daemon's threads other than its data-path workers spent per refresh (from
#            /proc/PID/task/*/schedstat over 100 refreshes after 40 of warm-up: the workers forward the busy case's
#            packets, which is not the API's cost); then each request alone;
#   console: vswitchctl console in a tmux terminal of 200x50 on the flows screen (idle, busy) and on the overview,
#            then 80x24 (flows idle, overview); after 40 s (steady state), its CPU time per refresh (from
#            /proc/PID/stat over 20 s, one refresh a second), which includes reading the JSON and drawing; and the
#            same console against a second, empty vswitchd: what Terminal.Gui's loops cost with nothing to show
#            (the rest is the refresh's own cost, which perf/VSwitch.Benchmarks' ConsoleRefreshBenchmarks measures
#            alone).
#   [PROFILE=1] [DAEMON_ONLY=1] perf/console-refresh.sh [PORTS] [CONNECTIONS]   (defaults 1000 and 10000; root; builds
#   what it runs; DAEMON_ONLY=1 stops after the daemon's figures)
set -euo pipefail
cd "$(dirname "$0")/.."
ports=${1:-1000}
connections=${2:-10000}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for tool in hping3 tmux curl python3; do
  command -v "$tool" >/dev/null || { echo "console-refresh: $tool is missing (scripts/install-deps.sh installs it)"; exit 1; }
done
dotnet build vswitch/VSwitch.Daemon -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
dotnet build admin/VSwitch.Cli -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
vswitchd=vswitch/VSwitch.Daemon/bin/Release/net10.0/vswitchd
vswitchctl=$(pwd)/admin/VSwitch.Cli/bin/Release/net10.0/vswitchctl

dir=$(mktemp -d /tmp/vswitch-console-refresh.XXXXXX)
pid=""
empty=""
# The same connections again and again (each one sees a packet every ~1.5 s; open_connections is below) until stopped.
busy=""
start_busy() { ( while true; do open_connections; done ) & busy=$!; sleep 3; }
stop_busy() { [[ -n "$busy" ]] && { kill "$busy" 2>/dev/null; pkill -f "hping3 --udp -s 10000" 2>/dev/null; wait "$busy" 2>/dev/null; busy=""; } || true; }
cleanup() {
  stop_busy
  tmux -L crf kill-server 2>/dev/null || true
  [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [[ -n "$empty" ]] && kill -TERM "$empty" 2>/dev/null && wait "$empty" 2>/dev/null || true
  for vm in crfa crfb; do ip netns del "$vm" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

cat > "$dir/config.json" <<JSON
{
  "workers": 1,
  "max_ports": 2048,
  "quotas": { "network": -1, "port": -1, "security_group": -1, "security_group_rule": -1 },
  "networks": [ { "name": "lab" } ],
  "ports": [
    { "name": "vm-a", "network": "lab", "device": "tap:crfa0@crfa", "mac_address": "fa:16:3e:00:1f:01", "fixed_ips": [ "198.18.31.1" ] },
    { "name": "vm-b", "network": "lab", "device": "tap:crfb0@crfb", "mac_address": "fa:16:3e:00:1f:02", "fixed_ips": [ "198.18.31.2" ] }
  ]
}
JSON
for vm in crfa crfb; do ip netns del "$vm" 2>/dev/null || true; ip netns add "$vm"; done
"$vswitchd" --config "$dir/config.json" --metrics-listen none --state-dir "$dir/state" --api-socket "$dir/api.sock" > "$dir/log" 2>&1 &
pid=$!
for _ in $(seq 300); do grep -q "vswitchd ready" "$dir/log" && break; sleep 0.05; done
grep -q "vswitchd ready" "$dir/log" || { echo "vswitchd did not start:"; cat "$dir/log"; exit 1; }
for vm in a b; do
  ip netns exec "crf$vm" ip link set lo up
  ip netns exec "crf$vm" ip link set "crf${vm}0" up
done
ip netns exec crfa ip addr add 198.18.31.1/24 dev crfa0
ip netns exec crfb ip addr add 198.18.31.2/24 dev crfb0

# The other ports: on memory devices, in the network, with the default group (they carry no traffic).
python3 - "$dir/api.sock" "$ports" <<'PY'
import http.client, json, socket, sys
class Unix(http.client.HTTPConnection):
    def __init__(self, path): super().__init__("localhost"); self.path_ = path
    def connect(self): self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(self.path_)
api = Unix(sys.argv[1])
def call(method, url, body=None):
    api.request(method, url, json.dumps(body) if body else None, {"Content-Type": "application/json"})
    r = api.getresponse(); data = r.read()
    if r.status >= 300: sys.exit(f"{method} {url}: {r.status} {data[:200]}")
    return json.loads(data) if data else None
network = call("GET", "/v2.0/networks?name=lab")["networks"][0]["id"]
for p in range(2, int(sys.argv[2])):
    call("POST", "/v2.0/ports", {"port": {"name": f"idle{p:04}", "network_id": network, "binding:profile": {"device": f"memory:idle{p}"}}})
PY

stat_json() { curl -s --unix-socket "$dir/api.sock" http://vswitch/v2.0/vswitch/stats; }
entries() { stat_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["conntrack"]["entries"])'; }
# One UDP connection per source port (hping3 counts the source port up from its base for each packet).
open_connections() {
  ip netns exec crfa ping -c 1 -W 2 198.18.31.2 >/dev/null
  ip netns exec crfa hping3 --udp -s 10000 -p 9 -i u150 -c "$connections" -q 198.18.31.2 >/dev/null 2>&1 || true
}
open_connections
echo "ports: $(curl -s --unix-socket "$dir/api.sock" http://vswitch/v2.0/ports | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["ports"]))'), tracked connections: $(entries)"

cpu_ms() { awk '{print ($14 + $15) * 1000 / '"$(getconf CLK_TCK)"'}' "/proc/$1/stat"; }
# The daemon's threads but its data-path workers, in ms (schedstat's nanoseconds on a CPU: /proc's utime and stime
# count 10 ms ticks, too coarse for a refresh).
api_cpu_ms() {
  local t total=0
  for t in /proc/"$1"/task/*; do
    [[ "$(cat "$t/comm" 2>/dev/null)" == vswitch-worker* ]] && continue
    total=$(awk -v s="$total" '{ printf "%.3f", s + $1 / 1e6 }' "$t/schedstat" 2>/dev/null || echo "$total")
  done
  echo "$total"
}
tag_of() { curl -s -o /dev/null -D - --unix-socket "$dir/api.sock" "http://vswitch/v2.0/$1" | tr -d '\r' | awk 'tolower($1) == "etag:" { print $2 }'; }
ports_tag=$(tag_of ports)
groups_tag=$(tag_of security-groups)
[[ -n "$ports_tag" && -n "$groups_tag" ]] || { echo "console-refresh: the daemon sent no ETag"; exit 1; }
# A refresh as the console sends it: the four requests at once, each on its own kept-alive connection (no process
# or connection set-up in the time, unlike curl); prints the wall time of each of N refreshes in microseconds.
refreshes() {
  python3 - "$dir/api.sock" "$ports_tag" "$groups_tag" "$1" "$2" <<'PY'
import http.client, socket, sys, threading, time
sock, ports_tag, groups_tag, flows, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
class Unix(http.client.HTTPConnection):
    def __init__(self): super().__init__("vswitch")
    def connect(self): self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(sock)
requests = [("/v2.0/vswitch/stats", {}), ("/v2.0/ports", {"If-None-Match": ports_tag}),
            ("/v2.0/security-groups", {"If-None-Match": groups_tag}), ("/v2.0/vswitch/flows?" + flows, {})]
connections = [Unix() for _ in requests]
def get(i):
    path, headers = requests[i]
    connections[i].request("GET", path, headers=headers)
    connections[i].getresponse().read()
for n in range(count + 2):
    threads = [threading.Thread(target=get, args=(i,)) for i in range(len(requests))]
    t0 = time.perf_counter()
    for t in threads: t.start()
    for t in threads: t.join()
    if n >= 2: print(int((time.perf_counter() - t0) * 1e6))
PY
}
daemon_refresh() {
  local case=$1 flows=$2
  # Warm-up: .NET compiles the endpoints again, optimised, after some 30 calls (on a thread that is counted below).
  refreshes "$flows" 40 >/dev/null
  local before; before=$(api_cpu_ms "$pid")
  local sorted; sorted=$(refreshes "$flows" 100 | sort -n)
  local after; after=$(api_cpu_ms "$pid")
  local listed; listed=$(curl -s --unix-socket "$dir/api.sock" "http://vswitch/v2.0/vswitch/flows?$flows" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["flows"]))')
  echo "daemon ($case, $(entries) tracked, flows?$flows lists $listed): a refresh answered in" \
    "$(echo "$sorted" | sed -n 50p | awk '{printf "%.1f", $1/1000}') ms median, $(echo "$sorted" | sed -n 90p | awk '{printf "%.1f", $1/1000}') ms p90" \
    "(4 requests together, wall, Python client with kept-alive connections); daemon CPU (but the workers)" \
    "$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.1f", (b - a) / 102 }') ms per refresh"
}
alone() {
  local label=$1; shift
  local times; times=$(for _ in $(seq 10); do curl -s -o /dev/null -w '%{time_total}\n' --unix-socket "$dir/api.sock" "$@"; done | sort -n)
  echo "  $label: median $(echo "$times" | sed -n 5p | awk '{printf "%.1f", $1*1000}') ms"
}
# What the console asks of each connection (SnapshotReader.FlowFields).
console_fields="fields=zone,protocol,src,dst,src_port,dst_port,state,age_seconds,packets_orig,bytes_orig,packets_reply,bytes_reply,in_port_id,out_port_id"
daemon_refresh idle "active_within=2&$console_fields&limit=5000"
daemon_refresh idle "$console_fields&limit=5000"
start_busy
daemon_refresh busy "active_within=2&$console_fields&limit=5000"
stop_busy
alone "GET /v2.0/vswitch/stats" "http://vswitch/v2.0/vswitch/stats"
alone "GET /v2.0/ports (If-None-Match, 304)" -H "If-None-Match: $ports_tag" "http://vswitch/v2.0/ports"
alone "GET /v2.0/ports (whole list)" "http://vswitch/v2.0/ports"
alone "GET /v2.0/security-groups (If-None-Match, 304)" -H "If-None-Match: $groups_tag" "http://vswitch/v2.0/security-groups"
alone "GET /v2.0/vswitch/flows?limit=5000" "http://vswitch/v2.0/vswitch/flows?limit=5000"
[[ -n "${DAEMON_ONLY:-}" ]] && exit 0

console_cpu() {
  local screen=$1 case=$2 size=${3:-200x50} socket=${4:-$dir/api.sock}
  tmux -L crf kill-server 2>/dev/null || true
  # PROFILE=1: the console writes a perf map, so `perf record -g -p PID` names its managed frames.
  local profile=""
  [[ -n "${PROFILE:-}" ]] && profile="DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0"
  tmux -L crf new-session -d -s c -x "${size%x*}" -y "${size#*x}" "$profile TERM=xterm-256color $vswitchctl console --socket $socket"
  sleep 3
  tmux -L crf send-keys -t c "$screen"
  # Steady state: .NET compiles a method again, optimised, after some 30 calls (tiered compilation), and a refresh
  # calls most of the console's code once a second.
  sleep 40
  if [[ "$case" == busy ]]; then start_busy; else open_connections; fi
  local cpid; cpid=$(pgrep -f "^$vswitchctl console" | head -1)
  local c0; c0=$(cpu_ms "$cpid")
  sleep 20
  local c1; c1=$(cpu_ms "$cpid")
  local scale; scale="$(entries) tracked"
  [[ "$socket" != "$dir/api.sock" ]] && scale="an empty daemon: no ports, nothing tracked"
  echo "console: screen $screen ($case), $scale: $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f", (b - a) / 20 }') ms CPU per refresh (one a second, $size)"
  tmux -L crf capture-pane -p -t c | head -12 | cut -c1-120
  stop_busy
  tmux -L crf send-keys -t c q
  sleep 1
}
console_cpu 4 idle
console_cpu 4 busy
console_cpu 1 idle
console_cpu 4 idle 80x24
console_cpu 1 idle 80x24
"$vswitchd" --metrics-listen none --state-dir "$dir/empty-state" --api-socket "$dir/empty.sock" > "$dir/empty.log" 2>&1 &
empty=$!
for _ in $(seq 300); do grep -q "vswitchd ready" "$dir/empty.log" && break; sleep 0.05; done
console_cpu 1 idle 200x50 "$dir/empty.sock"
console_cpu 1 idle 80x24 "$dir/empty.sock"
