#!/usr/bin/env python3
"""A fleet triage against a fake AWS that enforces the published quotas.

For each N (default 100 and 1000), bench/fleet/gen_world.py writes a world of N functions
spread over two Regions, a share of them broken, each in one known way (its --expect
manifest says which step must fail). One fake server serves it on 127.0.0.1 with a fixed
latency on every request and the quota table core/quotas.txt enforced: a request past
its operation's rate gets the service's own throttling error. Then

    runbook triage.lua --all --regions us-east-1,us-west-2 --format json

runs once, under /usr/bin/time for its peak RSS, and the bench reports:

  wall        the run's wall time;
  bound       the quota-bound minimum: for each rate-limited bucket (account, Region,
              quota entry, from the fake's request log) its calls divided by its rate,
              the largest (the time no client could beat at those quotas);
  ratio       wall / bound (goal: at most 1.2);
  calls/fn    requests the fake received per function;
  rss         the runbook process's peak RSS (goal at N = 1,000: below 100 MB);
  throttled   requests the fake answered with a throttling error (absorbed by retries),
              and throttling errors that reached the report (goal: 0);
  found       broken functions whose expected step fails in the fleet report;
  same        of the broken functions compared (--compare), those whose fleet findings
              equal a single-function triage of them over the same window, in every step
              the fleet ran (all of them for a function with a symptom); the single
              triage's warn-or-worse findings in steps a config-only triage skips are
              listed, as what a non-deep run can miss.

    python3 bench/fleet/run.py [--sizes 100,1000] [--latency-ms 50] [--broken-share 0.1]
        [--compare 20] [--bin build/runbook] [--keep DIR]

Exit 0 when every goal is met, 1 when one is not, 2 when a run fails. Only 127.0.0.1 is
contacted.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'fake_aws'))

import quotas  # noqa: E402  (the fake's own reading of core/quotas.txt)

WITH_FAKE = os.path.join(ROOT, 'tests', 'fake_aws', 'run_with_fake.py')
GEN = os.path.join(HERE, 'gen_world.py')
TABLE = os.path.join(ROOT, 'core', 'quotas.txt')
REGIONS = 'us-east-1,us-west-2'
THROTTLE_CODES = ('TooManyRequestsException', 'ThrottlingException', 'Throttling',
                  'RequestLimitExceeded', 'ThrottledException', 'SlowDown')
PY = '/usr/bin/python3'


def generate(tmp, n, share, latency_ms):
    world, expect = os.path.join(tmp, 'world.json'), os.path.join(tmp, 'expect.json')
    subprocess.run([PY, GEN, '--functions', str(n), '--regions', REGIONS,
                    '--broken-share', str(share), '--seed', '1', '--out', world,
                    '--expect', expect], check=True)
    with open(world, encoding='utf-8') as fh:
        data = json.load(fh)
    data['quotas'] = TABLE
    data['latency_ms'] = latency_ms
    with open(world, 'w', encoding='utf-8') as fh:
        json.dump(data, fh)
    with open(expect, encoding='utf-8') as fh:
        return world, data, json.load(fh)


def accounts_by_key(world):
    """access key id -> account id, over every world of the file."""
    out = {}
    for w in world.get('worlds', [world]):
        for cred in w.get('credentials', []):
            out[cred['access_key_id']] = str(w.get('account_id', '123456789012'))
    return out


def quota_bound(log, world):
    """The largest calls/rate over the rate-limited buckets, and that bucket's label."""
    table = quotas.Quotas(quotas.load(TABLE))
    owner = accounts_by_key(world)
    counts = {}
    for r in log:
        if not r.get('service') or r.get('status') is None:
            continue
        entry = table.entry_for(r['service'], r['operation'])
        if entry is None:
            continue
        scope = 'global' if r['service'] in quotas.GLOBAL_SERVICES else r.get('region')
        key = (owner.get(r.get('access_key_id'), '?'), scope, entry.service, entry.operation)
        counts[key] = counts.get(key, [0, entry])
        counts[key][0] += 1
    best, label = 0.0, '-'
    for key, (calls, entry) in counts.items():
        seconds = calls / entry.rate
        if seconds > best:
            best, label = seconds, '%s %s %s in %s: %d calls at %g/s' % (
                key[2], key[3], key[0], key[1], calls, entry.rate)
    return best, label


