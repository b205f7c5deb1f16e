"""Synthetic invocations for POST /__fake/traffic: metrics and log lines "from now on".

Exists for verification tests: after a fix is applied, a test says what traffic the
function then served ("5 invocations, none failed", "2 timed out") and the fake adds,
at the server's current time, what Lambda would have published for it: AWS/Lambda
metric datapoints (Invocations, Errors, Duration, Throttles) in the world's cloudwatch
section and START / END / REPORT log lines in a new log stream of
/aws/lambda/FUNCTION, in the same representation the world loader builds, so the
existing read handlers (GetMetricStatistics, GetMetricData, FilterLogEvents,
GetLogEvents, DescribeLogStreams) serve them. Body (all but "function" optional):

    {"function": "my-fn", "invocations": 5, "errors": 0, "timeouts": 0, "throttles": 0,
     "duration_ms": 120, "max_memory_mb": 90, "init_duration_ms": 400,
     "log_lines": ["[INFO]\\t{iso}\\t{request_id}\\tdone\\n"],
     "error_message": "KeyError: 'id'", "version": "$LATEST", "at": "now"}

Of the invocations, "errors" fail with an unhandled exception and "timeouts" run into
the function's configured Timeout (both count in Errors, as in Lambda); "log_lines" are
written once, inside the first invocation. A function's LoggingConfig is followed: the
lines go to its LogGroup, and with LogFormat JSON they are the JSON records Lambda writes
(platform.start / platform.report with a status / {timestamp, level, requestId, message}).
Never called by a client under test.
"""

import hashlib
import json
import math
import re
import uuid

import awstime
from handlers import svc_cloudwatch

FIELDS = ('function', 'invocations', 'errors', 'timeouts', 'throttles', 'duration_ms',
          'max_memory_mb', 'init_duration_ms', 'log_lines', 'error_message', 'version', 'at')
COUNTS = ('invocations', 'errors', 'timeouts', 'throttles')


class TrafficError(ValueError):
    """The body is unusable; the message says which field and why."""


def _validate(world, body):
    if not isinstance(body, dict):
        raise TrafficError('traffic body must be a JSON object with at least "function"')
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise TrafficError('unknown traffic field %r (known: %s)'
                           % (unknown[0], ', '.join(FIELDS)))
    name = body.get('function')
    if name not in world.section('lambda').get('functions', {}):
        raise TrafficError('traffic for unknown function %r: the world has no such function'
                           % name)
    for key in COUNTS:
        value = body.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise TrafficError('traffic field %r must be a whole number >= 0, not %r'
                               % (key, value))
    if body.get('errors', 0) + body.get('timeouts', 0) > body.get('invocations', 0):
        raise TrafficError('traffic "errors" + "timeouts" exceed "invocations"')
    lines = body.get('log_lines', [])
    if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
        raise TrafficError('traffic field "log_lines" must be a list of strings')
    for key in ('duration_ms', 'max_memory_mb', 'init_duration_ms'):
        if key in body and (not isinstance(body[key], (int, float)) or body[key] < 0):
            raise TrafficError('traffic field %r must be a number >= 0' % key)
    return name


def _when(body, now):
    raw = body.get('at', 'now')
    try:
        return awstime.parse(raw, now)
    except (ValueError, TypeError):
        raise TrafficError('traffic field "at" must be "now", a relative time such as "-2m" '
                           'or an ISO 8601 time, not %r' % (raw,)) from None


def _metric(world, name, metric_name, unit):
    metrics = world.section('cloudwatch').setdefault('metrics', [])
    dims = {'FunctionName': name}
    for metric in metrics:
        if metric['Namespace'] == 'AWS/Lambda' and metric['MetricName'] == metric_name \
                and metric['Dimensions'] == dims:
            return metric
    metric = {'Namespace': 'AWS/Lambda', 'MetricName': metric_name, 'Dimensions': dims,
              'Unit': unit, '_points': []}
    metrics.append(metric)
    return metric


def _counted(when, total, hits):
    """A datapoint of `total` samples, `hits` of them 1 and the rest 0."""
    return {'Timestamp': when, 'Sum': hits, 'SampleCount': total,
            'Minimum': 1 if hits == total else 0, 'Maximum': 1 if hits else 0}


