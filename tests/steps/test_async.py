"""The async step through the real binary: asynchronous events dropped with nowhere to go,
events aging towards the maximum age, a destination the execution role may not send to
(planned as PutRolePolicy), a function whose failures are kept (ok), functions not invoked
asynchronously (skip), a denied GetFunctionEventInvokeConfig named while the rest runs, and
the role read only when there is a target, at once with the metrics.

World: tests/worlds/async_drop.json (order-events, audit-sink, receipts-fn), oom.json (an
S3-invoked function without a destination), basic.json (API-invoked only).
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import StepTestCase, fake_aws  # noqa: E402

QUEUE = 'arn:aws:sqs:us-east-1:123456789012:audit-failures'


class AsyncStepTest(StepTestCase):
    step = 'async'

    def run_on(self, world, function, faults=None):
        if faults is not None:
            faults = self.write('faults.json', json.dumps(faults))
        with fake_aws(world, faults=faults) as fake:
            return self.triage(fake, function)

    def test_async_dropped_events_without_destination_fail_with_the_command(self):
        r, findings = self.run_on('async_drop', 'order-events')
        self.assertEqual(r.code, 1, repr(r))
        f = self.only(findings, 'fail', 'dropped')
        self.assertEqual(f['title'], '37 async events were dropped: no on-failure destination '
                                     'and no dead-letter queue')
        ev = '\n'.join(f['evidence'])
        self.assertIn('invoked asynchronously: EventBridge, 495 AsyncEventsReceived', ev)
        self.assertIn("no EventInvokeConfig: Lambda's defaults, 2 retries", ev)
        self.assertIn('DeadLetterConfig: none', ev)
        self.assertIn('AsyncEventsDropped 37', ev)
        fix = f['fix']
        self.assertNotIn('plan', fix)
        self.assertEqual(fix['commands'], [
            'aws lambda put-function-event-invoke-config --function-name order-events '
            '--destination-config \'{"OnFailure":{"Destination":"QUEUE_ARN"}}\''])
        self.assertIn('yours to choose', fix['manual'])
        self.assertEqual(f['data']['dropped'], 37)
        self.assertTrue(r.json()['verdict']['headline'].startswith(
            '37 async events dropped with no DLQ or on-failure destination; '),
            r.json()['verdict'])

    def test_async_events_aging_towards_the_maximum_age_warn(self):
        _, findings = self.run_on('async_drop', 'order-events')
        f = self.only(findings, 'warn', 'maximum event age')
        self.assertEqual(f['title'], 'async events waited up to 14400 s, 66.7% of the 21600 s '
                                     'maximum event age')
        self.assertEqual(f['data']['oldest_ms'], 14400000)
        # dropped already says nothing keeps the events: not said twice
        self.assertEqual(sorted(x['severity'] for x in findings), ['fail', 'warn'])

    def test_async_destination_the_role_may_not_send_to_is_planned_as_put_role_policy(self):
        _, findings = self.run_on('async_drop', 'audit-sink')
        f = self.only(findings, 'fail', 'may not sqs:SendMessage')
        self.assertEqual(f['title'], 'the execution role may not sqs:SendMessage to its '
                                     'on-failure destination ' + QUEUE)
        ev = '\n'.join(f['evidence'])
        self.assertIn('execution role audit-sink-role and sqs:SendMessage on %s: no statement '
                      'allows it' % QUEUE, ev)
        self.assertIn('DestinationDeliveryFailures: 5 in the last 1h', ev)
        step, = f['fix']['plan']
        self.assertEqual((step['service'], step['operation']), ('iam', 'PutRolePolicy'))
        self.assertEqual(step['params']['RoleName'], 'audit-sink-role')
        doc = json.loads(step['params']['PolicyDocument'])
        self.assertEqual(doc['Statement'][0]['Action'], 'sqs:SendMessage')
        self.assertEqual(doc['Statement'][0]['Resource'], QUEUE)
        self.assertEqual(step['undo']['operation'], 'DeleteRolePolicy')
        # the drops were not kept: delivering them failed
        self.only(findings, 'fail', 'sending them to %s failed' % QUEUE)

    def test_async_failures_kept_in_an_allowed_dead_letter_queue_are_ok(self):
        r, findings = self.run_on('async_drop', 'receipts-fn')
        self.assertEqual(r.code, 0, repr(r))
        f, = findings
        self.assertEqual(f['severity'], 'ok')
        self.assertEqual(f['title'], 'async events kept: failures go to arn:aws:sns:us-east-1:'
                                     '123456789012:receipts-dlq; 245 received, none dropped')

    def test_async_s3_invoked_function_without_destination_warns_not_fails(self):
        r, findings = self.run_on('oom', 'image-resizer')
        f, = findings
        self.assertEqual(f['severity'], 'warn')
        self.assertEqual(f['title'], 'events that fail 2 retries are dropped: no on-failure '
                                     'destination and no dead-letter queue')
        self.assertIn('invoked asynchronously: S3', f['evidence'][0])

    def test_async_skips_a_function_not_invoked_asynchronously(self):
        _, findings = self.run_on('basic', 'my-fn')
        f, = findings
        self.assertEqual(f['severity'], 'skip')
        self.assertTrue(f['title'].startswith('not invoked asynchronously'), f['title'])

    def test_async_denied_invoke_config_names_the_permission_and_the_rest_runs(self):
        faults = [{'kind': 'access_denied', 'service': 'lambda',
                   'operation': 'GetFunctionEventInvokeConfig'}]
        _, findings = self.run_on('async_drop', 'order-events', faults)
        e = self.only(findings, 'error', 'lambda:GetFunctionEventInvokeConfig')
        self.assertEqual(e['data']['permission'], 'lambda:GetFunctionEventInvokeConfig')
        self.only(findings, 'fail', '37 async events were dropped')

    def test_async_reads_the_role_only_for_a_target_and_never_waits_on_it(self):
        # order-events has no DLQ and no destination: no role read at all
        with fake_aws('async_drop') as fake:
            self.triage(fake, 'order-events')
            self.assertEqual([r['operation'] for r in fake.requests()
                              if r.get('service') == 'iam'], [])
        # audit-sink sends to an SQS destination: the role is read, next to the metrics, not
        # before them (its policies are a three-call chain, here 300 ms a call)
        faults = self.write('faults.json', json.dumps(
            [{'kind': 'delay', 'delay_ms': 300, 'service': 'iam'}]))
        with fake_aws('async_drop', faults=faults) as fake:
            self.triage(fake, 'audit-sink')
            reqs = fake.requests()
        last_role_read = max(r['time'] for r in reqs if r.get('operation') == 'GetPolicyVersion')
        metrics = [r for r in reqs if r.get('operation') == 'GetMetricStatistics'
                   and r['params'].get('MetricName') != 'AsyncEventsReceived']
        self.assertEqual(len(metrics), 4, [r['params'] for r in metrics])
        for r in metrics:
            self.assertLess(r['time'], last_role_read, r['params']['MetricName'])


if __name__ == '__main__':
    unittest.main()
