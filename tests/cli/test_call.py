"""`runbook call` against the fake AWS: every protocol, errors, exit codes."""

import json
import unittest

from clitest import CliTestCase, fake_aws, run, base_env

CALLS = [
    # rest-json
    ('lambda', 'GetFunctionConfiguration', {'FunctionName': 'my-fn'},
     lambda r: r['FunctionArn'] == 'arn:aws:lambda:us-east-1:123456789012:function:my-fn'),
    ('lambda', 'ListFunctions', {},
     lambda r: sorted(f['FunctionName'] for f in r['Functions']) == ['my-fn', 'vpc-fn']),
    ('apigateway', 'GetRestApis', {}, lambda r: len(r['items']) >= 1),
    ('apigatewayv2', 'GetApis', {}, lambda r: len(r['Items']) >= 1),
    # json 1.1
    ('logs', 'DescribeLogGroups', {'logGroupNamePrefix': '/aws/lambda/'},
     lambda r: {'/aws/lambda/my-fn', '/aws/lambda/vpc-fn'} <=
     {g['logGroupName'] for g in r['logGroups']}),
    ('logs', 'FilterLogEvents', {'logGroupName': '/aws/lambda/my-fn', 'filterPattern': 'REPORT'},
     lambda r: r['events'] and all('REPORT' in e['message'] for e in r['events'])),
    # query
    ('iam', 'GetRole', {'RoleName': 'my-fn-role'},
     lambda r: r['Role']['RoleName'] == 'my-fn-role' and r['Role']['Arn'].startswith('arn:aws:iam::')),
    ('iam', 'ListAttachedRolePolicies', {'RoleName': 'my-fn-role'},
     lambda r: isinstance(r['AttachedPolicies'], list) and len(r['AttachedPolicies']) >= 1),
    ('sts', 'GetCallerIdentity', {}, lambda r: r['Account'] == '123456789012'),
    ('monitoring', 'ListMetrics', {'Namespace': 'AWS/Lambda'},
     lambda r: any(m['MetricName'] == 'Invocations' for m in r['Metrics'])),
    # ec2
    ('ec2', 'DescribeSubnets', {'SubnetIds': ['subnet-0a1b2c3d4e5f60001']},
     lambda r: r['Subnets'][0]['AvailableIpAddressCount'] == 243),
    ('ec2', 'DescribeVpcs', {}, lambda r: r['Vpcs'][0]['VpcId'] == 'vpc-0abc1234def567890'),
]


