"""POST /__fake/traffic: synthetic invocations at the server's current time, read back
through the ordinary CloudWatch and CloudWatch Logs handlers with botocore.
"""

import datetime
import json
import unittest

from test_lambda_writes import basic_with
from testlib import FakeTestCase

MINUTE = datetime.timedelta(minutes=1)


def _world():
    """basic, plus a function that has neither logs nor metrics yet, and one that logs
    in JSON to a custom group."""
    world = basic_with()
    world['lambda']['functions']['quiet-fn'] = {'configuration': {'MemorySize': 256}}
    world['lambda']['functions']['json-fn'] = {'configuration': {'LoggingConfig': {
        'LogFormat': 'JSON', 'LogGroup': '/custom/json-fn'}}}
    return world


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class Traffic(FakeTestCase):
    world = _world()

    def events(self, function, start, pattern=''):
        logs = self.client('logs')
        out = logs.filter_log_events(logGroupName='/aws/lambda/' + function,
                                     startTime=int(start.timestamp() * 1000),
                                     filterPattern=pattern)
        return [e['message'] for e in out['events']]

    def metric(self, function, name, stat, start):
        cw = self.client('cloudwatch')
        out = cw.get_metric_statistics(
            Namespace='AWS/Lambda', MetricName=name, Statistics=[stat], Period=60,
            Dimensions=[{'Name': 'FunctionName', 'Value': function}],
            StartTime=start - MINUTE, EndTime=utcnow() + MINUTE)
        return [p[stat] for p in out['Datapoints']]

    def test_invocations_become_log_lines_and_metrics_from_now_on(self):
        start = utcnow()
        self.assertEqual(self.events('my-fn', start), [], 'nothing new before the traffic')
        summary = self.fake.traffic('my-fn', invocations=5, errors=1, timeouts=1,
                                    duration_ms=120, log_lines=['[INFO]\t{iso}\t{request_id}\tok'])
        self.assertEqual(len(summary['request_ids']), 5)
        self.assertEqual(summary['log_group'], '/aws/lambda/my-fn')
        self.assertEqual(self.events('my-fn', start, 'START'),
                         ['START RequestId: %s Version: $LATEST\n' % r
                          for r in summary['request_ids']])
        reports = self.events('my-fn', start, 'REPORT')
        self.assertEqual(len(reports), 5)
        self.assertIn('\tDuration: 120.00 ms\tBilled Duration: 120 ms\tMemory Size: 512 MB\t',
                      reports[0])
        self.assertTrue(reports[4].endswith('Duration: 30000.00 ms\tBilled Duration: 30000 ms'
                                            '\tMemory Size: 512 MB\tMax Memory Used: 128 MB\t'
                                            'Status: timeout\t\n'), reports[4])
        timed_out = self.events('my-fn', start, '"Task timed out"')
        self.assertEqual(len(timed_out), 1)
        self.assertRegex(timed_out[0], r'^\d{4}-\d\d-\d\dT[\d:.]+Z %s Task timed out after '
                         r'30.00 seconds\n$' % summary['request_ids'][4])
        self.assertEqual(len(self.events('my-fn', start, '"[ERROR] Exception"')), 1)
        info = self.events('my-fn', start, 'ok')
        self.assertEqual(info, ['[INFO]\t%s\t%s\tok\n' % (summary['time'],
                                                        summary['request_ids'][0])])
        self.assertEqual(sum(self.metric('my-fn', 'Invocations', 'Sum', start)), 5)
        self.assertEqual(sum(self.metric('my-fn', 'Errors', 'Sum', start)), 2)
        self.assertEqual(max(self.metric('my-fn', 'Duration', 'Maximum', start)), 30000)
        self.assertEqual(sum(self.metric('my-fn', 'Throttles', 'Sum', start)), 0)

    def test_a_fix_changes_what_the_next_traffic_logs(self):
        lam = self.client('lambda')
        lam.update_function_configuration(FunctionName='vpc-fn', Timeout=60, MemorySize=2048)
        start = utcnow()
        self.fake.traffic('vpc-fn', invocations=1, timeouts=1, max_memory_mb=300,
                          init_duration_ms=412.5)
        lines = self.events('vpc-fn', start)
        self.assertTrue(lines[0].startswith('INIT_START Runtime Version: nodejs:20.v1\t'),
                        lines[0])
        self.assertIn('Task timed out after 60.00 seconds', ''.join(lines))
        self.assertIn('Memory Size: 2048 MB\tMax Memory Used: 300 MB\tInit Duration: 412.50 ms'
                      '\tStatus: timeout\t', lines[-1])

    def test_traffic_follows_the_logging_config_group_and_json_format(self):
        start = utcnow()
        out = self.fake.traffic('json-fn', invocations=2, timeouts=1, duration_ms=40)
        self.assertEqual(out['log_group'], '/custom/json-fn')
        logs = self.client('logs')
        lines = [e['message'] for e in logs.filter_log_events(
            logGroupName='/custom/json-fn', startTime=int(start.timestamp() * 1000))['events']]
        records = [json.loads(x) for x in lines]
        kinds = [r.get('type') for r in records]
        self.assertEqual(kinds, ['platform.start', 'platform.report'] * 2)
        self.assertEqual([r['record']['status'] for r in records if 'record' in r
                          and r['type'] == 'platform.report'], ['success', 'timeout'])
        self.assertEqual(records[-1]['record']['metrics']['durationMs'], 3000.0)
        self.assertNotIn('Task timed out', ''.join(lines))

    def test_metric_data_and_throttles_and_a_new_log_group(self):
        start = utcnow()
        out = self.fake.traffic('quiet-fn', invocations=0, throttles=3)
        self.assertEqual((out['log_stream'], out['metrics']), (None, ['Throttles']))
        cw = self.client('cloudwatch')
        data = cw.get_metric_data(StartTime=start - MINUTE, EndTime=utcnow() + MINUTE,
                                  MetricDataQueries=[{'Id': 't', 'MetricStat': {
                                      'Metric': {'Namespace': 'AWS/Lambda',
                                                 'MetricName': 'Throttles',
                                                 'Dimensions': [{'Name': 'FunctionName',
                                                                 'Value': 'quiet-fn'}]},
                                      'Period': 60, 'Stat': 'Sum'}}])
        self.assertEqual(sum(data['MetricDataResults'][0]['Values']), 3)
        self.fake.traffic('quiet-fn', invocations=2)
        logs = self.client('logs')
        groups = logs.describe_log_groups(logGroupNamePrefix='/aws/lambda/quiet-fn')
        self.assertEqual([g['logGroupName'] for g in groups['logGroups']],
                         ['/aws/lambda/quiet-fn'])
        streams = logs.describe_log_streams(logGroupName='/aws/lambda/quiet-fn')['logStreams']
        self.assertEqual(len(streams), 1)
        self.assertRegex(streams[0]['logStreamName'],
                         r'^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$')
        got = logs.get_log_events(logGroupName='/aws/lambda/quiet-fn',
                                  logStreamName=streams[0]['logStreamName'], startFromHead=True)
        self.assertEqual([e['message'].split(' ')[0] for e in got['events']],
                         ['START', 'END', 'REPORT', 'START', 'END', 'REPORT'])

    def test_a_past_time_and_bad_bodies(self):
        start = utcnow()
        self.fake.traffic('my-fn', invocations=1, at='-10m', log_lines=['old line'])
        self.assertEqual(self.events('my-fn', start, '"old line"'), [])
        ten_ago = start - datetime.timedelta(minutes=11)
        self.assertEqual(self.events('my-fn', ten_ago, '"old line"'), ['old line\n'])
        for fields, message in (({'invocations': -1}, "'invocations' must be a whole number"),
                                ({'invocations': 1, 'errors': 2}, 'exceed "invocations"'),
                                ({'invocatons': 1}, "unknown traffic field 'invocatons'"),
                                ({'log_lines': 'x'}, 'must be a list of strings'),
                                ({'at': 'yesterday'}, 'traffic field "at" must be')):
            with self.assertRaises(ValueError) as caught:
                self.fake.traffic('my-fn', **fields)
            self.assertIn(message, str(caught.exception))
        with self.assertRaisesRegex(ValueError, "unknown function 'nope'"):
            self.fake.traffic('nope', invocations=1)


if __name__ == '__main__':
    unittest.main()
