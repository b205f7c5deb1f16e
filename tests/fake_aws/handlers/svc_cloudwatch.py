"""CloudWatch metrics: GetMetricStatistics, GetMetricData, ListMetrics, DescribeAlarms.

Exists so throttle, error-rate, duration and cold-start diagnoses can read realistic
metric series: a world lists metrics with raw values or pre-aggregated datapoints
(relative times allowed) and the handlers bucket them by Period and compute the
statistics (Sum, Average, ..., and percentiles such as p99) the way CloudWatch does,
with CloudWatch's own validation errors for bad periods and ranges.
"""

import datetime
import math
import re

import awstime
from errors import AwsError

STATS = ('SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum')
PERCENTILE = re.compile(r'^p(\d{1,2}(?:\.\d{1,2})?|100)$')


def _point(raw, base):
    """Normalize a world datapoint to {ts, sum, count, min, max, samples, pct}."""
    ts = awstime.parse(raw.get('Timestamp', 'now'), base)
    samples = raw.get('Values')
    if samples is None and 'Value' in raw:
        samples = [raw['Value']]
    if samples is not None:
        samples = [float(v) for v in samples]
        return {'ts': ts, 'sum': sum(samples), 'count': float(len(samples)),
                'min': min(samples), 'max': max(samples), 'samples': samples, 'pct': {}}
    count = float(raw.get('SampleCount', 1))
    total = float(raw.get('Sum', raw.get('Average', 0) * count))
    return {'ts': ts, 'sum': total, 'count': count,
            'min': float(raw.get('Minimum', total / count if count else 0)),
            'max': float(raw.get('Maximum', total / count if count else 0)),
            'samples': None, 'pct': {k: float(v) for k, v in raw.items() if PERCENTILE.match(k)}}


def _dims(value):
    if isinstance(value, dict):
        return dict(value)
    return {d['Name']: d['Value'] for d in value or []}


def prepare(world):
    base = world.loaded_at
    for metric in world.section('cloudwatch').setdefault('metrics', []):
        metric['Dimensions'] = _dims(metric.get('Dimensions'))
        metric.setdefault('Unit', 'None')
        points = [_point(p, base) for p in metric.get('datapoints', [])]
        series = metric.get('series')
        if series:
            start = awstime.parse(series.get('start', '-60m'), base)
            step = awstime.relative('+' + series.get('every', '1m'), base) - base
            points += [_point({'Timestamp': start + step * i, 'Value': v}, base)
                       for i, v in enumerate(series['values']) if v is not None]
        metric['_points'] = points
    world.section('cloudwatch').setdefault('alarms', [])


def _key(namespace, name, dims):
    return namespace, name, tuple(sorted(dims.items()))


def _find(ctx, namespace, name, dims):
    """The world's metric with this identity, through an index (a GetMetricData call of
    a fleet sweep asks for 500 metrics of a world holding thousands); the index is
    rebuilt when metrics were added (traffic.py appends them)."""
    metrics = ctx.world.section('cloudwatch')['metrics']
    cached = ctx.world.state.get('cloudwatch_index')
    if cached is None or cached[0] is not metrics or cached[1] != len(metrics):
        index = {}
        for metric in metrics:
            index.setdefault(_key(metric['Namespace'], metric['MetricName'],
                                  metric['Dimensions']), metric)
        cached = (metrics, len(metrics), index)
        ctx.world.state['cloudwatch_index'] = cached
    return cached[2].get(_key(namespace, name, dims))


def _percentile(bucket, name):
    samples = [s for p in bucket if p['samples'] for s in p['samples']]
    if samples:
        samples.sort()
        rank = max(1, int(math.ceil(float(name[1:]) / 100.0 * len(samples))))
        return samples[rank - 1]
    given = [p['pct'][name] for p in bucket if name in p['pct']]
    return max(given) if given else max(p['max'] for p in bucket)


def _stat(bucket, stat):
    total = sum(p['sum'] for p in bucket)
    count = sum(p['count'] for p in bucket)
    if stat == 'Sum':
        return total
    if stat == 'SampleCount':
        return count
    if stat == 'Average':
        return total / count if count else 0.0
    if stat == 'Minimum':
        return min(p['min'] for p in bucket)
    if stat == 'Maximum':
        return max(p['max'] for p in bucket)
    return _percentile(bucket, stat)


def _check_window(start, end, period):
    if start >= end:
        raise AwsError('InvalidParameterValue', 'The parameter StartTime must be less than '
                       'the parameter EndTime.')
    if period not in (1, 5, 10, 30) and period % 60:
        raise AwsError('InvalidParameterValue', 'The parameter Period must be a multiple of '
                       '60.')


