"""The log readers follow the function's LoggingConfig: a custom log group (text format)
and the JSON format reach the same timeout conclusion as the default group in text.

Worlds: tests/worlds/timeout.json (default group, text), timeout_log_group.json (the same
logs in /shared/reports, LoggingConfig.LogGroup; no /aws/lambda/report-builder) and
timeout_json_logs.json (the same invocations as JSON platform and application records).
"""

import json
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import StepTestCase, fake_aws  # noqa: E402

FN = 'report-builder'
TITLE = '12 invocations timed out at the 3 s timeout (p99 3 s)'


class TimeoutAcrossLogFormats(StepTestCase):
    step = 'timeout'

    def timeout_finding(self, world):
        """The step's fail finding and the log groups FilterLogEvents was asked for."""
        with fake_aws(world) as fake:
            r, findings = self.triage(fake, FN)
            groups = {q['params'].get('logGroupName') for q in fake.requests()
                      if q.get('operation') == 'FilterLogEvents'}
        self.assertEqual(r.code, 1, repr(r))
        return self.only(findings, 'fail', 'timed out'), groups

    def assertSameConclusion(self, f, base):
        self.assertEqual(f['title'], base['title'])
        self.assertTrue(f['title'].startswith(TITLE), f['title'])
        for key in ('timeouts', 'timeout_s', 'invocations', 'cold_timeouts',
                    'recommended_timeout_s', 'p99_ms', 'max_ms'):
            self.assertEqual(f['data'][key], base['data'][key], key)
        self.assertEqual(f['fix']['commands'], base['fix']['commands'])
        self.assertEqual(f['confidence'], 'high')
        ev = '\n'.join(f['evidence'])
        self.assertIn('p99 3 s, max 3 s over 120 invocations (REPORT lines)', ev)
        self.assertIn('1 of 12 timed-out invocations was a cold start', ev)

    def test_default_custom_group_and_json_reach_the_same_timeout_conclusion(self):
        base, base_groups = self.timeout_finding('timeout')
        self.assertEqual(base_groups, {'/aws/lambda/' + FN})
        self.assertEqual(base['data']['recommended_timeout_s'], 6)

        custom, groups = self.timeout_finding('timeout_log_group')
        self.assertEqual(groups, {'/shared/reports'})  # never the default group
        self.assertSameConclusion(custom, base)
        self.assertIn("12 'Task timed out after 3.00 seconds' lines", custom['evidence'][0])

        js, groups = self.timeout_finding('timeout_json_logs')
        self.assertEqual(groups, {'/aws/lambda/' + FN})
        self.assertSameConclusion(js, base)
        ev = '\n'.join(js['evidence'])
        self.assertIn('12 invocations timed out in the last 1h (12 JSON platform.report '
                      'records with status "timeout")', ev)
        self.assertIn('"type":"platform.report"', ev)  # the record quoted as Lambda wrote it
        self.assertNotIn('Task timed out after', ev)


def json_record(message):
    """A text log line of the vpc world as Lambda's JSON format writes it (None: no line)."""
    body = message.rstrip('\n')
    if body.startswith('END RequestId:') or 'Task timed out after' in body:
        return None
    m = re.match(r'^START RequestId: (\S+) Version: (\S+)$', body)
    if m:
        return {'time': '{iso}', 'type': 'platform.start',
                'record': {'requestId': m.group(1), 'version': m.group(2)}}
    m = re.match(r'^REPORT RequestId: (\S+)\t(.*)$', body)
    if m:
        fields = dict(f.split(': ', 1) for f in m.group(2).strip('\t').split('\t'))
        return {'time': '{iso}', 'type': 'platform.report', 'record': {
            'requestId': m.group(1), 'status': fields.get('Status', 'success'),
            'metrics': {'durationMs': float(fields['Duration'].split()[0]),
                        'billedDurationMs': int(fields['Billed Duration'].split()[0]),
                        'memorySizeMB': int(fields['Memory Size'].split()[0]),
                        'maxMemoryUsedMB': int(fields['Max Memory Used'].split()[0])}}}
    m = re.match(r'^\[ERROR\] ([\w.]+): ([^\r\n]*)', body)
    if m:
        return {'timestamp': '{iso}', 'level': 'ERROR', 'errorType': m.group(1),
                'message': m.group(2), 'requestId': 'c958a792-4e9a-430c-bcfd-c56a522162b3'}
    m = re.match(r'^\[(\w+)\]\t\{iso\}\t(\S+)\t(.*)$', body)
    return {'timestamp': '{iso}', 'level': m.group(1), 'requestId': m.group(2),
            'message': m.group(3)}