class CallTest(CliTestCase):

    def test_call_returns_data_for_every_protocol_and_every_request_is_signed(self):
        with fake_aws('basic') as fake:
            for service, op, params, check in CALLS:
                with self.subTest(op=op):
                    r = self.rb(fake, 'call', service, op, json.dumps(params))
                    self.assertOk(r)
                    self.assertTrue(check(r.json()), repr(r))
            self.assertAllSigned(fake)
            ops = {(q['service'], q['operation']) for q in fake.requests()}
            self.assertEqual(len(ops), len(CALLS))

    def test_metric_statistics_cross_the_query_protocol_with_typed_numbers(self):
        with fake_aws('basic') as fake:
            r = self.rb(fake, 'runbook_get_metric.lua')
            # script given by name is looked up in runbooks/: it does not exist
            self.assertEqual(r.code, 2, repr(r))
            script = self.write('m.lua', '''
                local now = runbook.now()
                local r = assert(aws.monitoring.GetMetricStatistics{
                  Namespace = "AWS/Lambda", MetricName = "Invocations",
                  Dimensions = {{Name = "FunctionName", Value = "my-fn"}},
                  StartTime = now - 3600, EndTime = now, Period = 300, Statistics = {"Sum"}})
                local total = 0
                for _, d in ipairs(r.Datapoints) do total = total + d.Sum end
                print(#r.Datapoints, math.type(r.Datapoints[1].Sum), total)
            ''')
            r = self.rb(fake, script)
            self.assertOk(r)
            count, kind, total = r.out.split()
            self.assertGreaterEqual(int(count), 10)
            self.assertIn(kind, ('integer', 'float'))  # a number, not an XML string
            self.assertGreater(float(total), 100)
            self.assertAllSigned(fake)

    def test_unknown_function_is_an_aws_error_with_exit_1_and_structured_json(self):
        with fake_aws('basic') as fake:
            r = self.rb(fake, 'call', 'lambda', 'GetFunctionConfiguration',
                        '{"FunctionName":"no-such-fn"}')
            self.assertEqual(r.code, 1, repr(r))
            first, rest = r.err.split('\n', 1)
            self.assertIn('ResourceNotFoundException', first)
            self.assertIn('no-such-fn', first)
            err = json.loads(rest)
            self.assertEqual(err['code'], 'ResourceNotFoundException')
            self.assertEqual(err['status'], 404)
            self.assertFalse(err['retryable'])
            self.assertTrue(err['request_id'])
            self.assertEqual(r.out, '')

    def test_unknown_operation_fails_before_sending_with_a_suggestion(self):
        with fake_aws('basic') as fake:
            r = self.rb(fake, 'call', 'lambda', 'GetFunctionConfig', '{"FunctionName":"x"}')
            self.assertEqual(r.code, 2, repr(r))
            self.assertIn('GetFunctionConfiguration', r.err)
            self.assertEqual(fake.requests(), [])

    def test_missing_required_parameter_fails_before_sending(self):
        with fake_aws('basic') as fake:
            r = self.rb(fake, 'call', 'lambda', 'GetFunctionConfiguration', '{}')
            self.assertEqual(r.code, 2, repr(r))
            self.assertIn("FunctionName", r.err.split('\n')[0])
            self.assertEqual(fake.requests(), [])

    def test_invalid_json_parameters_are_a_usage_error(self):
        with fake_aws('basic') as fake:
            r = self.rb(fake, 'call', 'lambda', 'ListFunctions', '{not json')
            self.assertEqual(r.code, 2, repr(r))
            self.assertEqual(len(r.err.strip().split('\n')), 1, repr(r))
            self.assertEqual(fake.requests(), [])

    def test_malformed_reply_is_a_clear_error_not_a_crash(self):
        faults = [{'service': 'lambda', 'kind': 'malformed'}]
        with fake_aws('basic', faults=faults) as fake:
            r = self.rb(fake, 'call', 'lambda', 'ListFunctions', AWS_MAX_ATTEMPTS='2')
            self.assertEqual(r.code, 1, repr(r))
            self.assertIn('MalformedResponse', r.err.split('\n')[0])

    def test_endpoint_url_flag_and_per_service_variable_win_over_the_global_one(self):
        dead = 'http://127.0.0.1:9'  # discard port: nothing listens there
        with fake_aws('basic') as fake:
            r = self.rb(fake, '--endpoint-url', fake.url, 'call', 'lambda', 'ListFunctions',
                        AWS_ENDPOINT_URL=dead)
            self.assertOk(r)
            r = self.rb(fake, 'call', 'lambda', 'ListFunctions', AWS_ENDPOINT_URL=dead,
                        AWS_ENDPOINT_URL_LAMBDA=fake.url)
            self.assertOk(r)
            r = self.rb(fake, 'call', 'iam', 'ListRoles', AWS_ENDPOINT_URL=dead,
                        AWS_ENDPOINT_URL_LAMBDA=fake.url, AWS_MAX_ATTEMPTS='1')
            self.assertEqual(r.code, 1, repr(r))
            self.assertIn('ConnectionError', r.err.split('\n')[0])
            self.assertAllSigned(fake)

    def test_unreachable_endpoint_is_retried_then_one_clear_line(self):
        with fake_aws('basic') as fake:
            r = self.rb(fake, 'call', 'lambda', 'ListFunctions',
                        AWS_ENDPOINT_URL='http://127.0.0.1:9', AWS_MAX_ATTEMPTS='2')
        self.assertEqual(r.code, 1, repr(r))
        first = r.err.split('\n')[0]
        self.assertIn('ConnectionError', first)
        self.assertIn('127.0.0.1:9', first)
        self.assertIn('after 2 attempts', first)

    def test_usage_errors_exit_2(self):
        env = base_env()
        for args in (['--region'], ['--bogus', 'x.lua'], [], ['call', 'lambda']):
            with self.subTest(args=args):
                r = run(args, env)
                self.assertEqual(r.code, 2, repr(r))
                self.assertTrue(r.err.startswith('runbook: ') or r.err.startswith('usage'), r.err)

    def test_help_and_version(self):
        r = run(['--help'], base_env())
        self.assertOk(r)
        self.assertIn('runbook [options] call SERVICE OPERATION', r.out)
        r = run(['--version'], base_env())
        self.assertOk(r)
        self.assertRegex(r.out,
                         r'^runbook \d+\.\d+\.\d+ \(git ([0-9a-f]{4,}(-dirty)?|unknown)\)\n$')


if __name__ == '__main__':
    unittest.main()