def _add_metrics(world, name, when, body, durations):
    n, throttles = body.get('invocations', 0), body.get('throttles', 0)
    failed = body.get('errors', 0) + body.get('timeouts', 0)
    raw = []
    if n:
        raw += [('Invocations', 'Count', _counted(when, n, n)),
                ('Errors', 'Count', _counted(when, n, failed)),
                ('Duration', 'Milliseconds', {'Timestamp': when, 'Values': durations})]
    if n or throttles:
        raw.append(('Throttles', 'Count', _counted(when, max(throttles, 1), throttles)))
    for metric_name, unit, point in raw:
        metric = _metric(world, name, metric_name, unit)
        metric['_points'].append(svc_cloudwatch._point(point, when))
    return [m for m, _, _ in raw]


def _log_group(world, name, when, config):
    group_name = (config.get('LoggingConfig') or {}).get('LogGroup') or '/aws/lambda/' + name
    groups = world.section('logs').setdefault('log_groups', {})
    if group_name not in groups:
        groups[group_name] = {'streams': {}, 'group': {
            'logGroupName': group_name, 'creationTime': awstime.epoch_millis(when),
            'metricFilterCount': 0, 'storedBytes': 0,
            'arn': 'arn:aws:logs:%s:%s:log-group:%s:*' % (world.region, world.account_id,
                                                          group_name)}}
    return group_name, groups[group_name]


def _report(rid, duration, config, memory_used, init=None, status=None):
    text = 'REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: ' \
           '%d MB\tMax Memory Used: %d MB\t' % (rid, duration, math.ceil(duration),
                                                 config.get('MemorySize', 128), memory_used)
    if init is not None:
        text += 'Init Duration: %.2f ms\t' % init
    if status:
        text += 'Status: %s\t' % status
    return text + '\n'


def _init_start(config):
    """INIT_START as Lambda writes it: "python3.12" runs "python:3.12.vNN"."""
    runtime = config.get('Runtime', 'python3.12')
    name = re.sub(r'^([a-z]+)(\d)', r'\1:\2', runtime).replace('.x', '') + '.v1'
    arn = 'arn:aws:lambda:%s::runtime:%s' % (
        config.get('FunctionArn', '::::').split(':')[3],
        hashlib.sha256(runtime.encode()).hexdigest())
    return 'INIT_START Runtime Version: %s\tRuntime Version ARN: %s\n' % (name, arn)


def _json_line(line, rid, iso):
    """A text line as Lambda's JSON log format writes it (LoggingConfig.LogFormat JSON):
    platform.* records for START / REPORT / INIT_START, a platform.report status instead of
    END and 'Task timed out', {timestamp, level, requestId, message} for the rest."""
    body = line.rstrip('\n')
    if body.startswith('END RequestId:') or 'Task timed out after' in body:
        return None
    rec = None
    m = re.match(r'^START RequestId: (\S+) Version: (\S+)$', body)
    if m:
        rec = {'time': iso, 'type': 'platform.start',
               'record': {'requestId': m.group(1), 'version': m.group(2)}}
    m = re.match(r'^INIT_START Runtime Version: (\S+)\tRuntime Version ARN: (\S+)$', body)
    if m:
        rec = {'time': iso, 'type': 'platform.initStart',
               'record': {'initializationType': 'on-demand', 'phase': 'init',
                          'runtimeVersion': m.group(1), 'runtimeVersionArn': m.group(2)}}
    m = re.match(r'^REPORT RequestId: (\S+)\t(.*)$', body)
    if m:
        fields = dict(f.split(': ', 1) for f in m.group(2).strip('\t').split('\t'))
        metrics = {'durationMs': float(fields['Duration'].split()[0]),
                   'billedDurationMs': int(fields['Billed Duration'].split()[0]),
                   'memorySizeMB': int(fields['Memory Size'].split()[0]),
                   'maxMemoryUsedMB': int(fields['Max Memory Used'].split()[0])}
        if 'Init Duration' in fields:
            metrics['initDurationMs'] = float(fields['Init Duration'].split()[0])
        rec = {'time': iso, 'type': 'platform.report',
               'record': {'requestId': m.group(1), 'metrics': metrics,
                          'status': fields.get('Status', 'success')}}
    if rec is None:
        level, text = 'INFO', body
        m = re.match(r'^\[(\w+)\]\s+(.*)$', body, re.S)
        if m:
            level, text = m.group(1), m.group(2)
        rec = {'timestamp': iso, 'level': level, 'requestId': rid,
               'message': text.split('\r')[0]}
    return json.dumps(rec, separators=(',', ':')) + '\n'


