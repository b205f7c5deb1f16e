"""CloudWatch Logs: log groups, streams and events, with FilterLogEvents.

Exists because most Lambda diagnoses start from the function's log lines (START /
END / REPORT, "Task timed out", stack traces): groups and streams come from the world,
events may be relative in time and may be repeated to build large logs for pagination
tests. Error codes and wording follow the real service.
"""

import datetime

import awstime
from errors import AwsError
from handlers.common import decode_token, encode_token, page
from handlers.filter_pattern import PatternError, compile_pattern


def _millis(value, base):
    return awstime.epoch_millis(awstime.parse(value, base))


def _expand_events(raw_events, base):
    events = []
    for raw in raw_events:
        start = awstime.parse(raw.get('timestamp', 'now'), base)
        every = raw.get('every', '1s')
        step = (awstime.relative('+' + every, base) - base) if every else datetime.timedelta()
        for n in range(int(raw.get('repeat', 1))):
            when = start + step * n
            message = raw.get('message', '').replace('{iso}', awstime.iso8601(when))
            if 'repeat' in raw:
                message = message.replace('{n}', str(n))
            events.append({'timestamp': awstime.epoch_millis(when), 'message': message,
                           'ingestionTime': awstime.epoch_millis(when) + 150})
    events.sort(key=lambda e: e['timestamp'])
    return events


def _group_arn(world, name):
    return 'arn:aws:logs:%s:%s:log-group:%s:*' % (world.region, world.account_id, name)


def prepare(world):
    base = world.loaded_at
    date = base.strftime('%Y/%m/%d')
    for name, group in world.section('logs').setdefault('log_groups', {}).items():
        meta = group.setdefault('group', {})
        meta.setdefault('logGroupName', name)
        meta['creationTime'] = _millis(meta.get('creationTime', '-30d'), base)
        meta.setdefault('metricFilterCount', 0)
        meta.setdefault('arn', _group_arn(world, name))
        meta.setdefault('storedBytes', 0)
        streams = {}
        for stream_name, raw_events in group.get('streams', {}).items():
            events = _expand_events(raw_events, base)
            stream_name = stream_name.replace('{date}', date)
            for i, event in enumerate(events):
                event['eventId'] = '%056d' % (event['timestamp'] * 1000 + i)
            streams[stream_name] = events
        group['streams'] = streams


def _group(ctx, params):
    name = params.get('logGroupName') or params.get('logGroupIdentifier', '')
    if name.startswith('arn:'):
        name = name.split(':log-group:', 1)[-1].rstrip('*').rstrip(':')
    group = ctx.world.section('logs')['log_groups'].get(name)
    if group is None:
        raise AwsError('ResourceNotFoundException', 'The specified log group does not exist.')
    return name, group


def _stream_info(ctx, group_name, stream_name, events):
    info = {'logStreamName': stream_name,
            'arn': 'arn:aws:logs:%s:%s:log-group:%s:log-stream:%s'
                   % (ctx.world.region, ctx.account_id, group_name, stream_name),
            'storedBytes': 0}
    if events:
        info.update({'creationTime': events[0]['timestamp'],
                     'firstEventTimestamp': events[0]['timestamp'],
                     'lastEventTimestamp': events[-1]['timestamp'],
                     'lastIngestionTime': events[-1]['ingestionTime']})
    else:
        info['creationTime'] = awstime.epoch_millis(ctx.world.loaded_at)
    return info


def describe_log_groups(ctx, params):
    prefix = params.get('logGroupNamePrefix', '')
    pattern = params.get('logGroupNamePattern')
    groups = [g['group'] for n, g in sorted(ctx.world.section('logs')['log_groups'].items())
              if n.startswith(prefix) and (not pattern or pattern in n)]
    items, token = page(groups, params.get('nextToken'), params.get('limit'), 50,
                        'InvalidParameterException', 'groups')
    return dict({'logGroups': items}, **({'nextToken': token} if token else {}))


