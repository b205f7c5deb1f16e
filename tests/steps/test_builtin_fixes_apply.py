"""Every built-in fix applied through the real binary (`triage.lua FN --fix=STEP --yes`)
against the fake AWS: the world changes exactly as the plan said, the plan's verify checks
hold on fresh reads, and a fix marked manual is shown but never sent.

These tests hold the built-in plans to what the apply path needs: a `before` that a fresh
read reproduces (otherwise the fix is refused as stale), `after` and `verify` that hold
once the calls went through. Worlds: tests/worlds/*.json, some edited per test.
"""

import json
import os
import sys
import unittest
from urllib.parse import unquote

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import StepTestCase, fake_aws, ROOT  # noqa: E402
from test_timeout import small_world  # noqa: E402

WORLDS = os.path.join(ROOT, 'tests', 'worlds')
APPLIED = ('applied', 'verified')


def load(name):
    with open(os.path.join(WORLDS, name + '.json'), encoding='utf-8') as fh:
        return json.load(fh)


class BuiltInFixesApplyTest(StepTestCase):

    def fix(self, fake, fn, step):
        """Triage `fn` with only `step`, apply its fixes with --yes: the findings with a plan."""
        journal = os.path.join(self.dir, 'journal.jsonl')
        r = self.rb(fake, '--yes', '--journal', journal, 'triage.lua', fn, '--steps', step,
                    '--fix=' + step, '--format', 'json', timeout=180)
        self.assertIn(r.code, (0, 1), repr(r))
        findings = [f for s in r.json()['steps'] for f in s['findings']]
        return [f for f in findings if f.get('fix') and f['fix'].get('plan')]

    def applied(self, finding):
        outcome = finding['fix']['outcome']
        self.assertIn(outcome['status'], APPLIED, json.dumps(outcome))
        self.assertEqual(outcome['applied'], len(finding['fix']['plan']))
        self.assertTrue(outcome['checks'])
        for check in outcome['checks']:
            self.assertTrue(check['ok'], json.dumps(outcome))
        return outcome

    def call(self, fake, service, operation, params):
        r = self.rb(fake, 'call', service, operation, json.dumps(params))
        return r.json() if r.code == 0 else None

    def world_file(self, world):
        return self.write('world.json', json.dumps(world))

    def test_timeout_fix_raises_timeout_and_memory_as_planned(self):
        with fake_aws('timeout') as fake:
            f, = self.fix(fake, 'report-builder', 'timeout')
            cfg = self.call(fake, 'lambda', 'GetFunctionConfiguration',
                            {'FunctionName': 'report-builder'})
        self.applied(f)
        self.assertEqual((cfg['Timeout'], cfg['MemorySize'], cfg['TracingConfig']['Mode']),
                         (6, 512, 'Active'))

    def test_out_of_memory_fix_doubles_the_memory(self):
        with fake_aws('oom') as fake:
            f, = self.fix(fake, 'image-resizer', 'timeout')
            cfg = self.call(fake, 'lambda', 'GetFunctionConfiguration',
                            {'FunctionName': 'image-resizer'})
        self.applied(f)
        self.assertEqual(cfg['MemorySize'], 256)

    def test_memory_near_the_limit_fix_sizes_memory_from_the_peak(self):
        config = {'Runtime': 'python3.12', 'Timeout': 30, 'MemorySize': 1024,
                  'TracingConfig': {'Mode': 'Active'}}
        world = small_world('pdf-fn', config, [800.0] * 4, used_mb=[610, 905, 980, 640])
        with fake_aws(self.world_file(world)) as fake:
            f, = self.fix(fake, 'pdf-fn', 'timeout')
            cfg = self.call(fake, 'lambda', 'GetFunctionConfiguration', {'FunctionName': 'pdf-fn'})
        self.applied(f)
        self.assertEqual(cfg['MemorySize'], 1408)

    def test_forbidden_fix_adds_the_exact_statement(self):
        world = load('forbidden')
        del world['lambda']['functions']['checkout-fn']['url_configs']
        with fake_aws(self.world_file(world)) as fake:
            f, = self.fix(fake, 'checkout-fn', 'forbidden')
            reply = self.call(fake, 'lambda', 'GetPolicy', {'FunctionName': 'checkout-fn'})
        self.applied(f)
        statements = json.loads(reply['Policy'])['Statement']
        mine = [s for s in statements if s['Sid'] == 'apigateway-w4x9k2m7pq']
        self.assertEqual(len(mine), 1, statements)
        self.assertEqual(mine[0]['Principal'], {'Service': 'apigateway.amazonaws.com'})
        self.assertEqual(mine[0]['Condition']['ArnLike']['AWS:SourceArn'],
                         'arn:aws:execute-api:us-east-1:123456789012:w4x9k2m7pq/*/POST/checkout')

    def test_access_denied_fix_merges_into_the_existing_policy(self):
        world = load('access_denied')
        existing = {'Version': '2012-10-17', 'Statement': [
            {'Sid': 'TeamTopics', 'Effect': 'Allow', 'Action': 'sns:GetTopicAttributes',
             'Resource': 'arn:aws:sns:us-east-1:123456789012:*'}]}
        world['iam']['roles']['notify-fn-role']['inline_policies']['notify-fn-sns-access'] = existing
        with fake_aws(self.world_file(world)) as fake:
            fixed = [f for f in self.fix(fake, 'notify-fn', 'access_denied')
                     if 'sns:Publish' in f['title']]
            reply = self.call(fake, 'iam', 'GetRolePolicy', {'RoleName': 'notify-fn-role',
                                                            'PolicyName': 'notify-fn-sns-access'})
        self.applied(fixed[0])
        doc = reply['PolicyDocument']
        if isinstance(doc, str):
            doc = json.loads(unquote(doc))
        self.assertEqual(doc['Statement'][0], existing['Statement'][0])
        self.assertEqual(doc['Statement'][1], {
            'Sid': 'RunbookGrant1', 'Effect': 'Allow', 'Action': ['sns:Publish'],
            'Resource': 'arn:aws:sns:us-east-1:123456789012:order-events'})

    def test_throttle_fixes_remove_a_zero_and_raise_a_reservation(self):
        with fake_aws('throttle') as fake:
            zero, = self.fix(fake, 'checkout-fn', 'throttle')
            raised, = self.fix(fake, 'ledger-fn', 'throttle')
            checkout = self.call(fake, 'lambda', 'GetFunctionConcurrency',
                                 {'FunctionName': 'checkout-fn'})
            ledger = self.call(fake, 'lambda', 'GetFunctionConcurrency',
                               {'FunctionName': 'ledger-fn'})
        self.applied(zero)
        self.applied(raised)
        self.assertIsNone(checkout.get('ReservedConcurrentExecutions'), checkout)
        self.assertEqual(ledger['ReservedConcurrentExecutions'], 81)

    def test_manual_fixes_are_shown_and_never_sent(self):
        with fake_aws('vpc') as fake:
            before = self.call(fake, 'lambda', 'GetFunctionConfiguration',
                               {'FunctionName': 'ingest-fn'})
            fixes = self.fix(fake, 'ingest-fn', 'vpc')
            after = self.call(fake, 'lambda', 'GetFunctionConfiguration',
                              {'FunctionName': 'ingest-fn'})
            writes = [q for q in fake.requests()
                      if q.get('operation', '').startswith(('Update', 'Create', 'Authorize'))]
        self.assertTrue(fixes)
        for f in fixes:
            self.assertEqual(f['fix']['outcome']['status'], 'manual', f['title'])
            self.assertIn('never applied', f['fix']['outcome']['reason'])
        self.assertEqual(writes, [])
        self.assertEqual(before['VpcConfig'], after['VpcConfig'])


if __name__ == '__main__':
    unittest.main()
