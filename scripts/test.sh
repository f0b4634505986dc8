#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, and runs every test project (end-to-end tests need root).
# Prints one closing line: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
configuration=${CONFIGURATION:-Release}

dotnet build VSwitch.sln -c "$configuration" -nologo -v quiet -clp:ErrorsOnly

projects=(
  tests/VSwitch.Packets.Tests
  tests/VSwitch.Dataplane.Tests
  tests/VSwitch.Conntrack.Tests
  tests/VSwitch.Ports.Linux.Tests
  tests/VSwitch.Control.Tests
  tests/VSwitch.Api.Tests
  tests/VSwitch.Cli.Tests
  tests/VSwitch.Console.Tests
  tests/VSwitch.EndToEnd.Tests
)
passed=0; failed=0; skipped=0; status=0
log=$(mktemp)
for p in "${projects[@]}"; do
  echo "== $p"
  if ! dotnet test "$p" -c "$configuration" --no-build -nologo 2>&1 | tee "$log" \
       | grep -E -A6 "^\s*(Failed|Skipped) |Error Message|Passed!|Failed!" ; then
    :
  fi
  summary=$(grep -E "(Passed|Failed)!\s+-\s+Failed:" "$log" | tail -1 || true)
  if [[ -z "$summary" ]]; then
    echo "test.sh: $p produced no test summary"; status=1; failed=$((failed + 1)); continue
  fi
  f=$(sed -E 's/.*Failed:\s+([0-9]+).*/\1/' <<<"$summary")
  ps=$(sed -E 's/.*Passed:\s+([0-9]+).*/\1/' <<<"$summary")
  s=$(sed -E 's/.*Skipped:\s+([0-9]+).*/\1/' <<<"$summary")
  passed=$((passed + ps)); failed=$((failed + f)); skipped=$((skipped + s))
  [[ "$f" -eq 0 ]] || status=1
done
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
