#!/usr/bin/env python3
"""What --fix costs on top of the triage it follows: time and AWS calls.

Each round runs, on a fresh fake AWS serving the demo world (examples/demo/world.json,
function fulfillment-fn, five fixes with plans of which four are applicable), first the
triage alone (the baseline), then the same triage with `--fix --yes` (every applicable fix
re-read, applied, waited for, verified and re-run). It reports, per round and as medians,
the wall time of each, their ratio, and the AWS requests each sent (reads and writes, from
the fake's request log), so the overhead of the fix path's fresh reads is visible:

    python3 bench/fix_cost.py [--rounds 5] [--bin build/runbook]

Exit 0 when every --fix run applied the same number of writes as its plans hold and the
baseline sent none. Only 127.0.0.1 is contacted.
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
WORLD = os.path.join(ROOT, 'examples', 'demo', 'world.json')
WRITE = ('Update', 'Put', 'Add', 'Remove', 'Attach', 'Detach', 'Delete', 'Create', 'Publish')


def run(binary, extra):
    with tempfile.TemporaryDirectory(prefix='runbook-bench.') as tmp:
        reqs = os.path.join(tmp, 'requests.json')
        cmd = ['/usr/bin/python3', WITH_FAKE, '--world', WORLD, '--timeout', '300',
               '--requests-out', reqs, '--', binary, '--journal',
               os.path.join(tmp, 'journal.jsonl')] + extra[:1] + \
              ['triage.lua', 'fulfillment-fn', '--format', 'json'] + extra[1:]
        t0 = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        seconds = time.monotonic() - t0
        try:
            doc = json.loads(proc.stdout)
        except ValueError:
            raise SystemExit('no JSON (exit %d): %s' % (proc.returncode, proc.stderr[-400:]))
        with open(reqs) as fh:
            log = [r for r in json.load(fh) if r.get('service')]
    writes = sum(1 for r in log if r.get('operation', '').startswith(WRITE))
    return seconds, len(log) - writes, writes, doc


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--bin', default=os.path.join(ROOT, 'build', 'runbook'))
    args = parser.parse_args()
    base_t, fix_t, ok = [], [], True
    for i in range(args.rounds):
        bt, breads, bwrites, _ = run(args.bin, [])
        ft, freads, fwrites, doc = run(args.bin, ['--yes', '--fix'])
        planned = 0
        for step in doc['steps']:
            for f in step['findings']:
                o = (f.get('fix') or {}).get('outcome') or {}
                planned += o.get('applied', 0)
        ok = ok and bwrites == 0 and fwrites == planned
        base_t.append(bt)
        fix_t.append(ft)
        print('round %d: triage %.2f s, %d reads | --fix --yes %.2f s, %d reads, %d writes '
              '(%d planned), counts %s' % (i + 1, bt, breads, ft, freads, fwrites, planned,
                                           json.dumps(doc['fixes']['counts'], sort_keys=True)))
    b, f = statistics.median(base_t), statistics.median(fix_t)
    print('median: triage %.2f s, triage --fix --yes %.2f s: ratio %.2f' % (b, f, f / b))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
