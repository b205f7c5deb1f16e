#!/usr/bin/python3
"""gen_vectors.py - expected requests and parsed responses for core/protocol*.c, computed
by botocore's own serializers and parsers (the reference implementation).

Re-run from the repository root after changing a case or upgrading python3-botocore:

    /usr/bin/python3 tests/vectors/protocol/gen_vectors.py          # rewrites the vectors
    /usr/bin/python3 tests/vectors/protocol/gen_vectors.py --check  # exit 1 when stale

Writes requests.json and responses.json beside this file; tests/c/test_protocol_vectors.c
replays them through rb_protocol_build / rb_protocol_parse.

Requests: parameters are key-sorted before botocore sees them, because runbook serializes
members in sorted order; the expected body is botocore's, byte for byte, for query/ec2
(form bodies) and as a JSON value for json/rest-json (compared structurally).
Responses: botocore's parser runs with identity timestamp and blob parsers, because
runbook keeps timestamps and blobs as the text AWS sent. Only ResponseMetadata.RequestId
is kept from botocore's metadata. Cases botocore answers differently by design (a status
code name instead of "503", MalformedResponse instead of an exception) carry a
hand-written expectation instead.
"""
import json
import os
import sys

import botocore.session
from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
from botocore.parsers import ResponseParserFactory
from botocore.serialize import create_serializer

HERE = os.path.dirname(os.path.abspath(__file__))
BOTOCORE_NAME = {'monitoring': 'cloudwatch'}

FN_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:orders-api'
ROLE_ARN = 'arn:aws:iam::123456789012:role/orders-api-role'

