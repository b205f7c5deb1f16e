"""Rendered fix commands, run with the real aws CLI against the fake, make the plan's change.

scripts/render_fix_plans.lua builds plans from the fake world's live state with the real
fix.actions and renders them with the real fix.render. Each command line is then run
verbatim by a POSIX shell (/bin/sh) in which `aws` is Debian's /usr/bin/aws pointed at the
fake (--endpoint-url; the fake's credentials and region from the environment). The fake
validates each request against botocore's models and checks its signature; the test then
checks that it received exactly the plan's operation and parameters, and reads the new
state back through `runbook call`. The undo commands put the state back.
"""

import json
import os
import subprocess
import unittest

from clitest import CliTestCase, HERE, fake_aws

AWS_CLI = '/usr/bin/aws'
SCRIPT = os.path.join(HERE, 'scripts', 'render_fix_plans.lua')


@unittest.skipUnless(os.access(AWS_CLI, os.X_OK), 'needs the aws CLI at /usr/bin/aws')
class FixRenderCliTest(CliTestCase):

    def plans(self, fake):
        r = self.rb(fake, SCRIPT)
        self.assertOk(r)
        return {c['name']: c for c in r.json()['cases']}

    def sh(self, fake, line, secrets=None):
        """Runs one rendered line in /bin/sh with `aws` bound to the real CLI and the fake;
        `secrets` are exported first, as a user exports the values a command does not show."""
        env = self.env_for(fake)
        env.update(secrets or {})
        env.update({'AWS_DEFAULT_REGION': env['AWS_REGION'], 'AWS_PAGER': '',
                    'AWS_CONFIG_FILE': os.path.join(self.dir, 'config'),
                    'AWS_SHARED_CREDENTIALS_FILE': os.path.join(self.dir, 'credentials')})
        prelude = 'aws() { %s --endpoint-url "$FAKE_AWS_URL" --no-cli-pager "$@"; }\n' % AWS_CLI
        proc = subprocess.run(['/bin/sh', '-c', prelude + line], env=env, capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(proc.returncode, 0, '%s\n--- stdout\n%s\n--- stderr\n%s'
                         % (line, proc.stdout, proc.stderr))
        return proc

    def writes(self, fake):
        return [q for q in fake.requests()
                if q['operation'] and not q['operation'].startswith(('Get', 'List'))]

    def config(self, fake, name='my-fn'):
        r = self.rb(fake, 'call', 'lambda', 'GetFunctionConfiguration',
                    json.dumps({'FunctionName': name}))
        self.assertOk(r)
        return r.json()

    @staticmethod
    def reveal(value, secrets, replies=None):
        """The plan's parameters with each {"$secret": NAME} replaced by its value and each
        {"$ref": {step, field}} by that field of `replies[step]`."""
        if isinstance(value, dict):
            if list(value) == ['$secret']:
                return secrets[value['$secret']]
            if list(value) == ['$ref']:
                return replies[value['$ref']['step']][value['$ref']['field']]
            return {k: FixRenderCliTest.reveal(v, secrets, replies) for k, v in value.items()}
        if isinstance(value, list):
            return [FixRenderCliTest.reveal(v, secrets, replies) for v in value]
        return value

    def apply(self, fake, case, secrets=None, values=None, replies=None):
        """Runs the case's commands in one shell session (as a user pastes them) with
        `secrets` exported; returns the write requests the fake received, checked against
        the plan with `values` for the secrets and `replies` for the references."""
        fake.clear_requests()
        self.sh(fake, 'set -e\n' + '\n'.join(case['commands']), secrets)
        sent = self.writes(fake)
        self.assertAllSigned(fake)
        self.assertEqual([(q['service'], q['operation']) for q in sent],
                         [(s['service'], s['operation']) for s in case['plan']],
                         json.dumps(sent, indent=1))
        for q in sent:
            self.assertTrue(200 <= q['status'] < 300, json.dumps(q, indent=1))
        for q, step in zip(sent, case['plan']):
            self.assertEqual(q['params'], self.reveal(step['params'], values or secrets or {},
                                                      replies),
                             'sent exactly the plan\'s parameters')
        return sent

    def undo(self, fake, case, secrets=None):
        fake.clear_requests()
        self.sh(fake, 'set -e\n' + '\n'.join(case['undo']), secrets)
        undone = self.writes(fake)
        self.assertEqual([q['params'] for q in undone],
                         [self.reveal(s['undo']['params'], secrets or {})
                          for s in reversed(case['plan']) if s.get('undo')])

    def test_timeout_and_memory_change_applies_exactly_and_undoes(self):
        with fake_aws('basic') as fake:
            case = self.plans(fake)['timeout_and_memory']
            self.assertEqual(case['commands'], [
                'aws lambda update-function-configuration --function-name my-fn'
                ' --memory-size 1024 --timeout 45'])
            step = case['plan'][0]
            self.assertEqual(step['before'], {'MemorySize': 512, 'Timeout': 30})
            self.apply(fake, case)
            cfg = self.config(fake)
            self.assertEqual((cfg['Timeout'], cfg['MemorySize']), (45, 1024))
            self.undo(fake, case)
            cfg = self.config(fake)
            self.assertEqual((cfg['Timeout'], cfg['MemorySize']), (30, 512))

    def test_reserved_concurrency_applies_and_undo_deletes_it(self):
        with fake_aws('basic') as fake:
            case = self.plans(fake)['reserved_concurrency']
            self.assertEqual(case['commands'], [
                'aws lambda put-function-concurrency --function-name my-fn'
                ' --reserved-concurrent-executions 7'])
            self.apply(fake, case)
            r = self.rb(fake, 'call', 'lambda', 'GetFunctionConcurrency', '{"FunctionName":"my-fn"}')
            self.assertEqual(r.json().get('ReservedConcurrentExecutions'), 7, repr(r))
            self.undo(fake, case)
            r = self.rb(fake, 'call', 'lambda', 'GetFunctionConcurrency', '{"FunctionName":"my-fn"}')
            self.assertIsNone(r.json().get('ReservedConcurrentExecutions'), repr(r))

    def test_api_gateway_permission_with_source_arn_applies_and_undo_removes_it(self):
        with fake_aws('basic') as fake:
            case = self.plans(fake)['api_gateway_permission']
            self.assertEqual(case['commands'], [
                'aws lambda add-permission --function-name my-fn'
                ' --statement-id runbook-apigw-orders --action lambda:InvokeFunction'
                ' --principal apigateway.amazonaws.com'
                " --source-arn 'arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*/GET/orders'"])
            self.apply(fake, case)
            r = self.rb(fake, 'call', 'lambda', 'GetPolicy', '{"FunctionName":"my-fn"}')
            self.assertOk(r)
            policy = json.loads(r.json()['Policy'])
            mine = [s for s in policy['Statement'] if s['Sid'] == 'runbook-apigw-orders']
            self.assertEqual(len(mine), 1, policy)
            self.assertEqual(mine[0]['Condition']['ArnLike']['AWS:SourceArn'],
                             'arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*/GET/orders')
            self.undo(fake, case)
            r = self.rb(fake, 'call', 'lambda', 'GetPolicy', '{"FunctionName":"my-fn"}')
            statements = json.loads(r.json()['Policy'])['Statement'] if r.code == 0 else []
            self.assertFalse([s for s in statements if s['Sid'] == 'runbook-apigw-orders'])

    def test_json_values_with_quotes_dollars_backticks_and_newlines_arrive_unchanged(self):
        with fake_aws('basic') as fake:
            case = self.plans(fake)['environment_and_tracing_with_shell_characters']
            self.assertIn("--description='-from runbook'\\''s fix'", case['commands'][0])
            # Environment values are never printed: the command names shell variables.
            self.assertNotIn('DEBUG', case['commands'][0])
            self.assertNotIn('orders', json.dumps(case))
            self.assertIn('"${GREETING:?not shown: export GREETING first}"', case['commands'][0])
            # JSON string content, as the command puts the value inside a JSON string.
            wanted = {'LOG_LEVEL': 'DEBUG', 'GREETING': 'it\'s a "test" of $HOME & `id`',
                      'MULTI': 'line one\nline two'}
            secrets = {k: json.dumps(v)[1:-1] for k, v in wanted.items()}
            self.apply(fake, case, secrets, wanted)
            cfg = self.config(fake)
            self.assertEqual(cfg['Environment']['Variables'], wanted)
            self.assertEqual(cfg['TracingConfig'], {'Mode': 'PassThrough'})
            self.assertEqual(cfg['Description'], "-from runbook's fix")
            self.undo(fake, case, {'LOG_LEVEL': 'INFO', 'TABLE_NAME': 'orders'})
            cfg = self.config(fake)
            self.assertEqual(cfg['Environment']['Variables'],
                             {'LOG_LEVEL': 'INFO', 'TABLE_NAME': 'orders'})
            self.assertEqual(cfg['TracingConfig'], {'Mode': 'Active'})
            self.assertEqual(cfg['Description'], 'Order intake API')

    def test_provisioned_concurrency_on_an_alias_applies_and_undo_restores_it(self):
        with fake_aws('basic') as fake:
            case = self.plans(fake)['provisioned_concurrency_on_an_alias']
            self.assertEqual(case['commands'], [
                'aws lambda put-provisioned-concurrency-config --function-name my-fn'
                ' --qualifier live --provisioned-concurrent-executions 3'])
            self.assertEqual(case['plan'][0]['before'], {'ProvisionedConcurrentExecutions': 5})
            self.apply(fake, case)
            r = self.rb(fake, 'call', 'lambda', 'GetProvisionedConcurrencyConfig',
                        '{"FunctionName":"my-fn","Qualifier":"live"}')
            self.assertEqual(r.json()['RequestedProvisionedConcurrentExecutions'], 3, repr(r))
            self.undo(fake, case)
            r = self.rb(fake, 'call', 'lambda', 'GetProvisionedConcurrencyConfig',
                        '{"FunctionName":"my-fn","Qualifier":"live"}')
            self.assertEqual(r.json()['RequestedProvisionedConcurrentExecutions'], 5, repr(r))

    def test_a_reference_captures_an_earlier_reply_in_the_same_shell(self):
        with fake_aws('basic') as fake:
            case = self.plans(fake)['reference_to_an_earlier_reply']
            self.assertEqual(case['commands'], [
                'RESERVED_CONCURRENT_EXECUTIONS=$(aws lambda put-function-concurrency'
                ' --function-name my-fn --reserved-concurrent-executions 7'
                ' --query ReservedConcurrentExecutions --output text)',
                'aws lambda put-provisioned-concurrency-config --function-name my-fn'
                ' --qualifier live'
                ' --provisioned-concurrent-executions "$RESERVED_CONCURRENT_EXECUTIONS"'])
            self.apply(fake, case, replies={1: {'ReservedConcurrentExecutions': 7}})
            r = self.rb(fake, 'call', 'lambda', 'GetProvisionedConcurrencyConfig',
                        '{"FunctionName":"my-fn","Qualifier":"live"}')
            self.assertEqual(r.json()['RequestedProvisionedConcurrentExecutions'], 7, repr(r))

    def test_a_list_parameter_as_json_applies_and_undo_restores_the_layers(self):
        with fake_aws('basic') as fake:
            case = self.plans(fake)['layers_as_a_json_list']
            layer = 'arn:aws:lambda:us-east-1:123456789012:layer:common-utils:'
            self.assertEqual(case['commands'], [
                'aws lambda update-function-configuration --function-name my-fn'
                ' --layers \'["%s5","%s6"]\'' % (layer, layer)])
            self.assertEqual(case['plan'][0]['before'], {'Layers': [layer + '4']})
            self.apply(fake, case)
            self.assertEqual([x['Arn'] for x in self.config(fake)['Layers']],
                             [layer + '5', layer + '6'])
            self.undo(fake, case)
            self.assertEqual([x['Arn'] for x in self.config(fake)['Layers']], [layer + '4'])


if __name__ == '__main__':
    unittest.main()
