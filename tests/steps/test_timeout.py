"""The timeout step through the real binary: timeouts, out of memory, the integration
timeout of the APIs in front, p99 close to the timeout, the REPORT lines against the
Duration metric, no false alarm, and the fixes as plans (operation, parameters, the
rendered command, verify entries), in the aws and aws-cn partitions.

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

from clitest import StepTestCase  # noqa: E402

ACCOUNT = '123456789012'
CREDS = [{'access_key_id': 'AKIAIOSFODNN7EXAMPLE',
          'secret_access_key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'}]
XRAY = 'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess'


def rest_api(name, function, region='us-east-1', timeout_ms=None):
    """A REST API whose GET /search integrates the function (AWS_PROXY)."""
    integration = {'type': 'AWS_PROXY', 'httpMethod': 'POST', 'uri': (
        'arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/arn:aws:lambda:%s:%s:function:'
        '%s/invocations' % (region, region, ACCOUNT, function))}
    if timeout_ms is not None:
        integration['timeoutInMillis'] = timeout_ms
    return {'rest_apis': {'s3a7c9h2x1': {
        'api': {'name': name}, 'stages': {'prod': {'deploymentId': 'd1'}},
        'resources': {'root0a': {'path': '/'}, 'srch1': {
            'parentId': 'root0a', 'pathPart': 'search', 'path': '/search',
            'methods': {'GET': {'method': {}, 'integration': integration}}}}}}}


def http_api(name, function, region='us-east-1', timeout_ms=None):
    """An HTTP API whose GET /search route integrates the function (AWS_PROXY)."""
    integration = {'IntegrationType': 'AWS_PROXY', 'PayloadFormatVersion': '2.0',
                   'IntegrationUri': 'arn:aws:lambda:%s:%s:function:%s' % (region, ACCOUNT, function)}
    if timeout_ms is not None:
        integration['TimeoutInMillis'] = timeout_ms
    return {'apis': {'h5t6p7a8b9': {
        'api': {'Name': name}, 'integrations': {'int0001': integration},
        'routes': {'rt0001': {'RouteKey': 'GET /search', 'Target': 'integrations/int0001'}},
        'stages': {'$default': {'AutoDeploy': True, 'DeploymentId': 'dep0001'}}}}}


def small_world(name, config, durations, timed_out=(), api=False, metric=None, logs=True,
                timeout_ms=None, used_mb=90, lines=()):
    """A world with one function and one REPORT line per duration (ms), a minute apart;
    indexes in timed_out end with 'Task timed out'. metric: Duration metric values
    (defaults to the durations themselves). api: a REST API integrates the function
    ('http': an HTTP API). used_mb: Max Memory Used of every REPORT line, or a list (one
    per duration). lines: {index: log line} written before that invocation's END."""
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
        if i in dict(lines):
            events.append({'timestamp': end, 'message': dict(lines)[i] % {'rid': rid}})
        used = used_mb[i] if isinstance(used_mb, list) else used_mb
        events.append({'timestamp': end, 'message': 'END RequestId: %s\n' % rid})
        events.append({'timestamp': end, 'message': (
            'REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\t'
            'Max Memory Used: %d MB\t%s\n') % (rid, d, int(d) + 1, config['MemorySize'], used,
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
    if api == 'http':
        world['apigatewayv2'] = http_api('search-http-api', name, timeout_ms=timeout_ms)
    elif api:
        world['apigateway'] = rest_api('search-api', name, timeout_ms=timeout_ms)
    return world


class TimeoutStepTest(StepTestCase):
    step = 'timeout'

    def test_timeout_fails_on_task_timed_out_lines_and_doubles_the_timeout(self):
        r, findings = self.run_world('timeout', 'report-builder')
        self.assertEqual(r.code, 1)
        self.assertNotIn('c7x2k9m4p1q8', r.out)  # the DB_HOST environment value
        f = self.only(findings, 'fail', '')
        self.assertEqual(f['title'], '12 invocations timed out at the 3 s timeout (p99 3 s)')
        ev = '\n'.join(f['evidence'])
        self.assertRegex(ev, r"12 invocations timed out in the last 1h \(12 'Task timed out "
                             r"after 3\.00 seconds' lines\), first at 20\d\d-\d\d-\d\dT"
                             r"\d\d:\d\d:\d\dZ, last at ")
        self.assertIn('p99 3 s, max 3 s over 120 invocations (REPORT lines)', ev)
        self.assertRegex(ev, r'\d{4}-\d\d-\d\dT[\d:.]+Z [0-9a-f-]{36} Task timed out after 3\.00 seconds')
        self.assertIn('1 of 12 timed-out invocations was a cold start', ev)
        self.assertIn('consistent with the REPORT lines', ev)
        # the API in front comes from its integration (apis evidence), not the policy
        self.assertIn('invoked through API Gateway: REST API reports-api (r3p8t5v2w9) '
                      'GET /reports/{id}; it stops waiting after 29 s', ev)
        self.assertEqual(f['fix']['commands'], [
            'aws iam attach-role-policy --role-name report-builder-role --policy-arn ' + XRAY,
            'aws lambda update-function-configuration --function-name report-builder '
            '--memory-size 512 --timeout 6 --tracing-config \'{"Mode":"Active"}\''])
        self.assertEqual(f['fix']['changes'], 'Timeout 3 s -> 6 s, MemorySize 256 MB -> 512 MB, '
                                              'TracingConfig PassThrough -> Active, role '
                                              'report-builder-role + AWSXRayDaemonWriteAccess')
        self.assertIn('X-Ray', f['fix']['explain'])
        self.assertIn('RDS Proxy', f['fix']['explain'])
        self.assertEqual(f['confidence'], 'high')
        self.assertEqual(f['data']['timeouts'], 12)
        self.assertEqual(f['data']['invocations'], 120)
        self.assertEqual(f['data']['recommended_timeout_s'], 6)
        self.assertEqual(f['data']['series']['label'], 'Duration p99 (ms)')
        self.assertGreater(len(f['data']['series']['values']), 30)
        self.assertEqual(max(f['data']['series']['values']), 3000)

    def test_timeout_fix_is_a_plan_with_undo_and_verify(self):
        r, findings = self.run_world('timeout', 'report-builder')
        fix = self.only(findings, 'fail', '')['fix']
        attach, update = fix['plan']
        self.assertEqual((attach['service'], attach['operation']), ('iam', 'AttachRolePolicy'))
        self.assertEqual(attach['params'], {'RoleName': 'report-builder-role', 'PolicyArn': XRAY})
        self.assertEqual(attach['undo']['operation'], 'DetachRolePolicy')
        # same operation and values as the hand-written command it replaces
        self.assertEqual((update['service'], update['operation']),
                         ('lambda', 'UpdateFunctionConfiguration'))
        self.assertEqual(update['params'], {'FunctionName': 'report-builder', 'Timeout': 6,
                                            'MemorySize': 512, 'TracingConfig': {'Mode': 'Active'}})
        self.assertEqual(update['before'], {'Timeout': 3, 'MemorySize': 256,
                                            'TracingConfig': {'Mode': 'PassThrough'}})
        self.assertEqual(update['undo']['params'], dict(update['before'], FunctionName='report-builder'))
        self.assertEqual(update['read']['operation'], 'GetFunctionConfiguration')
        self.assertEqual([v['what'] for v in fix['verify']],
                         ['Timeout >= 6', 'MemorySize >= 512', 'TracingConfig.Mode == Active'])

    def test_timeout_role_that_may_trace_gets_no_attach_and_active_tracing_no_change(self):
        config = {'Runtime': 'nodejs22.x', 'Timeout': 3, 'MemorySize': 1024,
                  'Role': 'arn:aws:iam::%s:role/quote-fn-role' % ACCOUNT}
        durations = [1200.0 + 10 * i for i in range(38)] + [2650.0, 2700.0]
        world = small_world('quote-fn', config, durations)
        world['iam'] = {'roles': {'quote-fn-role': {'attached_policies': [XRAY]}}}
        r, findings = self.run_world(world, 'quote-fn')
        fix = self.only(findings, 'warn', '')['fix']
        self.assertEqual([s['operation'] for s in fix['plan']], ['UpdateFunctionConfiguration'])
        world['lambda']['functions']['quote-fn']['configuration']['TracingConfig'] = {'Mode': 'Active'}
        r, findings = self.run_world(world, 'quote-fn')
        fix = self.only(findings, 'warn', '')['fix']
        self.assertEqual(fix['commands'], [
            'aws lambda update-function-configuration --function-name quote-fn --timeout 5'])
        self.assertEqual([v['what'] for v in fix['verify']], ['Timeout >= 5'])
        self.assertIn('X-Ray is on', fix['explain'])

    def test_timeout_builds_the_xray_policy_arn_in_the_functions_partition(self):
        config = {'Runtime': 'python3.12', 'Timeout': 3, 'MemorySize': 1024,
                  'FunctionArn': 'arn:aws-cn:lambda:cn-north-1:%s:function:bj-fn' % ACCOUNT,
                  'Role': 'arn:aws-cn:iam::%s:role/bj-fn-role' % ACCOUNT}
        durations = [1200.0 + 10 * i for i in range(38)] + [2650.0, 2700.0]
        world = dict(small_world('bj-fn', config, durations), region='cn-north-1')
        r, findings = self.run_world(world, 'bj-fn')
        fix = self.only(findings, 'warn', '')['fix']
        self.assertEqual(fix['commands'][0], 'aws iam attach-role-policy --role-name bj-fn-role '
                         '--policy-arn arn:aws-cn:iam::aws:policy/AWSXRayDaemonWriteAccess')
        self.assertNotIn('arn:aws:', json.dumps(fix))

    def test_timeout_calls_signal_killed_at_the_memory_limit_out_of_memory_not_timeout(self):
        r, findings = self.run_world('oom', 'image-resizer')
        self.assertEqual(r.code, 1)
        f = self.only(findings, 'fail', '')
        self.assertEqual(f['title'], 'out of memory, not a timeout: 7 invocations killed at '
                                     'the 128 MB limit')
        ev = '\n'.join(f['evidence'])
        self.assertIn('7 invocations ended with Max Memory Used 128 MB = Memory Size 128 MB', ev)
        self.assertRegex(ev, r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ RequestId: [0-9a-f-]{36} Error: '
                             r'Runtime exited with error: signal: killed')
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-function-configuration --function-name image-resizer '
            '--memory-size 256'])
        self.assertEqual(f['fix']['plan'][0]['params'], {'FunctionName': 'image-resizer',
                                                         'MemorySize': 256})
        self.assertEqual([v['what'] for v in f['fix']['verify']], ['MemorySize >= 256'])
        self.assertEqual(f['fix']['changes'], 'MemorySize 128 MB -> 256 MB')
        for g in findings:
            for cmd in (g.get('fix') or {}).get('commands', []):
                self.assertNotIn('--timeout', cmd)

    def test_timeout_healthy_function_gets_no_alarm(self):
        r, findings = self.run_world('healthy', 'orders-api')
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
        r, findings = self.run_world(world, 'search-api')
        f = self.only(findings, 'fail', '')
        self.assertEqual(f['title'], '3 invocations timed out at the 20 s timeout (p99 20 s)')
        self.assertEqual(f['fix']['plan'][-1]['params']['Timeout'], 29)
        self.assertEqual(f['fix']['commands'][-1],
                         'aws lambda update-function-configuration --function-name search-api '
                         '--timeout 29 --tracing-config \'{"Mode":"Active"}\'')
        self.assertTrue(f['fix']['explain'].startswith('raise the timeout to 29 s, as far as it '
                                                       'can go; '), f['fix']['explain'])
        self.assertIn('the durations call for 40 s but API Gateway stops waiting after 29 s '
                      'whatever the function\'s timeout, so a longer timeout cannot fix this: the '
                      'real fix is asynchronous work (accept the request and return 202 at once, '
                      'then process it via SQS or an asynchronous invoke', f['fix']['explain'])
        self.assertNotIn('--memory-size', f['fix']['commands'][-1])
        update = f['fix']['plan'][-1]
        self.assertEqual(update['before'], {'Timeout': 20, 'TracingConfig': {'Mode': 'PassThrough'}})
        self.assertEqual(update['after'], {'Timeout': 29, 'TracingConfig': {'Mode': 'Active'}})
        self.assertEqual(update['undo']['params'], {'FunctionName': 'search-api', 'Timeout': 20,
                                                    'TracingConfig': {'Mode': 'PassThrough'}})
        check = f['fix']['verify'][0]
        self.assertEqual((check['what'], check['path'], check['op'], check['value']),
                         ('Timeout >= 29', 'Timeout', '>=', 29))
        self.assertEqual(check['read'], {'service': 'lambda', 'operation': 'GetFunctionConfiguration',
                                         'params': {'FunctionName': 'search-api'}})

    def test_timeout_behind_an_http_api_caps_at_its_30_second_default(self):
        config = {'Runtime': 'python3.12', 'Timeout': 20, 'MemorySize': 1024,
                  'TracingConfig': {'Mode': 'Active'}}
        durations = [3100.0, 20000.0, 6100.2, 20000.0, 5200.3]
        world = small_world('search-api', config, durations, timed_out={1, 3}, api='http')
        r, findings = self.run_world(world, 'search-api')
        f = self.only(findings, 'fail', '')
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-function-configuration --function-name search-api --timeout 30'])
        self.assertEqual(f['fix']['plan'][0]['before'], {'Timeout': 20})
        self.assertIn('API Gateway stops waiting after 30 s', f['fix']['explain'])
        self.assertIn('return 202', f['fix']['explain'])
        self.assertIn('it stops waiting after 30 s', '\n'.join(f['evidence']))

    def test_timeout_under_the_api_cap_raises_from_p99_without_async_advice(self):
        config = {'Runtime': 'python3.12', 'Timeout': 10, 'MemorySize': 1024,
                  'TracingConfig': {'Mode': 'Active'}}
        durations = [4000.0 + 100 * i for i in range(30)] + [9100.0, 9300.0]
        world = small_world('search-api', config, durations, api=True)
        r, findings = self.run_world(world, 'search-api')
        f = self.only(findings, 'warn', '')
        # p99 9.3 s x 1.5 headroom = 14 s, under API Gateway's 29 s
        self.assertEqual(f['fix']['plan'][0]['params'], {'FunctionName': 'search-api', 'Timeout': 14})
        self.assertEqual([v['what'] for v in f['fix']['verify']], ['Timeout >= 14'])
        self.assertNotIn('202', f['fix']['explain'])

    def test_timeout_never_proposes_more_than_900_seconds(self):
        config = {'Runtime': 'python3.12', 'Timeout': 500, 'MemorySize': 2048,
                  'TracingConfig': {'Mode': 'Active'}}
        durations = [500000.0, 500000.0] + [60000.0] * 10
        world = small_world('batch-fn', config, durations, timed_out={0, 1})
        r, findings = self.run_world(world, 'batch-fn')
        f = self.only(findings, 'fail', '')
        self.assertEqual(f['fix']['plan'][0]['params']['Timeout'], 900)
        self.assertEqual(f['fix']['verify'][0]['value'], 900)
        self.assertIn("the durations call for 1000 s, past Lambda's 900 s maximum: split the work",
                      f['fix']['explain'])

    def test_timeout_runtime_out_of_memory_error_raises_memory_without_a_killed_line(self):
        config = {'Runtime': 'python3.12', 'Timeout': 30, 'MemorySize': 512,
                  'TracingConfig': {'Mode': 'Active'}}
        durations = [900.0, 1200.0, 1500.0]
        line = ('[ERROR] MemoryError\nTraceback (most recent call last):\n  File '
                '"/var/task/app.py", line 12, in handler\n    rows = list(reader)\n')
        world = small_world('etl-fn', config, durations, used_mb=[300, 340, 498],
                            lines={2: '[ERROR]\t{iso}\t%(rid)s\t' + line})
        r, findings = self.run_world(world, 'etl-fn')
        self.assertEqual(r.code, 1)
        f = self.only(findings, 'fail', '')
        self.assertEqual(f['title'], 'out of memory: 1 out-of-memory error at the 512 MB limit')
        self.assertIn('MemoryError', '\n'.join(f['evidence']))
        fix = f['fix']
        self.assertEqual(fix['plan'][0]['params'], {'FunctionName': 'etl-fn', 'MemorySize': 1024})
        self.assertEqual(fix['plan'][0]['before'], {'MemorySize': 512})
        self.assertEqual(fix['plan'][0]['after'], {'MemorySize': 1024})
        self.assertEqual(fix['plan'][0]['undo']['params'], {'FunctionName': 'etl-fn', 'MemorySize': 512})
        self.assertEqual(fix['plan'][0]['read']['operation'], 'GetFunctionConfiguration')
        self.assertEqual([(v['path'], v['op'], v['value']) for v in fix['verify']],
                         [('MemorySize', '>=', 1024)])
        self.assertEqual(fix['changes'], 'MemorySize 512 MB -> 1024 MB')
        self.assertIn('the real peak is unknown once it hits the limit', fix['explain'])
        self.assertEqual(f['data']['recommended_memory_mb'], 1024)

    def test_timeout_signal_killed_counts_only_at_the_limit_or_without_a_report(self):
        config = {'Runtime': 'python3.12', 'Timeout': 30, 'MemorySize': 512,
                  'TracingConfig': {'Mode': 'Active'}}
        killed = ('{iso} RequestId: %(rid)s Error: Runtime exited with error: signal: killed\n'
                  'Runtime.ExitError\n')
        # its REPORT says 90 MB of 512 MB: killed for another reason, not memory
        world = small_world('job-fn', config, [900.0, 1200.0], lines={1: killed})
        r, findings = self.run_world(world, 'job-fn')
        self.assertEqual([f['severity'] for f in findings], ['ok'], findings)
        # the killed invocation left no REPORT line: the runtime's own word counts
        world = small_world('job-fn', config, [900.0, 1200.0])
        stream = next(iter(world['logs']['log_groups']['/aws/lambda/job-fn']['streams'].values()))
        stream.append({'timestamp': '-20s', 'message': killed % {
            'rid': '0d3f1a2b-4c5d-4e6f-8a9b-0c1d2e3f4a5b'}})
        r, findings = self.run_world(world, 'job-fn')
        f = self.only(findings, 'fail', '')
        self.assertEqual(f['title'], 'out of memory: 1 out-of-memory error at the 512 MB limit')
        self.assertEqual(f['fix']['plan'][0]['params'], {'FunctionName': 'job-fn', 'MemorySize': 1024})

    def test_timeout_node_heap_out_of_memory_at_the_largest_size_has_no_plan(self):
        config = {'Runtime': 'nodejs22.x', 'Timeout': 30, 'MemorySize': 10240,
                  'TracingConfig': {'Mode': 'Active'}}
        line = ('{iso}\t%(rid)s\tERROR\tFATAL ERROR: Reached heap limit Allocation failed - '
                'JavaScript heap out of memory\n')
        world = small_world('big-fn', config, [2000.0, 2500.0], used_mb=[6000, 10240],
                            lines={1: line})
        r, findings = self.run_world(world, 'big-fn')
        f = self.only(findings, 'fail', '')
        self.assertNotIn('plan', f['fix'])
        self.assertIn("already has Lambda's largest memory, 10240 MB", f['fix']['explain'])
        self.assertIsNone(f['data'].get('recommended_memory_mb'))

    def test_timeout_warns_when_max_memory_used_is_near_the_limit(self):
        config = {'Runtime': 'python3.12', 'Timeout': 30, 'MemorySize': 1024,
                  'TracingConfig': {'Mode': 'Active'}}
        used = [610, 700, 820, 905, 980, 640]
        world = small_world('pdf-fn', config, [800.0] * len(used), used_mb=used)
        r, findings = self.run_world(world, 'pdf-fn')
        self.assertEqual(r.code, 0, repr(r))
        f = self.only(findings, 'warn', '')
        self.assertEqual(f['title'], 'memory near the limit: Max Memory Used up to 980 MB of '
                                     '1024 MB (95.7%)')
        fix = f['fix']
        # 980 MB / 0.7 = 1400 MB, rounded up to a multiple of 64 MB
        self.assertEqual(fix['commands'], [
            'aws lambda update-function-configuration --function-name pdf-fn --memory-size 1408'])
        step = fix['plan'][0]
        self.assertEqual((step['before'], step['after']), ({'MemorySize': 1024}, {'MemorySize': 1408}))
        self.assertEqual(step['undo']['params'], {'FunctionName': 'pdf-fn', 'MemorySize': 1024})
        self.assertEqual([(v['path'], v['op'], v['value']) for v in fix['verify']],
                         [('MemorySize', '>=', 1408)])
        self.assertEqual(f['data']['max_memory_used_mb'], 980)
        # below 90% of the limit: no memory finding
        world = small_world('pdf-fn', config, [800.0] * 3, used_mb=[610, 700, 900])
        r, findings = self.run_world(world, 'pdf-fn')
        self.assertEqual([f['severity'] for f in findings], ['ok'])

    def test_timeout_takes_the_ceiling_from_the_integration_timeout(self):
        config = {'Runtime': 'python3.12', 'Timeout': 20, 'MemorySize': 1024}
        world = small_world('search-api', config, [800.0, 950.0, 1020.0], api=True,
                            timeout_ms=15000)
        r, findings = self.run_world(world, 'search-api')
        f = self.only(findings, 'warn', '')
        self.assertEqual(f['title'], "timeout 20 s exceeds API Gateway's 15 s limit")
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-function-configuration --function-name search-api --timeout 15'])
        self.assertEqual([v['what'] for v in f['fix']['verify']], ['Timeout <= 15'])

    def test_timeout_warns_when_an_api_backed_timeout_exceeds_29_seconds(self):
        r, findings = self.run_world('basic', 'my-fn')
        self.assertEqual(r.code, 0, repr(r))
        f = self.only(findings, 'warn', '')
        self.assertEqual(f['title'], "timeout 30 s exceeds API Gateway's 29 s limit")
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-function-configuration --function-name my-fn --timeout 29'])
        self.assertIn('REST API orders-api (k8m2n4p6q0) POST /orders and HTTP API '
                      'orders-http-api (h7t8p9a0b1) GET /orders', '\n'.join(f['evidence']))

    def test_timeout_warns_when_p99_is_close_to_the_timeout(self):
        config = {'Runtime': 'nodejs22.x', 'Timeout': 3, 'MemorySize': 1024}
        durations = [1200.0 + 10 * i for i in range(38)] + [2650.0, 2700.0]
        r, findings = self.run_world(small_world('quote-fn', config, durations), 'quote-fn')
        self.assertEqual(r.code, 0, repr(r))
        f = self.only(findings, 'warn', '')
        self.assertEqual(f['title'], 'p99 2.7 s is 90% of the 3 s timeout')
        self.assertEqual(f['fix']['commands'][-1],
                         'aws lambda update-function-configuration --function-name quote-fn '
                         '--timeout 5 --tracing-config \'{"Mode":"Active"}\'')
        self.assertEqual(f['data']['p99_ms'], 2700)

    def test_timeout_says_when_the_duration_metric_disagrees_with_report_lines(self):
        config = {'Runtime': 'python3.12', 'Timeout': 10, 'MemorySize': 512}
        durations = [100.0 + i for i in range(10)]
        world = small_world('lag-fn', config, durations, metric=[9000.0] * 10)
        r, findings = self.run_world(world, 'lag-fn')
        f = self.only(findings, 'ok', '')
        self.assertEqual(f['confidence'], 'medium')
        self.assertRegex('\n'.join(f['evidence']), r'CloudWatch Duration p99 per 60 s: highest '
                                                    r'9 s: disagrees with the REPORT lines')

    def test_timeout_without_a_log_group_judges_the_duration_metric(self):
        config = {'Runtime': 'python3.12', 'Timeout': 5, 'MemorySize': 1024}
        world = small_world('nolog-fn', config, [1500.0, 2200.0, 4700.0, 1800.0], logs=False)
        r, findings = self.run_world(world, 'nolog-fn')
        f = self.only(findings, 'warn', '')
        self.assertEqual(f['title'], 'p99 4.7 s is 94% of the 5 s timeout')
        ev = '\n'.join(f['evidence'])
        self.assertIn('over 4 periods (Duration metric p99 per 60 s, no REPORT lines)', ev)
        self.assertIn('no log group /aws/lambda/nolog-fn: durations come from the metric only', ev)
        self.assertEqual(f['fix']['commands'][-1],
                         'aws lambda update-function-configuration --function-name nolog-fn '
                         '--timeout 8 --tracing-config \'{"Mode":"Active"}\'')

    def test_timeout_without_invocations_skips(self):
        config = {'Runtime': 'python3.12', 'Timeout': 5, 'MemorySize': 1024}
        r, findings = self.run_world(small_world('idle-fn', config, [], logs=False), 'idle-fn')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual([(f['severity'], f['title']) for f in findings],
                         [('skip', 'no invocations in the last 1h to compare with the 5 s timeout')])


if __name__ == '__main__':
    unittest.main()
