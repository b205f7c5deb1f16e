#!/usr/bin/env python3
"""The critical path of a triage, in rounds of AWS calls: how many calls stand one after
another between the start and the verdict.

Every AWS call is delayed by D (100 ms) on the fake AWS; the triage's wall time with the
delay minus its wall time without, divided by D, is the number of sequential rounds. The
dependency chain allows 4 (configuration -> the role's policy list -> a policy -> its
default version); anything above that is a read that waited for something it did not need.
Runs alternate with and without the delay; medians are reported.

    python3 bench/critical_path.py [--runs 5] [--bin build/runbook] [--delay-ms 100]

Exit 0 when the median is at most --goal rounds (default 4.5), 1 otherwise. Only
127.0.0.1 is contacted.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
WITH_FAKE = os.path.join(ROOT, 'tests', 'fake_aws', 'run_with_fake.py')


def timed_triage(binary, world, function, delay_ms):
    """Wall time of the triage alone (the binary is timed inside run_with_fake)."""
    with tempfile.TemporaryDirectory(prefix='runbook-bench.') as tmp:
        faults = os.path.join(tmp, 'faults.json')
        with open(faults, 'w') as fh:
            json.dump([{'kind': 'delay', 'delay_ms': delay_ms}] if delay_ms else [], fh)
        timing = os.path.join(tmp, 'time')
        script = ('start=$EPOCHREALTIME; "$@" >/dev/null 2>&1; status=$?; '
                  'echo "$start $EPOCHREALTIME $status" > %s' % timing)
        cmd = ['/usr/bin/python3', WITH_FAKE, '--world', world, '--faults', faults, '--',
               'bash', '-c', script, 'timed', binary, 'triage.lua', function, '--format',
               'json']
        subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
        start, finish, status = open(timing).read().split()
        if int(status) not in (0, 1):
            raise SystemExit('triage failed with exit %s' % status)
        return float(finish) - float(start)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--bin', default=os.path.join(ROOT, 'build', 'runbook'))
    ap.add_argument('--delay-ms', type=int, default=100)
    ap.add_argument('--world', default=os.path.join(ROOT, 'examples', 'demo', 'world.json'))
    ap.add_argument('--function', default='fulfillment-fn')
    ap.add_argument('--goal', type=float, default=4.5)
    args = ap.parse_args()
    fast, slow = [], []
    for _ in range(args.runs):
        fast.append(timed_triage(args.bin, args.world, args.function, 0))
        slow.append(timed_triage(args.bin, args.world, args.function, args.delay_ms))
    f, s = statistics.median(fast), statistics.median(slow)
    rounds = (s - f) / (args.delay_ms / 1000.0)
    print('no delay      median %.3f s  (min %.3f, max %.3f)' % (f, min(fast), max(fast)))
    print('%3d ms delay  median %.3f s  (min %.3f, max %.3f)' % (args.delay_ms, s, min(slow),
                                                                 max(slow)))
    print('critical path: %.1f rounds of calls (goal <= %.1f; the dependency limit is 4)' % (
        rounds, args.goal))
    return 0 if rounds <= args.goal else 1


if __name__ == '__main__':
    sys.exit(main())
