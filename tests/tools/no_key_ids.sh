#!/usr/bin/env bash
# Fails when something that looks like a real AWS access key id (AKIA... or ASIA... and 16
# more capitals or digits) stands outside tests/: docs and examples use ids that cannot be
# mistaken for real ones (AKID...), and tests/ keeps its own fixtures.
set -euo pipefail
cd "$(dirname "$0")/../.."
if grep -rnE '\b(AKIA|ASIA)[A-Z0-9]{16}\b' --exclude-dir=tests --exclude-dir='build*' \
    --exclude-dir=.git core plugins runbooks examples docs bench scripts tools README.md \
    CMakeLists.txt; then
  echo "access key ids that look real (above): use an AKID... id instead" >&2
  exit 1
fi
