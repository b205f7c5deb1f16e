#!/usr/bin/env python3
"""Same findings when AWS misbehaves: a triage with 30 % of its calls failing must conclude
what a clean triage concludes.

For each seed, one clean triage and one with three seeded fault rules that together fail
about 30 % of AWS API calls (10 % throttled, 10 % 503, 10 % connection reset), both of the
demo world (examples/demo/world.json, function fulfillment-fn) on a fresh fake AWS on
127.0.0.1. A run is "same" when every step has the same findings (severity and title) as
the clean run made just before it (made fresh each time, so a window that moves with the
wall clock cannot make two runs differ). Prints one line per seed and the count.

    python3 bench/evidence_under_faults.py [--runs 20] [--bin build/runbook] [--share 0.3]

Exit 0 when every run matched, 1 when one did not. Only 127.0.0.1 is contacted.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
WITH_FAKE = os.path.join(ROOT, 'tests', 'fake_aws', 'run_with_fake.py')
WORLD = os.path.join(ROOT, 'examples', 'demo', 'world.json')


def fault_rules(share, seed):
    """Three terminal rules (first match wins) that fail `share` of calls in equal thirds."""
    each = share / 3.0
    rules, left = [], 1.0
    for i, kind in enumerate(('throttle', 'unavailable', 'reset')):
        rules.append({'kind': kind, 'probability': min(1.0, each / left), 'seed': seed * 10 + i})
        left -= each
    return rules


def triage(binary, function, rules=None):
    with tempfile.TemporaryDirectory(prefix='runbook-bench.') as tmp:
        cmd = ['/usr/bin/python3', WITH_FAKE, '--world', WORLD, '--timeout', '300']
        reqs = os.path.join(tmp, 'requests.json')
        cmd += ['--requests-out', reqs]
        if rules:
            path = os.path.join(tmp, 'faults.json')
            with open(path, 'w') as fh:
                json.dump(rules, fh)
            cmd += ['--faults', path]
        cmd += ['--', binary, 'triage.lua', function, '--format', 'json']
        proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        try:
            doc = json.loads(proc.stdout)
        except ValueError:
            raise SystemExit('triage produced no JSON (exit %d): %s' % (proc.returncode,
                                                                          proc.stderr[-400:]))
        with open(reqs) as fh:
            log = json.load(fh)
    failed = sum(1 for r in log if r.get('service') and r.get('faults'))
    total = sum(1 for r in log if r.get('service'))
    return doc, failed, total


def findings(doc):
    return {s['id']: sorted((f['severity'], f['title']) for f in s['findings'])
            for s in doc['steps']}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=20)
    ap.add_argument('--bin', default=os.path.join(ROOT, 'build', 'runbook'))
    ap.add_argument('--share', type=float, default=0.3)
    ap.add_argument('--function', default='fulfillment-fn')
    args = ap.parse_args()
    same = 0
    for seed in range(1, args.runs + 1):
        clean, _, _ = triage(args.bin, args.function)
        faulty, failed, total = triage(args.bin, args.function, fault_rules(args.share, seed))
        want, got = findings(clean), findings(faulty)
        diff = sorted(k for k in want if want[k] != got.get(k))
        same += not diff
        print('seed %2d: %3d of %3d requests failed (%2.0f%%), %s' % (
            seed, failed, total, 100.0 * failed / max(total, 1),
            'same findings' if not diff else 'DIFFERENT in ' + ', '.join(diff)))
        for k in diff:
            print('    clean  %s: %s' % (k, want[k]))
            print('    faulty %s: %s' % (k, got.get(k)))
    print('%d of %d runs with %.0f%% of calls failing gave the clean run\'s findings' % (
        same, args.runs, args.share * 100))
    return 0 if same == args.runs else 1


if __name__ == '__main__':
    sys.exit(main())
