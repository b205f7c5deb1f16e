"""The bad_gateway step (502) through the real binary: malformed proxy responses from the
REST API's execution log (with the exact violation of the body API Gateway received),
unhandled errors and runtime exits in the function's log, each API integration's response
contract, turning on a stage's execution logging as an UpdateStage plan (its rendered command
sends what the hand-written one did), and no false alarm on healthy functions."""

import json
import os
import shlex
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import StepTestCase, fake_aws, ROOT  # noqa: E402

WORLD = os.path.join(ROOT, 'tests', 'worlds', 'bad_gateway.json')
ISO = r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ'
AWS_CLI = '/usr/bin/aws'
# The command the step wrote by hand before fix plans (the aws CLI's shorthand syntax).
LOGGING_FIX = ('aws apigateway update-stage --rest-api-id a7k2m9q4x1 --stage-name prod '
               '--patch-operations op=replace,path=/*/*/logging/loglevel,value=INFO '
               'op=replace,path=/*/*/logging/dataTrace,value=true')
LOGGING_OPS = [{'op': 'replace', 'path': '/*/*/logging/loglevel', 'value': 'INFO'},
               {'op': 'replace', 'path': '/*/*/logging/dataTrace', 'value': 'true'}]


def load(world):
    with open(world, encoding='utf-8') as fh:
        return json.load(fh)


