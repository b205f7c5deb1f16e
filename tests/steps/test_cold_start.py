"""The cold_start step through the real binary: init longer than the timeout (SnapStart or
provisioned concurrency), frequent slow cold starts, callers bypassing provisioned
concurrency, no false alarm on a healthy function, the step's applies rule (no log group,
no invocations), and the fixes as plans (operations, parameters, the published Version
passed by reference, verify entries).

Worlds: tests/worlds/cold_start.json, healthy.json, and small worlds written per test.
"""

import json
import os
import sys
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import StepTestCase, ROOT  # noqa: E402

CREDS = [{'access_key_id': 'AKIAIOSFODNN7EXAMPLE',
          'secret_access_key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'}]


def small_world(name, config, invocations, version='$LATEST', peak=None, extra=None):
    """invocations: list of (duration_ms, init_ms or None), a minute apart; a cold start
    opens a new log stream of `version`, as Lambda does."""
    streams, stream = {}, None
    for i, (d, init) in enumerate(invocations):
        rid = str(uuid.UUID(int=0xc01d0000 + i, version=4))
        t = (len(invocations) - i) * 90 + 30
        if init is not None or stream is None:
            stream = '{date}/[%s]%032x' % (version, 0xabc000 + i)
            streams[stream] = []
        ev = streams[stream]
        ev.append({'timestamp': '-%ds' % t, 'message': 'START RequestId: %s Version: %s\n' % (rid, version)})
        end = '-%dms' % (t * 1000 - int(d))
        ev.append({'timestamp': end, 'message': 'END RequestId: %s\n' % rid})
        ev.append({'timestamp': end, 'message': (
            'REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: 1024 MB\t'
            'Max Memory Used: 180 MB\t%s\n') % (rid, d, int(d) + 1,
                                                'Init Duration: %.2f ms\t' % init if init else '')})
    fn = {'configuration': dict({'MemorySize': 1024}, **config)}
    fn.update(extra or {})
    world = {'description': 'cold start test: %s' % name, 'credentials': CREDS,
             'lambda': {'functions': {name: fn}},
             'logs': {'log_groups': {'/aws/lambda/' + name: {'streams': streams}}}}
    if peak is not None:
        world['cloudwatch'] = {'metrics': [{
            'Namespace': 'AWS/Lambda', 'MetricName': 'ConcurrentExecutions', 'Unit': 'Count',
            'Dimensions': {'FunctionName': name},
            'series': {'start': '-45m', 'every': '5m', 'values': [1, peak, 2, 1, 2, 1, 1, 2]}}]}
    return world


SLOW_BURSTY = [(2400.0, 2810.5), (310.0, None), (280.0, None), (2100.0, 3120.9), (300.0, None),
               (1900.0, 2560.2), (295.0, None), (305.0, None), (2200.0, 2990.4), (290.0, None),
               (315.0, None), (2050.0, 2705.8), (300.0, None), (285.0, None), (310.0, None),
               (2300.0, 3050.1), (290.0, None), (300.0, None), (295.0, None), (305.0, None)]


