"""CloudTrail: LookupEvents over the management events a world lists.

Exists so the `changes` step can be tested end to end: who deployed what, and when,
with the event shapes CloudTrail really returns. A world lists events with relative
times; the handler builds each CloudTrailEvent JSON document from them, writing
Lambda's event names with the API version CloudTrail records
(UpdateFunctionCode20150331v2, PublishVersion20150331, PutFunctionConcurrency20171031),
IAM's plain, and IAM events in us-east-1 (IAM is global). Lookups take one lookup
attribute (as CloudTrail), return newest first, 50 a page at most, and page with an
opaque NextToken.
"""

import json

import awstime
from errors import AwsError
from handlers.common import encode_token, decode_token, fake_id

# The version suffix CloudTrail writes after each Lambda management event's name.
LAMBDA_VERSIONED = {
    'UpdateFunctionCode': 'UpdateFunctionCode20150331v2',
    'UpdateFunctionConfiguration': 'UpdateFunctionConfiguration20150331v2',
    'PublishVersion': 'PublishVersion20150331',
    'CreateAlias': 'CreateAlias20150331',
    'UpdateAlias': 'UpdateAlias20150331',
    'DeleteAlias': 'DeleteAlias20150331',
    'PutFunctionConcurrency': 'PutFunctionConcurrency20171031',
    'DeleteFunctionConcurrency': 'DeleteFunctionConcurrency20171031',
    'AddPermission': 'AddPermission20150331v2',
    'RemovePermission': 'RemovePermission20150331v2',
    'CreateEventSourceMapping': 'CreateEventSourceMapping20150331',
    'UpdateEventSourceMapping': 'UpdateEventSourceMapping20150331',
    'DeleteEventSourceMapping': 'DeleteEventSourceMapping20150331',
    'CreateFunction': 'CreateFunction20150331',
}
IAM_EVENTS = ('PutRolePolicy', 'DeleteRolePolicy', 'AttachRolePolicy', 'DetachRolePolicy',
              'UpdateAssumeRolePolicy', 'CreateRole', 'DeleteRole')
ATTRIBUTE_KEYS = ('EventId', 'EventName', 'ReadOnly', 'Username', 'ResourceType',
                  'ResourceName', 'EventSource', 'AccessKeyId')
PAGE_MAX = 50


def _event_name(name):
    return LAMBDA_VERSIONED.get(name, name)


def _build(world, raw, index):
    """One world event -> (LookupEvents item, region, attribute values)."""
    base = raw['EventName']
    iam = base in IAM_EVENTS
    name = _event_name(base)
    at = awstime.parse(raw.get('EventTime', 'now'))
    params = raw.get('requestParameters')
    who = raw.get('user_arn') or 'arn:aws:iam::%s:user/runbook-tester' % world.account_id
    username = raw.get('Username') or who.rsplit('/', 1)[-1]
    region = raw.get('region') or ('us-east-1' if iam else world.region)
    source = raw.get('EventSource') or ('iam.amazonaws.com' if iam else 'lambda.amazonaws.com')
    resources = raw.get('resources')
    if resources is None:
        params_or = params or {}
        resources = [params_or.get('roleName') if iam else params_or.get('functionName')]
    resources = [r for r in resources if r]
    event_id = raw.get('EventId') or fake_id('', '%s/%d/%s' % (name, index, at), 8) + \
        '-0000-4000-8000-' + fake_id('', name + str(index), 12)
    key_id = raw.get('AccessKeyId') or 'ASIAFAKECLOUDTRAIL01'
    document = {
        'eventVersion': '1.08',
        'userIdentity': {'type': 'AssumedRole' if ':assumed-role/' in who else 'IAMUser',
                         'arn': who, 'accountId': world.account_id, 'accessKeyId': key_id},
        'eventTime': awstime.iso8601_seconds(at), 'eventSource': source, 'eventName': name,
        'awsRegion': region, 'sourceIPAddress': raw.get('sourceIPAddress', '203.0.113.10'),
        'userAgent': raw.get('userAgent', 'aws-cli/2.15.0'),
        'requestParameters': params, 'responseElements': raw.get('responseElements'),
        'requestID': fake_id('', 'req' + event_id, 8), 'eventID': event_id,
        'readOnly': False, 'eventType': 'AwsApiCall', 'managementEvent': True,
        'recipientAccountId': world.account_id, 'eventCategory': 'Management',
    }
    if raw.get('errorCode'):
        document['errorCode'] = raw['errorCode']
        document['errorMessage'] = raw.get('errorMessage', '')
    rtype = 'AWS::IAM::Role' if iam else 'AWS::Lambda::Function'
    item = {'EventId': event_id, 'EventName': name, 'ReadOnly': 'false',
            'AccessKeyId': key_id, 'EventTime': at, 'EventSource': source,
            'Username': username,
            'Resources': [{'ResourceType': rtype, 'ResourceName': r} for r in resources],
            'CloudTrailEvent': json.dumps(document)}
    values = {'EventId': event_id, 'EventName': name, 'ReadOnly': 'false',
              'Username': username, 'EventSource': source, 'AccessKeyId': key_id,
              'ResourceName': set(resources), 'ResourceType': {rtype}}
    return item, region, values


def prepare(world):
    section = world.section('cloudtrail')
    section.setdefault('events', [])


def _matches(values, attribute):
    want = values.get(attribute['AttributeKey'])
    if isinstance(want, set):
        return attribute['AttributeValue'] in want
    return want == attribute['AttributeValue']


def lookup_events(ctx, params):
    attributes = params.get('LookupAttributes') or []
    if len(attributes) > 1:
        raise AwsError('InvalidLookupAttributesException',
                       'You cannot specify more than one lookup attribute.')
    for attribute in attributes:
        if attribute['AttributeKey'] not in ATTRIBUTE_KEYS:
            raise AwsError('InvalidLookupAttributesException',
                           'Invalid attribute key: %s' % attribute['AttributeKey'])
    limit = params.get('MaxResults') or PAGE_MAX
    if limit < 1 or limit > PAGE_MAX:
        raise AwsError('InvalidMaxResultsException',
                       'MaxResults must be between 1 and 50.')
    start, end = params.get('StartTime'), params.get('EndTime')
    if start is not None and end is not None and start > end:
        raise AwsError('InvalidTimeRangeException',
                       'Start time must be before end time.')
    with ctx.world.lock:
        raws = list(ctx.world.section('cloudtrail')['events'])
    chosen = []
    for index, raw in enumerate(raws):
        item, region, values = _build(ctx.world, raw, index)
        at = item['EventTime']
        if region != ctx.region or (start and at < start) or (end and at > end) \
                or at > ctx.now:
            continue
        if all(_matches(values, a) for a in attributes):
            chosen.append(item)
    chosen.sort(key=lambda i: i['EventTime'], reverse=True)
    salt = json.dumps(attributes, sort_keys=True)
    first = decode_token(params.get('NextToken'), 'InvalidNextTokenException', salt)
    page = chosen[first:first + limit]
    out = {'Events': page}
    if first + limit < len(chosen):
        out['NextToken'] = encode_token(first + limit, salt)
    return out


HANDLERS = {
    ('cloudtrail', 'LookupEvents'): lookup_events,
}
