"""The fake's read handlers, driven by real botocore clients for all eight services.

Each test makes a call the way an AWS SDK does and asserts on the data botocore parsed
out of the fake's answer, proving request parsing and response serialization follow
the real protocols (rest-json, json 1.1, query, ec2). Run with /usr/bin/python3.
"""

import datetime
import json
import re
import unittest

from testlib import ACCOUNT, KEY, SECRET, FakeTestCase

FN_ARN = 'arn:aws:lambda:us-east-1:%s:function:my-fn' % ACCOUNT


def _hour_window():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now - datetime.timedelta(hours=2), now + datetime.timedelta(minutes=1)


class LambdaReads(FakeTestCase):
    def test_get_function_configuration_returns_the_world_function(self):
        cfg = self.client('lambda').get_function_configuration(FunctionName='my-fn')
        self.assertEqual(cfg['FunctionArn'], FN_ARN)
        self.assertEqual((cfg['Timeout'], cfg['MemorySize']), (30, 512))
        self.assertEqual(cfg['Environment']['Variables']['TABLE_NAME'], 'orders')
        self.assertEqual(cfg['Layers'][0]['CodeSize'], 183201)
        self.assertEqual((cfg['State'], cfg['LastUpdateStatus']), ('Active', 'Successful'))
        self.assertRegex(cfg['LastModified'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$')

    def test_vpc_function_reports_the_vpc_of_its_subnets(self):
        cfg = self.client('lambda').get_function_configuration(FunctionName='vpc-fn')
        self.assertEqual(cfg['VpcConfig']['VpcId'], 'vpc-0abc1234def567890')
        self.assertEqual(cfg['VpcConfig']['SecurityGroupIds'], ['sg-0123456789abcdef0'])

    def test_function_arn_and_alias_qualifier_resolve_to_the_published_version(self):
        cfg = self.client('lambda').get_function_configuration(FunctionName=FN_ARN,
                                                               Qualifier='live')
        self.assertEqual(cfg['Version'], '7')
        self.assertEqual(cfg['FunctionArn'], FN_ARN + ':live')

    def test_missing_function_is_404_naming_its_arn(self):
        lam = self.client('lambda')
        err = self.assertAwsError(lambda: lam.get_function_configuration(FunctionName='nope'),
                                  'ResourceNotFoundException', 404)
        self.assertEqual(err['Error']['Message'], 'Function not found: arn:aws:lambda:'
                         'us-east-1:123456789012:function:nope')
        self.assertEqual(err['ResponseMetadata']['HTTPHeaders']['x-amzn-errortype'],
                         'ResourceNotFoundException')

    def test_get_policy_returns_the_resource_policy_as_a_json_string(self):
        policy = json.loads(self.client('lambda').get_policy(FunctionName='my-fn')['Policy'])
        sids = [s['Sid'] for s in policy['Statement']]
        self.assertEqual(sids, ['orders-rest-api-invoke', 'orders-http-api-invoke'])

    def test_function_without_policy_is_resource_not_found(self):
        lam = self.client('lambda')
        self.assertAwsError(lambda: lam.get_policy(FunctionName='vpc-fn'),
                            'ResourceNotFoundException', 404,
                            '^The resource you requested does not exist.$')

    def test_account_settings_compute_unreserved_concurrency(self):
        out = self.client('lambda').get_account_settings()
        self.assertEqual(out['AccountLimit']['ConcurrentExecutions'], 1000)
        self.assertEqual(out['AccountLimit']['UnreservedConcurrentExecutions'], 1000)
        self.assertEqual(out['AccountUsage']['FunctionCount'], 2)

    def test_provisioned_concurrency_routes_by_query_literal(self):
        lam = self.client('lambda')
        listed = lam.list_provisioned_concurrency_configs(FunctionName='my-fn')
        self.assertEqual(listed['ProvisionedConcurrencyConfigs'][0]['FunctionArn'],
                         FN_ARN + ':live')
        one = lam.get_provisioned_concurrency_config(FunctionName='my-fn', Qualifier='live')
        self.assertEqual((one['Status'], one['AllocatedProvisionedConcurrentExecutions']),
                         ('READY', 5))

    def test_list_functions_paginates_with_marker(self):
        lam = self.client('lambda')
        first = lam.list_functions(MaxItems=1)
        second = lam.list_functions(MaxItems=1, Marker=first['NextMarker'])
        self.assertEqual([first['Functions'][0]['FunctionName'],
                          second['Functions'][0]['FunctionName']], ['my-fn', 'vpc-fn'])
        self.assertNotIn('NextMarker', second)

    def test_event_source_mappings_filter_by_function(self):
        out = self.client('lambda').list_event_source_mappings(FunctionName='my-fn')
        self.assertEqual(out['EventSourceMappings'][0]['EventSourceArn'],
                         'arn:aws:sqs:us-east-1:123456789012:orders-queue')


class EventInvokeConfigs(FakeTestCase):
    world = {'credentials': [{'access_key_id': KEY, 'secret_access_key': SECRET}],
             'lambda': {'functions': {
                 'async-fn': {'configuration': {}, 'aliases': {'live': {}},
                              'event_invoke_configs': {
                                  '': {'MaximumRetryAttempts': 1, 'DestinationConfig': {
                                      'OnFailure': {'Destination': 'arn:aws:sqs:us-east-1:%s:dlq'
                                                    % ACCOUNT}}}}},
                 'plain-fn': {'configuration': {}}}}}

    def test_event_invoke_config_of_latest_with_defaults(self):
        out = self.client('lambda').get_function_event_invoke_config(FunctionName='async-fn')
        self.assertEqual(out['FunctionArn'], 'arn:aws:lambda:us-east-1:%s:function:async-fn:'
                         '$LATEST' % ACCOUNT)
        self.assertEqual(out['MaximumRetryAttempts'], 1)
        self.assertTrue(out['DestinationConfig']['OnFailure']['Destination'].endswith(':dlq'))
        self.assertIsInstance(out['LastModified'], datetime.datetime)

    def test_function_or_qualifier_without_one_is_resource_not_found(self):
        lam = self.client('lambda')
        self.assertAwsError(lambda: lam.get_function_event_invoke_config(FunctionName='plain-fn'),
                            'ResourceNotFoundException', 404,
                            "^The function arn:aws:lambda:us-east-1:%s:function:plain-fn:"
                            "\\$LATEST doesn't have an EventInvokeConfig$" % ACCOUNT)
        self.assertAwsError(lambda: lam.get_function_event_invoke_config(
            FunctionName='async-fn', Qualifier='live'), 'ResourceNotFoundException', 404)
        self.assertAwsError(lambda: lam.get_function_event_invoke_config(FunctionName='nope'),
                            'ResourceNotFoundException', 404, '^Function not found')


class IamAndStsReads(FakeTestCase):
    def test_get_role_decodes_to_the_trust_policy(self):
        role = self.client('iam').get_role(RoleName='my-fn-role')['Role']
        self.assertEqual(role['Arn'], 'arn:aws:iam::123456789012:role/my-fn-role')
        principal = role['AssumeRolePolicyDocument']['Statement'][0]['Principal']
        self.assertEqual(principal, {'Service': 'lambda.amazonaws.com'})

    def test_attached_managed_policy_document_is_served(self):
        iam = self.client('iam')
        attached = iam.list_attached_role_policies(RoleName='my-fn-role')['AttachedPolicies']
        arn = attached[0]['PolicyArn']
        self.assertEqual(attached[0]['PolicyName'], 'AWSLambdaBasicExecutionRole')
        version = iam.get_policy(PolicyArn=arn)['Policy']['DefaultVersionId']
        doc = iam.get_policy_version(PolicyArn=arn, VersionId=version)['PolicyVersion']
        self.assertIn('logs:PutLogEvents', doc['Document']['Statement'][0]['Action'])

    def test_inline_policies_are_listed_and_served(self):
        iam = self.client('iam')
        names = iam.list_role_policies(RoleName='my-fn-role')['PolicyNames']
        self.assertEqual(names, ['orders-table-access'])
        doc = iam.get_role_policy(RoleName='my-fn-role', PolicyName=names[0])
        self.assertEqual(doc['PolicyDocument']['Statement'][0]['Resource'],
                         'arn:aws:dynamodb:us-east-1:123456789012:table/orders')

    def test_missing_role_is_no_such_entity(self):
        iam = self.client('iam')
        self.assertAwsError(lambda: iam.get_role(RoleName='ghost'), 'NoSuchEntity', 404,
                            '^The role with name ghost cannot be found.$')

    def test_simulate_principal_policy_allows_and_denies(self):
        out = self.client('iam').simulate_principal_policy(
            PolicySourceArn='arn:aws:iam::123456789012:role/my-fn-role',
            ActionNames=['logs:PutLogEvents', 'dynamodb:DeleteItem'])
        decisions = [r['EvalDecision'] for r in out['EvaluationResults']]
        self.assertEqual(decisions, ['allowed', 'implicitDeny'])

    def test_get_caller_identity_names_the_signing_user(self):
        out = self.client('sts').get_caller_identity()
        self.assertEqual((out['Account'], out['Arn']),
                         (ACCOUNT, 'arn:aws:iam::123456789012:user/runbook-tester'))


class LogsReads(FakeTestCase):
    GROUP = '/aws/lambda/my-fn'

    def test_describe_log_groups_by_prefix(self):
        groups = self.client('logs').describe_log_groups(
            logGroupNamePrefix='/aws/lambda/')['logGroups']
        self.assertEqual([g['logGroupName'] for g in groups],
                         ['/aws/lambda/my-fn', '/aws/lambda/vpc-fn'])
        self.assertEqual(groups[0]['retentionInDays'], 14)

    def test_describe_log_streams_names_todays_stream(self):
        streams = self.client('logs').describe_log_streams(
            logGroupName=self.GROUP, orderBy='LastEventTime', descending=True)['logStreams']
        self.assertRegex(streams[0]['logStreamName'],
                         r'^\d{4}/\d\d/\d\d/\[\$LATEST\]8f2b1c4d5e6f47a8b9c0d1e2f3a4b5c6$')
        self.assertGreater(streams[0]['lastEventTimestamp'], streams[0]['firstEventTimestamp'])

    def test_filter_or_pattern_matches_either_term(self):
        events = self.client('logs').filter_log_events(
            logGroupName=self.GROUP, filterPattern='?REPORT ?INIT_START')['events']
        kinds = [e['message'].split(' ')[0] for e in events]
        self.assertEqual(kinds, ['INIT_START', 'REPORT', 'REPORT', 'REPORT'])

    def test_filter_quoted_phrase_and_time_window(self):
        logs = self.client('logs')
        now_ms = int(datetime.datetime.now().timestamp() * 1000)
        events = logs.filter_log_events(logGroupName=self.GROUP,
                                        filterPattern='"Init Duration"')['events']
        self.assertEqual(len(events), 1)
        recent = logs.filter_log_events(logGroupName=self.GROUP, filterPattern='REPORT',
                                        startTime=now_ms - 30 * 60 * 1000)['events']
        self.assertEqual(len(recent), 2)

    def test_filter_paginates_with_next_token(self):
        logs = self.client('logs')
        seen, token = [], None
        while True:
            kwargs = {'nextToken': token} if token else {}
            out = logs.filter_log_events(logGroupName=self.GROUP, limit=5, **kwargs)
            seen += out['events']
            token = out.get('nextToken')
            if not token:
                break
        self.assertEqual(len(seen), 13)
        self.assertEqual(len({e['eventId'] for e in seen}), 13)

    def test_get_log_events_from_head(self):
        logs = self.client('logs')
        stream = logs.describe_log_streams(logGroupName=self.GROUP)['logStreams'][0]
        out = logs.get_log_events(logGroupName=self.GROUP, limit=2, startFromHead=True,
                                  logStreamName=stream['logStreamName'])
        self.assertTrue(out['events'][0]['message'].startswith('INIT_START'))
        self.assertTrue(out['nextForwardToken'].startswith('f/'))

    def test_missing_log_group_uses_the_service_wording(self):
        logs = self.client('logs')
        self.assertAwsError(lambda: logs.filter_log_events(logGroupName='/aws/lambda/nope'),
                            'ResourceNotFoundException', 400,
                            '^The specified log group does not exist.$')


class CloudWatchReads(FakeTestCase):
    DIMS = [{'Name': 'FunctionName', 'Value': 'my-fn'}]

    def test_get_metric_statistics_sums_the_series(self):
        start, end = _hour_window()
        out = self.client('cloudwatch').get_metric_statistics(
            Namespace='AWS/Lambda', MetricName='Invocations', Dimensions=self.DIMS,
            StartTime=start, EndTime=end, Period=300, Statistics=['Sum'])
        self.assertEqual(sum(p['Sum'] for p in out['Datapoints']), 192)
        self.assertEqual(out['Datapoints'][0]['Unit'], 'Count')

    def test_extended_statistics_compute_percentiles(self):
        start, end = _hour_window()
        out = self.client('cloudwatch').get_metric_statistics(
            Namespace='AWS/Lambda', MetricName='Duration', Dimensions=self.DIMS,
            StartTime=start, EndTime=end, Period=60, ExtendedStatistics=['p99', 'p50'])
        p99 = max(p['ExtendedStatistics']['p99'] for p in out['Datapoints'])
        self.assertAlmostEqual(p99, 102.35)

    def test_statistics_are_required(self):
        start, end = _hour_window()
        cw = self.client('cloudwatch')
        self.assertAwsError(lambda: cw.get_metric_statistics(
            Namespace='AWS/Lambda', MetricName='Errors', StartTime=start, EndTime=end,
            Period=60), 'InvalidParameterCombination', 400)

    def test_get_metric_data_returns_aligned_series(self):
        start, end = _hour_window()
        out = self.client('cloudwatch').get_metric_data(StartTime=start, EndTime=end,
                                                        MetricDataQueries=[{
            'Id': 'errors', 'MetricStat': {'Metric': {
                'Namespace': 'AWS/Lambda', 'MetricName': 'Errors', 'Dimensions': self.DIMS},
                'Period': 300, 'Stat': 'Sum'}}])
        result = out['MetricDataResults'][0]
        self.assertEqual(len(result['Timestamps']), len(result['Values']))
        self.assertEqual(len(result['Values']), 12)
        self.assertGreater(result['Timestamps'][0], result['Timestamps'][-1])

    def test_list_metrics_filters_by_dimension(self):
        metrics = self.client('cloudwatch').list_metrics(
            Namespace='AWS/Lambda', Dimensions=[{'Name': 'FunctionName', 'Value': 'vpc-fn'}])
        self.assertEqual(sorted(m['MetricName'] for m in metrics['Metrics']),
                         ['Errors', 'Invocations'])


class Ec2Reads(FakeTestCase):
    def test_describe_subnets_reports_free_addresses(self):
        subnets = self.client('ec2').describe_subnets(
            SubnetIds=['subnet-0a1b2c3d4e5f60001'])['Subnets']
        self.assertEqual(subnets[0]['AvailableIpAddressCount'], 243)
        self.assertEqual(subnets[0]['VpcId'], 'vpc-0abc1234def567890')

    def test_network_interface_filters_with_wildcards(self):
        ec2 = self.client('ec2')
        by_desc = ec2.describe_network_interfaces(Filters=[
            {'Name': 'description', 'Values': ['AWS Lambda VPC ENI-vpc-fn-*']}])
        self.assertEqual(len(by_desc['NetworkInterfaces']), 2)
        by_group = ec2.describe_network_interfaces(Filters=[
            {'Name': 'group-id', 'Values': ['sg-0123456789abcdef0']},
            {'Name': 'subnet-id', 'Values': ['subnet-0a1b2c3d4e5f60002']},
            {'Name': 'attachment.status', 'Values': ['attached']}])
        self.assertEqual([n['NetworkInterfaceId'] for n in by_group['NetworkInterfaces']],
                         ['eni-0a1b2c3d4e5f60002'])
        self.assertEqual(by_group['NetworkInterfaces'][0]['Groups'][0]['GroupName'],
                         'vpc-fn-sg')

    def test_route_table_for_a_subnet_has_the_nat_route(self):
        tables = self.client('ec2').describe_route_tables(Filters=[
            {'Name': 'association.subnet-id', 'Values': ['subnet-0a1b2c3d4e5f60001']}])
        routes = tables['RouteTables'][0]['Routes']
        self.assertIn('nat-0f1e2d3c4b5a69788', [r.get('NatGatewayId') for r in routes])

    def test_nat_and_internet_gateways_and_endpoints(self):
        ec2 = self.client('ec2')
        nat = ec2.describe_nat_gateways(Filter=[
            {'Name': 'vpc-id', 'Values': ['vpc-0abc1234def567890']}])['NatGateways']
        self.assertEqual(nat[0]['State'], 'available')
        igw = ec2.describe_internet_gateways(Filters=[
            {'Name': 'attachment.vpc-id', 'Values': ['vpc-0abc1234def567890']}])
        self.assertEqual(igw['InternetGateways'][0]['InternetGatewayId'],
                         'igw-0a9b8c7d6e5f40312')
        endpoints = ec2.describe_vpc_endpoints()['VpcEndpoints']
        self.assertEqual(endpoints[0]['ServiceName'], 'com.amazonaws.us-east-1.s3')

    def test_security_group_egress_is_served(self):
        groups = self.client('ec2').describe_security_groups(
            GroupIds=['sg-0123456789abcdef0'])['SecurityGroups']
        self.assertEqual(groups[0]['IpPermissionsEgress'][0]['IpRanges'][0]['CidrIp'],
                         '0.0.0.0/0')

    def test_unknown_filter_and_unknown_id_fail_like_ec2(self):
        ec2 = self.client('ec2')
        self.assertAwsError(lambda: ec2.describe_subnets(Filters=[
            {'Name': 'no-such-filter', 'Values': ['x']}]), 'InvalidParameterValue', 400,
            "^The filter 'no-such-filter' is invalid$")
        self.assertAwsError(lambda: ec2.describe_subnets(SubnetIds=['subnet-0000000000']),
                            'InvalidSubnetID.NotFound', 400)

    def test_describe_vpcs_by_tag(self):
        vpcs = self.client('ec2').describe_vpcs(Filters=[
            {'Name': 'tag:Name', 'Values': ['orders-*']}])['Vpcs']
        self.assertEqual(vpcs[0]['CidrBlock'], '10.0.0.0/16')


class ApiGatewayReads(FakeTestCase):
    def test_rest_api_resources_and_lambda_integration(self):
        apigw = self.client('apigateway')
        api = apigw.get_rest_apis()['items'][0]
        self.assertEqual(api['name'], 'orders-api')
        resources = apigw.get_resources(restApiId=api['id'], embed=['methods'])['items']
        orders = [r for r in resources if r['path'] == '/orders'][0]
        integ = orders['resourceMethods']['POST']['methodIntegration']
        self.assertEqual(integ['type'], 'AWS_PROXY')
        direct = apigw.get_integration(restApiId=api['id'], resourceId=orders['id'],
                                       httpMethod='POST')
        self.assertIn(':function:my-fn/invocations', direct['uri'])
        self.assertEqual(direct['timeoutInMillis'], 29000)

    def test_rest_api_stages(self):
        stages = self.client('apigateway').get_stages(restApiId='k8m2n4p6q0')['item']
        self.assertEqual(stages[0]['stageName'], 'prod')
        self.assertTrue(stages[0]['methodSettings']['*/*']['metricsEnabled'])

    def test_missing_rest_api_is_not_found(self):
        apigw = self.client('apigateway')
        err = self.assertAwsError(lambda: apigw.get_rest_api(restApiId='zzzzzzzzzz'),
                                  'NotFoundException', 404)
        self.assertTrue(err['ResponseMetadata']['HTTPHeaders']['x-amzn-errortype']
                        .startswith('NotFoundException:'))

    def test_http_api_integrations_routes_and_stages(self):
        v2 = self.client('apigatewayv2')
        api = v2.get_apis()['Items'][0]
        self.assertEqual((api['Name'], api['ProtocolType']), ('orders-http-api', 'HTTP'))
        integ = v2.get_integrations(ApiId=api['ApiId'])['Items'][0]
        self.assertEqual((integ['IntegrationUri'], integ['PayloadFormatVersion']),
                         (FN_ARN, '2.0'))
        route = v2.get_routes(ApiId=api['ApiId'])['Items'][0]
        self.assertEqual(route['Target'], 'integrations/' + integ['IntegrationId'])
        stage = v2.get_stages(ApiId=api['ApiId'])['Items'][0]
        self.assertEqual((stage['StageName'], stage['AutoDeploy']), ('$default', True))

    def test_missing_http_api_is_not_found(self):
        v2 = self.client('apigatewayv2')
        self.assertAwsError(lambda: v2.get_api(ApiId='nope123'), 'NotFoundException', 404)


class RequestLog(FakeTestCase):
    def test_log_records_each_request_without_secrets(self):
        self.fake.clear_requests()
        self.client('lambda').get_function_configuration(FunctionName='my-fn')
        entries = self.fake.requests()
        self.assertEqual(len(entries), 1)
        entry = entries[0]
        self.assertEqual((entry['service'], entry['operation'], entry['status']),
                         ('lambda', 'GetFunctionConfiguration', 200))
        self.assertEqual(entry['params'], {'FunctionName': 'my-fn'})
        self.assertEqual(entry['access_key_id'], 'AKIAIOSFODNN7EXAMPLE')
        self.assertIs(entry['signature_ok'], True)
        self.assertEqual(entry['faults'], [])
        self.assertTrue(re.match(r'^[0-9a-f-]{36}$', entry['request_id']))
        self.assertNotIn('wJalrXUtnFEMI', json.dumps(entries))

    def test_clear_empties_the_log(self):
        self.client('sts').get_caller_identity()
        self.fake.clear_requests()
        self.assertEqual(self.fake.requests(), [])

    def test_health_reports_the_port(self):
        self.assertEqual(self.fake.control('GET', '/__fake/health')['port'], self.fake.port)


if __name__ == '__main__':
    unittest.main()
