"""The throttle step through the real binary: reserved concurrency 0, the account's
unreserved pool exhausted, a reserved-concurrency cap, downstream throttling told apart
from Lambda's, no false alarm on healthy functions, and the fixes as plans.

Worlds: tests/worlds/throttle.json (checkout-fn, image-resize-fn, ledger-fn, burst-fn),
basic.json, healthy.json.

Behaviour changed on purpose (Step API v2):
- the function's own throttled downstream calls are no longer a separate info finding
  (the unavailable step owns that cause): the verdict's evidence says they are not Lambda
  throttling;
- every fix that is an API call is a plan, its commands rendered from it.

Changed on purpose (remediation): a plan is a sequence applied in order, so each finding
plans the one remedy that fits its cause (remove a zero reservation; raise a reservation
within the account's unreserved capacity; a limit increase, manual; provisioned concurrency
for bursts, manual) and names the guide's other remedies (the SQS buffer among them) in
its explanation.
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
        # one remedy planned; the alternative (a real reservation) is described, not glued on
        self.assertEqual(f['fix']['commands'],
                         ['aws lambda delete-function-concurrency --function-name checkout-fn'])
        self.assertIn('reserve a real number instead of removing it (10: no invocation ran to '
                      'size it from)', f['fix']['explain'])
        self.assertEqual(f['fix']['changes'], 'ReservedConcurrentExecutions 0 -> none (shares the '
                                              '950 unreserved executions)')
        self.assertNotIn('manual', f['fix'])
        self.assertEqual(f['confidence'], 'high')
        self.assertEqual(f['data']['reserved'], 0)
        self.assertEqual(f['data']['series']['label'], 'Throttles')
        self.assertEqual(sum(f['data']['series']['values']), 557)

    def test_throttle_reserved_zero_fix_is_a_plan_with_undo_and_verify(self):
        r, findings = self.triage('throttle', 'checkout-fn')
        fix = self.one(findings, 'fail')['fix']
        self.assertEqual(ops(fix), [('lambda', 'DeleteFunctionConcurrency')])
        delete, = fix['plan']
        self.assertEqual(delete['params'], {'FunctionName': 'checkout-fn'})
        self.assertEqual(delete['before'], {'ReservedConcurrentExecutions': 0})
        self.assertEqual(delete['after'], {'ReservedConcurrentExecutions': None})
        self.assertEqual(delete['undo'], {'service': 'lambda', 'operation': 'PutFunctionConcurrency',
                                          'params': {'FunctionName': 'checkout-fn',
                                                     'ReservedConcurrentExecutions': 0}})
        self.assertEqual(delete['read']['operation'], 'GetFunctionConcurrency')
        check, = fix['verify']
        self.assertEqual(check['read'], delete['read'])
        self.assertEqual((check['path'], check['op']), ('ReservedConcurrentExecutions', 'absent'))

    def test_throttle_reports_the_account_limit_and_plans_only_the_limit_increase(self):
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
        fix = f['fix']
        self.assertEqual(fix['commands'], [
            'aws service-quotas request-service-quota-increase --service-code lambda '
            '--quota-code L-B99A9384 --desired-value 2000'])
        step, = fix['plan']
        self.assertEqual(step['params'], {'ServiceCode': 'lambda', 'QuotaCode': 'L-B99A9384',
                                          'DesiredValue': 2000})
        self.assertIsNone(step.get('undo'))
        # a request no call takes back: shown, never applied
        self.assertIn('no call takes back', fix['manual'])
        # the guide's other remedies, in its order, in words
        self.assertIn("alternatives in the field guide's order of preference: 1) cap the SQS "
                      'pollers at ScalingConfig.MaximumConcurrency 475 (event source mapping '
                      '6e1f0a2b-9c8d-4e7f-a6b5-c4d3e2f1a0b9)', fix['explain'])
        self.assertIn('2) keep 850 environments warm with provisioned concurrency on live',
                      fix['explain'])
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
        fix = f['fix']
        # peak 50 x (8,641 + 633) / 8,641 attempts per served invoke x 1.5 headroom
        self.assertEqual(fix['commands'], ['aws lambda put-function-concurrency --function-name '
                                           'ledger-fn --reserved-concurrent-executions 81'])
        put, = fix['plan']
        self.assertEqual((put['before'], put['after']), ({'ReservedConcurrentExecutions': 50},
                                                         {'ReservedConcurrentExecutions': 81}))
        self.assertEqual(put['undo']['params'], {'FunctionName': 'ledger-fn',
                                                 'ReservedConcurrentExecutions': 50})
        check, = fix['verify']
        self.assertEqual((check['what'], check['path'], check['op'], check['value']),
                         ('ReservedConcurrentExecutions >= 81', 'ReservedConcurrentExecutions',
                          '>=', 81))
        self.assertEqual(fix['changes'], 'ReservedConcurrentExecutions 50 -> 81')
        self.assertTrue(fix['explain'].startswith(
            'raise the reservation to 81 (peak 50 x 1.07 attempts per served invoke x 1.5 '
            'headroom); alternatives'), fix['explain'])
        self.assertIn('cap the SQS pollers at ScalingConfig.MaximumConcurrency 50', fix['explain'])
        self.assertNotIn('manual', fix)

    def account_world(self, limit):
        with open(os.path.join(HERE, '..', 'worlds', 'throttle.json'), encoding='utf-8') as fh:
            world = json.load(fh)
        world['lambda']['account_settings']['AccountLimit']['ConcurrentExecutions'] = limit
        return self.write('world-%d.json' % limit, json.dumps(world))

    def test_throttle_raises_a_reservation_only_within_the_unreserved_capacity(self):
        # limit 170, 50 reserved: 120 unreserved, of which 100 must stay: at most 70
        r, findings = self.triage(self.account_world(170), 'ledger-fn')
        fix = self.one(findings, 'fail')['fix']
        self.assertIn('UnreservedConcurrentExecutions 120', '\n'.join(self.one(findings, 'fail')['evidence']))
        put, = fix['plan']
        self.assertEqual(put['params'], {'FunctionName': 'ledger-fn', 'ReservedConcurrentExecutions': 70})
        self.assertEqual(put['after'], {'ReservedConcurrentExecutions': 70})
        self.assertEqual(fix['verify'][0]['value'], 70)
        self.assertIn('raise the reservation to 70, the most the account allows (50 reserved + 120 '
                      'unreserved - the 100 that must stay unreserved), short of the 81 needed',
                      fix['explain'])
        # limit 120: 70 unreserved, no room at all: no plan, and why
        r, findings = self.triage(self.account_world(120), 'ledger-fn')
        fix = self.one(findings, 'fail')['fix']
        self.assertNotIn('plan', fix)
        self.assertIn('the account has no room to raise the reservation (70 unreserved, 100 must '
                      'stay unreserved)', fix['explain'])

    def test_throttle_near_its_reservation_without_throttles_plans_a_raise(self):
        with open(os.path.join(HERE, '..', 'worlds', 'throttle.json'), encoding='utf-8') as fh:
            world = json.load(fh)
        for m in world['cloudwatch']['metrics']:
            if m['MetricName'] == 'Throttles' and m['Dimensions'] == {'FunctionName': 'ledger-fn'}:
                m['series']['values'] = [0] * len(m['series']['values'])
        r, findings = self.triage(self.write('near.json', json.dumps(world)), 'ledger-fn')
        f = self.one(findings, 'warn')
        self.assertEqual(f['title'], 'no throttles yet, but peak concurrency 50 is 100% of the 50 '
                                     'reserved')
        put, = f['fix']['plan']
        # peak 50 x 1.5 headroom, well within 50 + 950 unreserved - 100
        self.assertEqual(put['params'], {'FunctionName': 'ledger-fn', 'ReservedConcurrentExecutions': 75})
        self.assertEqual((put['before'], put['after']), ({'ReservedConcurrentExecutions': 50},
                                                         {'ReservedConcurrentExecutions': 75}))
        self.assertEqual(f['fix']['verify'][0]['value'], 75)
        self.assertNotIn('manual', f['fix'])

    def test_throttle_account_limit_names_a_queue_and_a_new_alias_in_words(self):
        r, findings = self.triage('throttle', 'burst-fn')
        self.assertEqual(r.code, 1, repr(r))
        f = self.one(findings, 'fail')
        self.assertTrue(f['title'].startswith('account concurrency limit reached: peak 950 of 950 '
                                              'unreserved'), f['title'])
        fix = f['fix']
        self.assertEqual(ops(fix), [('service-quotas', 'RequestServiceQuotaIncrease')])
        self.assertIn('1) put an SQS queue in front (arn:aws:sqs:us-east-1:123456789012:burst-fn-'
                      'buffer: producers send to it instead of invoking) and let Lambda poll it at '
                      'MaximumConcurrency 475; 2) keep 300 environments warm with provisioned '
                      'concurrency on a new alias', fix['explain'])

    def test_throttle_bursts_below_the_limit_plan_provisioned_concurrency_as_manual(self):
        with open(os.path.join(HERE, '..', 'worlds', 'throttle.json'), encoding='utf-8') as fh:
            world = json.load(fh)
        # without the account-wide peak, burst-fn's own peak (300) is far below the pool
        world['cloudwatch']['metrics'] = [m for m in world['cloudwatch']['metrics']
                                          if m.get('Dimensions')]
        r, findings = self.triage(self.write('burst.json', json.dumps(world)), 'burst-fn')
        f = self.one(findings, 'warn')
        fix = f['fix']
        self.assertEqual(ops(fix), [('lambda', 'PublishVersion'), ('lambda', 'CreateAlias'),
                                    ('lambda', 'PutProvisionedConcurrencyConfig')])
        publish, alias, pc = fix['plan']
        self.assertEqual(alias['params'], {'FunctionName': 'burst-fn', 'Name': 'live',
                                           'FunctionVersion': {'$ref': {'step': 1, 'field': 'Version'}}})
        self.assertEqual(alias['undo']['operation'], 'DeleteAlias')
        self.assertEqual(pc['params'], {'FunctionName': 'burst-fn', 'Qualifier': 'live',
                                        'ProvisionedConcurrentExecutions': 300})
        self.assertEqual(pc['undo']['operation'], 'DeleteProvisionedConcurrencyConfig')
        self.assertEqual(fix['commands'][:2], [
            'VERSION=$(aws lambda publish-version --function-name burst-fn --query Version '
            '--output text)',
            'aws lambda create-alias --function-name burst-fn --name live --function-version '
            '"$VERSION"'])
        check, = fix['verify']
        self.assertEqual((check['path'], check['op'], check['value']),
                         ('RequestedProvisionedConcurrentExecutions', '>=', 300))
        self.assertIn('billed by the hour', fix['manual'])
        self.assertIn('put an SQS queue in front', fix['explain'])
        self.assertIn('ask for a concurrency limit of 2,000', fix['explain'])

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
        text = fix['explain'] + '\n'.join(fix['commands']) + json.dumps(fix.get('plan'))
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
