"""bench/fleet/gen_world.py: the fleet world generator, checked through the real binary.

A small world (every kind of breakage at least once, two accounts, two Regions) is
served by the fake AWS, and a single-function triage of each broken function must
report its expected step failing (a warning for a disabled mapping); a healthy one must
not fail. Generation is deterministic, and 1,000 functions in two Regions are generated
and loaded by the fake server in seconds. A fleet triage over two accounts reads each
through its role (AssumeRole with the ExternalId; a wrong one fails every target).
"""

import json
import os
import subprocess
import sys
import time
import unittest

from clitest import BIN, CliTestCase, ROOT

from harness import fake_aws

GEN = os.path.join(ROOT, 'bench', 'fleet', 'gen_world.py')
sys.path.insert(0, os.path.join(ROOT, 'bench', 'fleet'))

import gen_world  # noqa: E402

ACCOUNTS = '111111111111,222222222222'
REGIONS = 'us-east-1,us-west-2'
PY = '/usr/bin/python3'


class GenWorldTest(CliTestCase):

    def generate(self, n, share, *extra):
        out, expect = self.write('w.json', ''), self.write('e.json', '')
        subprocess.run([PY, GEN, '--functions', str(n), '--regions', REGIONS,
                        '--broken-share', str(share), '--seed', '7', '--out', out,
                        '--expect', expect] + list(extra), check=True)
        with open(out, encoding='utf-8') as fh, open(expect, encoding='utf-8') as eh:
            return out, json.load(fh), json.load(eh)

    def test_each_kind_is_found_by_its_step(self):
        path, world, expect = self.generate(28, 0.5, '--accounts', ACCOUNTS)
        self.assertEqual(sorted({e['kind'] for e in expect.values()}), sorted(gen_world.KINDS))
        self.assertEqual(len(world['worlds']), 4)
        healthy = [f for w in world['worlds'] for f in w.get('lambda', {}).get('functions', {})
                   if not any(a.endswith(':' + f) for a in expect)]
        first = world['worlds'][0]
        targets = list(expect) + ['arn:aws:lambda:%s:%s:function:%s' % (
            first['region'], first['account_id'], sorted(
                f for f in healthy if f in first['lambda']['functions'])[0])]
        # another account's function is triaged with that account's own credentials
        with fake_aws(world) as fake:
            for i, arn in enumerate(targets):
                account, region = arn.split(':')[4], arn.split(':')[3]
                env = dict(fake.env(), AWS_REGION=region,
                           AWS_ACCESS_KEY_ID='AKIDFLEET' + account[-8:],
                           AWS_SECRET_ACCESS_KEY=gen_world.digest('secret', account, length=40))
                with open(os.path.join(self.dir, 'r%d.json' % i), 'w') as out:
                    subprocess.run([BIN, 'triage.lua', arn, '--format', 'json'], env=env,
                                   stdout=out, stderr=subprocess.DEVNULL,
                                   stdin=subprocess.DEVNULL, timeout=120)
        for i, arn in enumerate(targets):
            with open(os.path.join(self.dir, 'r%d.json' % i), encoding='utf-8') as fh:
                doc = json.load(fh)
            status = {s['id']: s['status'] for s in doc['steps']}
            want = expect.get(arn)
            with self.subTest(arn=arn, kind=want and want['kind']):
                self.assertEqual(doc['function']['arn'], arn)
                if want is None:
                    self.assertNotIn('fail', status.values(), status)
                    continue
                for step in want['steps']:
                    self.assertEqual(status.get(step), want['status'], status)

    def test_a_fleet_over_two_accounts_assumes_each_accounts_role(self):
        path, world, expect = self.generate(16, 0.25, '--accounts', ACCOUNTS,
                                            '--external-id', 'xid-7')
        args = ['triage.lua', '--all', '--accounts', ACCOUNTS, '--role-name', 'fleet-ro',
                '--regions', REGIONS, '--format', 'json']
        with fake_aws(path) as fake:
            good = subprocess.run([BIN] + args + ['--external-id', 'xid-7'], env=fake.env(),
                                  capture_output=True, text=True, timeout=300)
            calls = fake.requests()
            fake.clear_requests()
            bad = subprocess.run([BIN] + args + ['--external-id', 'wrong'], env=fake.env(),
                                 capture_output=True, text=True, timeout=300)
        doc = json.loads(good.stdout)
        self.assertEqual(sorted((t['account'], t['region'], t['status'], t['functions'])
                                for t in doc['targets']),
                         [(a, r, 'ok', 4) for a in ACCOUNTS.split(',') for r in REGIONS.split(',')])
        assumed = [c for c in calls if c['operation'] == 'AssumeRole']
        self.assertEqual(sorted((c['params']['RoleArn'], c['params']['RoleSessionName'],
                                 c['status']) for c in assumed),
                         [('arn:aws:iam::%s:role/fleet-ro' % a, 'runbook', 200)
                          for a in ACCOUNTS.split(',')])
        # each account's functions were read with its own role's credentials
        listed = {(c['account'], c['region']) for c in calls
                  if c['operation'] == 'ListFunctions'}
        self.assertEqual(listed, {(a, r) for a in ACCOUNTS.split(',')
                                  for r in REGIONS.split(',')})
        states = {d['function']['arn']: {s['id']: s['status'] for s in d['steps']}
                  for d in doc['functions']}
        self.assertEqual(len(expect), 4)
        for arn, want in expect.items():
            self.assertEqual(states[arn][want['steps'][0]], want['status'], arn)
        # no account could be assumed: nothing was read, exit 3 and one line per target
        self.assertEqual(bad.returncode, 3, bad.stderr)
        self.assertEqual(bad.stdout, '')
        lines = bad.stderr.strip().splitlines()
        self.assertEqual(len(lines), len(ACCOUNTS.split(',')) * len(REGIONS.split(',')))
        self.assertTrue(all('AccessDenied' in line for line in lines), lines)

    def test_generation_is_deterministic_and_spreads_over_regions(self):
        _, first, expect = self.generate(40, 0.25)
        _, again, expect_again = self.generate(40, 0.25)
        self.assertEqual((first, expect), (again, expect_again))
        self.assertEqual(len(expect), 10)
        counts = [len(w['lambda']['functions']) for w in first['worlds']]
        self.assertEqual(counts, [20, 20])
        self.assertEqual({w['region'] for w in first['worlds']}, {'us-east-1', 'us-west-2'})

    def test_a_thousand_functions_per_region_generate_and_load_in_seconds(self):
        started = time.monotonic()
        path, world, _ = self.generate(2000, 0.1)
        generated = time.monotonic() - started
        self.assertLess(generated, 20)
        started = time.monotonic()
        with fake_aws(path) as fake:
            loaded = time.monotonic() - started
            self.assertEqual(fake.control('GET', '/__fake/health')['ok'], True)
        self.assertLess(loaded, 30)

    def test_bad_arguments_are_one_line_errors(self):
        for args, message in ((['--accounts', '12'], "account '12' is not a 12-digit"),
                              (['--broken-share', '2'], '--broken-share must be between')):
            proc = subprocess.run([PY, GEN, '--functions', '3', '--out',
                                   os.path.join(self.dir, 'x.json')] + args,
                                  capture_output=True, text=True)
            self.assertEqual(proc.returncode, 2)
            self.assertIn(message, proc.stderr)
            self.assertEqual(len(proc.stderr.strip().splitlines()), 1)


if __name__ == '__main__':
    unittest.main()