REQUESTS = [
    ('lambda', 'GetFunctionConfiguration', {'FunctionName': 'orders-api', 'Qualifier': 'live'}),
    ('lambda', 'GetFunctionConfiguration', {'FunctionName': FN_ARN}),
    ('lambda', 'GetFunction', {'FunctionName': 'orders-api'}),
    ('lambda', 'ListFunctions', {'MaxItems': 50, 'Marker': 'eyJNYXJrZXIiOiAib3JkZXJzIn0='}),
    ('lambda', 'ListFunctions', {}),
    ('lambda', 'UpdateFunctionConfiguration', {
        'FunctionName': 'orders-api', 'Timeout': 30, 'MemorySize': 512,
        'Environment': {'Variables': {'TABLE_NAME': 'orders', 'LOG_LEVEL': 'debug info'}},
        'VpcConfig': {'SubnetIds': ['subnet-0a1b2c3d', 'subnet-0e1f2a3b'],
                      'SecurityGroupIds': ['sg-0123456789abcdef0']},
        'TracingConfig': {'Mode': 'Active'}}),
    ('lambda', 'UpdateFunctionConfiguration', {'FunctionName': 'orders-api'}),
    ('lambda', 'Invoke', {'FunctionName': 'orders-api', 'InvocationType': 'DryRun',
                          'LogType': 'Tail', 'Payload': '{"orderId": "o-1"}'}),
    ('lambda', 'GetLayerVersionByArn',
     {'Arn': 'arn:aws:lambda:us-east-1:123456789012:layer:deps:3'}),
    ('lambda', 'ListProvisionedConcurrencyConfigs', {'FunctionName': 'orders-api',
                                                     'MaxItems': 5}),
    ('lambda', 'PutFunctionConcurrency', {'FunctionName': 'orders-api',
                                          'ReservedConcurrentExecutions': 0}),
    ('lambda', 'GetPolicy', {'FunctionName': 'orders api/v2'}),
    ('lambda', 'GetLayerVersion', {'LayerName': 'deps', 'VersionNumber': 3}),
    ('lambda', 'CreateEventSourceMapping', {
        'FunctionName': 'orders-api', 'BatchSize': 100, 'StartingPosition': 'AT_TIMESTAMP',
        'EventSourceArn': 'arn:aws:kinesis:us-east-1:123456789012:stream/orders',
        'StartingPositionTimestamp': '2024-01-01T02:00:00+02:00'}),
    ('lambda', 'UpdateFunctionCode', {'FunctionName': 'orders-api', 'Publish': True,
                                      'ZipFile': 'PK fake zip bytes'}),
    ('apigateway', 'GetRestApis', {'limit': 25, 'position': 'cG9zaXRpb24='}),
    ('apigateway', 'GetResources', {'restApiId': 'a1b2c3d4e5', 'embed': ['methods']}),
    ('apigateway', 'GetStage', {'restApiId': 'a1b2c3d4e5', 'stageName': 'prod'}),
    ('apigatewayv2', 'GetApis', {'MaxResults': '10', 'NextToken': 'abc/def+=='}),
    ('apigatewayv2', 'GetStages', {'ApiId': 'xyz123'}),
    ('apigatewayv2', 'UpdateApi', {'ApiId': 'xyz123', 'Name': 'orders',
                                   'CorsConfiguration': {'AllowOrigins': ['*'],
                                                         'MaxAge': 300,
                                                         'AllowCredentials': False}}),
    ('logs', 'FilterLogEvents', {
        'logGroupName': '/aws/lambda/orders-api', 'startTime': 1704067200000,
        'endTime': 1704070800000, 'filterPattern': '?"Task timed out" ?ERROR',
        'limit': 100, 'logStreamNames': ['2024/01/01/[$LATEST]0123456789abcdef'],
        'interleaved': True}),
    ('logs', 'DescribeLogGroups', {}),
    ('logs', 'StartQuery', {'logGroupName': '/aws/lambda/orders-api',
                            'startTime': 1704067200, 'endTime': 1704070800,
                            'queryString': 'fields @timestamp | filter @message like /timed out/',
                            'limit': 20}),
    ('monitoring', 'GetMetricStatistics', {
        'Namespace': 'AWS/Lambda', 'MetricName': 'Errors',
        'Dimensions': [{'Name': 'FunctionName', 'Value': 'orders-api'}],
        'StartTime': '2024-01-01T00:00:00Z', 'EndTime': '2024-01-01T01:00:00Z',
        'Period': 300, 'Statistics': ['Sum', 'Maximum']}),
    ('monitoring', 'GetMetricStatistics', {
        'Namespace': 'AWS/Lambda', 'MetricName': 'Duration',
        'Dimensions': [{'Name': 'FunctionName', 'Value': 'orders-api'},
                       {'Name': 'Resource', 'Value': 'orders-api:live'}],
        'StartTime': 1704067200, 'EndTime': 1704070800.5, 'Period': 60,
        'ExtendedStatistics': ['p99'], 'Unit': 'Milliseconds'}),
    ('monitoring', 'GetMetricStatistics', {
        'Namespace': 'AWS/Lambda', 'MetricName': 'Throttles', 'Period': 3600,
        'StartTime': '2024-01-01T02:00:00+02:00', 'EndTime': '2024-01-02',
        'Statistics': ['Sum']}),
    ('monitoring', 'GetMetricData', {
        'StartTime': 1704067200, 'EndTime': 1704070800, 'MaxDatapoints': 500,
        'MetricDataQueries': [
            {'Id': 'throttles', 'ReturnData': True,
             'MetricStat': {'Period': 60, 'Stat': 'Sum',
                            'Metric': {'Namespace': 'AWS/Lambda', 'MetricName': 'Throttles',
                                       'Dimensions': [{'Name': 'FunctionName',
                                                       'Value': 'orders-api'}]}}},
            {'Id': 'rate', 'Expression': 'throttles / PERIOD(throttles)',
             'Label': 'throttle rate'}]}),
    ('monitoring', 'DescribeAlarms', {'AlarmNames': [], 'StateValue': 'ALARM'}),
    ('monitoring', 'DescribeAlarmsForMetric', {
        'Namespace': 'AWS/Lambda', 'MetricName': 'Errors', 'Unit': None,
        'Dimensions': [{'Name': 'FunctionName', 'Value': 'orders-api'}]}),
    ('iam', 'ListAttachedRolePolicies', {'RoleName': 'orders-api-role', 'MaxItems': 100}),
    ('iam', 'GetRolePolicy', {'RoleName': 'orders-api-role', 'PolicyName': 'inline'}),
    ('iam', 'SimulatePrincipalPolicy', {
        'PolicySourceArn': ROLE_ARN,
        'ActionNames': ['logs:CreateLogStream', 'ec2:CreateNetworkInterface'],
        'ResourceArns': ['*'],
        'ContextEntries': [{'ContextKeyName': 'aws:SourceIp', 'ContextKeyType': 'ip',
                            'ContextKeyValues': ['10.0.0.1']}]}),
    ('sts', 'AssumeRole', {
        'RoleArn': ROLE_ARN, 'RoleSessionName': 'runbook-triage', 'DurationSeconds': 900,
        'Policy': '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                  '"Action": "lambda:Get*", "Resource": "*"}]}',
        'Tags': [{'Key': 'purpose', 'Value': 'triage & fix'}]}),
    ('sts', 'GetCallerIdentity', {}),
    ('ec2', 'DescribeSubnets', {'SubnetIds': ['subnet-0a1b2c3d', 'subnet-0e1f2a3b'],
                                'Filters': [{'Name': 'vpc-id', 'Values': ['vpc-0abc']}]}),
    ('ec2', 'DescribeNetworkInterfaces', {
        'Filters': [{'Name': 'requester-id', 'Values': ['*:orders-api']},
                    {'Name': 'status', 'Values': ['in-use', 'available']}],
        'DryRun': False, 'MaxResults': 50}),
    ('ec2', 'DescribeRouteTables', {'Filters': [{'Name': 'association.subnet-id',
                                                 'Values': ['subnet-0a1b2c3d']}]}),
    ('ec2', 'DescribeSecurityGroups', {'GroupIds': ['sg-0123456789abcdef0'],
                                       'Filters': []}),
    ('ec2', 'DescribeNatGateways', {'Filter': [{'Name': 'vpc-id', 'Values': ['vpc-0abc']}]}),
]

