#!/bin/sh
# runbook-demo — the installed demo: triages the bundled demo world, a fake AWS account
# served on 127.0.0.1 by the installed fake server (share/runbook/fake_aws), in which the
# function fulfillment-fn has several problems at once. Needs python3 and Debian's
# python3-botocore, no AWS account; nothing leaves the machine. Installed as
# BINDIR/runbook-demo; it finds everything beside itself, never in a source tree.
#
#   runbook-demo [FUNCTION] [TRIAGE OPTIONS...]     e.g. runbook-demo fulfillment-fn --format json
#
# Exits as the triage does (1: findings at or above fail, which the demo world has).
set -eu
bin=$(dirname "$(readlink -f "$0")")
share=$bin/../share/runbook
if [ ! -f "$share/fake_aws/run_with_fake.py" ]; then
  echo "runbook-demo: cannot find the fake AWS server in $share/fake_aws; reinstall runbook" >&2
  exit 3
fi
fn=${1:-fulfillment-fn}
[ $# -gt 0 ] && shift
export PYTHONDONTWRITEBYTECODE=1 # the installed tree may be read-only
exec "${RB_PYTHON:-/usr/bin/python3}" "$share/fake_aws/run_with_fake.py" \
  --world "$share/examples/demo/world.json" -- "$bin/runbook" triage.lua "$fn" "$@"