def steps_key(doc):
    return [(s['id'], s['status'], [(f['severity'], f['title'], f['evidence'])
                                    for f in s['findings']]) for s in doc['steps']]


def surfaced_throttles(doc):
    text = json.dumps([t for t in doc['targets'] if t['status'] == 'error'])
    n = sum(text.count(c) for c in THROTTLE_CODES)
    for d in doc['functions']:
        for s in d['steps']:
            for f in s['findings']:
                if f['severity'] == 'error':
                    n += sum(1 for c in THROTTLE_CODES if c in json.dumps(f))
    return n


def fetch_log(url):
    with urllib.request.urlopen(url + '/__fake/requests', timeout=60) as resp:
        return [r for r in json.loads(resp.read().decode()) if r.get('service')]


def drive(tmp):
    """Under run_with_fake (one server for the whole size): the fleet run, its request log,
    then the single-function triages of the functions to compare, on the same world."""
    with open(os.path.join(tmp, 'drive.json'), encoding='utf-8') as fh:
        job = json.load(fh)
    url = os.environ['FAKE_AWS_URL']
    report = os.path.join(tmp, 'fleet.json')
    cmd = ['/usr/bin/time', '-v', job['bin'], 'triage.lua', '--all', '--regions', REGIONS,
           '--until', job['until'], '--format', 'json', '--output', report]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    rss = re.search(r'Maximum resident set size \(kbytes\): (\d+)', proc.stderr)
    with open(os.path.join(tmp, 'requests.json'), 'w', encoding='utf-8') as fh:
        json.dump(fetch_log(url), fh)
    with open(os.path.join(tmp, 'fleet-run.json'), 'w', encoding='utf-8') as fh:
        json.dump({'code': proc.returncode, 'wall': wall, 'stderr': proc.stderr[-2000:],
                   'rss_kb': int(rss.group(1)) if rss else None}, fh)
    for i, arn in enumerate(job['compare']):
        with open(os.path.join(tmp, 'single-%d.json' % i), 'w', encoding='utf-8') as out:
            subprocess.run([job['bin'], 'triage.lua', arn, '--until', job['until'],
                            '--format', 'json'], stdout=out, stderr=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL)
    return 0


def run_size(binary, world_path, tmp, until, arns):
    with open(os.path.join(tmp, 'drive.json'), 'w', encoding='utf-8') as fh:
        json.dump({'bin': binary, 'until': until, 'compare': arns}, fh)
    subprocess.run([PY, WITH_FAKE, '--world', world_path, '--timeout', '7200', '--', PY,
                    os.path.abspath(__file__), '--drive', tmp], stdin=subprocess.DEVNULL)
    with open(os.path.join(tmp, 'fleet-run.json'), encoding='utf-8') as fh:
        run = json.load(fh)
    report = os.path.join(tmp, 'fleet.json')
    if run['code'] not in (0, 1) or not os.path.exists(report):
        raise SystemExit('fleet run failed (exit %d): %s' % (run['code'], run['stderr']))
    with open(report, encoding='utf-8') as fh:
        doc = json.load(fh)
    with open(os.path.join(tmp, 'requests.json'), encoding='utf-8') as fh:
        log = json.load(fh)
    return run['wall'], (run['rss_kb'] or 0) / 1024, doc, log


NOT_RUN = 'not run in a fleet triage'


def compare(tmp, arns, doc):
    """Of `arns`, those whose fleet findings equal a single-function triage's in every step
    the fleet ran (a full triage runs them all); and the single triage's warn-or-worse
    findings in steps a config-only triage did not run (what docs/fleet.md says it can
    miss). -> same, differ, missed"""
    by_arn = {d['function']['arn']: d for d in doc['functions']}
    same, differ, missed = 0, [], []
    for i, arn in enumerate(arns):
        try:
            with open(os.path.join(tmp, 'single-%d.json' % i), encoding='utf-8') as fh:
                single = json.load(fh)
        except (OSError, ValueError):
            differ.append(arn + ' (no single report)')
            continue
        fleet = by_arn.get(arn)
        if fleet is None:
            differ.append(arn + ' (not in the fleet report)')
            continue
        ran = [k for k in steps_key(fleet) if not (k[1] == 'skip' and NOT_RUN in k[2][0][1])]
        ran_ids = {k[0] for k in ran}
        if ran == [k for k in steps_key(single) if k[0] in ran_ids]:
            same += 1
        else:
            differ.append(arn)
        for step in single['steps']:
            if step['id'] not in ran_ids:
                for f in step['findings']:
                    if f['severity'] in ('warn', 'fail', 'error'):
                        missed.append('%s %s: %s %s' % (fleet['function']['name'], step['id'],
                                                         f['severity'], f['title']))
    return same, differ, missed