def describe_log_streams(ctx, params):
    name, group = _group(ctx, params)
    order = params.get('orderBy', 'LogStreamName')
    prefix = params.get('logStreamNamePrefix')
    if order == 'LastEventTime' and prefix:
        raise AwsError('InvalidParameterException', 'Cannot order by LastEventTime with a '
                       'logStreamNamePrefix.')
    infos = [_stream_info(ctx, name, s, ev) for s, ev in group['streams'].items()
             if not prefix or s.startswith(prefix)]
    if order == 'LastEventTime':
        infos.sort(key=lambda i: i.get('lastEventTimestamp', 0))
    else:
        infos.sort(key=lambda i: i['logStreamName'])
    if params.get('descending'):
        infos.reverse()
    items, token = page(infos, params.get('nextToken'), params.get('limit'), 50,
                        'InvalidParameterException', 'streams')
    return dict({'logStreams': items}, **({'nextToken': token} if token else {}))


def _in_window(event, params):
    start, end = params.get('startTime'), params.get('endTime')
    return (start is None or event['timestamp'] >= start) and \
        (end is None or event['timestamp'] <= end)


def _time_params(params):
    out = dict(params)
    for key in ('startTime', 'endTime'):
        if isinstance(out.get(key), datetime.datetime):
            out[key] = awstime.epoch_millis(out[key])
    return out


def get_log_events(ctx, params):
    params = _time_params(params)
    _, group = _group(ctx, params)
    events = group['streams'].get(params['logStreamName'])
    if events is None:
        raise AwsError('ResourceNotFoundException', 'The specified log stream does not exist.')
    events = [e for e in events if _in_window(e, params)]
    limit = params.get('limit') or 10000
    token = params.get('nextToken')
    if token:
        direction, _, offset = token.partition('/')
        if direction not in ('f', 'b') or not offset.isdigit():
            raise AwsError('InvalidParameterException', 'The specified nextToken is invalid.')
        offset = int(offset)
        start, end = (offset, offset + limit) if direction == 'f' else \
            (max(0, offset - limit), offset)
    elif params.get('startFromHead'):
        start, end = 0, limit
    else:
        start, end = max(0, len(events) - limit), len(events)
    end = min(end, len(events))
    chosen = [{k: e[k] for k in ('timestamp', 'message', 'ingestionTime')}
              for e in events[start:end]]
    return {'events': chosen, 'nextForwardToken': 'f/%056d' % end,
            'nextBackwardToken': 'b/%056d' % start}


def filter_log_events(ctx, params):
    params = _time_params(params)
    name, group = _group(ctx, params)
    try:
        matcher = compile_pattern(params.get('filterPattern'))
    except PatternError as exc:
        raise AwsError('InvalidParameterException', str(exc)) from None
    wanted = params.get('logStreamNames')
    prefix = params.get('logStreamNamePrefix')
    if wanted and prefix:
        raise AwsError('InvalidParameterException', 'logStreamNames and logStreamNamePrefix '
                       'are mutually exclusive')
    streams = [s for s in sorted(group['streams'])
               if (not wanted or s in wanted) and (not prefix or s.startswith(prefix))]
    hits = []
    for stream in streams:
        for event in group['streams'][stream]:
            if _in_window(event, params) and matcher(event['message']):
                hits.append(dict(event, logStreamName=stream))
    hits.sort(key=lambda e: (e['timestamp'], e['eventId']))
    page_size = ctx.world.section('logs').get('filter_page_size', 10000)
    size = min(params.get('limit') or 10000, page_size)
    start = decode_token(params.get('nextToken'), 'InvalidParameterException', 'filter')
    chosen = hits[start:start + size]
    out = {'events': chosen,
           'searchedLogStreams': [{'logStreamName': s, 'searchedCompletely': True}
                                  for s in streams]}
    if start + size < len(hits):
        out['nextToken'] = encode_token(start + size, 'filter')
    return out


HANDLERS = {
    ('logs', 'DescribeLogGroups'): describe_log_groups,
    ('logs', 'DescribeLogStreams'): describe_log_streams,
    ('logs', 'GetLogEvents'): get_log_events,
    ('logs', 'FilterLogEvents'): filter_log_events,
}