def _buckets(metric, start, end, period, unit):
    """{bucket start datetime: [points]} for points in [start, end)."""
    out = {}
    if metric is None or (unit and unit != metric['Unit']):
        return out
    for point in metric['_points']:
        if start <= point['ts'] < end:
            epoch = int(point['ts'].timestamp()) // period * period
            key = datetime.datetime.fromtimestamp(epoch, awstime.UTC)
            out.setdefault(key, []).append(point)
    return out


def get_metric_statistics(ctx, params):
    stats = params.get('Statistics') or []
    extended = params.get('ExtendedStatistics') or []
    if not stats and not extended:
        raise AwsError('InvalidParameterCombination', 'At least one of the parameters '
                       'Statistics and ExtendedStatistics must be specified.')
    for name in extended:
        if not PERCENTILE.match(name):
            raise AwsError('InvalidParameterValue', 'The value %s for parameter '
                           'ExtendedStatistics is not supported.' % name)
    start, end, period = params['StartTime'], params['EndTime'], params['Period']
    _check_window(start, end, period)
    requested = int((end - start).total_seconds() // period)
    if requested > 1440:
        raise AwsError('InvalidParameterCombination', 'You have requested up to %s '
                       'datapoints, which exceeds the limit of 1,440. You may reduce the '
                       'datapoints requested by increasing Period, or decreasing the time '
                       'range.' % format(requested, ','))
    metric = _find(ctx, params['Namespace'], params['MetricName'],
                   _dims(params.get('Dimensions')))
    points = []
    for when, bucket in sorted(_buckets(metric, start, end, period,
                                        params.get('Unit')).items()):
        point = {'Timestamp': when, 'Unit': metric['Unit']}
        for stat in stats:
            point[stat] = _stat(bucket, stat)
        if extended:
            point['ExtendedStatistics'] = {e: _stat(bucket, e) for e in extended}
        points.append(point)
    return {'Label': params['MetricName'], 'Datapoints': points}


def _metric_data_result(ctx, query, start, end, descending):
    stat = query['MetricStat']
    metric_id = stat['Metric']
    metric = _find(ctx, metric_id.get('Namespace'), metric_id.get('MetricName'),
                   _dims(metric_id.get('Dimensions')))
    buckets = sorted(_buckets(metric, start, end, stat['Period'], stat.get('Unit')).items(),
                     reverse=descending)
    return {'Id': query['Id'], 'Label': query.get('Label', metric_id.get('MetricName')),
            'Timestamps': [t for t, _ in buckets],
            'Values': [_stat(b, stat['Stat']) for _, b in buckets], 'StatusCode': 'Complete'}


def get_metric_data(ctx, params):
    start, end = params['StartTime'], params['EndTime']
    descending = params.get('ScanBy', 'TimestampDescending') == 'TimestampDescending'
    results, messages = [], []
    for query in params['MetricDataQueries']:
        if query.get('ReturnData') is False:
            continue
        if 'MetricStat' not in query:
            results.append({'Id': query['Id'], 'Label': query.get('Label', query['Id']),
                            'Timestamps': [], 'Values': [], 'StatusCode': 'Complete'})
            messages.append({'Code': 'Unsupported', 'Value': 'The fake does not evaluate '
                             'metric math expressions (%s)' % query['Id']})
            continue
        _check_window(start, end, query['MetricStat']['Period'])
        results.append(_metric_data_result(ctx, query, start, end, descending))
    return {'MetricDataResults': results, 'Messages': messages}


def list_metrics(ctx, params):
    wanted = params.get('Dimensions') or []
    out = []
    for metric in ctx.world.section('cloudwatch')['metrics']:
        if params.get('Namespace') not in (None, metric['Namespace']):
            continue
        if params.get('MetricName') not in (None, metric['MetricName']):
            continue
        dims = metric['Dimensions']
        if any(f['Name'] not in dims or f.get('Value') not in (None, dims[f['Name']])
               for f in wanted):
            continue
        out.append({'Namespace': metric['Namespace'], 'MetricName': metric['MetricName'],
                    'Dimensions': [{'Name': k, 'Value': v} for k, v in sorted(dims.items())]})
    return {'Metrics': out}


def describe_alarms(ctx, params):
    alarms = ctx.world.section('cloudwatch')['alarms']
    names = params.get('AlarmNames')
    prefix = params.get('AlarmNamePrefix', '')
    state = params.get('StateValue')
    chosen = [a for a in alarms if (not names or a.get('AlarmName') in names)
              and a.get('AlarmName', '').startswith(prefix)
              and state in (None, a.get('StateValue'))]
    return {'MetricAlarms': chosen, 'CompositeAlarms': []}


HANDLERS = {
    ('cloudwatch', 'GetMetricStatistics'): get_metric_statistics,
    ('cloudwatch', 'GetMetricData'): get_metric_data,
    ('cloudwatch', 'ListMetrics'): list_metrics,
    ('cloudwatch', 'DescribeAlarms'): describe_alarms,
}