RID = '6f4a2b1c-0d9e-4c8b-9a7f-1e2d3c4b5a69'
JSON_HEADERS = {'x-amzn-RequestId': RID, 'Content-Type': 'application/json'}
XML_HEADERS = {'Content-Type': 'text/xml'}

FN_CONFIG = {
    'FunctionName': 'orders-api', 'FunctionArn': FN_ARN, 'Runtime': 'python3.12',
    'Role': ROLE_ARN, 'Handler': 'app.handler', 'CodeSize': 48213, 'Description': '',
    'Timeout': 3, 'MemorySize': 128, 'LastModified': '2024-01-01T00:00:00.000+0000',
    'CodeSha256': 'yJbqN1D0x0pfJrUZyC3g8Pj2dX0z7Z0aVf8bK3mA1nE=', 'Version': '$LATEST',
    'VpcConfig': {'SubnetIds': ['subnet-0a1b2c3d'], 'SecurityGroupIds': [],
                  'VpcId': 'vpc-0abc'},
    'Environment': {'Variables': {'TABLE_NAME': 'orders'}},
    'TracingConfig': {'Mode': 'PassThrough'}, 'RevisionId': 'e3b0c442-98fc-1c14-9afb-f4c8996fb924',
    'Layers': [], 'State': 'Active', 'LastUpdateStatus': 'Successful',
    'PackageType': 'Zip', 'Architectures': ['x86_64'], 'EphemeralStorage': {'Size': 512},
    'SnapStart': {'ApplyOn': 'None', 'OptimizationStatus': 'Off'},
}

CW_NS = 'http://monitoring.amazonaws.com/doc/2010-08-01/'
IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/'
STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/'
EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/'


def datapoint(ts, value):
    return (f'<member><Timestamp>{ts}</Timestamp><Sum>{value}</Sum>'
            f'<Maximum>{value}</Maximum><Unit>Count</Unit></member>')


def metric_stats(points):
    inner = ''.join(points)
    dps = f'<Datapoints>{inner}</Datapoints>' if points else '<Datapoints/>'
    return (f'<GetMetricStatisticsResponse xmlns="{CW_NS}"><GetMetricStatisticsResult>'
            f'<Label>Errors</Label>{dps}</GetMetricStatisticsResult>'
            f'<ResponseMetadata><RequestId>{RID}</RequestId></ResponseMetadata>'
            f'</GetMetricStatisticsResponse>')


