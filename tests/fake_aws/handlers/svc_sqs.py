"""SQS: the queue attributes an event-source diagnosis reads and its fix changes
(GetQueueAttributes, GetQueueUrl, SetQueueAttributes).

Exists so the event_sources step can check an SQS-fed function's queue (visibility
timeout against the function's timeout, redrive policy, backlog) against a world. SQS
answers every attribute as a string and a RedrivePolicy as a JSON text, so a world may
write numbers and an object and they are served the way SQS serves them. A queue is
found by its URL's last two path parts (account, name), as SQS routes it.
"""

import datetime
import json

from errors import AwsError

DEFAULTS = {
    'VisibilityTimeout': 30, 'MessageRetentionPeriod': 345600, 'DelaySeconds': 0,
    'MaximumMessageSize': 262144, 'ReceiveMessageWaitTimeSeconds': 0,
    'ApproximateNumberOfMessages': 0, 'ApproximateNumberOfMessagesNotVisible': 0,
    'ApproximateNumberOfMessagesDelayed': 0, 'SqsManagedSseEnabled': 'true',
}


# The attributes SetQueueAttributes may change (the others are SQS's own counters and ids).
SETTABLE = ('VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'MaximumMessageSize',
            'ReceiveMessageWaitTimeSeconds', 'RedrivePolicy', 'RedriveAllowPolicy', 'Policy',
            'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'SqsManagedSseEnabled')


def queue_url(world, name):
    return 'https://sqs.%s.amazonaws.com/%s/%s' % (world.region, world.account_id, name)


def _text(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(',', ':'))
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, datetime.datetime):
        return str(int(value.timestamp()))
    return str(value)


def prepare(world):
    for name, queue in world.section('sqs').setdefault('queues', {}).items():
        attributes = dict(DEFAULTS)
        attributes['QueueArn'] = 'arn:aws:sqs:%s:%s:%s' % (world.region, world.account_id, name)
        created = int((world.loaded_at - datetime.timedelta(days=30)).timestamp())
        attributes['CreatedTimestamp'] = created
        attributes['LastModifiedTimestamp'] = created
        if name.endswith('.fifo'):
            attributes['FifoQueue'] = 'true'
        attributes.update(queue.get('Attributes', {}))
        queue['Attributes'] = {k: _text(v) for k, v in attributes.items()}


def _queue(ctx, url):
    parts = [p for p in (url or '').split('/') if p]
    if len(parts) >= 2 and parts[-2] == ctx.account_id:
        queue = ctx.world.section('sqs')['queues'].get(parts[-1])
        if queue is not None:
            return queue
    raise AwsError('AWS.SimpleQueueService.NonExistentQueue',
                   'The specified queue does not exist for this wsdl version.')


def get_queue_attributes(ctx, params):
    attributes = _queue(ctx, params['QueueUrl'])['Attributes']
    names = params.get('AttributeNames') or []
    if 'All' in names:
        return {'Attributes': dict(attributes)}
    return {'Attributes': {k: attributes[k] for k in names if k in attributes}}


def set_queue_attributes(ctx, params):
    queue = _queue(ctx, params['QueueUrl'])
    for name, value in (params.get('Attributes') or {}).items():
        if name not in SETTABLE:
            raise AwsError('InvalidAttributeName', 'Unknown Attribute %s.' % name)
        queue['Attributes'][name] = _text(value)
    return {}


def get_queue_url(ctx, params):
    url = queue_url(ctx.world, params['QueueName'])
    _queue(ctx, url)
    return {'QueueUrl': url}


HANDLERS = {
    ('sqs', 'GetQueueAttributes'): get_queue_attributes,
    ('sqs', 'GetQueueUrl'): get_queue_url,
    ('sqs', 'SetQueueAttributes'): set_queue_attributes,
}
