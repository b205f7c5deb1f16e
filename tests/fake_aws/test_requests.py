"""Request checking against the models (missing/invalid/unknown parameters, unknown
operations) and the write handlers that mutate the world.
"""

import json
import unittest

from testlib import FakeTestCase

FORM = {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'}
FN_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:my-fn'


class Validation(FakeTestCase):
    def unchecked(self, service):
        """A client that skips botocore's own validation, like a buggy SDK would."""
        return self.client(service, parameter_validation=False)

    def test_missing_required_parameter_per_protocol(self):
        sts = self.unchecked('sts')
        self.assertAwsError(lambda: sts.assume_role(
            RoleArn='arn:aws:iam::123456789012:role/runbook-readonly'), 'ValidationError', 400,
            "^1 validation error detected: Value null at 'roleSessionName' failed to satisfy "
            "constraint: Member must not be null$")
        logs = self.unchecked('logs')
        self.assertAwsError(logs.filter_log_events, 'InvalidParameterException', 400,
                            "Value null at 'logGroupName'")
        lam = self.unchecked('lambda')
        self.assertAwsError(lambda: lam.put_function_concurrency(FunctionName='my-fn'),
                            'ValidationException', 400, "'reservedConcurrentExecutions'")
        ec2 = self.unchecked('ec2')
        self.assertAwsError(lambda: ec2.describe_network_interface_attribute(),
                            'MissingParameter', 400,
                            '^The request must contain the parameter NetworkInterfaceId$')

    def test_value_out_of_range_is_rejected(self):
        lam = self.unchecked('lambda')
        self.assertAwsError(lambda: lam.list_functions(MaxItems=100000), 'ValidationException',
                            400, 'Member must have value less than or equal to 10000')
        self.assertAwsError(lambda: lam.list_functions(MaxItems=0), 'ValidationException', 400,
                            'Member must have value greater than or equal to 1')

    def test_wrong_type_is_rejected(self):
        logs = self.unchecked('logs')
        self.assertAwsError(lambda: logs.describe_log_groups(limit='ten'),
                            'InvalidParameterException', 400)

    def test_unknown_query_parameter_is_rejected(self):
        body = b'Action=DescribeVpcs&Version=2016-11-15&VpcIdz.1=vpc-1'
        resp = self.raw('POST', '/', body, FORM, sign={'service': 'ec2'})
        self.assertEqual(resp.status, 400)
        self.assertIn('<Code>UnknownParameter</Code>', resp.text)
        body = b'Action=GetRole&Version=2010-05-08&RoleName=my-fn-role&Rolename=x'
        resp = self.raw('POST', '/', body, FORM, sign={'service': 'iam'})
        self.assertIn('<Code>ValidationError</Code>', resp.text)

    def test_nested_query_lists_and_maps_parse(self):
        body = (b'Action=DescribeSubnets&Version=2016-11-15&Filter.1.Name=vpc-id'
                b'&Filter.1.Value.1=vpc-0abc1234def567890&Filter.2.Name=tag%3AName'
                b'&Filter.2.Value.1=orders-private-%2A')
        resp = self.raw('POST', '/', body, FORM, sign={'service': 'ec2'})
        self.assertEqual(resp.status, 200, resp.text)
        self.assertEqual(resp.text.count('<subnetId>'), 2)
        params = self.last_request()['params']
        self.assertEqual(params['Filters'][1], {'Name': 'tag:Name',
                                                'Values': ['orders-private-*']})

    def test_unknown_operation_per_protocol(self):
        resp = self.raw('POST', '/', b'Action=DescribeUnicorns&Version=2010-05-08', FORM,
                        sign={'service': 'iam'})
        self.assertEqual(resp.status, 400)
        self.assertIn('<Code>InvalidAction</Code>', resp.text)
        resp = self.raw('POST', '/', b'Action=DescribeUnicorns&Version=2016-11-15', FORM,
                        sign={'service': 'ec2'})
        self.assertIn('The action DescribeUnicorns is not valid for this web service.',
                      resp.text)
        resp = self.raw('POST', '/', b'{}', {'X-Amz-Target': 'Logs_20140328.DescribeUnicorns',
                                             'Content-Type': 'application/x-amz-json-1.1'},
                        sign={'service': 'logs'})
        self.assertEqual((resp.status, resp.json()['__type']),
                         (400, 'com.amazon.coral.service#UnknownOperationException'))
        resp = self.raw('GET', '/2015-03-31/unicorns', sign={'service': 'lambda'})
        self.assertEqual((resp.status, resp.headers['x-amzn-ErrorType']),
                         (404, 'UnknownOperationException'))

    def test_wrong_api_version_is_invalid_action(self):
        resp = self.raw('POST', '/', b'Action=GetCallerIdentity&Version=2099-01-01', FORM,
                        sign={'service': 'sts'})
        self.assertEqual(resp.status, 400)
        self.assertIn('Could not find operation GetCallerIdentity for version 2099-01-01',
                      resp.text)

    def test_unhandled_valid_operation_is_an_unknown_operation_naming_it(self):
        # Never an empty 200 a test could pass on: AWS's unknown-operation answer, per protocol.
        lam = self.client('lambda')
        self.assertAwsError(lambda: lam.get_function_code_signing_config(FunctionName='my-fn'),
                            'UnknownOperationException', 404,
                            '^the fake AWS server does not implement '
                            'lambda:GetFunctionCodeSigningConfig ')
        logs = self.client('logs')
        self.assertAwsError(logs.describe_destinations, 'UnknownOperationException', 400,
                            'does not implement logs:DescribeDestinations ')
        iam = self.client('iam')
        self.assertAwsError(iam.list_users, 'InvalidAction', 400,
                            'does not implement iam:ListUsers ')
        ec2 = self.client('ec2')
        self.assertAwsError(ec2.describe_key_pairs, 'InvalidAction', 400,
                            'does not implement ec2:DescribeKeyPairs ')
        calls = [(r['operation'], r['status'], r['error_code']) for r in self.fake.requests()]
        self.assertIn(('ListUsers', 400, 'InvalidAction'), calls)

    def test_invalid_json_body_is_a_serialization_error(self):
        resp = self.raw('POST', '/', b'{not json', {'X-Amz-Target': 'Logs_20140328.'
                                                    'DescribeLogGroups'},
                        sign={'service': 'logs'})
        self.assertEqual(resp.status, 400)
        self.assertIn('SerializationException', resp.json()['__type'])


class LambdaWrites(FakeTestCase):
    shared = False

    def test_put_and_delete_function_concurrency(self):
        lam = self.client('lambda')
        lam.put_function_concurrency(FunctionName='my-fn', ReservedConcurrentExecutions=50)
        self.assertEqual(lam.get_function_concurrency(FunctionName='my-fn')
                         ['ReservedConcurrentExecutions'], 50)
        limits = lam.get_account_settings()['AccountLimit']
        self.assertEqual(limits['UnreservedConcurrentExecutions'], 950)
        self.assertEqual(lam.get_function(FunctionName='my-fn')['Concurrency']
                         ['ReservedConcurrentExecutions'], 50)
        lam.delete_function_concurrency(FunctionName='my-fn')
        self.assertNotIn('ReservedConcurrentExecutions',
                         lam.get_function_concurrency(FunctionName='my-fn'))

    def test_reserved_concurrency_cannot_starve_the_account(self):
        lam = self.client('lambda')
        self.assertAwsError(lambda: lam.put_function_concurrency(
            FunctionName='vpc-fn', ReservedConcurrentExecutions=950),
            'InvalidParameterValueException', 400, r'below its minimum value of \[100\]')

    def test_update_function_configuration_changes_what_get_returns(self):
        lam = self.client('lambda')
        before = lam.get_function_configuration(FunctionName='vpc-fn')
        out = lam.update_function_configuration(
            FunctionName='vpc-fn', Timeout=60, Environment={'Variables': {'A': '1'}},
            VpcConfig={'SubnetIds': ['subnet-0a1b2c3d4e5f60002'],
                       'SecurityGroupIds': ['sg-0123456789abcdef0']})
        self.assertEqual(out['LastUpdateStatus'], 'InProgress')
        after = lam.get_function_configuration(FunctionName='vpc-fn')
        self.assertEqual((after['Timeout'], after['Environment']['Variables']), (60, {'A': '1'}))
        self.assertEqual(after['VpcConfig']['SubnetIds'], ['subnet-0a1b2c3d4e5f60002'])
        self.assertEqual(after['LastUpdateStatus'], 'Successful')
        self.assertNotEqual(after['RevisionId'], before['RevisionId'])

    def test_stale_revision_id_is_a_precondition_failure(self):
        lam = self.client('lambda')
        self.assertAwsError(lambda: lam.update_function_configuration(
            FunctionName='my-fn', Timeout=10, RevisionId='00000000-0000-0000-0000-000000000000'),
            'PreconditionFailedException', 412)

    def test_add_permission_extends_the_policy(self):
        lam = self.client('lambda')
        out = lam.add_permission(FunctionName='my-fn', StatementId='allow-events',
                                 Action='lambda:InvokeFunction', Principal='events.amazonaws.com',
                                 SourceArn='arn:aws:events:us-east-1:123456789012:rule/nightly')
        statement = json.loads(out['Statement'])
        self.assertEqual(statement['Principal'], {'Service': 'events.amazonaws.com'})
        policy = json.loads(lam.get_policy(FunctionName='my-fn')['Policy'])
        self.assertEqual(policy['Statement'][-1]['Sid'], 'allow-events')
        self.assertAwsError(lambda: lam.add_permission(
            FunctionName='my-fn', StatementId='allow-events', Action='lambda:InvokeFunction',
            Principal='events.amazonaws.com'), 'ResourceConflictException', 409)

    def test_put_provisioned_concurrency_config(self):
        lam = self.client('lambda')
        out = lam.put_provisioned_concurrency_config(FunctionName='my-fn', Qualifier='live',
                                                     ProvisionedConcurrentExecutions=10)
        self.assertEqual(out['Status'], 'IN_PROGRESS')
        now = lam.get_provisioned_concurrency_config(FunctionName='my-fn', Qualifier='live')
        self.assertEqual(now['RequestedProvisionedConcurrentExecutions'], 10)
        self.assertAwsError(lambda: lam.put_provisioned_concurrency_config(
            FunctionName='my-fn', Qualifier='$LATEST', ProvisionedConcurrentExecutions=1),
            'InvalidParameterValueException', 400)

    def test_iam_put_role_policy_is_served_back(self):
        iam = self.client('iam')
        doc = {'Version': '2012-10-17', 'Statement': [
            {'Effect': 'Allow', 'Action': 'sqs:ReceiveMessage', 'Resource': '*'}]}
        iam.put_role_policy(RoleName='vpc-fn-role', PolicyName='queue',
                            PolicyDocument=json.dumps(doc))
        got = iam.get_role_policy(RoleName='vpc-fn-role', PolicyName='queue')
        self.assertEqual(got['PolicyDocument'], doc)
        self.assertAwsError(lambda: iam.put_role_policy(
            RoleName='vpc-fn-role', PolicyName='bad', PolicyDocument='{nope'),
            'MalformedPolicyDocument', 400)

    def test_world_endpoint_shows_mutations(self):
        self.client('lambda').put_function_concurrency(FunctionName='vpc-fn',
                                                       ReservedConcurrentExecutions=7)
        state = self.fake.world_state()
        self.assertEqual(state['lambda']['functions']['vpc-fn']['reserved_concurrency'], 7)


class ApiGatewayWrites(FakeTestCase):
    shared = False

    def test_update_stage_applies_method_settings_and_rejects_unknown_paths(self):
        apigw = self.client('apigateway')
        ops = [{'op': 'replace', 'path': '/*/*/logging/loglevel', 'value': 'INFO'},
               {'op': 'replace', 'path': '/*/*/logging/dataTrace', 'value': 'true'}]
        out = apigw.update_stage(restApiId='k8m2n4p6q0', stageName='prod', patchOperations=ops)
        self.assertEqual(out['methodSettings']['*/*']['loggingLevel'], 'INFO')
        self.assertIs(out['methodSettings']['*/*']['dataTraceEnabled'], True)
        self.assertEqual(apigw.get_stage(restApiId='k8m2n4p6q0', stageName='prod')
                         ['methodSettings']['*/*']['loggingLevel'], 'INFO')
        self.assertAwsError(lambda: apigw.update_stage(
            restApiId='k8m2n4p6q0', stageName='nope', patchOperations=ops),
            'NotFoundException', 404)
        self.assertAwsError(lambda: apigw.update_stage(
            restApiId='k8m2n4p6q0', stageName='prod',
            patchOperations=[{'op': 'replace', 'path': '/bogus', 'value': 'x'}]),
            'BadRequestException', 400, 'Invalid patch path /bogus')


if __name__ == '__main__':
    unittest.main()
