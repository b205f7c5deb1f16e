"""The forbidden step (403) through the real binary against fake-AWS worlds: the APIs
integrated with the function against its resource policy, the function URL's public grant,
the fix as an AddPermission plan whose rendered command says what the hand-written one
did, the same answers in the aws-cn partition, and no false alarm on healthy functions."""

import copy
import json
import os
import shlex
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import CliTestCase, StepTestCase, base_env, fake_aws, run, ROOT  # noqa: E402
from partitions import moved  # noqa: E402

WORLD = os.path.join(ROOT, 'tests', 'worlds', 'forbidden.json')
AWS_CLI = '/usr/bin/aws'
REST_FIX = ('aws lambda add-permission --function-name checkout-fn --statement-id '
            'apigateway-w4x9k2m7pq --action lambda:InvokeFunction --principal '
            'apigateway.amazonaws.com --source-arn '
            '"arn:aws:execute-api:us-east-1:123456789012:w4x9k2m7pq/*/POST/checkout"')


URL_FIX = ('aws lambda add-permission --function-name checkout-fn --statement-id '
           'FunctionURLAllowPublicAccess --action lambda:InvokeFunctionUrl '
           '--principal "*" --function-url-auth-type NONE')


def load_world():
    with open(WORLD, encoding='utf-8') as fh:
        return json.load(fh)


def same_command(test, rendered, written):
    """The rendered command sends what the hand-written one did (same words to the shell)."""
    test.assertEqual(shlex.split(rendered), shlex.split(written))



class StepCase(StepTestCase):
    step = 'forbidden'

    def world_file(self, world):
        return self.write('world.json', json.dumps(world))


