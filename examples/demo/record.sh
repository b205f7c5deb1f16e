#!/usr/bin/env bash
# Re-records examples/demo/recording.json: a triage of the demo world (examples/demo/
# world.json, function fulfillment-fn) served by the fake AWS on 127.0.0.1, with every AWS
# exchange saved so `runbook --replay examples/demo/recording.json triage.lua fulfillment-fn`
# shows the same report offline. Run it after a step starts making a new AWS call (the
# replay then fails with ReplayMiss, and tests/steps/test_examples.py says so).
#   bash examples/demo/record.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build}/runbook
out=$root/examples/demo/recording.json
status=0
/usr/bin/python3 "$root/tests/fake_aws/run_with_fake.py" --world "$root/examples/demo/world.json" \
  --timeout 120 -- "$bin" --record "$out" triage.lua fulfillment-fn --format json >/dev/null || status=$?
# exit 1 means "findings": the demo function has several problems on purpose
if [[ $status -gt 1 ]]; then
  echo "record.sh: the triage failed (exit $status)" >&2
  exit "$status"
fi
echo "recorded $(grep -c '"operation"' "$out") exchanges to ${out#"$root"/}"