def subnet(sid, ips, public):
    return (f'<item><subnetId>{sid}</subnetId><subnetArn>arn:aws:ec2:us-east-1:'
            f'123456789012:subnet/{sid}</subnetArn><state>available</state>'
            f'<vpcId>vpc-0abc</vpcId><ownerId>123456789012</ownerId>'
            f'<cidrBlock>10.0.1.0/24</cidrBlock><ipv6CidrBlockAssociationSet/>'
            f'<availableIpAddressCount>{ips}</availableIpAddressCount>'
            f'<availabilityZone>us-east-1a</availabilityZone>'
            f'<availabilityZoneId>use1-az1</availabilityZoneId>'
            f'<defaultForAz>false</defaultForAz>'
            f'<mapPublicIpOnLaunch>{public}</mapPublicIpOnLaunch>'
            f'<tagSet><item><key>Name</key><value>private-a</value></item></tagSet></item>')


def describe_subnets(items):
    inner = ''.join(items)
    body = f'<subnetSet>{inner}</subnetSet>' if items else '<subnetSet/>'
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeSubnetsResponse '
            f'xmlns="{EC2_NS}">\n    <requestId>{RID}</requestId>\n    {body}\n'
            f'</DescribeSubnetsResponse>')


ALARM = ('<member><AlarmName>orders-api-errors</AlarmName><AlarmArn>arn:aws:cloudwatch:'
         'us-east-1:123456789012:alarm:orders-api-errors</AlarmArn><ActionsEnabled>true'
         '</ActionsEnabled><OKActions/><AlarmActions><member>arn:aws:sns:us-east-1:'
         '123456789012:oncall</member></AlarmActions><InsufficientDataActions/>'
         '<StateValue>ALARM</StateValue><StateReason>Threshold Crossed</StateReason>'
         '<StateUpdatedTimestamp>2024-01-01T00:05:00.123Z</StateUpdatedTimestamp>'
         '<MetricName>Errors</MetricName><Namespace>AWS/Lambda</Namespace>'
         '<Statistic>Sum</Statistic><Dimensions><member><Name>FunctionName</Name>'
         '<Value>orders-api</Value></member></Dimensions><Period>60</Period>'
         '<EvaluationPeriods>1</EvaluationPeriods><Threshold>1.5</Threshold>'
         '<ComparisonOperator>GreaterThanOrEqualToThreshold</ComparisonOperator></member>')