class ColdStartStepTest(StepTestCase):
    step = 'cold_start'

    def finding(self, world, function):
        """The step's one finding."""
        r, findings = self.run_world(world, function)
        self.assertEqual(len(findings), 1, findings)
        return r, findings[0]

    def test_cold_start_longer_than_the_timeout_fails_and_proposes_snapstart(self):
        r, f = self.finding('cold_start', 'invoice-renderer')
        self.assertEqual(r.code, 1)
        self.assertEqual(f['severity'], 'fail')
        self.assertEqual(f['title'], 'cold starts exceed the 6 s timeout: Init Duration max '
                                     '8.9 s, 3 of 14 cold starts over it')
        ev = f['evidence']
        self.assertEqual(ev[0], '14 of 40 invocations started cold (35%) in the last 1h')
        self.assertEqual(ev[1], 'Init Duration p50 5.1 s, p95 8.9 s, p99 8.9 s, max 8.9 s; timeout 6 s')
        self.assertRegex(ev[2], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ REPORT RequestId: [0-9a-f-]{36} '
                                r'Duration 6 s, Init Duration 8\.9 s, timed out$')
        self.assertIn('runtime java21, 512 MB; package 37.1 MB (CodeSize 38,912,011); 1 layer '
                      '20.2 MB: arn:aws:lambda:us-east-1:123456789012:layer:pdf-fonts:3', ev)
        self.assertIn('java21 supports SnapStart', ev)
        self.assertIn('peak ConcurrentExecutions 5', ev)
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-function-configuration --function-name invoice-renderer '
            '--snap-start \'{"ApplyOn":"PublishedVersions"}\'',
            'VERSION=$(aws lambda publish-version --function-name invoice-renderer --query '
            'Version --output text)',
            'aws lambda update-alias --function-name invoice-renderer --name live '
            '--function-version "$VERSION"'])
        self.assertIn('wait for the update to finish (aws lambda wait function-updated-v2 '
                      '--function-name invoice-renderer) before publishing', f['fix']['explain'])
        self.assertIn('aws lambda put-provisioned-concurrency-config --function-name '
                      'invoice-renderer --qualifier live --provisioned-concurrent-executions 5',
                      f['fix']['explain'])
        self.assertIn('shrink the 57.4 MB package', f['fix']['explain'])
        self.assertEqual(f['data']['cold_starts'], 14)
        self.assertEqual(f['data']['over_timeout'], 3)
        self.assertTrue(f['data']['snapstart_eligible'])

    def test_cold_start_without_snapstart_support_proposes_provisioned_concurrency(self):
        with open(os.path.join(ROOT, 'tests', 'worlds', 'cold_start.json')) as fh:
            world = json.load(fh)
        world['lambda']['functions']['invoice-renderer']['configuration']['Runtime'] = 'python3.11'
        r, f = self.finding(world, 'invoice-renderer')
        self.assertEqual(f['severity'], 'fail')
        self.assertIn('SnapStart does not support python3.11 (Java 11+, Python 3.12+ and .NET 8+ '
                      'only)', f['evidence'])
        self.assertEqual(f['fix']['commands'], [
            'aws lambda put-provisioned-concurrency-config --function-name invoice-renderer '
            '--qualifier live --provisioned-concurrent-executions 5'])
        self.assertIn('or raise the timeout above the slowest init (8.9 s)', f['fix']['explain'])
        self.assertFalse(f['data']['snapstart_eligible'])

    def test_cold_start_frequent_slow_cold_starts_warn_with_a_new_alias_for_provisioning(self):
        world = small_world('pdf-preview', {'Runtime': 'nodejs22.x', 'Timeout': 30},
                            SLOW_BURSTY, peak=4)
        r, f = self.finding(world, 'pdf-preview')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual(f['severity'], 'warn')
        self.assertEqual(f['title'], 'frequent slow cold starts: 30% of invocations, Init '
                                     'Duration p95 3.1 s')
        self.assertIn('SnapStart does not support nodejs22.x (Java 11+, Python 3.12+ and .NET 8+ '
                      'only)', f['evidence'])
        self.assertEqual(f['fix']['commands'], [
            'VERSION=$(aws lambda publish-version --function-name pdf-preview --query Version '
            '--output text)',
            'aws lambda create-alias --function-name pdf-preview --name live --function-version '
            '"$VERSION"',
            'aws lambda put-provisioned-concurrency-config --function-name pdf-preview '
            '--qualifier live --provisioned-concurrent-executions 4'])

    def test_cold_start_says_when_callers_bypass_the_provisioned_alias(self):
        extra = {'versions': {'3': {}}, 'aliases': {'live': {'FunctionVersion': '3'}},
                 'provisioned_concurrency': {'live': {'RequestedProvisionedConcurrentExecutions': 4,
                                                      'Status': 'READY'}}}
        world = small_world('pdf-preview', {'Runtime': 'python3.12', 'Timeout': 30},
                            SLOW_BURSTY, peak=4, extra=extra)
        r, f = self.finding(world, 'pdf-preview')
        self.assertEqual(f['severity'], 'warn')
        ev = '\n'.join(f['evidence'])
        self.assertIn('provisioned concurrency on live: ', ev)
        self.assertIn('6 cold starts ran $LATEST: callers bypass the alias that has provisioned '
                      'concurrency', ev)
        self.assertIn('SnapStart cannot be combined with the existing provisioned concurrency', ev)

    def test_cold_start_healthy_function_gets_no_alarm(self):
        r, f = self.finding('healthy', 'orders-api')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual(f['severity'], 'ok')
        self.assertEqual(f['title'], '2 cold starts in 88 invocations (2.3%), Init Duration p95 413 ms')
        self.assertEqual(f['data']['cold_starts'], 2)
        self.assertIsNone(f['fix'])


    def test_cold_start_snapstart_fix_is_a_plan_that_moves_the_alias_to_the_published_version(self):
        r, f = self.finding('cold_start', 'invoice-renderer')
        plan = f['fix']['plan']
        self.assertIn('moving the alias shifts live traffic', f['fix']['manual'])
        self.assertEqual([s['operation'] for s in plan],
                         ['UpdateFunctionConfiguration', 'PublishVersion', 'UpdateAlias'])
        self.assertEqual(plan[0]['params'], {'FunctionName': 'invoice-renderer',
                                             'SnapStart': {'ApplyOn': 'PublishedVersions'}})
        self.assertEqual(plan[0]['before'], {'SnapStart': {'ApplyOn': 'None'}})
        self.assertEqual(plan[2]['params'], {'FunctionName': 'invoice-renderer', 'Name': 'live',
                                             'FunctionVersion': {'$ref': {'step': 2, 'field': 'Version'}}})
        self.assertEqual(plan[2]['undo']['operation'], 'UpdateAlias')
        self.assertEqual(plan[2]['undo']['params']['FunctionVersion'], '12')
        self.assertEqual([v['what'] for v in f['fix']['verify']],
                         ['SnapStart.ApplyOn == PublishedVersions'])

    def test_cold_start_provisioned_fix_on_an_existing_alias_is_one_undoable_call(self):
        with open(os.path.join(ROOT, 'tests', 'worlds', 'cold_start.json')) as fh:
            world = json.load(fh)
        world['lambda']['functions']['invoice-renderer']['configuration']['Runtime'] = 'python3.11'
        r, f = self.finding(world, 'invoice-renderer')
        (step,) = f['fix']['plan']
        self.assertEqual(step['params'], {'FunctionName': 'invoice-renderer', 'Qualifier': 'live',
                                          'ProvisionedConcurrentExecutions': 5})
        self.assertEqual(step['before'], {'ProvisionedConcurrentExecutions': None})
        self.assertEqual(step['undo']['operation'], 'DeleteProvisionedConcurrencyConfig')
        (verify,) = f['fix']['verify']
        self.assertEqual(verify['what'], 'provisioned concurrency on live: 5 requested')
        self.assertEqual(verify['read']['operation'], 'GetProvisionedConcurrencyConfig')
        self.assertEqual((verify['path'], verify['op'], verify['value']),
                         ('RequestedProvisionedConcurrentExecutions', '>=', 5))

    def test_cold_start_new_alias_plan_passes_the_published_version_by_reference(self):
        world = small_world('pdf-preview', {'Runtime': 'nodejs22.x', 'Timeout': 30},
                            SLOW_BURSTY, peak=4)
        r, f = self.finding(world, 'pdf-preview')
        plan = f['fix']['plan']
        self.assertIn('billed by the hour', f['fix']['manual'])
        self.assertEqual([s['operation'] for s in plan],
                         ['PublishVersion', 'CreateAlias', 'PutProvisionedConcurrencyConfig'])
        self.assertEqual(plan[1]['params']['FunctionVersion'], {'$ref': {'step': 1, 'field': 'Version'}})
        self.assertEqual(plan[1]['undo']['operation'], 'DeleteAlias')
        self.assertEqual(f['fix']['changes'], 'provisioned concurrency 4 on live (new)')

    def test_cold_start_does_not_apply_without_a_log_group_or_invocations(self):
        world = small_world('quiet-fn', {'Runtime': 'python3.12', 'Timeout': 30}, [])
        r, f = self.finding(world, 'quiet-fn')
        self.assertEqual((f['severity'], f['title']),
                         ('skip', 'no invocations (REPORT lines) in the last 1h'))
        del world['logs']
        r, f = self.finding(world, 'quiet-fn')
        self.assertEqual((f['severity'], f['title']),
                         ('skip', 'no log group /aws/lambda/quiet-fn: Init Duration is only in '
                                  'the REPORT lines'))

if __name__ == '__main__':
    unittest.main()
