"""The unavailable step through the real binary: 503/500/throttling answers to the
function's AWS SDK calls in boto3, JavaScript v3, Java v2 and Go v2 wording, grouped by
the service that answered; retry settings by name only; no false alarm when healthy.

Worlds: tests/worlds/unavailable.json (orders-writer, notify-fn, ledger-java,
reconcile-go, new-fn), throttle.json (image-resize-fn's S3 SlowDown), basic.json,
healthy.json.

The retry settings are advice, not a command: UpdateFunctionConfiguration's Environment
replaces every variable, and a plan that merged them would have to show their values.
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import StepTestCase, fake_aws  # noqa: E402


class UnavailableStepTest(StepTestCase):

    step = 'unavailable'

    def triage(self, world, function):
        with fake_aws(world) as fake:
            return super().triage(fake, function)

    def by_service(self, findings):
        return {f['data']['service']: f for f in findings if f.get('data', {}).get('service')}

    def test_unavailable_groups_boto3_errors_by_target_service(self):
        r, findings = self.triage('unavailable', 'orders-writer')
        self.assertEqual(r.code, 1, repr(r))
        got = self.by_service(findings)
        self.assertEqual(sorted(got), ['dynamodb', 'firehose'])
        f = got['dynamodb']
        self.assertEqual(f['severity'], 'fail')
        self.assertEqual(f['title'], 'dynamodb: 15 SDK calls failed with ServiceUnavailable (503) '
                                     '/ InternalServerError (500) on PutItem, Query in the last 1h')
        ev = '\n'.join(f['evidence'])
        self.assertRegex(ev, r'15 failed dynamodb calls in the last 1h: 12 x ServiceUnavailable '
                             r'\(503\), 3 x InternalServerError \(500\); first at \d{4}-\d\d-\d\dT'
                             r'\d\d:\d\d:\d\dZ, last at \d{4}-')
        self.assertIn("the SDK gave up after 4 retries ('reached max retries: 4')", ev)
        self.assertRegex(ev, r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[ERROR\] ClientError: An error '
                             r'occurred \(ServiceUnavailable\) when calling the PutItem operation '
                             r'\(reached max retries: 4\): Service Unavailable')
        self.assertIn('botocore.errorfactory.InternalServerError: An error occurred '
                      '(InternalServerError) when calling the Query operation', ev)
        self.assertIn('no AWS_RETRY_MODE or AWS_MAX_ATTEMPTS in the configuration', ev)
        self.assertEqual(f['data']['errors'], 15)
        self.assertEqual(f['data']['codes'], {'ServiceUnavailable (503)': 12,
                                              'InternalServerError (500)': 3})
        self.assertEqual(f['data']['retries'], 4)
        # backoff with jitter, as the guide shows; the retry settings are advice naming
        # the existing variables (never their values), not a command or a plan
        fix = f['fix']
        self.assertIn('exponential backoff and jitter', fix['explain'])
        self.assertIn("Config(retries={'max_attempts': 5, 'mode': 'adaptive'})", fix['explain'])
        self.assertIn('set AWS_RETRY_MODE=adaptive and AWS_MAX_ATTEMPTS=5 where the function is '
                      'deployed', fix['explain'])
        self.assertEqual(fix['commands'], [])
        self.assertNotIn('plan', fix)
        self.assertIn('replaces every variable', fix['changes'])
        self.assertIn('AUDIT_DELIVERY_STREAM, LOG_LEVEL, TABLE_NAME', fix['changes'])
        self.assertNotIn('orders-audit', r.out)  # a variable's value never appears
        self.assertNotIn('/tmp/', r.out)

        g = got['firehose']
        self.assertEqual(g['severity'], 'warn')
        self.assertEqual(g['title'], 'firehose: 4 SDK calls failed with ServiceUnavailableException '
                                     '(503) on PutRecordBatch in the last 1h')

    def test_unavailable_reads_javascript_v3_errors_and_only_names_retry_settings(self):
        r, findings = self.triage('unavailable', 'notify-fn')
        got = self.by_service(findings)
        self.assertEqual(sorted(got), ['s3', 'sns'])
        self.assertEqual(got['sns']['title'], 'sns: 5 SDK calls failed with Throttling (400) in '
                                              'the last 1h')
        self.assertEqual(got['s3']['title'], 's3: 3 SDK calls failed with InternalError (500) in '
                                             'the last 1h')
        self.assertEqual(got['s3']['severity'], 'warn')
        ev = '\n'.join(got['s3']['evidence'])
        self.assertIn('the SDK gave up after 3 attempts', ev)
        self.assertIn('retry settings in the configuration: AWS_RETRY_MODE and AWS_MAX_ATTEMPTS '
                      'set (values not shown)', ev)
        # a quoted line is its first line with tabs as spaces (lib.text.quote)
        self.assertRegex(ev, r' ERROR Invoke Error  \{"errorType":"InternalError"')
        self.assertEqual(got['s3']['fix']['commands'], [])
        self.assertIn('already set', got['s3']['fix']['explain'])
        self.assertNotIn('hooks.slack.com', r.out)
        self.assertNotIn('AWS_RETRY_MODE=standard', r.out)

    def test_unavailable_reads_java_v2_and_go_v2_wordings(self):
        r, findings = self.triage('unavailable', 'ledger-java')
        f = self.by_service(findings)['dynamodb']
        self.assertEqual(f['severity'], 'fail')
        self.assertEqual(f['data']['codes'], {'Service Unavailable (503)': 8,
                                              'ProvisionedThroughputExceededException (400)': 3})
        self.assertEqual(f['data']['operations'], {'PutItem': 11})
        self.assertIn('software.amazon.awssdk.services.dynamodb.model.DynamoDbException: Service '
                      'Unavailable (Service: DynamoDb, Status Code: 503, Request ID: ',
                      '\n'.join(f['evidence']))

        r, findings = self.triage('unavailable', 'reconcile-go')
        f = self.by_service(findings)['secretsmanager']
        self.assertEqual(f['title'], 'secretsmanager: 2 SDK calls failed with InternalServiceError '
                                     '(500) on GetSecretValue in the last 1h')
        self.assertEqual(f['data']['attempts'], 3)

    def test_unavailable_counts_s3_slowdown_from_the_throttle_world(self):
        r, findings = self.triage('throttle', 'image-resize-fn')
        f = self.by_service(findings)['s3']
        self.assertEqual(f['title'], 's3: 2 SDK calls failed with SlowDown (503) in the last 1h')

    def test_unavailable_does_not_apply_to_a_function_that_never_logged(self):
        r, findings = self.triage('unavailable', 'new-fn')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual([f['severity'] for f in findings], ['skip'],
                         json.dumps(findings, indent=1))
        self.assertEqual(findings[0]['title'],
                         'no log group /aws/lambda/new-fn: the function has not logged')

    def test_unavailable_healthy_functions_get_no_alarm(self):
        for world, function in (('basic', 'my-fn'), ('basic', 'vpc-fn'),
                                ('healthy', 'orders-api')):
            with self.subTest(function=function):
                r, findings = self.triage(world, function)
                self.assertEqual(r.code, 0, repr(r))
                self.assertEqual([f['severity'] for f in findings], ['ok'],
                                 json.dumps(findings, indent=1))
                self.assertRegex(findings[0]['title'], r'^no ServiceUnavailable, 5xx or throttling '
                                                       r'errors from AWS SDK calls in the last 1h')


if __name__ == '__main__':
    unittest.main()