# (service, operation, status, headers, body[, hand-written expectation])
RESPONSES = [
    ('lambda', 'GetFunctionConfiguration', 200, JSON_HEADERS, json.dumps(FN_CONFIG)),
    ('lambda', 'ListFunctions', 200, JSON_HEADERS,
     json.dumps({'Functions': [FN_CONFIG], 'NextMarker': 'bmV4dA=='})),
    ('lambda', 'ListFunctions', 200, JSON_HEADERS, '{"Functions": []}'),
    ('lambda', 'Invoke', 200,
     {'x-amzn-RequestId': RID, 'X-Amz-Function-Error': 'Unhandled',
      'X-Amz-Executed-Version': '$LATEST',
      'X-Amz-Log-Result': 'U1RBUlQgUmVxdWVzdElkOiBhYmMKVGFzayB0aW1lZCBvdXQ='},
     '{"errorMessage":"2024-01-01T00:00:03.000Z abc Task timed out after 3.00 seconds"}'),
    ('lambda', 'DeleteFunctionConcurrency', 204, {'x-amzn-RequestId': RID}, ''),
    ('lambda', 'GetFunctionConcurrency', 200, JSON_HEADERS,
     '{"ReservedConcurrentExecutions": 0}'),
    ('lambda', 'GetAccountSettings', 200, JSON_HEADERS, json.dumps({
        'AccountLimit': {'TotalCodeSize': 80530636800, 'CodeSizeUnzipped': 262144000,
                         'CodeSizeZipped': 52428800, 'ConcurrentExecutions': 1000,
                         'UnreservedConcurrentExecutions': 900},
        'AccountUsage': {'TotalCodeSize': 1234567, 'FunctionCount': 12}})),
    ('apigateway', 'GetRestApis', 200, JSON_HEADERS, json.dumps({'item': [
        {'id': 'a1b2c3d4e5', 'name': 'orders', 'createdDate': 1700000000,
         'apiKeySource': 'HEADER', 'endpointConfiguration': {'types': ['REGIONAL']},
         'disableExecuteApiEndpoint': False}]})),
    ('apigatewayv2', 'GetApis', 200, JSON_HEADERS, json.dumps({'items': [
        {'apiEndpoint': 'https://xyz123.execute-api.us-east-1.amazonaws.com',
         'apiId': 'xyz123', 'name': 'orders-http', 'protocolType': 'HTTP',
         'routeSelectionExpression': '$request.method $request.path',
         'createdDate': '2023-11-14T22:13:20Z', 'disableExecuteApiEndpoint': False,
         'tags': {'team': 'orders'}}], 'nextToken': 'bmV4dA=='})),
    ('apigatewayv2', 'GetApis', 200, JSON_HEADERS, '{"items": []}'),
    ('logs', 'FilterLogEvents', 200, JSON_HEADERS, json.dumps({
        'events': [{'logStreamName': '2024/01/01/[$LATEST]0123456789abcdef',
                    'timestamp': 1704067203000,
                    'message': '2024-01-01T00:00:03.000Z 1a2b Task timed out after 3.00 '
                               'seconds\n',
                    'ingestionTime': 1704067204000,
                    'eventId': '37985620123456789012345678901234567890123456789012345678'}],
        'searchedLogStreams': [], 'nextToken': 'Bxkq6kVGFtq2y_MoigeqscPOdhXVbhiVtLoAmXb5jCo'})),
    ('logs', 'DescribeLogGroups', 200, JSON_HEADERS, json.dumps({'logGroups': [
        {'logGroupName': '/aws/lambda/orders-api', 'creationTime': 1700000000000,
         'retentionInDays': 14, 'metricFilterCount': 0,
         'arn': 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders-api:*',
         'storedBytes': 123456}]})),
    ('monitoring', 'GetMetricStatistics', 200, XML_HEADERS, metric_stats(
        [datapoint('2024-01-01T00:00:00Z', '2.0'), datapoint('2024-01-01T00:05:00Z', '7.0')])),
    ('monitoring', 'GetMetricStatistics', 200, XML_HEADERS,
     metric_stats([datapoint('2024-01-01T00:00:00Z', '1.0')])),
    ('monitoring', 'GetMetricStatistics', 200, XML_HEADERS, metric_stats([])),
    ('monitoring', 'GetMetricStatistics', 200, XML_HEADERS, metric_stats([
        '<member><Timestamp>2024-01-01T00:00:00Z</Timestamp><ExtendedStatistics><entry>'
        '<key>p99</key><value>2873.45</value></entry><entry><key>p50</key><value>120.0'
        '</value></entry></ExtendedStatistics><Unit>Milliseconds</Unit></member>'])),
    ('monitoring', 'DescribeAlarms', 200, XML_HEADERS,
     f'<DescribeAlarmsResponse xmlns="{CW_NS}"><DescribeAlarmsResult><MetricAlarms>'
     f'{ALARM}</MetricAlarms><CompositeAlarms/></DescribeAlarmsResult><ResponseMetadata>'
     f'<RequestId>{RID}</RequestId></ResponseMetadata></DescribeAlarmsResponse>'),
    ('iam', 'ListAttachedRolePolicies', 200, XML_HEADERS,
     f'<ListAttachedRolePoliciesResponse xmlns="{IAM_NS}">\n'
     '  <ListAttachedRolePoliciesResult>\n    <AttachedPolicies>\n      <member>\n'
     '        <PolicyName>AWSLambdaBasicExecutionRole</PolicyName>\n'
     '        <PolicyArn>arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'
     '</PolicyArn>\n      </member>\n    </AttachedPolicies>\n'
     '    <IsTruncated>false</IsTruncated>\n  </ListAttachedRolePoliciesResult>\n'
     f'  <ResponseMetadata>\n    <RequestId>{RID}</RequestId>\n  </ResponseMetadata>\n'
     '</ListAttachedRolePoliciesResponse>\n'),
    ('iam', 'GetRole', 200, XML_HEADERS,
     f'<GetRoleResponse xmlns="{IAM_NS}"><GetRoleResult><Role><Path>/</Path>'
     '<RoleName>orders-api-role</RoleName><RoleId>AROAEXAMPLEID1234567</RoleId>'
     f'<Arn>{ROLE_ARN}</Arn><CreateDate>2023-06-01T12:00:00Z</CreateDate>'
     '<AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%7D'
     '</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration>'
     '<Tags/><RoleLastUsed><LastUsedDate>2024-01-01T00:00:00Z</LastUsedDate>'
     '<Region>us-east-1</Region></RoleLastUsed></Role></GetRoleResult>'
     f'<ResponseMetadata><RequestId>{RID}</RequestId></ResponseMetadata></GetRoleResponse>'),
    ('iam', 'GetAccountSummary', 200, XML_HEADERS,
     f'<GetAccountSummaryResponse xmlns="{IAM_NS}"><GetAccountSummaryResult><SummaryMap>'
     '<entry><key>Roles</key><value>42</value></entry><entry><key>RolesQuota</key>'
     '<value>1000</value></entry><entry><key>AccountMFAEnabled</key><value>1</value>'
     '</entry></SummaryMap></GetAccountSummaryResult><ResponseMetadata><RequestId>'
     f'{RID}</RequestId></ResponseMetadata></GetAccountSummaryResponse>'),
    ('sts', 'AssumeRole', 200, XML_HEADERS,
     f'<AssumeRoleResponse xmlns="{STS_NS}"><AssumeRoleResult><SourceIdentity/>'
     '<AssumedRoleUser><AssumedRoleId>AROAEXAMPLEID1234567:runbook-triage</AssumedRoleId>'
     '<Arn>arn:aws:sts::123456789012:assumed-role/orders-api-role/runbook-triage</Arn>'
     '</AssumedRoleUser><Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE12</AccessKeyId>'
     '<SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY</SecretAccessKey>'
     '<SessionToken>FwoGZXIvYXdzEXAMPLE//////////wEaDEXAMPLE=</SessionToken>'
     '<Expiration>2024-01-01T01:00:00Z</Expiration></Credentials>'
     '<PackedPolicySize>6</PackedPolicySize></AssumeRoleResult>'
     f'<ResponseMetadata><RequestId>{RID}</RequestId></ResponseMetadata>'
     '</AssumeRoleResponse>'),
    ('sts', 'GetCallerIdentity', 200, XML_HEADERS,
     f'<GetCallerIdentityResponse xmlns="{STS_NS}"><GetCallerIdentityResult>'
     '<Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDAEXAMPLEID1234567</UserId>'
     '<Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata>'
     f'<RequestId>{RID}</RequestId></ResponseMetadata></GetCallerIdentityResponse>'),
    ('ec2', 'DescribeSubnets', 200, XML_HEADERS, describe_subnets(
        [subnet('subnet-0a1b2c3d', 0, 'false'), subnet('subnet-0e1f2a3b', 250, 'true')])),
    ('ec2', 'DescribeSubnets', 200, XML_HEADERS,
     describe_subnets([subnet('subnet-0a1b2c3d', 11, 'false')])),
    ('ec2', 'DescribeSubnets', 200, XML_HEADERS, describe_subnets([])),
    # errors
    ('lambda', 'GetFunctionConfiguration', 404,
     {'x-amzn-RequestId': RID, 'x-amzn-ErrorType':
      'ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.awslambda/'},
     '{"Type":"User","Message":"Function not found: ' + FN_ARN + '"}'),
    ('lambda', 'Invoke', 429,
     {'x-amzn-RequestId': RID, 'x-amzn-ErrorType': 'TooManyRequestsException'},
     '{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User",'
     '"message":"Rate Exceeded."}'),
    ('lambda', 'UpdateFunctionConfiguration', 409, {'x-amzn-RequestId': RID},
     '{"Type":"User","code":"ResourceConflictException","message":"The operation cannot '
     'be performed at this time. An update is in progress for resource: ' + FN_ARN + '"}'),
    ('apigateway', 'GetRestApi', 404,
     {'x-amzn-RequestId': RID, 'x-amzn-ErrorType': 'NotFoundException'},
     '{"message":"Invalid API identifier specified 123456789012:a1b2c3d4e5"}'),
    ('apigatewayv2', 'GetApi', 404,
     {'x-amzn-RequestId': RID, 'x-amzn-ErrorType': 'NotFoundException'},
     '{"message":"Invalid API identifier specified","resourceType":"Api"}'),
    ('logs', 'FilterLogEvents', 400, JSON_HEADERS,
     '{"__type":"ResourceNotFoundException","message":"The specified log group does not '
     'exist."}'),
    ('logs', 'DescribeLogStreams', 400, JSON_HEADERS,
     '{"__type":"com.amazonaws.logs#ThrottlingException","message":"Rate exceeded"}'),
    ('monitoring', 'GetMetricStatistics', 400, XML_HEADERS,
     f'<ErrorResponse xmlns="{CW_NS}"><Error><Type>Sender</Type><Code>Throttling</Code>'
     f'<Message>Rate exceeded</Message></Error><RequestId>{RID}</RequestId></ErrorResponse>'),
    ('iam', 'GetRole', 404, XML_HEADERS,
     f'<ErrorResponse xmlns="{IAM_NS}">\n  <Error>\n    <Type>Sender</Type>\n'
     '    <Code>NoSuchEntity</Code>\n    <Message>The role with name orders-api-role cannot'
     ' be found.</Message>\n  </Error>\n  <RequestId>' + RID + '</RequestId>\n'
     '</ErrorResponse>\n'),
    ('sts', 'AssumeRole', 403, XML_HEADERS,
     f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>Sender</Type><Code>AccessDenied</Code>'
     '<Message>User: arn:aws:iam::123456789012:user/alice is not authorized to perform: '
     f'sts:AssumeRole on resource: {ROLE_ARN}</Message></Error><RequestId>{RID}'
     '</RequestId></ErrorResponse>'),
    ('ec2', 'DescribeSubnets', 400, XML_HEADERS,
     '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>'
     "InvalidSubnetID.NotFound</Code><Message>The subnet ID 'subnet-0a1b2c3d' does not "
     f'exist</Message></Error></Errors><RequestID>{RID}</RequestID></Response>'),
    ('ec2', 'DescribeNetworkInterfaces', 503, XML_HEADERS,
     '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>'
     'RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error>'
     f'</Errors><RequestID>{RID}</RequestID></Response>'),
    # what botocore reports as code "503"/"500" or raises on: hand-written expectations
    ('monitoring', 'GetMetricStatistics', 503, {'Content-Type': 'text/html'},
     '<html><body><b>Http/1.1 Service Unavailable</b></body></html>',
     {'error': {'code': 'ServiceUnavailable', 'status': 503, 'request_id': '',
                'message': 'http 503 (Service Unavailable) from monitoring '
                           'GetMetricStatistics with no error details'}}),
    ('lambda', 'GetFunction', 500, {'x-amzn-RequestId': RID}, '',
     {'error': {'code': 'InternalError', 'status': 500, 'request_id': RID,
                'message': 'http 500 (Internal Server Error) from lambda GetFunction with '
                           'no error details'}}),
    ('lambda', 'GetFunctionConfiguration', 200, JSON_HEADERS, '<html>proxy login</html>',
     {'error': {'code': 'MalformedResponse', 'status': 200, 'request_id': RID,
                'message': 'malformed response to lambda GetFunctionConfiguration: '
                           'invalid json at byte 0'}}),
    ('monitoring', 'GetMetricStatistics', 200, XML_HEADERS,
     f'<GetMetricStatisticsResponse xmlns="{CW_NS}"><GetMetricStatisticsResult><Label>',
     {'error': {'code': 'MalformedResponse', 'status': 200, 'request_id': '',
                'message': 'malformed response to monitoring GetMetricStatistics: invalid '
                           'xml at line 1, column 120: no element found'}}),
    ('iam', 'ListAttachedRolePolicies', 200, XML_HEADERS,
     f'<ListAttachedRolePoliciesResponse xmlns="{IAM_NS}"><ResponseMetadata><RequestId>'
     f'{RID}</RequestId></ResponseMetadata></ListAttachedRolePoliciesResponse>',
     {'error': {'code': 'MalformedResponse', 'status': 200, 'request_id': '',
                'message': 'malformed response to iam ListAttachedRolePolicies: no '
                           '<ListAttachedRolePoliciesResult> element'}}),
]