class VpcAcrossLogFormats(StepTestCase):
    step = 'vpc'

    def test_json_logs_give_the_same_connect_timeout_evidence(self):
        with open(os.path.join(HERE, '..', 'worlds', 'vpc.json')) as f:
            world = json.load(f)
        world['lambda']['functions']['report-fn']['configuration']['LoggingConfig'] = {
            'LogFormat': 'JSON', 'LogGroup': '/aws/lambda/report-fn'}
        for stream in world['logs']['log_groups']['/aws/lambda/report-fn']['streams'].values():
            converted = [dict(e, message=json.dumps(json_record(e['message'])) + '\n')
                         for e in stream if json_record(e['message']) is not None]
            self.assertTrue(all(e['message'].startswith('{') for e in converted))
            stream[:] = converted
        base = self.run_world('vpc', 'report-fn')[1]
        js = self.run_world(world, 'report-fn')[1]
        self.assertEqual([(f['severity'], f['title']) for f in js],
                         [(f['severity'], f['title']) for f in base])
        line = "5 connect timeouts / timed-out invocations in the logs"
        for findings in (base, js):
            ev = '\n'.join(e for f in findings if f['severity'] == 'fail' for e in f['evidence'])
            self.assertIn(line, ev)

    def test_json_timeout_reports_are_not_called_task_timed_out_lines(self):
        # the 2 timed-out invocations are text lines in vpc.json, platform.report records
        # (status "timeout") in JSON: the same count and wording, and no 'Task timed out'
        # quoted or named where the logs hold none
        with open(os.path.join(HERE, '..', 'worlds', 'vpc.json')) as f:
            world = as_json_logs(json.load(f), 'report-fn')
        js = self.run_world(world, 'report-fn')[1]
        counts = [e for f in js for e in f['evidence'] if 'timed-out invocations' in e]
        self.assertTrue(counts)
        self.assertTrue(all(e.startswith('5 connect timeouts / timed-out invocations in the '
                                         'logs, first at ') for e in counts), counts)
        ev = '\n'.join(e for f in js for e in f['evidence'])
        self.assertNotIn('Task timed out', ev)
        # the quoted witness is the report, as its text line
        self.assertRegex(ev, r'REPORT RequestId: e429392b-\S+ Duration: .* Status: timeout')


def as_json_logs(world, function):
    """The world with the function logging in JSON: its log lines as Lambda's records."""
    world['lambda']['functions'][function]['configuration']['LoggingConfig'] = {
        'LogFormat': 'JSON', 'LogGroup': '/aws/lambda/' + function}
    for stream in world['logs']['log_groups']['/aws/lambda/' + function]['streams'].values():
        stream[:] = [dict(e, message=json.dumps(json_record(e['message'])) + '\n')
                     for e in stream if json_record(e['message']) is not None]
    return world


class BadGatewayAcrossLogFormats(StepTestCase):
    step = 'bad_gateway'

    def test_json_exceptions_are_classified_as_their_text_lines(self):
        with open(os.path.join(HERE, '..', 'worlds', 'bad_gateway.json')) as f:
            world = as_json_logs(json.load(f), 'orders-fn')
        base = self.run_world('bad_gateway', 'orders-fn')[1]
        js = self.run_world(world, 'orders-fn')[1]
        self.assertEqual([(f['severity'], f['title']) for f in js],
                         [(f['severity'], f['title']) for f in base])
        ev = '\n'.join(e for f in js for e in f['evidence'])
        self.assertIn("KeyError: 'customerId'", ev)

    def test_json_timeout_report_is_the_timeout_error_class(self):
        # orders-fn with one more invocation that timed out: in text a 'Task timed out'
        # line, in JSON only its platform.report with status "timeout"
        rid = '9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a'
        with open(os.path.join(HERE, '..', 'worlds', 'bad_gateway.json')) as f:
            world = json.load(f)
        stream = next(iter(world['logs']['log_groups']['/aws/lambda/orders-fn']['streams']
                           .values()))
        stream.extend({'timestamp': '-30m', 'message': m} for m in (
            'START RequestId: %s Version: $LATEST\n' % rid,
            '{iso} %s Task timed out after 20.02 seconds\n\n' % rid,
            'END RequestId: %s\n' % rid,
            'REPORT RequestId: %s\tDuration: 20015.33 ms\tBilled Duration: 20000 ms\t'
            'Memory Size: 512 MB\tMax Memory Used: 80 MB\tStatus: timeout\n' % rid))
        stream.sort(key=lambda e: -int(e['timestamp'][1:-1]))
        base = self.run_world(world, 'orders-fn')[1]
        js = self.run_world(as_json_logs(world, 'orders-fn'), 'orders-fn')[1]
        self.assertEqual([(f['severity'], f['title']) for f in js],
                         [(f['severity'], f['title']) for f in base])
        for findings, witness in ((base, 'Task timed out after 20.02 seconds'),
                                  (js, 'Status: timeout')):
            f = self.only(findings, 'fail', 'orders-fn failed 5 invocations')
            self.assertIn({'kind': 'timeout', 'count': 1}, f['data']['kinds'])
            ev = '\n'.join(f['evidence'])
            self.assertIn('the invocation timed out: once, at ', ev)
            self.assertIn(witness, ev)


class ErrorsFollowTheLogGroup(StepTestCase):
    step = 'errors'

    def test_errors_step_reads_the_configured_group(self):
        with fake_aws('timeout_log_group') as fake:
            r, findings = self.triage(fake, FN)
            groups = {q['params'].get('logGroupName') for q in fake.requests()
                      if q.get('operation') == 'FilterLogEvents'}
        self.assertEqual(groups, {'/shared/reports'})
        titles = ' | '.join(f['title'] for f in findings)
        self.assertNotIn('no log group', titles)
        self.assertIn('12', titles, titles)


if __name__ == '__main__':
    unittest.main()
