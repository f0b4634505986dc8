#!/usr/bin/env bash
# Issue 17's scale layout through a real vswitchd's API (perf/api-scale.py): setup time, change latencies, RSS.
# Usage: perf/api-scale.sh [PORTS] [RULES_PER_GROUP]   (defaults 1000 and 1000: 100,000 rules)
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build vswitch/VSwitch.Daemon -c Release -nologo -v quiet -clp:ErrorsOnly
dir=$(mktemp -d /tmp/vswitch-api-scale.XXXXXX)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
# No quota: the layout is far beyond Neutron's default of 100 rules per project. One worker, memory ports.
echo '{"workers": 1, "max_ports": 2048, "quotas": {"network": -1, "port": -1, "security_group": -1, "security_group_rule": -1}}' > "$dir/config.json"
vswitch/VSwitch.Daemon/bin/Release/net10.0/vswitchd --config "$dir/config.json" --state-dir "$dir/state" \
  --api-socket "$dir/api.sock" --metrics-listen none > "$dir/log" 2>&1 &
pid=$!
for _ in $(seq 100); do [[ -S "$dir/api.sock" ]] && grep -q "vswitchd ready" "$dir/log" && break; sleep 0.1; done
# GCDUMP=/path/to/dotnet-gcdump (dotnet tool install --tool-path DIR dotnet-gcdump) adds the RSS after a full GC.
timeout 1200 python3 perf/api-scale.py "$dir/api.sock" "$pid" "${1:-1000}" "${2:-1000}"
