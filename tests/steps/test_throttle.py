"""The throttle step through the real binary: reserved concurrency 0, the account's
unreserved pool exhausted, a reserved-concurrency cap, downstream throttling told apart
from Lambda's, no false alarm on healthy functions, and the fixes as plans.

Worlds: tests/worlds/throttle.json (checkout-fn, image-resize-fn, ledger-fn, burst-fn),
basic.json, healthy.json.

Behaviour changed on purpose (Step API v2):
- the function's own throttled downstream calls are no longer a separate info finding
  (the unavailable step owns that cause): the verdict's evidence says they are not Lambda
  throttling;
- every fix that is an API call is a plan, its commands rendered from it. The embedded
  lambda model predates ScalingConfig, so the two MaximumConcurrency calls stay text lines
  after the plan's commands until the model is regenerated (see guide_commands below).
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import StepTestCase, fake_aws  # noqa: E402

ARN = 'arn:aws:lambda:us-east-1:123456789012:function:'


def ops(fix):
    return [(p['service'], p['operation']) for p in fix.get('plan') or []]


class ThrottleStepTest(StepTestCase):

    step = 'throttle'

    def triage(self, world, function):
        with fake_aws(world) as fake:
            return super().triage(fake, function)

    def one(self, findings, severity):
        chosen = [f for f in findings if f['severity'] == severity]
        self.assertEqual(len(chosen), 1, json.dumps(findings, indent=1))
        return chosen[0]

    def guide_commands(self, fix, scaling, planned):
        """The fix's commands: the MaximumConcurrency calls (`scaling`, as the text the
        old step wrote, and as their rendering once the model knows ScalingConfig) first,
        then `planned`; with today's model, the planned ones first and the text after."""
        if ('lambda', 'UpdateEventSourceMapping') in ops(fix) or \
                ('lambda', 'CreateEventSourceMapping') in ops(fix):
            rendered = [c.replace(' MaximumConcurrency=%s' % c.rsplit('=', 1)[1],
                                  " '{\"MaximumConcurrency\":%s}'" % c.rsplit('=', 1)[1])
                        for c in scaling]
            self.assertEqual(fix['commands'], rendered + planned)
        else:
            self.assertEqual(fix['commands'], planned + scaling)

    def test_throttle_reports_reserved_concurrency_zero(self):
        r, findings = self.triage('throttle', 'checkout-fn')
        self.assertEqual(r.code, 1, repr(r))
        f = self.one(findings, 'fail')
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

    def test_throttle_reserved_zero_fix_is_a_plan_with_undo_and_verify(self):
        r, findings = self.triage('throttle', 'checkout-fn')
        fix = self.one(findings, 'fail')['fix']
        self.assertEqual(ops(fix), [('lambda', 'DeleteFunctionConcurrency'),
                                    ('lambda', 'PutFunctionConcurrency')])
        delete, put = fix['plan']
        self.assertEqual(delete['params'], {'FunctionName': 'checkout-fn'})
        self.assertEqual(delete['before'], {'ReservedConcurrentExecutions': 0})
        self.assertEqual(delete['undo']['params'], {'FunctionName': 'checkout-fn',
                                                    'ReservedConcurrentExecutions': 0})
        self.assertEqual(put['params']['FunctionName'], 'checkout-fn')
        self.assertEqual(put['before'], {'ReservedConcurrentExecutions': None})
        self.assertEqual(fix['commands'][1], 'aws lambda put-function-concurrency --function-name '
                         'checkout-fn --reserved-concurrent-executions %d'
                         % put['params']['ReservedConcurrentExecutions'])
        self.assertEqual(fix['verify'][0]['read']['operation'], 'GetFunctionConcurrency')
        self.assertEqual((fix['verify'][0]['op'], fix['verify'][0]['value']), ('~=', 0))

    def test_throttle_reports_the_account_limit_and_fixes_in_the_guides_order(self):
        r, findings = self.triage('throttle', 'image-resize-fn')
        self.assertEqual(r.code, 1, repr(r))
        f = self.one(findings, 'fail')
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
        self.guide_commands(f['fix'], [
            'aws lambda update-event-source-mapping --uuid 6e1f0a2b-9c8d-4e7f-a6b5-c4d3e2f1a0b9 '
            '--scaling-config MaximumConcurrency=475'], [
            'aws lambda put-provisioned-concurrency-config --function-name image-resize-fn '
            '--qualifier live --provisioned-concurrent-executions 850',
            'aws service-quotas request-service-quota-increase --service-code lambda '
            '--quota-code L-B99A9384 --desired-value 2000'])
        plan = {p['operation']: p for p in f['fix']['plan']}
        self.assertEqual(plan['PutProvisionedConcurrencyConfig']['undo']['operation'],
                         'DeleteProvisionedConcurrencyConfig')
        self.assertEqual(plan['RequestServiceQuotaIncrease']['params'],
                         {'ServiceCode': 'lambda', 'QuotaCode': 'L-B99A9384',
                          'DesiredValue': 2000})
        self.assertIsNone(plan['RequestServiceQuotaIncrease'].get('undo'))
        self.assertEqual(f['data']['throttles'], 4627)
        self.assertEqual(f['data']['peak_concurrency'], 902)
        self.assertEqual(max(f['data']['series']['values']), 2215)

    def test_throttle_tells_downstream_throttling_apart_from_lambdas(self):
        r, findings = self.triage('throttle', 'image-resize-fn')
        # one finding for one cause: the unavailable step reports the S3 SlowDown lines
        self.assertEqual([f['severity'] for f in findings], ['fail'],
                         json.dumps(findings, indent=1))
        f = findings[0]
        ev = '\n'.join(f['evidence'])
        self.assertRegex(ev, r"2 log lines show the function's own AWS calls throttled by another "
                             r"service, first at \S+, last at \S+: not Lambda throttling, and "
                             r"Lambda concurrency settings do not change them")
        # a quoted line is its first line with tabs as spaces (lib.text.quote)
        self.assertRegex(ev, r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 4c1d9e8f-7a6b-4c5d-9e0f-'
                             r'1a2b3c4d5e6f ERROR thumbnail upload failed for uploads/'
                             r'7f3a2c91\.jpg SlowDown: Please reduce your request rate\.')
        self.assertEqual(f['data']['downstream_lines'], 2)

    def test_throttle_reports_the_reserved_concurrency_cap(self):
        r, findings = self.triage('throttle', 'ledger-fn')
        self.assertEqual(r.code, 1, repr(r))
        f = self.one(findings, 'fail')
        self.assertEqual(f['title'], 'throttled at its reserved concurrency: peak 50 of 50 '
                                     'reserved, 633 throttles in the last 1h')
        self.assertIn('ReservedConcurrentExecutions 50', '\n'.join(f['evidence']))
        self.guide_commands(f['fix'], [
            'aws lambda update-event-source-mapping --uuid 0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f '
            '--scaling-config MaximumConcurrency=50'], [
            # peak 50 x (8,641 + 633) / 8,641 attempts per served invoke x 1.5 headroom
            'aws lambda put-function-concurrency --function-name ledger-fn '
            '--reserved-concurrent-executions 81'])
        put = [p for p in f['fix']['plan'] if p['operation'] == 'PutFunctionConcurrency'][0]
        self.assertEqual((put['before'], put['after']), ({'ReservedConcurrentExecutions': 50},
                                                         {'ReservedConcurrentExecutions': 81}))
        self.assertEqual(put['undo']['params']['ReservedConcurrentExecutions'], 50)
        self.assertEqual(f['fix']['verify'][0]['what'], 'ReservedConcurrentExecutions >= 81')
        self.assertEqual(f['fix']['changes'], 'ReservedConcurrentExecutions 50 -> 81, or the same '
                                              'peak served from a queue')
        for cmd in f['fix']['commands']:
            self.assertNotIn('provisioned-concurrency', cmd)

    def test_throttle_plans_a_queue_and_an_alias_from_the_published_version(self):
        r, findings = self.triage('throttle', 'burst-fn')
        self.assertEqual(r.code, 1, repr(r))
        f = self.one(findings, 'fail')
        self.assertTrue(f['title'].startswith('account concurrency limit reached: peak 950 of 950 '
                                              'unreserved'), f['title'])
        fix = f['fix']
        planned = [op for op in ops(fix) if op[1] != 'CreateEventSourceMapping']
        self.assertEqual(planned, [('sqs', 'CreateQueue'), ('lambda', 'PublishVersion'),
                                   ('lambda', 'CreateAlias'),
                                   ('lambda', 'PutProvisionedConcurrencyConfig'),
                                   ('service-quotas', 'RequestServiceQuotaIncrease')])
        by_op = {p['operation']: p for p in fix['plan']}
        self.assertEqual(by_op['CreateQueue']['params'], {'QueueName': 'burst-fn-buffer'})
        self.assertEqual(by_op['CreateQueue']['undo']['operation'], 'DeleteQueue')
        # the alias points at the version PublishVersion returns (no placeholder)
        publish = [op[1] for op in ops(fix)].index('PublishVersion') + 1
        self.assertEqual(by_op['CreateAlias']['params'],
                         {'FunctionName': 'burst-fn', 'Name': 'live',
                          'FunctionVersion': {'$ref': {'step': publish, 'field': 'Version'}}})
        self.assertEqual(by_op['PutProvisionedConcurrencyConfig']['params'],
                         {'FunctionName': 'burst-fn', 'Qualifier': 'live',
                          'ProvisionedConcurrentExecutions': 300})
        self.guide_commands(fix, [
            'aws lambda create-event-source-mapping --function-name burst-fn --event-source-arn '
            'arn:aws:sqs:us-east-1:123456789012:burst-fn-buffer --scaling-config '
            'MaximumConcurrency=475'], [
            'QUEUE_URL=$(aws sqs create-queue --queue-name burst-fn-buffer --query QueueUrl '
            '--output text)',
            'VERSION=$(aws lambda publish-version --function-name burst-fn --query Version '
            '--output text)',
            'aws lambda create-alias --function-name burst-fn --name live --function-version '
            '"$VERSION"',
            'aws lambda put-provisioned-concurrency-config --function-name burst-fn --qualifier '
            'live --provisioned-concurrent-executions 300',
            'aws service-quotas request-service-quota-increase --service-code lambda '
            '--quota-code L-B99A9384 --desired-value 2000'])
        self.assertNotIn('VERSION_FROM_PUBLISH', json.dumps(fix))

    def test_throttle_queue_arn_follows_the_partition(self):
        # burst-fn of the throttle world, moved to aws-cn (the fake takes the ARNs a world
        # gives): the SQS buffer's ARN is built in the run's partition, never "arn:aws:"
        with open(os.path.join(HERE, '..', 'worlds', 'throttle.json'), encoding='utf-8') as fh:
            world = json.load(fh)
        world['region'] = 'cn-north-1'
        fn = world['lambda']['functions']['burst-fn']
        world['lambda']['functions'] = {'burst-fn': fn}
        fn['configuration']['FunctionArn'] = ('arn:aws-cn:lambda:cn-north-1:123456789012:'
                                              'function:burst-fn')
        world['lambda']['event_source_mappings'] = []
        path = self.write('cn.json', json.dumps(world))
        r, findings = self.triage(path, 'burst-fn')
        fix = self.one(findings, 'fail')['fix']
        text = '\n'.join(fix['commands']) + json.dumps(fix.get('plan'))
        self.assertIn('arn:aws-cn:sqs:cn-north-1:123456789012:burst-fn-buffer', text)
        self.assertNotIn('arn:aws:sqs', text)

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