class BadGatewayTest(StepTestCase):

    step = 'bad_gateway'

    def test_bad_gateway_finds_malformed_proxy_responses_and_the_body_that_caused_them(self):
        with fake_aws(WORLD) as fake:
            r, findings = self.triage(fake, 'orders-fn')
        self.assertEqual(r.code, 1, repr(r))
        f = self.only(findings, 'fail', "Malformed Lambda proxy response")
        self.assertIn('REST API orders-api (p9q8r7s6t5) stage prod', f['title'])
        self.assertIn('8 times', f['title'])
        evidence = '\n'.join(f['evidence'])
        self.assertRegex(evidence, r"8 'Malformed Lambda proxy response' lines in "
                         r"API-Gateway-Execution-Logs_p9q8r7s6t5/prod between %s and %s"
                         % (ISO, ISO))
        self.assertRegex(evidence, ISO + r' \(3f2a1b0c-[0-9a-f-]+\) Execution failed due to '
                         r'configuration error: Malformed Lambda proxy response')
        self.assertRegex(evidence, ISO + r' \(3f2a1b0c-[0-9a-f-]+\) Endpoint response body '
                         r'before transformations: \{"statusCode": 200')
        self.assertIn('violation $.body: body must be a string, got an object', evidence)
        self.assertIn('json.dumps', f['fix']['explain'])
        self.assertIn('runbook check-response response.json --api rest', f['fix']['explain'])
        self.assertEqual(f['data']['count'], 8)

    def test_bad_gateway_counts_unhandled_errors_per_invocation(self):
        with fake_aws(WORLD) as fake:
            _, findings = self.triage(fake, 'orders-fn')
        f = self.only(findings, 'fail', 'orders-fn failed 4 invocations in the last 1h')
        self.assertIn('an exception escaped the handler (3 times)', f['title'])
        evidence = '\n'.join(f['evidence'])
        self.assertRegex(evidence, ISO + r" \[ERROR\] KeyError: 'customerId'")
        self.assertRegex(evidence, r'the return value is not JSON-serializable: once, at ' + ISO)
        self.assertIn('Unable to marshal response: Object of type datetime is not JSON '
                      'serializable', evidence)
        self.assertIn('Lambda proxy integration', evidence)
        self.assertIn('default=str', f['fix']['explain'])
        self.assertEqual(f['data']['invocations'], 4)

    def test_bad_gateway_reads_node_init_failures_and_runtime_exits_behind_http_api(self):
        with fake_aws(WORLD) as fake:
            r, findings = self.triage(fake, 'status-fn')
        self.assertEqual(r.code, 1, repr(r))
        f = self.only(findings, 'fail', 'status-fn failed 4 invocations')
        self.assertIn("the handler's module cannot be imported (4 times)", f['title'])
        evidence = '\n'.join(f['evidence'])
        self.assertIn("Cannot find module 'axios'", evidence)
        self.assertRegex(evidence, ISO + r' RequestId: 4c5d6e7f-[0-9a-f-]+ Error: Runtime '
                         r'exited with error: exit status 129')
        self.assertIn('HTTP API status-http-api (v5w6x7y8z9) GET /status/{orderId}: payload '
                      'format 1.0', evidence)
        self.assertIn('HTTP APIs 500', f['why'])
        kinds = {k['kind']: k['count'] for k in f['data']['kinds']}
        self.assertEqual(kinds, {'import': 4, 'exit': 4})

    def test_bad_gateway_is_ok_on_healthy_api_backed_functions(self):
        cases = [('basic', 'my-fn')]
        if os.path.exists(os.path.join(ROOT, 'tests', 'worlds', 'healthy.json')):
            cases.append(('healthy', 'orders-api'))
        for world, function in cases:
            with self.subTest(world=world, function=function):
                with fake_aws(world) as fake:
                    r, findings = self.triage(fake, function)
                self.assertEqual(r.code, 0, repr(r))
                self.assertEqual([f['severity'] for f in findings], ['ok'], findings)
                self.assertRegex(findings[0]['title'], r'^no 502 causes in the last 1h')
                evidence = '\n'.join(findings[0]['evidence'])
                self.assertIn('Lambda proxy integration', evidence)
                self.assertIn('runbook check-response FILE --api rest', evidence)

    def test_bad_gateway_explains_each_integration_contract(self):
        with fake_aws('basic') as fake:
            _, findings = self.triage(fake, 'my-fn')
        evidence = '\n'.join(findings[0]['evidence'])
        self.assertIn('REST API orders-api (k8m2n4p6q0) POST /orders: Lambda proxy integration',
                      evidence)
        self.assertIn('HTTP API orders-http-api (h7t8p9a0b1) GET /orders: payload format 2.0',
                      evidence)
        self.assertIn('--api http --payload 2.0', evidence)
        # the REST stage logs at ERROR: its execution log is read, not reported as off
        self.assertNotIn('update-stage', evidence)

    def test_bad_gateway_shows_how_to_log_executions_when_a_stage_does_not(self):
        if not os.path.exists(os.path.join(ROOT, 'tests', 'worlds', 'healthy.json')):
            self.skipTest('no healthy world')
        with fake_aws('healthy') as fake:
            _, findings = self.triage(fake, 'orders-api')
        evidence = '\n'.join(findings[0]['evidence'])
        self.assertIn("to log them: aws apigateway update-stage --rest-api-id a7k2m9q4x1 "
                      "--stage-name prod --patch-operations '%s'"
                      % json.dumps(LOGGING_OPS, separators=(',', ':')), evidence)
        self.assertEqual(findings[0]['confidence'], 'medium')

    def test_bad_gateway_logging_plan_sends_what_the_hand_written_command_did(self):
        if not os.access(AWS_CLI, os.X_OK):
            self.skipTest('no aws CLI at %s' % AWS_CLI)
        # The fake records UpdateStage's parameters (and applies them): both commands
        # must send the same request.
        with fake_aws('healthy') as fake:
            _, findings = self.triage(fake, 'orders-api')
            line = [e for e in findings[0]['evidence'] if 'to log them: ' in e][0]
            rendered = line.split('to log them: ', 1)[1]
            sent = []
            for command in (LOGGING_FIX, rendered):
                fake.clear_requests()
                proc = subprocess.run([AWS_CLI] + shlex.split(command)[1:]
                                      + ['--endpoint-url', fake.url], env=self.env_for(fake),
                                      capture_output=True, text=True, timeout=120)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                sent += [r['params'] for r in fake.requests()
                         if r.get('operation') == 'UpdateStage']
        self.assertEqual(sent, [{'restApiId': 'a7k2m9q4x1', 'stageName': 'prod',
                                 'patchOperations': LOGGING_OPS}] * 2)

    def test_bad_gateway_errors_fix_turns_on_logging_as_an_update_stage_plan(self):
        world = load(WORLD)
        stage = world['apigateway']['rest_apis']['p9q8r7s6t5']['stages']['prod']
        stage['methodSettings']['*/*']['loggingLevel'] = 'OFF'
        with fake_aws(self.write('world.json', json.dumps(world))) as fake:
            _, findings = self.triage(fake, 'orders-fn')
        self.assertFalse([f for f in findings if 'Malformed' in f['title']], findings)
        f = self.only(findings, 'fail', 'orders-fn failed 4 invocations')
        step, = f['fix']['plan']
        self.assertIn('writes whole requests and responses', f['fix']['manual'])
        self.assertEqual((step['service'], step['operation']), ('apigateway', 'UpdateStage'))
        self.assertEqual(step['params'], {'restApiId': 'p9q8r7s6t5', 'stageName': 'prod',
                                          'patchOperations': LOGGING_OPS})
        self.assertEqual(step['undo']['params']['patchOperations'][0]['value'], 'OFF')
        self.assertEqual(step['read']['operation'], 'GetStage')
        self.assertIn('turn on execution logging', f['fix']['explain'])

    def test_bad_gateway_skips_functions_no_api_invokes(self):
        with fake_aws('basic') as fake:
            r, findings = self.triage(fake, 'vpc-fn')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual([(f['severity'], f['title']) for f in findings],
                         [('skip', 'no API Gateway API or function URL invokes vpc-fn')])

    def test_bad_gateway_does_not_apply_to_a_failing_function_no_api_invokes(self):
        # The errors step owns the function's own errors; without an API or a function URL
        # they cannot be a 502, so this step does not apply (it used to add an "info").
        with fake_aws(os.path.join(ROOT, 'tests', 'worlds', 'access_denied.json')) as fake:
            r, findings = self.triage(fake, 'notify-fn')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual([(f['severity'], f['title']) for f in findings],
                         [('skip', 'no API Gateway API or function URL invokes notify-fn')])


if __name__ == '__main__':
    unittest.main()
