#!/usr/bin/env bash
# Change-to-enforcement latency (issue 5 item 3): API round trip of a rule create/delete with 10,000 rules and
# 100 ports loaded into a real vswitchd; the daemon publishes the new data-path snapshot before it answers.
# Prints p50/p99/max. Usage: perf/api-latency.sh [Debug|Release]
set -euo pipefail
cd "$(dirname "$0")/.."
configuration=${1:-Release}
dotnet build tests/VSwitch.Cli.Tests -c "$configuration" -nologo -v quiet -clp:ErrorsOnly
timeout 900 dotnet test tests/VSwitch.Cli.Tests -c "$configuration" --no-build -nologo \
  --filter "FullyQualifiedName~EnforcementLatencyTests" --logger "console;verbosity=detailed" \
  | grep -E "setup:|rule (create|delete):|Passed!|Failed!"