def sorted_params(value):
    if isinstance(value, dict):
        return {k: sorted_params(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sorted_params(v) for v in value]
    return value


def botocore_model(session, service):
    return session.get_service_model(BOTOCORE_NAME.get(service, service))


def expected_request(session, service, operation, params):
    model = botocore_model(session, service)
    op = model.operation_model(operation)
    ser = create_serializer(model.metadata['protocol'], include_validation=True)
    clean = {k: v for k, v in sorted_params(params).items() if v is not None}
    req = ser.serialize_to_request(clean, op)
    headers = dict(req['headers'])
    if service == 'apigateway':
        headers['Accept'] = 'application/json'  # botocore's before-call handler
    prepare_request_dict(req, 'https://example.amazonaws.com')
    prepared = create_request_object(req).prepare()
    url = prepared.url[len('https://example.amazonaws.com'):]
    path, _, query = url.partition('?')
    body = prepared.body or b''
    if isinstance(body, str):
        body = body.encode('utf-8')
    protocol = model.metadata['protocol']
    out = {'method': req['method'], 'path': path, 'query': query, 'headers': headers}
    if protocol in ('json', 'rest-json') and body and 'Content-Type' in headers:
        out['body_json'] = json.loads(body)
    else:
        out['body'] = body.decode('utf-8')
    return out


def expected_response(session, service, operation, status, headers, body):
    model = botocore_model(session, service)
    op = model.operation_model(operation)
    factory = ResponseParserFactory()
    factory.set_parser_defaults(timestamp_parser=lambda v: v, blob_parser=lambda v: v)
    parser = factory.create_parser(model.metadata['protocol'])
    hd = HeadersDict(headers)
    parsed = parser.parse({'status_code': status, 'headers': hd, 'body': body.encode()},
                          op.output_shape)
    meta = parsed.pop('ResponseMetadata', {})
    if status >= 300:
        err = parsed['Error']
        return {'error': {'code': err.get('Code', ''), 'message': err.get('Message', ''),
                          'status': status, 'request_id': meta.get('RequestId', '')}}
    if meta.get('RequestId'):
        parsed['ResponseMetadata'] = {'RequestId': meta['RequestId']}
    return {'result': parsed}


def render():
    session = botocore.session.get_session()
    reqs = []
    for service, operation, params in REQUESTS:
        reqs.append({'service': service, 'operation': operation, 'params': params,
                     'expect': expected_request(session, service, operation, params)})
    resps = []
    for case in RESPONSES:
        service, operation, status, headers, body = case[:5]
        expect = case[5] if len(case) > 5 else expected_response(
            session, service, operation, status, headers, body)
        resps.append({'service': service, 'operation': operation, 'status': status,
                      'headers': headers, 'body': body, 'expect': expect})
    dump = lambda v: json.dumps(v, indent=1, sort_keys=True, ensure_ascii=False) + '\n'
    return {'requests.json': dump(reqs), 'responses.json': dump(resps)}


def main(argv):
    stale = []
    for name, text in render().items():
        path = os.path.join(HERE, name)
        if '--check' in argv:
            try:
                with open(path, encoding='utf-8') as f:
                    if f.read() != text:
                        stale.append(path)
            except FileNotFoundError:
                stale.append(path)
        else:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
    if stale:
        print('gen_vectors: out of date: ' + ' '.join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
