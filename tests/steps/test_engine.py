"""The triage step engine through the real binary: selection, concurrency, failures of
steps, ctx, exit codes, and the triage's own AWS calls failing (throttled, denied).

Most cases run test-only steps from a --plugins directory, so they test the engine
alone; the last ones run the shipped steps over the basic world.
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import CliTestCase, fake_aws, ROOT  # noqa: E402

STEPS_DIR = os.path.join(ROOT, 'plugins', 'steps')
SHIPPED = ['config', 'timeout', 'forbidden', 'access_denied', 'bad_gateway', 'throttle',
           'async', 'event_sources', 'unavailable', 'vpc', 'cold_start', 'errors', 'changes']

# Test-only steps. Each reports what it saw so the test can check ctx.
STEP = '''return {{ id = "{id}", title = "{title}", tags = {{ {tags} }}, args = {{ {args} }},
  run = function(ctx)
{body}
  end }}
'''

OK_STEP = '    ctx:finding{ severity = "ok", title = "all good" }'
FAIL_STEP = '''    ctx:finding{ severity = "fail", title = "p99 4.2 s exceeds the 3 s timeout",
      evidence = { "12 timeouts" }, why = "callers see errors",
      fix = { explain = "raise the timeout", commands = { "aws lambda x" } },
      confidence = "high" }'''


def step(id, body=OK_STEP, title=None, tags=(), args=''):
    return STEP.format(id=id, title=title or id.capitalize(), body=body, args=args,
                       tags=', '.join('"%s"' % t for t in tags))


def read_ops(requests):
    return [(q['service'], q['operation']) for q in requests if q.get('service')]


class EngineCase(CliTestCase):
    """Writes test steps into <tmp>/plugins/steps and a runbook listing them."""

    def setUp(self):
        super().setUp()
        self.plugins = os.path.join(self.dir, 'plugins')

    def steps(self, **bodies):
        for id, text in bodies.items():
            self.write(os.path.join('plugins', 'steps', id + '.lua'), text)

    def runbook(self, entries):
        return self.write('triage.lua', 'local engine = require("triage.engine")\n'
                          'return engine.main({ %s }, ...)\n' % entries)

    def triage(self, fake, *args, **env):
        """Runs `runbook --plugins <tmp>/plugins RUNBOOK ARGS...`."""
        return self.rb(fake, '--plugins', self.plugins, *args, **env)

    def steps_of(self, result):
        return {s['id']: s for s in result.json()['steps']}


class SelectionTest(EngineCase):

    def test_steps_run_in_runbook_order_whatever_order_they_finish(self):
        self.steps(slow=step('slow', 'runbook.sleep(0.3)\n' + OK_STEP),
                   fast=step('fast'), middle=step('middle', 'runbook.sleep(0.1)\n' + OK_STEP))
        script = self.runbook('"slow", "middle", "fast"')
        with fake_aws('basic') as fake:
            r = self.triage(fake, script, 'my-fn', '--format', 'json')
        self.assertOk(r)
        self.assertEqual([s['id'] for s in r.json()['steps']], ['slow', 'middle', 'fast'])

    def test_steps_run_concurrently_not_one_after_another(self):
        sleepy = 'runbook.sleep(1)\n' + OK_STEP
        self.steps(**{'s%d' % i: step('s%d' % i, sleepy) for i in range(6)})
        script = self.runbook(', '.join('"s%d"' % i for i in range(6)))
        with fake_aws('basic') as fake:
            t0 = time.monotonic()
            r = self.triage(fake, script, 'my-fn')
            elapsed = time.monotonic() - t0
        self.assertOk(r)
        self.assertLess(elapsed, 4, 'six 1 s steps took %.1f s (one after another: 6 s)' % elapsed)

    def test_steps_skip_and_tag_select_steps(self):
        self.steps(a=step('a', tags=['logs']), b=step('b', tags=['metrics']),
                   c=step('c', tags=['logs', 'network']))
        script = self.runbook('"a", "b", "c"')
        cases = [(['--steps', 'a,c'], ['a', 'c']), (['--steps', 'c', '--steps', 'b'], ['b', 'c']),
                 (['--skip', 'b'], ['a', 'c']), (['--tag', 'logs'], ['a', 'c']),
                 (['--tag', 'network'], ['c']), (['--tag', 'logs', '--skip', 'a'], ['c'])]
        with fake_aws('basic') as fake:
            for args, expected in cases:
                with self.subTest(args=args):
                    r = self.triage(fake, script, 'my-fn', '--format', 'json', *args)
                    self.assertOk(r)
                    self.assertEqual([s['id'] for s in r.json()['steps']], expected)

    def test_steps_may_name_a_team_step_the_runbook_does_not_list(self):
        self.steps(a=step('a'), team_check=step('team_check', title='Team check'))
        script = self.runbook('"a"')
        with fake_aws('basic') as fake:
            r = self.triage(fake, script, 'my-fn', '--steps', 'a,team_check', '--format', 'json')
        self.assertOk(r)
        self.assertEqual([s['id'] for s in r.json()['steps']], ['a', 'team_check'])

    def test_runbook_overrides_step_arguments_and_rejects_unknown_ones(self):
        body = '    ctx:finding{ severity = "ok", title = "margin " .. ctx.args.margin .. " floor " .. ctx.args.floor }'
        self.steps(argy=step('argy', body, args='margin = 0.8, floor = 3'))
        with fake_aws('basic') as fake:
            r = self.triage(fake, self.runbook('{ "argy", margin = 0.5 }'), 'my-fn', '--format', 'json')
            self.assertEqual(self.steps_of(r)['argy']['findings'][0]['title'], 'margin 0.5 floor 3')
            r = self.triage(fake, self.runbook('{ "argy", margn = 0.5 }'), 'my-fn', '--format', 'json')
            f = self.steps_of(r)['argy']['findings'][0]
            self.assertEqual(f['severity'], 'error')
            self.assertIn("unknown argument margn of step 'argy'", f['title'])
            self.assertIn('floor, margin', f['fix']['explain'])

    def test_plugin_directory_overrides_a_builtin_step(self):
        builtin = [s for s in SHIPPED if os.path.exists(os.path.join(STEPS_DIR, s + '.lua'))]
        if not builtin:
            self.skipTest('no shipped step yet')
        id = builtin[0]
        self.steps(**{id: step(id, '    ctx:finding{ severity = "info", title = "team check" }',
                               title='Team version')})
        with fake_aws('basic') as fake:
            # the shipped runbook, found by name in runbooks/
            r = self.triage(fake, 'triage.lua', 'my-fn', '--steps', id, '--format', 'json')
        self.assertOk(r)
        s = self.steps_of(r)[id]
        self.assertEqual((s['title'], s['findings'][0]['title']), ('Team version', 'team check'))

    def test_runbook_path_environment_overrides_a_step_too(self):
        self.steps(config=step('config', '    ctx:finding{ severity = "info", title = "from RUNBOOK_PATH" }'))
        with fake_aws('basic') as fake:
            r = self.rb(fake, 'triage.lua', 'my-fn', '--steps', 'config', '--format', 'json',
                        RUNBOOK_PATH=self.plugins)
        self.assertEqual(r.json()['steps'][0]['findings'][0]['title'], 'from RUNBOOK_PATH', repr(r))


class StepFailureTest(EngineCase):

    def test_step_that_raises_becomes_an_error_with_file_and_line_and_others_go_on(self):
        self.steps(errors=step('errors', '    local cfg = nil\n    return cfg.Timeout'),
                   a=step('a'), b=step('b', FAIL_STEP))
        script = self.runbook('"a", "errors", "b"')
        with fake_aws('basic') as fake:
            r = self.triage(fake, script, 'my-fn', '--format', 'json')
        self.assertEqual(r.code, 1, repr(r))
        steps = self.steps_of(r)
        f = steps['errors']['findings'][0]
        self.assertEqual(f['severity'], 'error')
        self.assertRegex(f['title'], r"^step raised an error: .*errors\.lua:4: attempt to index "
                                     r"a nil value \(local 'cfg'\)$")
        self.assertTrue(f['data']['location'].endswith('steps/errors.lua:4'), f)
        self.assertEqual(steps['a']['status'], 'ok')
        self.assertEqual(steps['b']['status'], 'fail')

    def test_error_raised_with_a_table_still_names_the_step_file(self):
        self.steps(tbl=step('tbl', '    error({ code = "Boom", message = "table error" })'))
        with fake_aws('basic') as fake:
            r = self.triage(fake, self.runbook('"tbl"'), 'my-fn', '--format', 'json')
        f = r.json()['steps'][0]['findings'][0]
        self.assertEqual(f['severity'], 'error', repr(r))
        self.assertEqual(f['title'], 'step raised an error: Boom: table error')
        self.assertRegex(f['data']['location'], r'steps/tbl\.lua:3$')

    def test_step_that_runs_past_its_timeout_is_an_error_and_the_run_finishes(self):
        self.steps(slow=step('slow', '    ctx:finding{ severity = "info", title = "started" }\n'
                                     '    runbook.sleep(5)\n'
                                     '    ctx:finding{ severity = "info", title = "too late" }'),
                   a=step('a'))
        script = self.runbook('"slow", "a"')
        with fake_aws('basic') as fake:
            t0 = time.monotonic()
            r = self.triage(fake, script, 'my-fn', '--step-timeout', '1', '--format', 'json')
            elapsed = time.monotonic() - t0
        self.assertEqual(r.code, 1, repr(r))
        self.assertLess(elapsed, 4)
        steps = self.steps_of(r)
        titles = [f['title'] for f in steps['slow']['findings']]
        self.assertEqual(titles, ['started', 'step timed out after 1 s'])
        self.assertEqual(steps['slow']['status'], 'error')
        self.assertEqual(steps['a']['status'], 'ok')

    def test_step_emitting_nothing_gets_an_ok_finding_with_its_title(self):
        self.steps(quiet=step('quiet', '    local _ = ctx.function_name', title='Quiet check'))
        with fake_aws('basic') as fake:
            r = self.triage(fake, self.runbook('"quiet"'), 'my-fn', '--format', 'json')
        self.assertOk(r)
        f = r.json()['steps'][0]['findings'][0]
        self.assertEqual((f['severity'], f['title']), ('ok', 'Quiet check'))

    def test_invalid_step_table_missing_step_and_bad_finding_are_errors(self):
        self.steps(noid=step('other'), norun='return { id = "norun", title = "No run" }\n',
                   badsev=step('badsev', '    ctx:finding{ severity = "critical", title = "x" }'),
                   syntax='return { id = "syntax", title = \n')
        script = self.runbook('"noid", "norun", "badsev", "syntax", "missing"')
        with fake_aws('basic') as fake:
            r = self.triage(fake, script, 'my-fn', '--format', 'json')
        steps = self.steps_of(r)
        self.assertTrue(all(s['status'] == 'error' for s in steps.values()), repr(r))
        title = lambda id: steps[id]['findings'][0]['title']
        self.assertEqual(title('noid'), "step 'noid' is invalid: its id is 'other', not 'noid' "
                                        "(the file name)")
        self.assertEqual(title('norun'), "step 'norun' is invalid: it has no run function")
        self.assertIn("finding severity must be ok, info, skip, warn, fail or error, not "
                      "'critical'", title('badsev'))
        self.assertRegex(steps['badsev']['findings'][0]['data']['location'], r'badsev\.lua:3$')
        self.assertRegex(title('syntax'), r'^step failed to load: .*syntax\.lua:2:')
        self.assertEqual(title('missing'), "step 'missing' not found (no steps/missing.lua in "
                                           "the plugin path)")


CTX_STEP = '''    local cfg = assert(ctx:config())
    ctx:finding{ severity = "ok", title = "ctx", data = {
      name = ctx.function_name, qualifier = ctx.qualifier or "-", id = ctx.function_id,
      region = ctx.region, account = ctx.account or "-", arn = cfg.FunctionArn,
      start = ctx.window.start, finish = ctx.window.finish, seconds = ctx.window.seconds,
      label = ctx.window.label, now = ctx.now } }'''


class ContextTest(EngineCase):

    def ctx_of(self, fake, target, *args):
        r = self.triage(fake, self.runbook('"ctxstep"'), target, '--format', 'json', *args)
        self.assertOk(r)
        return r.json()['steps'][0]['findings'][0]['data']

    def test_function_name_qualifier_and_arn_forms(self):
        self.steps(ctxstep=step('ctxstep', CTX_STEP))
        arn = 'arn:aws:lambda:us-east-1:123456789012:function:my-fn'
        with fake_aws('basic') as fake:
            cases = [('my-fn', 'my-fn', '-', 'my-fn'),
                     ('my-fn:live', 'my-fn', 'live', 'my-fn:live'),
                     (arn, 'my-fn', '-', 'my-fn'),
                     (arn + ':live', 'my-fn', 'live', 'my-fn:live'),
                     ('123456789012:function:my-fn', 'my-fn', '-', 'my-fn')]
            for target, name, qualifier, id in cases:
                with self.subTest(target=target):
                    d = self.ctx_of(fake, target)
                    self.assertEqual((d['name'], d['qualifier'], d['id']), (name, qualifier, id))
                    self.assertEqual((d['region'], d['account']), ('us-east-1', '123456789012'))

    def test_window_from_since_and_until(self):
        self.steps(ctxstep=step('ctxstep', CTX_STEP))
        with fake_aws('basic') as fake:
            d = self.ctx_of(fake, 'my-fn')
            self.assertEqual((d['seconds'], d['label'], d['finish']), (3600, '1h', d['now']))
            d = self.ctx_of(fake, 'my-fn', '--since', '30m', '--until', '10m')
            self.assertEqual((d['seconds'], d['finish']), (1800, d['now'] - 600))
            d = self.ctx_of(fake, 'my-fn', '--since', '2026-11-26T00:00:00Z',
                            '--until', '2026-11-26T06:30:00+01:00')
            self.assertEqual((d['start'], d['finish']), (1795651200, 1795671000))
            self.assertEqual(d['label'], '2026-11-26T00:00:00Z to 2026-11-26T05:30:00Z')

    def test_once_runs_its_function_once_while_other_steps_wait_for_it(self):
        body = '''    local v = ctx:once("shared", function()
      COUNT = (COUNT or 0) + 1
      runbook.sleep(0.3)
      return "value", COUNT
    end)
    local _, n = ctx:once("shared", function() error("never") end)
    ctx:finding{ severity = "ok", title = v .. " " .. n }'''
        self.steps(**{'o%d' % i: step('o%d' % i, body) for i in range(4)})
        with fake_aws('basic') as fake:
            r = self.triage(fake, self.runbook('"o0", "o1", "o2", "o3"'), 'my-fn', '--format', 'json')
        self.assertOk(r)
        self.assertEqual({s['findings'][0]['title'] for s in r.json()['steps']}, {'value 1'})

    def test_config_is_read_once_for_every_step(self):
        body = '    assert(ctx:config())\n    assert(ctx.aws.lambda.GetFunctionConfiguration{ FunctionName = ctx.function_id })'
        self.steps(**{'c%d' % i: step('c%d' % i, body) for i in range(5)})
        with fake_aws('basic') as fake:
            r = self.triage(fake, self.runbook('"c0", "c1", "c2", "c3", "c4"'), 'my-fn')
            self.assertOk(r)
            ops = read_ops(fake.requests())
        self.assertEqual(ops.count(('lambda', 'GetFunctionConfiguration')), 1)


DENIED_STEP = '''    local p, err = ctx.aws.lambda.GetPolicy{ FunctionName = ctx.function_id }
    if not p then return ctx:error_from(err) end
    ctx:finding{ severity = "ok", title = "policy read" }'''


class OwnCallsTest(EngineCase):

    def test_access_denied_to_the_triage_names_the_permission_the_operator_lacks(self):
        self.steps(policy=step('policy', DENIED_STEP), a=step('a', CTX_STEP))
        faults = [{'service': 'lambda', 'operation': 'GetPolicy', 'kind': 'access_denied'}]
        with fake_aws('basic', faults=faults) as fake:
            r = self.triage(fake, self.runbook('"policy", "a"'), 'my-fn', '--format', 'json')
        self.assertEqual(r.code, 1, repr(r))
        steps = self.steps_of(r)
        f = steps['policy']['findings'][0]
        self.assertEqual(f['severity'], 'error')
        self.assertIn('lambda:GetPolicy', f['title'])
        self.assertEqual(f['data']['permission'], 'lambda:GetPolicy')
        self.assertTrue(any('put-user-policy --user-name runbook-tester' in c and
                            '"Action":"lambda:GetPolicy"' in c and
                            'function:my-fn' in c for c in f['fix']['commands']), f)
        self.assertEqual(steps['a']['status'], 'ok')

    def test_denied_calls_of_every_service_name_their_iam_action(self):
        calls = [('monitoring', 'GetMetricStatistics', '{ Namespace = "AWS/Lambda", MetricName = "Errors", StartTime = ctx.window.start, EndTime = ctx.window.finish, Period = 300, Statistics = { "Sum" } }', 'cloudwatch:GetMetricStatistics'),
                 ('ec2', 'DescribeSubnets', '{}', 'ec2:DescribeSubnets'),
                 ('apigateway', 'GetRestApis', '{}', 'apigateway:GET'),
                 ('apigatewayv2', 'GetApis', '{}', 'apigateway:GET'),
                 ('iam', 'ListRolePolicies', '{ RoleName = "my-fn-role" }', 'iam:ListRolePolicies'),
                 ('logs', 'FilterLogEvents', '{ logGroupName = "/aws/lambda/my-fn" }', 'logs:FilterLogEvents')]
        ids = []
        for service, op, params, _ in calls:
            id = 'd_' + service
            ids.append(id)
            self.steps(**{id: step(id, '    local r, err = ctx.aws.%s.%s%s\n    if not r then return ctx:error_from(err) end'
                                   % (service, op, params))})
        faults = [{'kind': 'access_denied', 'operation': [c[1] for c in calls]}]
        with fake_aws('basic', faults=faults) as fake:
            r = self.triage(fake, self.runbook(', '.join('"%s"' % i for i in ids)), 'my-fn',
                            '--format', 'json')
        steps = self.steps_of(r)
        for (service, _, _, action), id in zip(calls, ids):
            with self.subTest(service=service):
                self.assertEqual(steps[id]['findings'][0]['data'].get('permission'), action,
                                 steps[id])

    def test_triage_still_completes_when_its_own_calls_are_throttled(self):
        self.steps(ctxstep=step('ctxstep', CTX_STEP), policy=step('policy', DENIED_STEP))
        script = self.runbook('"ctxstep", "policy"')
        faults = [{'service': 'lambda', 'operation': ['GetFunctionConfiguration', 'GetPolicy'],
                   'kind': 'throttle', 'count': 2}]
        with fake_aws('basic', faults=faults) as fake:
            r = self.triage(fake, script, 'my-fn', '--format', 'json')
            statuses = [q['status'] for q in fake.requests() if q.get('operation') ==
                        'GetFunctionConfiguration']
        self.assertOk(r)
        self.assertEqual(statuses[:2], [429, 429])
        self.assertEqual(statuses[-1], 200)
        self.assertEqual(r.json()['verdict']['counts']['ok'], 2)


class ExitCodeTest(EngineCase):

    def test_exit_code_follows_fail_on(self):
        self.steps(a=step('a'), w=step('w', '    ctx:finding{ severity = "warn", title = "w" }'),
                   f=step('f', FAIL_STEP))
        with fake_aws('basic') as fake:
            healthy = self.runbook('"a", "w"')
            self.assertEqual(self.triage(fake, healthy, 'my-fn').code, 0)
            self.assertEqual(self.triage(fake, healthy, 'my-fn', '--fail-on', 'warn').code, 1)
            failing = self.runbook('"a", "f"')
            self.assertEqual(self.triage(fake, failing, 'my-fn').code, 1)
            self.assertEqual(self.triage(fake, failing, 'my-fn', '--fail-on', 'error').code, 0)
            self.assertEqual(self.triage(fake, failing, 'my-fn', '--fail-on=info').code, 1)

    def test_usage_errors_exit_2_with_one_line_naming_the_problem(self):
        self.steps(a=step('a'))
        script = self.runbook('"a"')
        cases = [([], 'no function given'),
                 (['my-fn', '--since', 'yesterday'], "invalid --since 'yesterday'"),
                 (['my-fn', '--until', '5x'], "invalid --until '5x'"),
                 (['my-fn', '--since', '2026-11-26T00:00:00Z', '--until', '2026-11-25T00:00:00Z'],
                  'empty window'),
                 (['my-fn', '--format', 'yaml'], "invalid --format 'yaml'"),
                 (['my-fn', '--fail-on', 'bad'], "invalid --fail-on 'bad'"),
                 (['my-fn', '--step-timeout', '0'], "invalid --step-timeout '0'"),
                 (['my-fn', '--steps', 'nope'], "unknown step 'nope' in --steps"),
                 (['my-fn', '--skip', 'nope'], "unknown step 'nope' in --skip"),
                 (['my-fn', '--tag', 'nope'], 'no steps selected'),
                 (['my-fn', '--frobnicate'], "unknown option '--frobnicate'"),
                 (['my-fn', 'other-fn'], "unexpected argument 'other-fn'"),
                 (['my-fn', '--since'], 'missing value for --since'),
                 (['bad/name'], "invalid function name 'bad/name'"),
                 (['arn:aws:lambda:us-east-1:12:function:x'], 'invalid function ARN'),
                 (['arn:aws:lambda:eu-west-1:123456789012:function:my-fn', '--region',
                   'us-east-1'], 'the function is in eu-west-1 but --region says us-east-1')]
        with fake_aws('basic') as fake:
            for args, message in cases:
                with self.subTest(args=args):
                    r = self.triage(fake, script, *args)
                    self.assertEqual(r.code, 2, repr(r))
                    self.assertEqual(r.out, '')
                    self.assertEqual(r.err.count('\n'), 1, repr(r))
                    self.assertTrue(r.err.startswith('runbook: '), repr(r))
                    self.assertIn(message, r.err)

    def test_help_after_the_script_is_the_triage_help_and_calls_nothing(self):
        with fake_aws('basic') as fake:
            for flag in ('--help', '-h'):
                r = self.rb(fake, 'triage.lua', flag)
                self.assertEqual(r.code, 0, repr(r))
                self.assertTrue(r.out.startswith('usage: runbook triage.lua FUNCTION'), r.out)
                for text in ('--step-timeout', '--fail-on', 'exit codes', 'ARN'):
                    self.assertIn(text, r.out)
            self.assertEqual(fake.requests(), [])

    def test_unknown_function_is_one_line_naming_region_and_account_exit_2(self):
        self.steps(a=step('a'))
        with fake_aws('basic') as fake:
            r = self.triage(fake, self.runbook('"a"'), 'no-such-fn', '--format', 'json')
        self.assertEqual(r.code, 2, repr(r))
        self.assertEqual(r.out, '')
        self.assertEqual(r.err, "runbook: function 'no-such-fn' not found in us-east-1 "
                                "(account 123456789012)\n")

    def test_no_credentials_exits_3_with_one_line_naming_the_sources_tried(self):
        self.steps(a=step('a'))
        with fake_aws('basic') as fake:
            r = self.triage(fake, self.runbook('"a"'), 'my-fn', creds=False)
            self.assertEqual(read_ops(fake.requests()), [])
        self.assertEqual(r.code, 3, repr(r))
        self.assertEqual(r.err.count('\n'), 1, repr(r))
        self.assertRegex(r.err, r'^runbook: NoCredentials: no AWS credentials found: tried '
                                r'environment .*profile .*instance metadata')

    def test_no_region_exits_3_but_a_function_arn_brings_its_region(self):
        self.steps(a=step('a'))
        script = self.runbook('"a"')
        with fake_aws('basic') as fake:
            r = self.triage(fake, script, 'my-fn', AWS_REGION=None)
            self.assertEqual(r.code, 3, repr(r))
            self.assertRegex(r.err, r'^runbook: NoRegion: no AWS region: pass --region')
            fake.clear_requests()
            r = self.triage(fake, script, 'arn:aws:lambda:us-east-1:123456789012:function:my-fn',
                            AWS_REGION=None)
            self.assertEqual(r.code, 0, repr(r))
            self.assertEqual({q['region'] for q in fake.requests()}, {'us-east-1'})

    def test_a_function_arn_in_another_region_sends_the_calls_there(self):
        self.steps(a=step('a'))
        with fake_aws('basic') as fake:
            r = self.triage(fake, self.runbook('"a"'),
                            'arn:aws:lambda:eu-west-1:123456789012:function:my-fn',
                            AWS_REGION='us-east-1')
            regions = {q['region'] for q in fake.requests()}
        self.assertEqual(regions, {'eu-west-1'}, repr(r))

    def test_rejected_credentials_exit_3(self):
        self.steps(a=step('a'))
        with fake_aws('basic') as fake:
            r = self.triage(fake, self.runbook('"a"'), 'my-fn',
                            AWS_ACCESS_KEY_ID='AKIAUNKNOWNKEY000000',
                            AWS_SECRET_ACCESS_KEY='not-a-real-secret-key-000000000000000000')
        self.assertEqual(r.code, 3, repr(r))
        self.assertIn('UnrecognizedClientException', r.err)
        self.assertNotIn('not-a-real-secret', r.err + r.out)


class MultiWorldTest(CliTestCase):
    """tests/worlds/multi.json: one function with four problems at once."""

    PROBLEMS = ['timeout', 'forbidden', 'access_denied', 'throttle']

    def test_every_problem_of_one_function_is_reported_together(self):
        missing = [s for s in self.PROBLEMS
                   if not os.path.exists(os.path.join(STEPS_DIR, s + '.lua'))]
        if missing:
            self.skipTest('steps not written yet: %s' % ', '.join(missing))
        with fake_aws('multi') as fake:
            r = self.rb(fake, 'triage.lua', 'fulfillment-fn', '--steps', ','.join(self.PROBLEMS),
                        '--format', 'json', timeout=120)
            text = self.rb(fake, 'triage.lua', 'fulfillment-fn', '--steps',
                           ','.join(self.PROBLEMS), timeout=120)
        self.assertEqual(r.code, 1, repr(r))
        doc = r.json()
        self.assertEqual([(s['id'], s['status']) for s in doc['steps']],
                         [(s, 'fail') for s in self.PROBLEMS])
        self.assertEqual(doc['verdict']['counts']['fail'], 4)
        commands = [c for s in doc['steps'] for f in s['findings'] if f['fix']
                    for c in f['fix']['commands']]
        for needle in ('--timeout', 'add-permission', 'dynamodb:PutItem', 'put-function-concurrency'):
            self.assertTrue(any(needle in c for c in commands), (needle, commands))
        first = text.out.split('\n')[0]
        self.assertTrue(first.startswith('fulfillment-fn (us-east-1): 4 FAIL — '), first)
        self.assertIn('Throttles', text.out)  # the throttle series is drawn


class ShippedTriageTest(CliTestCase):
    """The shipped runbook and steps over the basic world."""

    def setUp(self):
        super().setUp()
        missing = [s for s in SHIPPED if not os.path.exists(os.path.join(STEPS_DIR, s + '.lua'))]
        if missing:
            self.skipTest('steps not written yet: %s' % ', '.join(missing))

    def test_full_triage_of_a_healthy_function_lists_every_step_in_order_and_exits_0(self):
        with fake_aws('basic') as fake:
            r = self.rb(fake, 'triage.lua', 'my-fn', '--format', 'json', timeout=120)
        self.assertOk(r)
        doc = r.json()
        self.assertEqual([s['id'] for s in doc['steps']], SHIPPED)
        self.assertFalse([s['id'] for s in doc['steps'] if s['status'] == 'error'], r.out)

    def test_full_triage_makes_only_read_operations(self):
        read = ('Get', 'List', 'Describe', 'Filter', 'Lookup', 'Search', 'Simulate')
        with fake_aws('basic') as fake:
            r = self.rb(fake, 'triage.lua', 'my-fn', timeout=120)
            ops = read_ops(fake.requests())
        self.assertIn(r.code, (0, 1), repr(r))
        self.assertGreater(len(ops), 5)
        writes = sorted({'%s %s' % op for op in ops if not op[1].startswith(read)})
        self.assertEqual(writes, [])

    def test_full_triage_reports_access_denied_to_the_operator_and_keeps_the_rest(self):
        faults = [{'service': 'lambda', 'operation': 'GetPolicy', 'kind': 'access_denied'}]
        with fake_aws('basic', faults=faults) as fake:
            r = self.rb(fake, 'triage.lua', 'my-fn', '--format', 'json', timeout=120)
        doc = r.json()
        denied = [(s['id'], f) for s in doc['steps'] for f in s['findings']
                  if f['severity'] == 'error' and 'lambda:GetPolicy' in f['title']]
        self.assertTrue(denied, r.out)
        self.assertEqual(len(doc['steps']), len(SHIPPED))
        self.assertTrue(any(s['status'] == 'ok' for s in doc['steps']))

    def test_full_triage_is_unchanged_when_its_calls_are_throttled(self):
        with fake_aws('basic') as fake:
            calm = self.rb(fake, 'triage.lua', 'my-fn', '--format', 'json', timeout=120)
        faults = [{'kind': 'throttle', 'count': 2, 'service': 'lambda'},
                  {'kind': 'throttle', 'count': 2, 'service': 'logs'}]
        with fake_aws('basic', faults=faults) as fake:
            stormy = self.rb(fake, 'triage.lua', 'my-fn', '--format', 'json', timeout=120)
            throttled = [q for q in fake.requests() if q.get('status') in (400, 429)]
        self.assertEqual(stormy.code, calm.code, repr(stormy))
        self.assertGreaterEqual(len(throttled), 4)
        summary = lambda r: [(s['id'], s['status'], [f['severity'] for f in s['findings']])
                             for s in r.json()['steps']]
        self.assertEqual(summary(stormy), summary(calm))


if __name__ == '__main__':
    unittest.main()
