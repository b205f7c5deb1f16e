"""`runbook iam-policy [RUNBOOK] [--steps EXPR] [--fix]` through the real binary: the
policy is checked against what full triages of several test worlds' functions really send
to the fake AWS server (every operation the fake saw is allowed), and with --fix against
every operation of every fix plan those triages produced (the write, its stale-check read
and its undo). Also --steps, a team runbook, the text comments and usage errors."""

import json
import os
import unittest

from clitest import CliTestCase, base_env, fake_aws, run

# service -> IAM prefix (the model's service names and the fake's)
PREFIX = {'monitoring': 'cloudwatch', 'cloudwatch': 'cloudwatch',
          'apigatewayv2': 'apigateway', 'service-quotas': 'servicequotas'}
# API Gateway reads and writes by HTTP method, as the official models say
APIGW = {'GetRestApis': ('GET', '/restapis'), 'GetResources': ('GET', '/restapis/*/resources'),
         'GetStages': ('GET', '/restapis/*/stages'), 'GetStage': ('GET', '/restapis/*/stages/*'),
         'UpdateStage': ('PATCH', '/restapis/*/stages/*')}
APIGW2 = {'GetApis': ('GET', '/apis'), 'GetIntegrations': ('GET', '/apis/*/integrations'),
          'GetRoutes': ('GET', '/apis/*/routes'), 'GetStages': ('GET', '/apis/*/stages')}
WORLDS = ['basic', 'throttle', 'vpc', 'access_denied', 'forbidden', 'bad_gateway', 'timeout',
          'errors', 'cold_start', 'unavailable']


def expected(service, operation):
    """The IAM action and resource a call needs, written out independently of the code."""
    if service == 'sts' and operation == 'GetCallerIdentity':
        return None, None
    if service == 'apigateway':
        method, path = APIGW[operation]
        return 'apigateway:' + method, 'arn:aws:apigateway:*::' + path
    if service == 'apigatewayv2':
        method, path = APIGW2[operation]
        return 'apigateway:' + method, 'arn:aws:apigateway:*::' + path
    return '%s:%s' % (PREFIX.get(service, service), operation), '*'


def allows(policy, service, operation):
    action, resource = expected(service, operation)
    if action is None:
        return True
    for s in policy['Statement']:
        actions = s['Action'] if isinstance(s['Action'], list) else [s['Action']]
        resources = s['Resource'] if isinstance(s['Resource'], list) else [s['Resource']]
        if s['Effect'] == 'Allow' and action in actions and \
                ('*' in resources or resource in resources):
            return True
    return False


class IamPolicyCase(CliTestCase):

    def policy(self, *args, env=None):
        r = run(['iam-policy'] + list(args) + ['--format', 'json'], env or base_env(),
                cwd=self.dir)
        self.assertOk(r)
        self.assertEqual(r.err, '', 'json writes no comments')
        return r.json()

    def triage_all(self, *extra):
        """Full triages of every function of WORLDS: (operations the fake saw, operations of
        every plan step, its read and its undo, each with the step that proposed it)."""
        seen, planned = set(), set()
        for world in WORLDS:
            path = os.path.join(os.path.dirname(__file__), '..', 'worlds', world + '.json')
            with open(path) as fh:
                functions = list(json.load(fh)['lambda']['functions'])
            with fake_aws(world) as fake:
                for fn in functions:
                    r = self.rb(fake, 'triage.lua', fn, '--format', 'json', *extra,
                                timeout=120)
                    self.assertIn(r.code, (0, 1), repr(r))
                    for s in r.json()['steps']:
                        for f in s['findings']:
                            for p in (f.get('fix') or {}).get('plan') or []:
                                for call in (p, p.get('read'), p.get('undo')):
                                    if call:
                                        planned.add((call['service'], call['operation'],
                                                     s['id'], world, fn))
                seen |= {(q['service'], q['operation'], world)
                         for q in fake.requests() if q.get('service')}
        return seen, planned


