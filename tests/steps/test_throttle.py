"""The throttle step through the real binary: reserved concurrency 0, the account's
unreserved pool exhausted, a reserved-concurrency cap, downstream throttling told apart
from Lambda's, and no false alarm on healthy functions.

Worlds: tests/worlds/throttle.json (checkout-fn, image-resize-fn, ledger-fn), basic.json,
healthy.json.
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import CliTestCase, fake_aws  # noqa: E402

ARN = 'arn:aws:lambda:us-east-1:123456789012:function:'


class ThrottleStepTest(CliTestCase):

    def triage(self, world, function):
        with fake_aws(world) as fake:
            r = self.rb(fake, 'triage.lua', function, '--steps', 'throttle', '--format', 'json')
        self.assertIn(r.code, (0, 1), repr(r))
        steps = r.json()['steps']
        self.assertEqual([s['id'] for s in steps], ['throttle'], repr(r))
        return r, steps[0]['findings']

    def only(self, findings, severity):
        chosen = [f for f in findings if f['severity'] == severity]
        self.assertEqual(len(chosen), 1, json.dumps(findings, indent=1))
        return chosen[0]

    def test_throttle_reports_reserved_concurrency_zero(self):
        r, findings = self.triage('throttle', 'checkout-fn')
        self.assertEqual(r.code, 1, repr(r))
        f = self.only(findings, 'fail')
        self.assertEqual(f['title'], 'reserved concurrency is 0: every invocation is throttled '
                                     '(557 throttles in the last 1h)')
        ev = '\n'.join(f['evidence'])
        self.assertIn('GetFunctionConcurrency %scheckout-fn: ReservedConcurrentExecutions 0'
                      % ARN, ev)
        self.assertIn('Throttles (Sum) 557 in the last 1h, at most 61 per 60 s; Invocations 0 '
                      '(100% of attempts throttled)', ev)
        self.assertIn('AccountLimit.ConcurrentExecutions 1,000, UnreservedConcurrentExecutions 950',
                      ev)
        self.assertEqual(f['fix']['commands'][0],
                         'aws lambda delete-function-concurrency --function-name checkout-fn')
        self.assertRegex(f['fix']['commands'][1],
                         r'^aws lambda put-function-concurrency --function-name checkout-fn '
                         r'--reserved-concurrent-executions \d+$')
        self.assertIn('ReservedConcurrentExecutions 0 -> none', f['fix']['changes'])
        self.assertEqual(f['confidence'], 'high')
        self.assertEqual(f['data']['reserved'], 0)
        self.assertEqual(f['data']['series']['label'], 'Throttles')
        self.assertEqual(sum(f['data']['series']['values']), 557)

    def test_throttle_reports_the_account_limit_and_fixes_in_the_guides_order(self):
        r, findings = self.triage('throttle', 'image-resize-fn')
        self.assertEqual(r.code, 1, repr(r))
        f = self.only(findings, 'fail')
        self.assertEqual(f['title'], 'account concurrency limit reached: peak 950 of 950 '
                                     'unreserved (limit 1,000), 4,627 throttles in the last 1h')
        ev = '\n'.join(f['evidence'])
        self.assertIn('ConcurrentExecutions (Maximum) of image-resize-fn: peak 902', ev)
        self.assertIn('account-wide peak 950', ev)
        self.assertIn('no reserved concurrency (shares the unreserved pool)', ev)
        self.assertIn('SQS event source arn:aws:sqs:us-east-1:123456789012:image-uploads '
                      '(mapping 6e1f0a2b-9c8d-4e7f-a6b5-c4d3e2f1a0b9, Enabled): no '
                      'ScalingConfig.MaximumConcurrency', ev)
        # the guide's order: SQS buffer, provisioned concurrency, limit increase
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-event-source-mapping --uuid 6e1f0a2b-9c8d-4e7f-a6b5-c4d3e2f1a0b9 '
            '--scaling-config MaximumConcurrency=475',
            'aws lambda put-provisioned-concurrency-config --function-name image-resize-fn '
            '--qualifier live --provisioned-concurrent-executions 850',
            'aws service-quotas request-service-quota-increase --service-code lambda '
            '--quota-code L-B99A9384 --desired-value 2000'])
        self.assertEqual(f['data']['throttles'], 4627)
        self.assertEqual(f['data']['peak_concurrency'], 902)
        self.assertEqual(max(f['data']['series']['values']), 2215)

    def test_throttle_tells_downstream_throttling_apart_from_lambdas(self):
        r, findings = self.triage('throttle', 'image-resize-fn')
        f = self.only(findings, 'info')
        self.assertEqual(f['title'], "2 throttling errors from the function's own downstream "
                                     "calls (not Lambda throttling)")
        ev = '\n'.join(f['evidence'])
        self.assertRegex(ev, r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t4c1d9e8f-7a6b-4c5d-9e0f-'
                             r'1a2b3c4d5e6f\tERROR\tthumbnail upload failed for uploads/'
                             r'7f3a2c91\.jpg SlowDown: Please reduce your request rate\.')
        self.assertIn('Lambda concurrency settings do not change them', f['why'])

    def test_throttle_reports_the_reserved_concurrency_cap(self):
        r, findings = self.triage('throttle', 'ledger-fn')
        self.assertEqual(r.code, 1, repr(r))
        f = self.only(findings, 'fail')
        self.assertEqual(f['title'], 'throttled at its reserved concurrency: peak 50 of 50 '
                                     'reserved, 633 throttles in the last 1h')
        self.assertIn('ReservedConcurrentExecutions 50', '\n'.join(f['evidence']))
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-event-source-mapping --uuid 0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f '
            '--scaling-config MaximumConcurrency=50',
            # peak 50 x (8,641 + 633) / 8,641 attempts per served invoke x 1.5 headroom
            'aws lambda put-function-concurrency --function-name ledger-fn '
            '--reserved-concurrent-executions 81'])
        self.assertEqual(f['fix']['changes'], 'ReservedConcurrentExecutions 50 -> 81, or the same '
                                              'peak served from a queue')
        for cmd in f['fix']['commands']:
            self.assertNotIn('provisioned-concurrency', cmd)

    def test_throttle_healthy_functions_get_no_alarm(self):
        for world, function, title in (
                ('basic', 'my-fn', 'no throttles in the last 1h (peak concurrency 3 of 1,000 '
                                   'unreserved)'),
                ('basic', 'vpc-fn', 'no throttles in the last 1h (1,000 unreserved executions '
                                    'available)'),
                ('healthy', 'orders-api', None)):
            with self.subTest(function=function):
                r, findings = self.triage(world, function)
                self.assertEqual(r.code, 0, repr(r))
                self.assertEqual([f['severity'] for f in findings], ['ok'],
                                 json.dumps(findings, indent=1))
                if title:
                    self.assertEqual(findings[0]['title'], title)
                self.assertEqual(findings[0]['data']['throttles'], 0)


if __name__ == '__main__':
    unittest.main()
