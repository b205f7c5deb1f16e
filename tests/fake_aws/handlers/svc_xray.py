"""X-Ray: trace summaries and full traces from a world's `xray.traces`.

Exists so the trace evidence (plugins/evidence/traces.lua) is tested end to end: a
world lists traces as X-Ray stores them (segment documents, the AWS::Lambda and
AWS::Lambda::Function segments with their subsegments) with times relative to the
world's load, and the fake answers GetTraceSummaries (time range, the filter expressions
`service("NAME")` and `service(id(name: "NAME", type: "TYPE"))`, NextToken paging) and
BatchGetTraces (at most 5 ids, UnprocessedTraceIds for traces the world marks as still
being processed) the way X-Ray does. Other filter expressions are refused with X-Ray's
InvalidRequestException naming the expression, so a test never passes on a filter the
fake silently ignored.
"""

import json
import re

import awstime
from errors import AwsError
from handlers.common import page
from world import WorldError

MAX_RANGE_S = 6 * 3600  # X-Ray refuses a GetTraceSummaries range longer than 6 hours
BATCH_MAX = 5

_ID = re.compile(r'^1-[0-9a-f]{8}-[0-9a-f]{24}$')
_SERVICE_ID = re.compile(r'^\s*service\(\s*id\(\s*name:\s*"((?:[^"\\]|\\.)*)"\s*,\s*'
                         r'type:\s*"([^"]*)"\s*\)\s*\)\s*$')
_SERVICE = re.compile(r'^\s*service\(\s*"((?:[^"\\]|\\.)*)"\s*\)\s*$')


def _absolute(doc, start):
    """A segment document with its start_time/end_time (seconds from the trace's start)
    made epoch seconds, recursively through subsegments."""
    out = dict(doc)
    for key in ('start_time', 'end_time'):
        if isinstance(out.get(key), (int, float)):
            out[key] = start + out[key]
    if isinstance(out.get('subsegments'), list):
        out['subsegments'] = [_absolute(s, start) for s in out['subsegments']]
    return out


def _flags(doc, acc):
    for key in ('fault', 'error', 'throttle'):
        if doc.get(key) is True:
            acc[key] = True
    for sub in doc.get('subsegments') or []:
        _flags(sub, acc)
    return acc


def _prepare_trace(world, i, trace):
    where = 'xray trace #%d' % (i + 1)
    if not _ID.match(str(trace.get('id', ''))):
        raise WorldError('%s needs an "id" like 1-6937f001-4b2c8e01f3a9d6c7b5e40001' % where)
    if not isinstance(trace.get('segments'), list) or not trace['segments']:
        raise WorldError('%s (%s) needs "segments", a list of segment documents'
                         % (where, trace['id']))
    start = awstime.parse(trace.get('start', '-10m'), world.loaded_at).timestamp()
    docs = [_absolute(d, start) for d in trace['segments']]
    times = [(d['start_time'], d['end_time']) for d in docs
             if isinstance(d.get('start_time'), float) and isinstance(d.get('end_time'), float)]
    if not times:
        raise WorldError('%s (%s): no segment has start_time and end_time' % (where, trace['id']))
    first, last = min(t[0] for t in times), max(t[1] for t in times)
    flags = {}
    for d in docs:
        _flags(d, flags)
    trace['_start'] = first
    trace['_docs'] = docs
    trace['_summary'] = {
        'Id': trace['id'], 'Duration': round(last - first, 3),
        'ResponseTime': round(last - first, 3), 'HasFault': flags.get('fault', False),
        'HasError': flags.get('error', False), 'HasThrottle': flags.get('throttle', False),
        'IsPartial': bool(trace.get('partial', False)),
        'ServiceIds': [{'Name': d.get('name'), 'Type': d.get('origin')}
                       for d in docs if d.get('origin') and not d.get('inferred')],
    }


def prepare(world):
    section = world.section('xray')
    for i, trace in enumerate(section.setdefault('traces', [])):
        _prepare_trace(world, i, trace)
    section.setdefault('page_size', 100)


def _matcher(expression):
    """A predicate over a trace for the filter expression, or raise InvalidRequest."""
    if expression is None or expression.strip() == '':
        return lambda trace: True
    m = _SERVICE_ID.match(expression)
    if m:
        name, kind = m.group(1).replace('\\"', '"'), m.group(2)
        return lambda trace: any(s['Name'] == name and s['Type'] == kind
                                 for s in trace['_summary']['ServiceIds'])
    m = _SERVICE.match(expression)
    if m:
        name = m.group(1).replace('\\"', '"')
        return lambda trace: any(s['Name'] == name for s in trace['_summary']['ServiceIds'])
    raise AwsError('InvalidRequestException', 'Invalid filter expression: %s (the fake '
                   'supports service("NAME") and service(id(name: "NAME", type: "TYPE")))'
                   % expression, 400)


def get_trace_summaries(ctx, params):
    start, end = params['StartTime'].timestamp(), params['EndTime'].timestamp()
    if end <= start:
        raise AwsError('InvalidRequestException', 'StartTime must be before EndTime', 400)
    if end - start > MAX_RANGE_S:
        raise AwsError('InvalidRequestException', 'Time range must be less than or equal to '
                       '6 hours', 400)
    keep = _matcher(params.get('FilterExpression'))
    section = ctx.world.section('xray')
    hits = [t for t in section['traces'] if start <= t['_start'] < end and keep(t)]
    hits.sort(key=lambda t: t['_start'], reverse=True)
    chunk, nxt = page(hits, params.get('NextToken'), None, section['page_size'],
                      code='InvalidRequestException', salt='xray')
    out = {'TraceSummaries': [t['_summary'] for t in chunk],
           'ApproximateTime': ctx.now, 'TracesProcessedCount': len(chunk)}
    if nxt:
        out['NextToken'] = nxt
    return out


def batch_get_traces(ctx, params):
    ids = params['TraceIds']
    if len(ids) > BATCH_MAX:
        raise AwsError('InvalidRequestException', 'TraceIds: at most %d trace ids per call, '
                       'got %d' % (BATCH_MAX, len(ids)), 400)
    by_id = {t['id']: t for t in ctx.world.section('xray')['traces']}
    traces, unprocessed = [], []
    for trace_id in ids:
        trace = by_id.get(trace_id)
        if trace is None:
            continue  # X-Ray leaves out ids it has no trace for
        if trace.get('unprocessed'):
            unprocessed.append(trace_id)
            continue
        traces.append({'Id': trace_id, 'Duration': trace['_summary']['Duration'],
                       'LimitExceeded': False,
                       'Segments': [{'Id': d.get('id', ''), 'Document': json.dumps(d)}
                                    for d in trace['_docs']]})
    return {'Traces': traces, 'UnprocessedTraceIds': unprocessed}


HANDLERS = {
    ('xray', 'GetTraceSummaries'): get_trace_summaries,
    ('xray', 'BatchGetTraces'): batch_get_traces,
}
