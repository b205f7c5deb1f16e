#!/usr/bin/env bash
# Wall time of 50 independent calls made concurrently from Lua, against the fake AWS with
# 100 ms injected delay per call, compared with the same calls made sequentially in the same
# run and with the 50 x 100 ms a sequential client needs at least.
#   bash bench/concurrent_calls.sh [BUILD_DIR] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build}/runbook
runs=${2:-5}
count=50
delay_ms=100
faults=$(mktemp)
trap 'rm -f "$faults"' EXIT
echo "[{\"service\": \"iam\", \"kind\": \"delay\", \"delay_ms\": $delay_ms}]" >"$faults"
results=()
for _ in $(seq "$runs"); do
  line=$(/usr/bin/python3 "$root/tests/fake_aws/run_with_fake.py" --world basic \
    --faults "$faults" -- "$bin" "$root/bench/concurrent_calls.lua" "$count")
  results+=("$line")
  echo "$line"
done
printf '%s\n' "${results[@]}" | /usr/bin/python3 -c '
import re, statistics, sys
rows = [dict(re.findall(r"(\w+)=([\d.]+)", l)) for l in sys.stdin if l.strip()]
seq = statistics.median(float(r["sequential_s"]) for r in rows)
con = statistics.median(float(r["concurrent_s"]) for r in rows)
floor = '"$count"' * '"$delay_ms"' / 1000.0
print("median over %d runs: concurrent %.3f s, sequential %.3f s" % (len(rows), con, seq))
print("speed-up vs sequential in the same run: %.1fx" % (seq / con))
print("ratio to %d x %d ms = %.1f s: %.3f (%.1fx faster)" % ('"$count"', '"$delay_ms"', floor,
      con / floor, floor / con))
'
