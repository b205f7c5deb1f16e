"""The timeout step through the real binary: timeouts, out of memory, API Gateway's 29 s,
p99 close to the timeout, the REPORT lines against the Duration metric, and no false alarm.

Worlds: tests/worlds/timeout.json, oom.json, healthy.json, basic.json, plus small worlds
written per test for the edge cases.
"""

import json
import os
import sys
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import CliTestCase, fake_aws  # noqa: E402

ACCOUNT = '123456789012'
CREDS = [{'access_key_id': 'AKIAIOSFODNN7EXAMPLE',
          'secret_access_key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'}]


def small_world(name, config, durations, timed_out=(), api=False, metric=None, logs=True):
    """A world with one function and one REPORT line per duration (ms), a minute apart;
    indexes in timed_out end with 'Task timed out'. metric: Duration metric values
    (defaults to the durations themselves)."""
    timeout = config['Timeout']
    events = []
    for i, d in enumerate(durations):
        rid = str(uuid.UUID(int=0x5eed0000 + i, version=4))
        t = (len(durations) - i) * 60 + 30
        events.append({'timestamp': '-%ds' % t, 'message': 'START RequestId: %s Version: $LATEST\n' % rid})
        end = '-%dms' % (t * 1000 - int(d))
        if i in timed_out:
            events.append({'timestamp': end, 'message': '{iso} %s Task timed out after %.2f seconds\n'
                           % (rid, timeout)})
        events.append({'timestamp': end, 'message': 'END RequestId: %s\n' % rid})
        events.append({'timestamp': end, 'message': (
            'REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\t'
            'Max Memory Used: 90 MB\t%s\n') % (rid, d, int(d) + 1, config['MemorySize'],
                                               'Status: timeout' if i in timed_out else '')})
    values = metric if metric is not None else durations
    world = {
        'description': 'test world for %s' % name, 'credentials': CREDS,
        'lambda': {'functions': {name: {'configuration': config}}},
        'logs': {'log_groups': {'/aws/lambda/' + name: {'streams': {
            '{date}/[$LATEST]0123456789abcdef0123456789abcdef': events}}}},
        'cloudwatch': {'metrics': [
            {'Namespace': 'AWS/Lambda', 'MetricName': 'Duration', 'Unit': 'Milliseconds',
             'Dimensions': {'FunctionName': name},
             'datapoints': [{'Timestamp': '-%ds' % ((len(values) - i) * 60 + 30), 'Value': v}
                            for i, v in enumerate(values)]}]},
    }
    if not logs:
        del world['logs']
    if api:
        world['lambda']['functions'][name]['policy'] = {
            'Version': '2012-10-17', 'Statement': [{
                'Sid': 'search-api-invoke', 'Effect': 'Allow',
                'Principal': {'Service': 'apigateway.amazonaws.com'},
                'Action': 'lambda:InvokeFunction',
                'Resource': 'arn:aws:lambda:us-east-1:%s:function:%s' % (ACCOUNT, name),
                'Condition': {'ArnLike': {'AWS:SourceArn':
                                          'arn:aws:execute-api:us-east-1:%s:s3a7c9h2x1/*/GET/search'
                                          % ACCOUNT}}}]}
    return world