def one_size(args, n):
    with tempfile.TemporaryDirectory(prefix='runbook-fleet.') as scratch:
        tmp = tempfile.mkdtemp(prefix='runbook-fleet.', dir=args.keep) if args.keep else scratch
        world_path, world, expect = generate(tmp, n, args.broken_share, args.latency_ms)
        until = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() - 5))
        broken = sorted(expect)
        sample = broken if args.compare <= 0 else broken[::max(1, len(broken) // args.compare)]
        wall, rss, doc, log = run_size(args.bin, world_path, tmp, until, sample)
        bound, binding = quota_bound(log, world)
        absorbed = sum(1 for r in log if r.get('error_code') in THROTTLE_CODES)
        status = {}
        for d in doc['functions']:
            status[d['function']['arn']] = {s['id']: s['status'] for s in d['steps']}
        found, missed = 0, []
        for arn, e in expect.items():
            steps = status.get(arn, {})
            if all(steps.get(s) in ('fail', 'warn') for s in e['steps']):
                found += 1
            else:
                missed.append('%s %s: %s' % (e['kind'], arn, {s: steps.get(s) for s in e['steps']}))
        same, differ, unrun = compare(tmp, sample, doc)
        return {'n': n, 'wall': wall, 'bound': bound, 'binding': binding,
                'ratio': wall / bound if bound else float('nan'), 'calls': len(log),
                'calls_per_fn': len(log) / n, 'rss_mb': rss, 'absorbed': absorbed,
                'surfaced': surfaced_throttles(doc), 'broken': len(expect), 'found': found,
                'missed': missed, 'compared': len(sample), 'same': same, 'differ': differ, 'unrun': unrun,
                'functions': doc['verdict']['functions']}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', default='100,1000')
    parser.add_argument('--latency-ms', type=int, default=50)
    parser.add_argument('--broken-share', type=float, default=0.1)
    parser.add_argument('--compare', type=int, default=20,
                        help='broken functions to compare with a single triage (0: all)')
    parser.add_argument('--bin', default=os.path.join(ROOT, 'build', 'runbook'))
    parser.add_argument('--keep', help='keep the worlds, logs and reports under this directory')
    parser.add_argument('--drive', help=argparse.SUPPRESS)  # the run inside the fake
    args = parser.parse_args()
    if args.drive:
        return drive(args.drive)
    ok = True
    print('%6s %8s %8s %6s %9s %8s %10s %10s %9s %8s' % (
        'N', 'wall s', 'bound s', 'ratio', 'calls/fn', 'rss MB', 'absorbed', 'surfaced',
        'found', 'same'))
    for n in [int(x) for x in args.sizes.split(',')]:
        r = one_size(args, n)
        print('%6d %8.1f %8.1f %6.2f %9.1f %8.1f %10d %10d %5d/%-3d %4d/%-3d' % (
            r['n'], r['wall'], r['bound'], r['ratio'], r['calls_per_fn'], r['rss_mb'],
            r['absorbed'], r['surfaced'], r['found'], r['broken'], r['same'], r['compared']))
        print('       binding quota: %s; %d functions reported' % (r['binding'], r['functions']))
        for m in r['missed'][:10]:
            print('       missed: ' + m)
        for d in r['differ'][:10]:
            print('       differs from its single triage: ' + d)
        for m in r['unrun'][:10]:
            print('       config-only, not run (docs/fleet.md): ' + m)
        goals = [r['ratio'] <= 1.2, r['surfaced'] == 0, r['found'] == r['broken'],
                 r['same'] == r['compared'], r['functions'] == r['n']]
        if n >= 1000:
            goals.append(r['rss_mb'] < 100)
        ok = ok and all(goals)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
