"""The errors step through the real binary: error signatures grouped and counted for
Python and Node.js functions, the top argument, handled errors, a missing log group (its
fix a plan with the policy ARN in the function's partition, or a skip when the metric has
no errors either), and no false alarm on a healthy function.

Worlds: tests/worlds/errors.json, healthy.json, and small worlds written per test.
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import StepTestCase, fake_aws, ROOT  # noqa: E402

CREDS = [{'access_key_id': 'AKIAIOSFODNN7EXAMPLE',
          'secret_access_key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'}]
ISO_EXAMPLE = r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z'


def metric(name, function, values):
    return {'Namespace': 'AWS/Lambda', 'MetricName': name, 'Unit': 'Count',
            'Dimensions': {'FunctionName': function},
            'series': {'start': '-50m', 'every': '5m', 'values': values}}


class ErrorsStepTest(StepTestCase):
    step = 'errors'

    def finding(self, world, function):
        """The step's one finding."""
        r, findings = self.run_world(world, function)
        self.assertEqual(len(findings), 1, findings)
        return r, findings[0]

    def test_errors_ranks_python_signatures_with_counts_locations_and_examples(self):
        r, f = self.finding('errors', 'checkout-handler')
        self.assertEqual(r.code, 1)
        self.assertEqual(f['severity'], 'fail')
        self.assertEqual(f['title'], "19 invocation errors in the last 1h (23.8% of 80), most "
                                     "often KeyError: 'shipping_address' (15)")
        sigs = f['data']['signatures']
        self.assertEqual([(s['signature'], s['count']) for s in sigs], [
            ("[ERROR] KeyError: 'shipping_address'", 15),
            ('[ERROR] payment declined for order <n>: card_declined', 6),
            ('[ERROR] ClientError: An error occurred (ConditionalCheckFailedException) when '
             'calling the PutItem operation: The conditional request failed', 4)])
        self.assertEqual(sigs[0]['where'], '/var/task/app.py:41 in handler')
        self.assertEqual(sigs[2]['where'], '/var/task/app.py:67 in handler')
        self.assertRegex(sigs[0]['example'], '^' + ISO_EXAMPLE + r" \[ERROR\] KeyError: "
                                             r"'shipping_address'$")
        self.assertRegex(sigs[1]['example'], r'^\[ERROR\] ' + ISO_EXAMPLE + r' [0-9a-f-]{36} '
                                             r'payment declined for order 55\d\d\d: card_declined$')
        ev = f['evidence']
        self.assertEqual(ev[0], 'CloudWatch Errors 19 of 80 invocations (23.8%)')
        self.assertEqual(ev[1], '25 error lines in 402 log events, 3 distinct signatures')
        self.assertRegex(ev[2], r"^15x \[ERROR\] KeyError: 'shipping_address', first " + ISO_EXAMPLE
                         + ', last ' + ISO_EXAMPLE + r' \(at /var/task/app.py:41 in handler\)$')
        self.assertRegex(ev[-1], r'^function last modified ' + ISO_EXAMPLE + r', \d+ min before '
                                 r'the first error line$')
        self.assertEqual(f['fix']['commands'], [
            "aws logs tail /aws/lambda/checkout-handler --since 1h --filter-pattern "
            "'\"KeyError\"' --format short"])
        self.assertIn('raised at /var/task/app.py:41 in handler', f['fix']['explain'])
        self.assertEqual(f['data']['errors_metric'], 19)
        self.assertEqual(f['data']['invocations'], 80)

    def test_errors_reads_nodejs_invoke_errors_by_error_type_and_message(self):
        r, f = self.finding('errors', 'notify-worker')
        self.assertEqual(f['severity'], 'fail')
        sigs = f['data']['signatures']
        self.assertEqual([(s['signature'], s['count']) for s in sigs], [
            ("TypeError: Cannot read properties of undefined (reading 'email')", 9),
            ('[ERROR] SES send failed, will retry: ThrottlingException: Maximum sending rate '
             'exceeded.', 3)])
        self.assertEqual(sigs[0]['where'], '/var/task/index.mjs:18:31')
        self.assertEqual(f['fix']['commands'], [
            "aws logs tail /aws/lambda/notify-worker --since 1h --filter-pattern "
            "'\"TypeError\"' --format short"])
        self.assertEqual(f['data']['errors_metric'], 9)

    def test_errors_top_argument_from_the_runbook_limits_the_signatures(self):
        script = self.write('triage.lua', 'local engine = require("triage.engine")\n'
                            'return engine.main({ { "errors", top = 1 } }, ...)\n')
        with fake_aws('errors') as fake:
            r = self.rb(fake, script, 'checkout-handler', '--format', 'json')
        f = self.only(r.json()['steps'][0]['findings'], 'fail', '')
        self.assertEqual(len(f['data']['signatures']), 1)
        self.assertIn('and 2 more signatures (10 lines)', f['evidence'])

    def test_errors_counts_hold_when_the_log_comes_in_many_pages(self):
        with open(os.path.join(ROOT, 'tests', 'worlds', 'errors.json')) as fh:
            world = json.load(fh)
        world['logs']['filter_page_size'] = 25
        path = self.write('paged.json', json.dumps(world))
        with fake_aws(path) as fake:
            r = self.rb(fake, 'triage.lua', 'checkout-handler', '--steps', 'errors',
                        '--format', 'json')
            pages = [q for q in fake.requests() if q.get('operation') == 'FilterLogEvents']
        self.assertGreater(len(pages), 402 // 25, pages)
        f = r.json()['steps'][0]['findings'][0]
        self.assertEqual(f['evidence'][1], '25 error lines in 402 log events, 3 distinct signatures')
        self.assertEqual([s['count'] for s in f['data']['signatures']], [15, 6, 4])

    def test_errors_counts_failed_invocations_from_the_logs_when_the_metric_is_empty(self):
        with open(os.path.join(ROOT, 'tests', 'worlds', 'timeout.json')) as fh:
            world = json.load(fh)
        del world['cloudwatch']
        r, f = self.finding(world, 'report-builder')
        self.assertEqual(f['severity'], 'fail')
        self.assertEqual(f['title'], '12 invocation errors in the last 1h (10% of 120, from the '
                                     'logs), most often Task timed out after 3.00 seconds (12)')
        self.assertEqual(f['evidence'][0], 'CloudWatch Errors metric has no datapoints in the '
                                           'window: failures counted from the logs')
        self.assertEqual(f['fix']['commands'], [
            "aws logs tail /aws/lambda/report-builder --since 1h --filter-pattern "
            "'\"Task timed out after\"' --format short"])

    def test_errors_handled_error_lines_without_failed_invocations_warn(self):
        events = []
        for i in range(3):
            events.append({'timestamp': '-%dm' % (40 - 10 * i),
                           'message': '{iso}\t7d3f%04x-1a2b-4c3d-8e4f-5a6b7c8d9e0f\tERROR\t'
                                      'cache miss storm, falling back to DynamoDB: Redis '
                                      'TimeoutError after 250ms\n' % i})
        world = {'description': 'handled errors only', 'credentials': CREDS,
                 'lambda': {'functions': {'catalog-api': {'configuration': {'Runtime': 'nodejs22.x'}}}},
                 'logs': {'log_groups': {'/aws/lambda/catalog-api': {'streams': {
                     '{date}/[$LATEST]5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b': events}}}},
                 'cloudwatch': {'metrics': [metric('Errors', 'catalog-api', [0] * 10),
                                            metric('Invocations', 'catalog-api', [40] * 10)]}}
        r, f = self.finding(world, 'catalog-api')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual(f['severity'], 'warn')
        self.assertEqual(f['title'], '3 error lines in the last 1h, no failed invocations, most '
                                     'often cache miss storm, falling back to DynamoDB: Redis '
                                     'TimeoutError after 250ms (3)')
        self.assertEqual(f['fix']['commands'], [
            "aws logs tail /aws/lambda/catalog-api --since 1h --filter-pattern "
            "'\"cache miss storm, falling back\"' --format short"])

    def test_errors_metric_without_a_log_group_points_at_the_role(self):
        world = {'description': 'no log group', 'credentials': CREDS,
                 'lambda': {'functions': {'ghost-fn': {'configuration': {
                     'Runtime': 'python3.12',
                     'Role': 'arn:aws:iam::123456789012:role/ghost-fn-role'}}}},
                 'cloudwatch': {'metrics': [metric('Errors', 'ghost-fn', [0, 2, 1, 0, 3]),
                                            metric('Invocations', 'ghost-fn', [4, 5, 3, 6, 4])]}}
        r, f = self.finding(world, 'ghost-fn')
        self.assertEqual(f['severity'], 'warn')
        self.assertEqual(f['title'], '6 errors in the Errors metric but no log group '
                                     '/aws/lambda/ghost-fn')
        self.assertEqual(f['fix']['commands'], [
            'aws iam attach-role-policy --role-name ghost-fn-role --policy-arn '
            'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'])
        (step,) = f['fix']['plan']
        self.assertEqual((step['service'], step['operation']), ('iam', 'AttachRolePolicy'))
        self.assertEqual(step['params'], {'RoleName': 'ghost-fn-role', 'PolicyArn': (
            'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')})
        self.assertEqual(step['undo']['operation'], 'DetachRolePolicy')
        (verify,) = f['fix']['verify']
        self.assertEqual((verify['read']['operation'], verify['op']),
                         ('ListAttachedRolePolicies', 'contains'))
        # a path a fresh reply can be judged by (fix.plan.at_path maps [] over the list)
        self.assertEqual(verify['path'], 'AttachedPolicies[].PolicyArn')
        self.assertNotIn('manual', f['fix'])

    def test_errors_builds_the_policy_arn_in_the_functions_partition(self):
        world = {'description': 'no log group in aws-cn', 'credentials': CREDS,
                 'region': 'cn-north-1',
                 'lambda': {'functions': {'ghost-fn': {'configuration': {
                     'Runtime': 'python3.12',
                     'FunctionArn': 'arn:aws-cn:lambda:cn-north-1:123456789012:function:ghost-fn',
                     'Role': 'arn:aws-cn:iam::123456789012:role/ghost-fn-role'}}}},
                 'cloudwatch': {'metrics': [metric('Errors', 'ghost-fn', [0, 2, 1, 0, 3])]}}
        r, f = self.finding(world, 'ghost-fn')
        self.assertEqual(f['fix']['commands'], [
            'aws iam attach-role-policy --role-name ghost-fn-role --policy-arn '
            'arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'])

    def test_errors_does_not_apply_without_a_log_group_or_errors(self):
        world = {'description': 'no log group, no errors', 'credentials': CREDS,
                 'lambda': {'functions': {'idle-fn': {'configuration': {'Runtime': 'python3.12'}}}},
                 'cloudwatch': {'metrics': [metric('Errors', 'idle-fn', [0, 0, 0])]}}
        r, f = self.finding(world, 'idle-fn')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual((f['severity'], f['title']), ('skip', 'no log group /aws/lambda/idle-fn'))

    def test_errors_healthy_function_gets_no_alarm(self):
        r, f = self.finding('healthy', 'orders-api')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual(f['severity'], 'ok')
        self.assertEqual(f['title'], 'no errors in the last 1h (88 invocations)')
        self.assertEqual(f['data']['error_lines'], 0)
        self.assertEqual(f['data']['errors_metric'], 0)


if __name__ == '__main__':
    unittest.main()
