#!/usr/bin/env bash
# Installs dependencies, builds, and triages the bundled demo world: a fake AWS account
# served on 127.0.0.1 (tests/fake_aws) with a function that has several problems at once.
# No AWS account is needed and nothing leaves this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
exec /usr/bin/python3 tests/fake_aws/run_with_fake.py --world examples/demo/world.json -- \
  build/runbook triage.lua "${1:-fulfillment-fn}" "${@:2}"