class TimeoutStepTest(CliTestCase):

    def triage(self, world, function):
        if isinstance(world, dict):
            path = self.write('world.json', json.dumps(world))
            world = path
        with fake_aws(world) as fake:
            r = self.rb(fake, 'triage.lua', function, '--steps', 'timeout', '--format', 'json')
        self.assertIn(r.code, (0, 1), repr(r))
        steps = r.json()['steps']
        self.assertEqual([s['id'] for s in steps], ['timeout'], repr(r))
        return r, steps[0]['findings']

    def only(self, findings, severity):
        chosen = [f for f in findings if f['severity'] == severity]
        self.assertEqual(len(chosen), 1, json.dumps(findings, indent=1))
        return chosen[0]

    def test_timeout_fails_on_task_timed_out_lines_and_doubles_the_timeout(self):
        r, findings = self.triage('timeout', 'report-builder')
        self.assertEqual(r.code, 1)
        self.assertNotIn('c7x2k9m4p1q8', r.out)  # the DB_HOST environment value
        f = self.only(findings, 'fail')
        self.assertEqual(f['title'], '12 invocations timed out at the 3 s timeout (p99 3 s)')
        ev = '\n'.join(f['evidence'])
        self.assertRegex(ev, r"12 invocations timed out in the last 1h \(12 'Task timed out "
                             r"after 3\.00 seconds' lines\), first at 20\d\d-\d\d-\d\dT"
                             r"\d\d:\d\d:\d\dZ, last at ")
        self.assertIn('p99 3 s, max 3 s over 120 invocations (REPORT lines)', ev)
        self.assertRegex(ev, r'\d{4}-\d\d-\d\dT[\d:.]+Z [0-9a-f-]{36} Task timed out after 3\.00 seconds')
        self.assertIn('1 of 12 timed-out invocations was a cold start', ev)
        self.assertIn('consistent with the REPORT lines', ev)
        self.assertIn('invoked by API Gateway (policy statement reports-api-invoke', ev)
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-function-configuration --function-name report-builder '
            '--timeout 6 --memory-size 512'])
        self.assertEqual(f['fix']['changes'], 'Timeout 3 s -> 6 s, MemorySize 256 MB -> 512 MB')
        self.assertIn('X-Ray', f['fix']['explain'])
        self.assertIn('RDS Proxy', f['fix']['explain'])
        self.assertEqual(f['confidence'], 'high')
        self.assertEqual(f['data']['timeouts'], 12)
        self.assertEqual(f['data']['invocations'], 120)
        self.assertEqual(f['data']['recommended_timeout_s'], 6)
        self.assertEqual(f['data']['series']['label'], 'Duration p99 (ms)')
        self.assertGreater(len(f['data']['series']['values']), 30)
        self.assertEqual(max(f['data']['series']['values']), 3000)

    def test_timeout_calls_signal_killed_at_the_memory_limit_out_of_memory_not_timeout(self):
        r, findings = self.triage('oom', 'image-resizer')
        self.assertEqual(r.code, 1)
        f = self.only(findings, 'fail')
        self.assertEqual(f['title'], 'out of memory, not a timeout: 7 invocations killed at '
                                     'the 128 MB limit')
        ev = '\n'.join(f['evidence'])
        self.assertIn('7 invocations ended with Max Memory Used 128 MB = Memory Size 128 MB', ev)
        self.assertRegex(ev, r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ RequestId: [0-9a-f-]{36} Error: '
                             r'Runtime exited with error: signal: killed')
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-function-configuration --function-name image-resizer '
            '--memory-size 256'])
        self.assertEqual(f['fix']['changes'], 'MemorySize 128 MB -> 256 MB')
        for g in findings:
            for cmd in (g.get('fix') or {}).get('commands', []):
                self.assertNotIn('--timeout', cmd)

    def test_timeout_healthy_function_gets_no_alarm(self):
        r, findings = self.triage('healthy', 'orders-api')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual([f['severity'] for f in findings], ['ok'])
        f = findings[0]
        self.assertRegex(f['title'], r'^no timeouts in the last 1h \(p99 \d+ ms of 10 s\)$')
        self.assertEqual(f['data']['invocations'], 88)
        self.assertLess(f['data']['p99_ms'], 1000)
        self.assertIn('consistent with the REPORT lines', '\n'.join(f['evidence']))

    def test_timeout_caps_an_api_backed_function_at_29_seconds(self):
        config = {'Runtime': 'python3.12', 'Timeout': 20, 'MemorySize': 1024}
        durations = [3100.0, 4800.5, 20000.0, 6100.2, 8900.7, 20000.0, 5200.3, 7300.9,
                     20000.0, 4100.1]
        world = small_world('search-api', config, durations, timed_out={2, 5, 8}, api=True)
        r, findings = self.triage(world, 'search-api')
        f = self.only(findings, 'fail')
        self.assertEqual(f['title'], '3 invocations timed out at the 20 s timeout (p99 20 s)')
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-function-configuration --function-name search-api --timeout 29'])
        self.assertIn('API Gateway gives up at 29 s', f['fix']['explain'])
        self.assertNotIn('--memory-size', f['fix']['commands'][0])

    def test_timeout_warns_when_an_api_backed_timeout_exceeds_29_seconds(self):
        r, findings = self.triage('basic', 'my-fn')
        self.assertEqual(r.code, 0, repr(r))
        f = self.only(findings, 'warn')
        self.assertEqual(f['title'], "timeout 30 s exceeds API Gateway's 29 s limit")
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-function-configuration --function-name my-fn --timeout 29'])
        self.assertIn('orders-rest-api-invoke', '\n'.join(f['evidence']))

    def test_timeout_warns_when_p99_is_close_to_the_timeout(self):
        config = {'Runtime': 'nodejs22.x', 'Timeout': 3, 'MemorySize': 1024}
        durations = [1200.0 + 10 * i for i in range(38)] + [2650.0, 2700.0]
        r, findings = self.triage(small_world('quote-fn', config, durations), 'quote-fn')
        self.assertEqual(r.code, 0, repr(r))
        f = self.only(findings, 'warn')
        self.assertEqual(f['title'], 'p99 2.7 s is 90% of the 3 s timeout')
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-function-configuration --function-name quote-fn --timeout 5'])
        self.assertEqual(f['data']['p99_ms'], 2700)

    def test_timeout_says_when_the_duration_metric_disagrees_with_report_lines(self):
        config = {'Runtime': 'python3.12', 'Timeout': 10, 'MemorySize': 512}
        durations = [100.0 + i for i in range(10)]
        world = small_world('lag-fn', config, durations, metric=[9000.0] * 10)
        r, findings = self.triage(world, 'lag-fn')
        f = self.only(findings, 'ok')
        self.assertEqual(f['confidence'], 'medium')
        self.assertRegex('\n'.join(f['evidence']), r'CloudWatch Duration p99 per 60 s: highest '
                                                    r'9 s: disagrees with the REPORT lines')

    def test_timeout_without_a_log_group_judges_the_duration_metric(self):
        config = {'Runtime': 'python3.12', 'Timeout': 5, 'MemorySize': 1024}
        world = small_world('nolog-fn', config, [1500.0, 2200.0, 4700.0, 1800.0], logs=False)
        r, findings = self.triage(world, 'nolog-fn')
        f = self.only(findings, 'warn')
        self.assertEqual(f['title'], 'p99 4.7 s is 94% of the 5 s timeout')
        ev = '\n'.join(f['evidence'])
        self.assertIn('over 4 periods (Duration metric p99 per 60 s, no REPORT lines)', ev)
        self.assertIn('no log group /aws/lambda/nolog-fn: durations come from the metric only', ev)
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-function-configuration --function-name nolog-fn --timeout 8'])


if __name__ == '__main__':
    unittest.main()
