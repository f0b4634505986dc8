#!/usr/bin/env bash
# Runs the data-path benchmarks (BenchmarkDotNet, memory diagnoser, short job) and compares each one's allocated
# bytes per operation with perf/allocation-budget.json. Exit 1 when a benchmark allocates more than its budget or
# has no result. The fast form of this gate runs in CI as unit tests (ZeroAllocationTests and friends).
#   perf/check-alloc-budget.sh [--no-run]     --no-run: check the results already in BenchmarkDotNet.Artifacts
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" != "--no-run" ]]; then
  dotnet run -c Release --project perf/VSwitch.Benchmarks -- --job short \
    --filter '*PacketParserBenchmarks*' '*.PipelineBenchmarks*' '*StatefulPipelineBenchmarks*' '*RoutedPipelineBenchmarks*' '*ClassifierBenchmarks*' \
             '*MacTableBenchmarks*' '*ConnTableBenchmarks*' '*ExactMatchCacheBenchmarks*' '*FragmentBenchmarks*' '*VhostUserPortBenchmarks*' '*CaptureBenchmarks*' >/dev/null
fi
python3 - <<'PY'
import csv, glob, json, re, sys
budget = {k: v for k, v in json.load(open("perf/allocation-budget.json")).items() if not k.startswith("_")}
results = {}
for path in glob.glob("BenchmarkDotNet.Artifacts/results/*-report.csv"):
    cls = re.sub(r"^.*\.(\w+)-report\.csv$", r"\1", path)
    for row in csv.DictReader(open(path)):
        alloc = row.get("Allocated", "").strip()
        value = 0 if alloc in ("", "-", "0 B") else float(alloc.split()[0]) * {"B": 1, "KB": 1024, "MB": 1 << 20}[alloc.split()[1]]
        key = f"{cls}.{row['Method']}"
        results[key] = max(results.get(key, 0), value)
failed = 0
for key, limit in sorted(budget.items()):
    if key not in results:
        print(f"MISSING  {key}: no benchmark result"); failed += 1
    elif results[key] > limit:
        print(f"OVER     {key}: {results[key]:.0f} B > budget {limit} B"); failed += 1
    else:
        print(f"ok       {key}: {results[key]:.0f} B (budget {limit} B)")
sys.exit(1 if failed else 0)
PY
