"""The event_sources step through the real binary: an SQS queue whose visibility timeout is
below six times the function timeout (planned as SetQueueAttributes, and applied), no redrive
policy while messages fail, a backlog, a poison message in the logs, a disabled mapping
pointing at enable-event-sources.lua, a Kinesis mapping failing and falling behind (planned
as UpdateEventSourceMapping), functions without mappings (skip), and a denied
sqs:GetQueueAttributes named while the rest of the step runs.

Worlds: tests/worlds/sqs_visibility.json (orders-consumer), kinesis_iterator.json
(clickstream-fn), basic.json (vpc-fn has no mapping).
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import StepTestCase, fake_aws  # noqa: E402

INBOX_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/orders-inbox'
REPLAY_UUID = 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e'
KINESIS_UUID = 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f'


class EventSourcesStepTest(StepTestCase):
    step = 'event_sources'

    def run_on(self, world, function, faults=None):
        if faults is not None:
            faults = self.write('faults.json', json.dumps(faults))
        with fake_aws(world, faults=faults) as fake:
            return self.triage(fake, function)

    def test_event_sources_sqs_visibility_below_six_times_the_timeout_is_planned(self):
        r, findings = self.run_on('sqs_visibility', 'orders-consumer')
        self.assertEqual(r.code, 1, repr(r))
        f = self.only(findings, 'warn', 'VisibilityTimeout')
        self.assertEqual(f['title'], "queue orders-inbox: VisibilityTimeout 60 s is below 6 x the "
                                     "function's 30 s timeout (180 s)")
        ev = '\n'.join(f['evidence'])
        self.assertIn('queue %s: VisibilityTimeout 60 s, ApproximateNumberOfMessages 1840' % INBOX_URL,
                      ev)
        step, = f['fix']['plan']
        self.assertEqual((step['service'], step['operation']), ('sqs', 'SetQueueAttributes'))
        self.assertEqual(step['params'], {'QueueUrl': INBOX_URL,
                                          'Attributes': {'VisibilityTimeout': '180'}})
        self.assertEqual(step['undo']['params']['Attributes'], {'VisibilityTimeout': '60'})
        self.assertEqual(step['read']['operation'], 'GetQueueAttributes')
        self.assertEqual(f['fix']['commands'], [
            "aws sqs set-queue-attributes --queue-url %s --attributes "
            "'{\"VisibilityTimeout\":\"180\"}'" % INBOX_URL])
        self.assertEqual(f['data']['recommended_s'], 180)

    def test_event_sources_no_redrive_backlog_and_poison_message(self):
        _, findings = self.run_on('sqs_visibility', 'orders-consumer')
        redrive = self.only(findings, 'warn', 'no redrive policy')
        self.assertIn('aws sqs set-queue-attributes --queue-url %s' % INBOX_URL,
                      redrive['fix']['commands'][0])
        self.assertIn('RedrivePolicy', redrive['fix']['commands'][0])
        self.only(findings, 'warn', 'the oldest message waited 2400 s')
        poison = self.only(findings, 'fail', 'poison message')
        self.assertEqual(poison['title'], 'poison message: 3f6c2a9e-81d4-4b7a-9c25-e0d7b4f1a683 '
                                          'failed in 4 invocations')
        self.assertIn("KeyError: 'customer_id'", '\n'.join(poison['evidence']))
        self.assertEqual(poison['data']['headline'], 'poison message 3f6c2a9e-81d4-4b7a-9c25-'
                                                     'e0d7b4f1a683 failed in 4 invocations')

    def test_event_sources_disabled_mapping_points_at_enable_event_sources(self):
        _, findings = self.run_on('sqs_visibility', 'orders-consumer')
        f = self.only(findings, 'warn', 'is Disabled')
        self.assertEqual(f['title'], 'SQS queue orders-replay (mapping %s) is Disabled: nothing '
                                     'reads it (USER_INITIATED)' % REPLAY_UUID)
        self.assertEqual(f['fix']['commands'], [
            'runbook enable-event-sources.lua orders-consumer --uuid ' + REPLAY_UUID])

    def test_event_sources_kinesis_iterator_age_growing_fails_with_a_mapping_plan(self):
        r, findings = self.run_on('kinesis_iterator', 'clickstream-fn')
        self.assertEqual(r.code, 1, repr(r))
        # one cause, one finding: the failed batch is why the shard is stuck
        f, = [x for x in findings if x['severity'] == 'fail']
        self.assertIn('falls behind', f['title'])
        self.assertIn('LastProcessingResult PROBLEM: Function call failed', '\n'.join(f['evidence']))
        self.assertTrue(f['why'].startswith('the last batch failed (PROBLEM: Function call failed)'))
        self.assertRegex(f['title'], r'^Kinesis stream clicks \(mapping %s\) falls behind: '
                                     r'IteratorAge grew from ' % KINESIS_UUID)
        step, = f['fix']['plan']
        self.assertEqual(step['operation'], 'UpdateEventSourceMapping')
        self.assertEqual(step['params'], {'UUID': KINESIS_UUID, 'BisectBatchOnFunctionError': True,
                                          'MaximumRetryAttempts': 10})
        self.assertEqual(f['fix']['changes'], 'BisectBatchOnFunctionError false -> true, '
                                              'MaximumRetryAttempts -1 -> 10')
        self.assertEqual(f['data']['iterator_age_ms'], 2460000)
        self.assertTrue(f['data']['growing'])
        self.assertTrue(r.json()['verdict']['headline'].startswith(
            'Kinesis stream clicks falls behind: IteratorAge up to 2460 s; '), r.json()['verdict'])

    def test_event_sources_skips_a_function_without_mappings(self):
        r, findings = self.run_on('basic', 'vpc-fn')
        f, = findings
        self.assertEqual((f['severity'], f['title']),
                         ('skip', 'no event source mappings invoke the function'))

    def test_event_sources_denied_get_queue_attributes_names_it_and_the_rest_runs(self):
        faults = [{'kind': 'access_denied', 'service': 'sqs', 'operation': 'GetQueueAttributes'}]
        _, findings = self.run_on('sqs_visibility', 'orders-consumer', faults)
        errors = [f for f in findings if f['severity'] == 'error']
        self.assertTrue(errors, json.dumps(findings, indent=1))
        for e in errors:
            self.assertEqual(e['data']['permission'], 'sqs:GetQueueAttributes')
            self.assertIn('sqs:GetQueueAttributes', e['title'])
        self.only(findings, 'fail', 'poison message')
        self.only(findings, 'warn', 'is Disabled')
        self.assertFalse([f for f in findings if 'VisibilityTimeout' in f['title']])

    def test_event_sources_visibility_fix_applied_changes_the_queue(self):
        journal = os.path.join(self.dir, 'journal.jsonl')
        with fake_aws('sqs_visibility') as fake:
            r = self.rb(fake, '--yes', '--journal', journal, 'triage.lua', 'orders-consumer',
                        '--steps', 'event_sources', '--fix=event_sources', '--format', 'json',
                        timeout=180)
            self.assertIn(r.code, (0, 1), repr(r))
            q = self.rb(fake, 'call', 'sqs', 'GetQueueAttributes',
                        json.dumps({'QueueUrl': INBOX_URL, 'AttributeNames': ['VisibilityTimeout']}))
        findings = [f for s in r.json()['steps'] for f in s['findings']]
        f, = [f for f in findings if 'VisibilityTimeout' in f['title']]
        outcome = f['fix']['outcome']
        self.assertIn(outcome['status'], ('applied', 'verified'), json.dumps(outcome))
        self.assertTrue(all(c['ok'] for c in outcome['checks']), json.dumps(outcome))
        self.assertEqual(q.json()['Attributes'], {'VisibilityTimeout': '180'})


if __name__ == '__main__':
    unittest.main()