class IamPolicyTest(IamPolicyCase):

    def test_the_policy_allows_every_call_full_triages_make(self):
        policy = self.policy()
        self.assertEqual(policy['Version'], '2012-10-17')
        for s in policy['Statement']:
            self.assertEqual(s['Action'], sorted(s['Action']), s)
        seen, planned = self.triage_all()
        self.assertGreater(len({(s, o) for s, o, _ in seen}), 25, 'the triages read widely')
        self.assertTrue(any(s.startswith('apigateway') for s, _, _ in seen))
        for service, operation, world in sorted(seen):
            with self.subTest(call='%s %s' % (service, operation), world=world):
                self.assertTrue(allows(policy, service, operation), policy)
        # without --fix, no write is allowed
        self.assertNotIn('Fix', [s['Sid'] for s in policy['Statement']])
        self.assertFalse(any(allows(policy, s, o) for s, o, *_ in planned
                             if not o.startswith(('Get', 'List', 'Describe'))))
        # with --fix, every call of every plan is
        fix = self.policy('--fix')
        self.assertGreater(len({(s, o) for s, o, *_ in planned}), 20, 'many plans were made')
        for service, operation, step, world, fn in sorted(planned):
            with self.subTest(call='%s %s' % (service, operation), step=step, world=world,
                              fn=fn):
                self.assertTrue(allows(fix, service, operation), fix)

    def test_steps_selects_as_in_a_triage(self):
        policy = self.policy('--steps', 'forbidden')
        actions = sorted(a for s in policy['Statement'] for a in s['Action'])
        self.assertEqual(actions, ['apigateway:GET', 'lambda:GetFunctionConfiguration',
                                   'lambda:GetFunctionUrlConfig', 'lambda:GetPolicy',
                                   'logs:FilterLogEvents'])
        with fake_aws('forbidden') as fake:
            r = self.rb(fake, 'triage.lua', 'orders-fn', '--steps', 'forbidden', '--format',
                        'json', timeout=120)
            self.assertIn(r.code, (0, 1), repr(r))
            for q in fake.requests():
                if q.get('service'):
                    self.assertTrue(allows(policy, q['service'], q['operation']), q)
        fix = self.policy('--steps', 'forbidden', '--fix')
        self.assertEqual([s for s in fix['Statement'] if s['Sid'] == 'Fix'][0]['Action'],
                         ['lambda:AddPermission', 'lambda:RemovePermission'])
        tagged = self.policy('--steps', 'vpc or network')
        actions = {a for s in tagged['Statement'] for a in s['Action']}
        self.assertIn('ec2:DescribeSubnets', actions)
        self.assertNotIn('cloudwatch:GetMetricStatistics', actions)

    def test_api_gateway_resources_are_in_the_configured_regions_partition(self):
        def apigw_resources(env):
            policy = self.policy('--steps', 'forbidden', env=env)
            return [r for s in policy['Statement'] if s['Sid'].startswith('ApiGateway')
                    for r in (s['Resource'] if isinstance(s['Resource'], list)
                              else [s['Resource']])]
        china = apigw_resources(dict(base_env(), AWS_REGION='cn-north-1'))
        self.assertTrue(china)
        self.assertTrue(all(r.startswith('arn:aws-cn:apigateway:') for r in china), china)
        default = apigw_resources(base_env())
        self.assertTrue(all(r.startswith('arn:aws:apigateway:') for r in default), default)

    def test_a_team_runbook_and_its_own_step(self):
        self.write(os.path.join('team', 'steps', 'team-dlq.lua'),
                   'local step = require("triage.step")\n'
                   'return step.define{ id = "team-dlq", title = "DLQ", tags = { "team" },\n'
                   '  needs = { "config" }, reads = { "sqs GetQueueAttributes" },\n'
                   '  fixes = { "sqs CreateQueue" },\n'
                   '  run = function(ctx) ctx:finding{ severity = "ok", title = "ok" } end }\n')
        book = self.write('team-triage.lua', 'local engine = require("triage.engine")\n'
                          'return engine.main({ "team-dlq", "config" }, ...)\n')
        policy = self.policy('--plugins', os.path.join(self.dir, 'team'), book, '--fix')
        self.assertEqual(policy['Statement'][0]['Action'],
                         ['lambda:GetFunctionConfiguration', 'sqs:GetQueueAttributes',
                          'sqs:GetQueueUrl'])
        self.assertEqual(policy['Statement'][1]['Action'],
                         ['lambda:UpdateFunctionConfiguration', 'sqs:CreateQueue',
                          'sqs:DeleteQueue'])

    def test_text_names_the_steps_that_need_each_action(self):
        r = run(['iam-policy', '--steps', 'throttle,forbidden'], base_env(), cwd=self.dir)
        self.assertOk(r)
        json.loads(r.out)  # stdout stays the policy document
        lines = r.err.splitlines()
        by_action = {line.split()[1]: line for line in lines if line.startswith('# ')
                     and ':' in line.split()[1]}
        self.assertRegex(by_action['lambda:GetAccountSettings'], r'  throttle$')
        self.assertRegex(by_action['lambda:GetFunctionConfiguration'],
                         r'  \(triage\), forbidden, throttle$')
        self.assertRegex(by_action['logs:FilterLogEvents'], r'  forbidden, throttle$')
        self.assertIn('left out: sts GetCallerIdentity', r.err)
        self.assertIn('needs no permission', r.err)

    def test_help_here_and_in_the_core_help(self):
        r = run(['iam-policy', '--help'], base_env(), cwd=self.dir)
        self.assertOk(r)
        self.assertTrue(r.out.startswith('usage: runbook iam-policy [RUNBOOK] [--steps EXPR] '
                                         '[--fix]'), r.out)
        r = run(['--help'], base_env(), cwd=self.dir)
        self.assertOk(r)
        self.assertIn('runbook iam-policy [RUNBOOK] [--steps EXPR] [--fix]', r.out)

    def test_usage_errors_are_one_line(self):
        for args, message, code in (
                (['--steps', 'nope'], "unknown step 'nope' in --steps", 2),
                (['--format', 'xml'], "invalid --format 'xml'", 2),
                (['no-such-book.lua'], "no runbook 'no-such-book.lua'", 2),
                (['triage.lua', 'extra'], "unexpected argument 'extra'", 2),
                (['--steps', 'a and'], "invalid --steps 'a and'", 2)):
            with self.subTest(args=args):
                r = run(['iam-policy'] + args, base_env(), cwd=self.dir)
                self.assertEqual(r.code, code, repr(r))
                self.assertEqual(r.out, '')
                self.assertEqual(len(r.err.strip().splitlines()), 1, r.err)
                self.assertIn(message, r.err)
        notbook = self.write('plain.lua', 'return 0\n')
        r = run(['iam-policy', notbook], base_env(), cwd=self.dir)
        self.assertEqual(r.code, 3, repr(r))
        self.assertIn('is not a triage', r.err)
        self.assertEqual(len(r.err.strip().splitlines()), 1, r.err)


if __name__ == '__main__':
    unittest.main()
