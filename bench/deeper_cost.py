#!/usr/bin/env python3
"""What the deeper diagnosis (X-Ray traces, CloudTrail changes, async and event-source
steps) costs a triage: AWS calls, wall time and critical path, before and after.

"Before" is a runbook binary built from a commit before those steps (give it with
--before, built from its own checkout so that it uses its own plugins), "after" the
current one. For each world, each binary triages the world's function on a fresh fake
AWS, alternately without and with D ms (50) added to every AWS call; the calls come from
the fake's request log, the critical path in rounds of calls is (time with the delay -
time without) / D, medians over --runs. The worlds cover the demo and each new shape:
traced (slow_dependency), changed (bad_deploy), asynchronous (async_drop), SQS-fed
(sqs_visibility), Kinesis-fed (kinesis_iterator), and one function with all of them at
once (all_shapes).

    git worktree add /tmp/before-src 4b9aae2 && cmake -S /tmp/before-src -B /tmp/before-build \\
      && cmake --build /tmp/before-build --target runbook
    python3 bench/deeper_cost.py --before /tmp/before-build/runbook [--after build/runbook] \\
      [--runs 3] [--delay-ms 50]

Exit 0 when no world's critical path grew by more than one round (--goal), else 1.
Only 127.0.0.1 is contacted.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
WITH_FAKE = os.path.join(ROOT, 'tests', 'fake_aws', 'run_with_fake.py')
WORLDS = [
    ('demo', os.path.join(ROOT, 'examples', 'demo', 'world.json'), 'fulfillment-fn'),
    ('slow_dependency', 'slow_dependency', 'checkout'),
    ('bad_deploy', 'bad_deploy', 'checkout-api'),
    ('async_drop', 'async_drop', 'order-events'),
    ('sqs_visibility', 'sqs_visibility', 'orders-consumer'),
    ('kinesis_iterator', 'kinesis_iterator', 'clickstream-fn'),
    ('all_shapes', 'all_shapes', 'order-sync'),
]


def run(binary, world, function, delay_ms):
    """(wall seconds of the triage alone, AWS requests sent)."""
    with tempfile.TemporaryDirectory(prefix='runbook-bench.') as tmp:
        faults = os.path.join(tmp, 'faults.json')
        with open(faults, 'w') as fh:
            json.dump([{'kind': 'delay', 'delay_ms': delay_ms}] if delay_ms else [], fh)
        timing, reqs = os.path.join(tmp, 'time'), os.path.join(tmp, 'requests.json')
        script = ('start=$EPOCHREALTIME; "$@" >/dev/null 2>&1; status=$?; '
                  'echo "$start $EPOCHREALTIME $status" > %s' % timing)
        cmd = ['/usr/bin/python3', WITH_FAKE, '--world', world, '--faults', faults,
               '--requests-out', reqs, '--', 'bash', '-c', script, 'timed', binary,
               'triage.lua', function, '--format', 'json']
        subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
        start, finish, status = open(timing).read().split()
        if int(status) not in (0, 1):
            raise SystemExit('%s: triage of %s failed with exit %s' % (binary, function, status))
        with open(reqs) as fh:
            calls = sum(1 for r in json.load(fh) if r.get('service'))
        return float(finish) - float(start), calls


def measure(binary, world, function, runs, delay_ms):
    fast, slow, calls = [], [], []
    for _ in range(runs):
        t, n = run(binary, world, function, 0)
        fast.append(t)
        calls.append(n)
        slow.append(run(binary, world, function, delay_ms)[0])
    f, s = statistics.median(fast), statistics.median(slow)
    return {'calls': statistics.median(calls), 'time': s,
            'rounds': (s - f) / (delay_ms / 1000.0)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--before', required=True, help='runbook built before the deeper steps')
    ap.add_argument('--after', default=os.path.join(ROOT, 'build', 'runbook'))
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--delay-ms', type=int, default=50)
    ap.add_argument('--goal', type=float, default=1.0, help='allowed growth in rounds')
    args = ap.parse_args()
    worst = 0.0
    print('%-17s %14s %14s %21s %17s' % ('world', 'calls', 'time @%dms' % args.delay_ms,
                                          'critical path', 'growth'))
    for name, world, function in WORLDS:
        b = measure(args.before, world, function, args.runs, args.delay_ms)
        a = measure(args.after, world, function, args.runs, args.delay_ms)
        growth = a['rounds'] - b['rounds']
        worst = max(worst, growth)
        print('%-17s %5d -> %-5d %5.2f -> %-5.2fs %6.1f -> %-5.1f rounds %+5.1f rounds' % (
            name, b['calls'], a['calls'], b['time'], a['time'], b['rounds'], a['rounds'],
            growth))
    print('largest growth of the critical path: %+.1f rounds (goal <= %+.1f)' % (worst,
                                                                                args.goal))
    return 0 if worst <= args.goal else 1


if __name__ == '__main__':
    sys.exit(main())