def _invocation_lines(body, config, index, outcome, rid, iso):
    """The messages one invocation writes; also returns its duration in ms."""
    version = body.get('version', '$LATEST')
    memory = int(body.get('max_memory_mb', max(1, config.get('MemorySize', 128) // 4)))
    init = body.get('init_duration_ms') if index == 0 else None
    lines = []
    if init is not None:
        lines.append(_init_start(config))
    lines.append('START RequestId: %s Version: %s\n' % (rid, version))
    if index == 0:
        for line in body.get('log_lines', []):
            line = line.replace('{iso}', iso).replace('{request_id}', rid)
            lines.append(line if line.endswith('\n') else line + '\n')
    duration = float(body.get('duration_ms', 100))
    status = None
    if outcome == 'error':
        lines.append('[ERROR] %s\rTraceback (most recent call last):\r  File '
                     '"/var/task/%s", line 1, in handler\r\n'
                     % (body.get('error_message', 'Exception: simulated failure'),
                        config.get('Handler', 'app.handler').split('.')[0] + '.py'))
    elif outcome == 'timeout':
        timeout = float(config.get('Timeout', 3))
        duration = timeout * 1000
        lines.append('%s %s Task timed out after %.2f seconds\n' % (iso, rid, timeout))
        status = 'timeout'
    lines.append('END RequestId: %s\n' % rid)
    lines.append(_report(rid, duration, config, memory, init, status))
    if (config.get('LoggingConfig') or {}).get('LogFormat') == 'JSON':
        lines = [x for x in (_json_line(line, rid, iso) for line in lines) if x is not None]
    return lines, duration


def _add_logs(world, name, when, body):
    config = world.section('lambda')['functions'][name]['configuration']
    n, errors = body.get('invocations', 0), body.get('errors', 0)
    ok = n - errors - body.get('timeouts', 0)
    outcomes = ['ok'] * ok + ['error'] * errors + ['timeout'] * (n - ok - errors)
    millis, iso = awstime.epoch_millis(when), awstime.iso8601(when)
    messages, durations, rids = [], [], []
    for index, outcome in enumerate(outcomes):
        rid = str(uuid.uuid4())
        lines, duration = _invocation_lines(body, config, index, outcome, rid, iso)
        messages += lines
        durations.append(duration)
        rids.append(rid)
    if not n and body.get('log_lines'):
        messages = [x if x.endswith('\n') else x + '\n' for x in body['log_lines']]
    if not messages:
        return None, None, durations, rids
    group_name, group = _log_group(world, name, when, config)
    stream = '%s/[%s]%s' % (when.strftime('%Y/%m/%d'), body.get('version', '$LATEST'),
                            uuid.uuid4().hex)
    seq = world.state.get('traffic_events', 0)
    events = []
    for i, message in enumerate(messages):
        events.append({'timestamp': millis, 'message': message, 'ingestionTime': millis + 150,
                       'eventId': '%056d' % (millis * 1000000 + seq + i)})
    world.state['traffic_events'] = seq + len(events)
    group['streams'][stream] = events
    return group_name, stream, durations, rids


def add(world, body):
    """Apply one traffic body to the world (caller holds world.lock); the summary."""
    name = _validate(world, body)
    when = _when(body, awstime.now())
    group_name, stream, durations, rids = _add_logs(world, name, when, body)
    metrics = _add_metrics(world, name, when, body, durations)
    return {'function': name, 'time': awstime.iso8601(when),
            'timestamp': awstime.epoch_millis(when), 'log_group': group_name,
            'log_stream': stream, 'request_ids': rids,
            'events': len(world.section('logs')['log_groups'][group_name]['streams'][stream])
            if stream else 0, 'metrics': metrics}