class ForbiddenTest(StepCase):

    def test_forbidden_reports_rest_api_without_permission_with_exact_add_permission(self):
        with fake_aws(WORLD) as fake:
            r, findings = self.triage(fake, 'checkout-fn')
        self.assertEqual(r.code, 1, repr(r))
        f = self.only(findings, 'fail', 'w4x9k2m7pq')
        self.assertIn('1 route without permission', f['title'])
        self.assertEqual(len(f['fix']['commands']), 1)
        same_command(self, f['fix']['commands'][0], REST_FIX)
        step, = f['fix']['plan']
        self.assertEqual((step['service'], step['operation']), ('lambda', 'AddPermission'))
        self.assertEqual(step['params'], {
            'FunctionName': 'checkout-fn', 'StatementId': 'apigateway-w4x9k2m7pq',
            'Action': 'lambda:InvokeFunction', 'Principal': 'apigateway.amazonaws.com',
            'SourceArn': 'arn:aws:execute-api:us-east-1:123456789012:w4x9k2m7pq/*/POST/checkout'})
        self.assertEqual(step['undo'], {'service': 'lambda', 'operation': 'RemovePermission',
                                        'params': {'FunctionName': 'checkout-fn',
                                                   'StatementId': 'apigateway-w4x9k2m7pq'}})
        self.assertEqual(step['before'], {'Statement': None})
        self.assertEqual(step['after'], {'Statement': {
            'StatementId': 'apigateway-w4x9k2m7pq', 'Action': 'lambda:InvokeFunction',
            'Principal': 'apigateway.amazonaws.com',
            'SourceArn': 'arn:aws:execute-api:us-east-1:123456789012:w4x9k2m7pq/*/POST/checkout'}})
        self.assertEqual(step['read'], {'service': 'lambda', 'operation': 'GetPolicy',
                                        'params': {'FunctionName': 'checkout-fn'}})
        # a fresh GetPolicy must let API Gateway in as it invokes, then the step re-run clears
        check, rerun = f['fix']['verify']
        self.assertEqual(check['read'], step['read'])
        self.assertEqual((check['path'], check['op']), ('Policy', 'allows'))
        self.assertEqual(check['value'], {
            'action': 'lambda:InvokeFunction', 'principal': 'apigateway.amazonaws.com',
            'source_arn': 'arn:aws:execute-api:us-east-1:123456789012:w4x9k2m7pq/prod/POST/checkout'})
        self.assertEqual(rerun['step'], 'forbidden')
        self.assertNotIn('manual', f['fix'])
        self.assertEqual(f['confidence'], 'high')
        self.assertEqual(f['data']['source_arn'],
                         'arn:aws:execute-api:us-east-1:123456789012:w4x9k2m7pq/*/POST/checkout')
        evidence = '\n'.join(f['evidence'])
        # how API Gateway calls it, the stale grant for the old API id, the execution log
        self.assertIn('arn:aws:execute-api:us-east-1:123456789012:w4x9k2m7pq/prod/POST/checkout',
                      evidence)
        self.assertIn('apigateway-q0r1s2t3u4', evidence)
        self.assertIn('q0r1s2t3u4/*/POST/checkout', evidence)
        self.assertRegex(evidence, r"4 'Invalid permissions on Lambda function' lines in "
                         r"API-Gateway-Execution-Logs_w4x9k2m7pq/prod, last at "
                         r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")

    def test_forbidden_accepts_the_http_api_whose_source_arn_matches(self):
        with fake_aws(WORLD) as fake:
            _, findings = self.triage(fake, 'checkout-fn')
        failing = [f for f in findings if f['severity'] == 'fail']
        self.assertFalse([f for f in failing if 'm3n4b5v6c7' in f['title']], failing)

    def test_forbidden_reports_public_function_url_without_grant(self):
        with fake_aws(WORLD) as fake:
            _, findings = self.triage(fake, 'checkout-fn')
        f = self.only(findings, 'fail', 'function URL')
        self.assertIn('https://x7k2q9w4e5r6t8y1u3i5o7p9a2s4d6f8.lambda-url.us-east-1.on.aws/',
                      f['title'])
        self.assertIn('lambda:InvokeFunctionUrl', f['title'])
        same_command(self, f['fix']['commands'][0], URL_FIX)
        self.assertEqual(f['fix']['plan'][0]['params']['FunctionUrlAuthType'], 'NONE')
        # created after October 2025: lambda:InvokeFunction is needed too
        # (written by hand until the embedded lambda model has InvokedViaFunctionUrl)
        same_command(self, f['fix']['commands'][1],
                     'aws lambda add-permission --function-name checkout-fn --statement-id '
                     'FunctionURLAllowInvokeAction --action lambda:InvokeFunction --principal "*" '
                     '--invoked-via-function-url')
        # the plan alone would leave the second grant out: shown, never applied
        self.assertIn('--invoked-via-function-url', f['fix']['manual'])
        check = f['fix']['verify'][0]
        self.assertEqual((check['path'], check['op'], check['value']),
                         ('Policy', 'allows', {'action': 'lambda:InvokeFunctionUrl', 'principal': '*'}))

    def test_forbidden_function_url_with_aws_iam_auth_is_information(self):
        world = load_world()
        world['lambda']['functions']['checkout-fn']['url_configs'][''].update(
            AuthType='AWS_IAM')
        with fake_aws(self.world_file(world)) as fake:
            _, findings = self.triage(fake, 'checkout-fn')
        f = self.only(findings, 'info', 'AWS_IAM')
        self.assertIn('403', f['title'])
        self.assertFalse([x for x in findings if x['severity'] == 'fail'
                          and 'function URL' in x['title']])

    def test_forbidden_without_any_resource_policy_says_so(self):
        world = load_world()
        del world['lambda']['functions']['checkout-fn']['policy']
        with fake_aws(self.world_file(world)) as fake:
            _, findings = self.triage(fake, 'checkout-fn')
        f = self.only(findings, 'fail', 'HTTP API shop-http-api (m3n4b5v6c7)')
        self.assertIn('no resource-based policy (GetPolicy: ResourceNotFoundException)',
                      '\n'.join(f['evidence']))
        same_command(self, f['fix']['commands'][0],
                     'aws lambda add-permission --function-name checkout-fn --statement-id '
                     'apigateway-m3n4b5v6c7 --action lambda:InvokeFunction --principal '
                     'apigateway.amazonaws.com --source-arn '
                     '"arn:aws:execute-api:us-east-1:123456789012:m3n4b5v6c7/*/POST/cart"')

    def test_forbidden_any_method_needs_every_method_and_default_route_is_matched(self):
        world = load_world()
        api = world['apigateway']['rest_apis']['w4x9k2m7pq']
        api['resources']['f5g6h7']['methods'] = {'ANY': copy.deepcopy(
            api['resources']['f5g6h7']['methods']['POST'])}
        http = world['apigatewayv2']['apis']['m3n4b5v6c7']
        http['routes'] = {'r7s8t9u': {'RouteKey': '$default', 'Target': 'integrations/c8d9e0f'}}
        policy = world['lambda']['functions']['checkout-fn']['policy']['Statement']
        policy[0]['Condition']['ArnLike']['AWS:SourceArn'] = \
            'arn:aws:execute-api:us-east-1:123456789012:w4x9k2m7pq/*/GET/checkout'
        policy[1]['Condition']['ArnLike']['AWS:SourceArn'] = \
            'arn:aws:execute-api:us-east-1:123456789012:m3n4b5v6c7/*/$default'
        with fake_aws(self.world_file(world)) as fake:
            _, findings = self.triage(fake, 'checkout-fn')
        f = self.only(findings, 'fail', 'w4x9k2m7pq')  # GET alone does not cover ANY
        self.assertEqual(f['fix']['plan'][0]['params']['SourceArn'],
                         'arn:aws:execute-api:us-east-1:123456789012:w4x9k2m7pq/*/*/checkout')
        self.assertFalse([x for x in findings if 'm3n4b5v6c7' in x['title']], findings)

    def test_forbidden_grants_the_narrowest_arn_covering_several_missing_routes(self):
        world = load_world()
        api = world['apigateway']['rest_apis']['w4x9k2m7pq']
        post = api['resources']['f5g6h7']['methods']['POST']
        api['resources']['f5g6h7']['methods']['PUT'] = copy.deepcopy(post)
        with fake_aws(self.world_file(world)) as fake:
            _, findings = self.triage(fake, 'checkout-fn')
        f = self.only(findings, 'fail', 'w4x9k2m7pq')
        self.assertIn('2 routes without permission', f['title'])
        add, = f['fix']['plan']
        # POST and PUT on one path: every method of that path, not the whole API
        self.assertEqual(add['params']['SourceArn'],
                         'arn:aws:execute-api:us-east-1:123456789012:w4x9k2m7pq/*/*/checkout')
        arns = sorted(v['value']['source_arn'] for v in f['fix']['verify'] if 'read' in v)
        self.assertEqual(arns, [
            'arn:aws:execute-api:us-east-1:123456789012:w4x9k2m7pq/prod/POST/checkout',
            'arn:aws:execute-api:us-east-1:123456789012:w4x9k2m7pq/prod/PUT/checkout'])

    def test_forbidden_statement_id_never_collides_with_an_existing_sid(self):
        world = load_world()
        world['lambda']['functions']['checkout-fn']['policy']['Statement'].append(
            {'Sid': 'apigateway-w4x9k2m7pq', 'Effect': 'Allow',
             'Principal': {'Service': 'events.amazonaws.com'}, 'Action': 'lambda:InvokeFunction',
             'Resource': 'arn:aws:lambda:us-east-1:123456789012:function:checkout-fn'})
        with fake_aws(self.world_file(world)) as fake:
            _, findings = self.triage(fake, 'checkout-fn')
        f = self.only(findings, 'fail', 'w4x9k2m7pq')
        add, = f['fix']['plan']
        self.assertEqual(add['params']['StatementId'], 'apigateway-w4x9k2m7pq-2')
        self.assertEqual(add['undo']['params']['StatementId'], 'apigateway-w4x9k2m7pq-2')

    def test_forbidden_is_ok_after_running_its_own_fix_command(self):
        if not os.access(AWS_CLI, os.X_OK):
            self.skipTest('no aws CLI at %s' % AWS_CLI)
        with fake_aws(WORLD) as fake:
            _, findings = self.triage(fake, 'checkout-fn')
            command = self.only(findings, 'fail', 'w4x9k2m7pq')['fix']['commands'][0]
            argv = shlex.split(command)
            self.assertEqual(argv[0], 'aws')
            proc = subprocess.run([AWS_CLI] + argv[1:] + ['--endpoint-url', fake.url],
                                  env=self.env_for(fake), capture_output=True, text=True,
                                  timeout=120)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            _, after = self.triage(fake, 'checkout-fn')
        self.assertFalse([f for f in after if 'w4x9k2m7pq' in f['title']], after)
        self.assertTrue([f for f in after if 'function URL' in f['title']], after)

    def test_forbidden_reports_api_key_methods_as_information_only(self):
        with fake_aws(WORLD) as fake:
            r, findings = self.triage(fake, 'orders-fn')
        self.assertEqual(r.code, 0, repr(r))
        self.only(findings, 'ok', 'API Gateway may invoke orders-fn: 1 of 1 API permitted')
        f = self.only(findings, 'info', 'API key')
        self.assertIn('apiKeyRequired: GET /orders/{orderId}', f['evidence'])

    def test_forbidden_has_no_false_alarm_on_healthy_functions(self):
        cases = [('basic', 'my-fn', 'ok', 'API Gateway may invoke my-fn: 2 of 2 APIs permitted'),
                 ('basic', 'vpc-fn', 'skip', 'no API Gateway API or function URL invokes vpc-fn')]
        if os.path.exists(os.path.join(ROOT, 'tests', 'worlds', 'healthy.json')):
            cases.append(('healthy', 'orders-api', 'ok', '1 of 1 API permitted'))
        for world, function, severity, title in cases:
            with self.subTest(world=world, function=function):
                with fake_aws(world) as fake:
                    r, findings = self.triage(fake, function)
                self.assertEqual(r.code, 0, repr(r))
                self.assertEqual([f['severity'] for f in findings], [severity], findings)
                self.assertIn(title, findings[0]['title'])

    def test_forbidden_names_the_permission_the_operator_lacks(self):
        faults = [{'service': 'lambda', 'operation': 'GetPolicy', 'kind': 'access_denied'}]
        with fake_aws(WORLD, faults=faults) as fake:
            _, findings = self.triage(fake, 'checkout-fn')
        errors = [f for f in findings if f['severity'] == 'error']
        self.assertTrue(errors, findings)
        self.assertIn('lambda:GetPolicy', errors[0]['title'])
        # granting the operator more access is its administrator's call: never applied
        self.assertIn('grants the identity running runbook more access', errors[0]['fix']['manual'])
        self.assertFalse([f for f in findings if f['severity'] == 'ok'])


    def test_forbidden_matches_source_arns_in_the_aws_cn_and_aws_us_gov_partitions(self):
        # A policy written for aws-cn must match the aws-cn ARN API Gateway invokes with:
        # an "arn:aws:" ARN would find the healthy HTTP API unpermitted as well.
        for region, partition in (('cn-north-1', 'aws-cn'), ('us-gov-west-1', 'aws-us-gov')):
            with self.subTest(partition=partition):
                path = self.world_file(moved(load_world(), region, partition))
                with fake_aws(path) as fake:
                    _, findings = self.triage(fake, 'checkout-fn')
                    _, healthy = self.triage(fake, 'orders-fn')
                f = self.only(findings, 'fail', 'w4x9k2m7pq')
                api = 'arn:%s:execute-api:%s:123456789012:w4x9k2m7pq' % (partition, region)
                self.assertEqual(f['data']['source_arn'], api + '/*/POST/checkout')
                self.assertEqual(f['fix']['plan'][0]['params']['SourceArn'],
                                 api + '/*/POST/checkout')
                self.assertIn(api + '/prod/POST/checkout', f['evidence'][1])
                self.assertFalse([x for x in findings if 'm3n4b5v6c7' in x['title']], findings)
                self.only(healthy, 'ok', 'API Gateway may invoke orders-fn: 1 of 1 API permitted')

    def test_forbidden_removes_the_deny_statement_before_granting(self):
        world = load_world()
        world['lambda']['functions']['checkout-fn']['policy']['Statement'].append(
            {'Sid': 'DenyShopApi', 'Effect': 'Deny',
             'Principal': {'Service': 'apigateway.amazonaws.com'},
             'Action': 'lambda:InvokeFunction',
             'Resource': 'arn:aws:lambda:us-east-1:123456789012:function:checkout-fn',
             'Condition': {'ArnLike': {
                 'AWS:SourceArn': 'arn:aws:execute-api:us-east-1:123456789012:w4x9k2m7pq/*'}}})
        with fake_aws(self.world_file(world)) as fake:
            _, findings = self.triage(fake, 'checkout-fn')
        f = self.only(findings, 'fail', 'w4x9k2m7pq')
        self.assertIn('explicit Deny: ', '\n'.join(f['evidence']))
        remove, add = f['fix']['plan']
        self.assertEqual((remove['operation'], remove['params']),
                         ('RemovePermission', {'FunctionName': 'checkout-fn',
                                               'StatementId': 'DenyShopApi'}))
        self.assertIsNone(remove.get('undo'))  # AddPermission cannot write a Deny back
        self.assertEqual(add['operation'], 'AddPermission')
        # the removal cannot be undone and the Deny may be deliberate: shown, never applied
        self.assertIn('cannot be undone', f['fix']['manual'])
        same_command(self, f['fix']['commands'][0],
                     'aws lambda remove-permission --function-name checkout-fn '
                     '--statement-id DenyShopApi')

    def test_forbidden_does_not_apply_without_an_api_or_a_function_url(self):
        world = load_world()
        del world['lambda']['functions']['checkout-fn']['url_configs']
        del world['apigateway']
        del world['apigatewayv2']
        with fake_aws(self.world_file(world)) as fake:
            r, findings = self.triage(fake, 'checkout-fn')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual([(f['severity'], f['title']) for f in findings],
                         [('skip', 'no API Gateway API or function URL invokes checkout-fn')])


class PolicyMatchingTest(CliTestCase):
    """lib.policy's IAM wildcard rules, which decide whether a SourceArn matches."""

    def test_iam_wildcards_match_as_iam_does(self):
        script = self.write('match.lua', r'''
local iam = require("lib.policy")
local cases = {
  { "arn:aws:execute-api:us-east-1:1:abc/*/*/orders", "arn:aws:execute-api:us-east-1:1:abc/prod/GET/orders", true },
  { "arn:aws:execute-api:us-east-1:1:abc/*/*/orders", "arn:aws:execute-api:us-east-1:1:abc/prod/GET/orders/7", false },
  { "arn:aws:execute-api:us-east-1:1:abc/*", "arn:aws:execute-api:us-east-1:1:abc/prod/GET/", true },
  { "arn:aws:execute-api:us-east-1:1:abc/prod/GET/orders/{id}", "arn:aws:execute-api:us-east-1:1:abc/prod/GET/orders/{id}", true },
  { "arn:aws:execute-api:us-east-1:1:ab?/*", "arn:aws:execute-api:us-east-1:1:abd/x", true },
  { "arn:aws:execute-api:us-east-1:1:abc/*/$default", "arn:aws:execute-api:us-east-1:1:abc/$default/$default", true },
  { "arn:aws:s3:::bucket/${aws:username}/*", "arn:aws:s3:::bucket/alice/file", true },
  { "arn:aws:execute-api:us-east-1:1:ABC/*", "arn:aws:execute-api:us-east-1:1:abc/x", false },
}
for i, c in ipairs(cases) do
  local got = iam.wildcard_match(c[1], c[2])
  if got ~= c[3] then print("case " .. i .. " wrong: " .. tostring(got)) end
end
assert(iam.wildcard_match("Lambda:Invoke*", "lambda:InvokeFunction", true))
local doc = iam.parse_document("%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22NotAction%22%3A%22iam%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%7D")
local v = iam.evaluate({ { name = "p", kind = "inline", document = doc } }, "s3:GetObject", "arn:aws:s3:::b/k")
assert(v.decision == "allow", v.decision)
v = iam.evaluate({ { name = "p", kind = "inline", document = doc } }, "iam:PassRole", "*")
assert(v.decision == "implicit", v.decision)
print("done")
''')
        r = run([script], base_env())
        self.assertEqual(r.out.strip(), 'done', repr(r))


if __name__ == '__main__':
    unittest.main()
