"""The step API v2 through the real binary (docs/writing-steps.md): declared evidence gathered once
and shared, absence as data, failed reads reported by the engine, optional needs, the
`applies` rule, argument declarations, the old run(ctx) call, and reads retried in rounds
when AWS keeps failing.

Every case runs test-only steps from a --plugins directory against the fake AWS.
"""

import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import CliTestCase, fake_aws  # noqa: E402

# A v2 step: manifest first, then run(ctx, ev). {needs}, {applies} and {body} fill it in.
V2_STEP = '''local step = require("triage.step")
return step.define{{
  id = "{id}", title = "{title}",
  args = {{ limit = {{ default = 3, help = "how many is too many" }} }},
  needs = {{ {needs} }},
  {applies}
  run = function(ctx, ev)
{body}
  end,
}}
'''


def v2(id, needs='', body='', applies='', title=None):
    quoted = ', '.join('"%s"' % n for n in needs) if isinstance(needs, (list, tuple)) else needs
    return V2_STEP.format(id=id, title=title or id.capitalize(), needs=quoted, body=body,
                          applies=applies)


# Reports the shape of ev.policy in its title.
POLICY_SHAPE = '''    local p = ev.policy
    local shape = p.failed and ("failed " .. p.failed.code) or p.absent and ("absent: " .. p.absent)
      or ("statements " .. #p.statements)
    ctx:finding{ severity = "info", title = shape .. " limit " .. ctx.args.limit }'''


class StepApiCase(CliTestCase):

    def setUp(self):
        super().setUp()
        self.plugins = os.path.join(self.dir, 'plugins')

    def steps(self, **files):
        for id, text in files.items():
            self.write(os.path.join('plugins', 'steps', id + '.lua'), text)

    def triage(self, fake, function, ids, *extra):
        script = self.write('triage.lua', 'local engine = require("triage.engine")\n'
                            'return engine.main({ %s }, ...)\n'
                            % ', '.join('"%s"' % i for i in ids))
        r = self.rb(fake, '--plugins', self.plugins, script, function, '--format', 'json',
                    *extra, timeout=120)
        self.assertIn(r.code, (0, 1), repr(r))
        return r, {s['id']: s['findings'] for s in r.json()['steps']}

    def ops(self, fake, operation):
        return [q for q in fake.requests() if q.get('operation') == operation]


class DeclaredEvidenceTest(StepApiCase):

    def test_evidence_two_steps_need_is_read_once_and_given_to_both(self):
        self.steps(one=v2('one', ['policy'], POLICY_SHAPE), two=v2('two', ['policy'], POLICY_SHAPE))
        with fake_aws('basic') as fake:
            _, found = self.triage(fake, 'my-fn', ['one', 'two'])
            self.assertEqual(len(self.ops(fake, 'GetPolicy')), 1)
        for id in ('one', 'two'):
            self.assertRegex(found[id][0]['title'], r'^statements \d+ limit 3$')

    def test_a_resource_that_does_not_exist_is_absence_as_data(self):
        self.steps(one=v2('one', ['policy'], POLICY_SHAPE))
        with fake_aws('basic') as fake:
            _, found = self.triage(fake, 'vpc-fn', ['one'])
        self.assertEqual(found['one'][0]['title'], 'absent: no resource-based policy limit 3')

    def test_a_required_read_that_fails_is_reported_and_run_is_not_called(self):
        self.steps(one=v2('one', ['config', 'policy'],
                          '    ctx:finding{ severity = "fail", title = "run was called" }'))
        faults = [{'service': 'lambda', 'operation': 'GetPolicy', 'kind': 'access_denied'}]
        with fake_aws('basic', faults=faults) as fake:
            _, found = self.triage(fake, 'my-fn', ['one'])
        self.assertEqual([f['severity'] for f in found['one']], ['error'])
        self.assertIn('lambda:GetPolicy', found['one'][0]['title'])

    def test_an_optional_need_that_fails_reaches_the_step(self):
        self.steps(one=v2('one', ['?policy'], POLICY_SHAPE))
        faults = [{'service': 'lambda', 'operation': 'GetPolicy', 'kind': 'access_denied'}]
        with fake_aws('basic', faults=faults) as fake:
            _, found = self.triage(fake, 'my-fn', ['one'])
        self.assertEqual(found['one'][0]['title'], 'failed AccessDeniedException limit 3')

    def test_a_read_that_keeps_failing_is_asked_again_until_it_answers(self):
        # More throttles than the core's standard retries absorb (3 attempts a call).
        self.steps(one=v2('one', ['policy'], POLICY_SHAPE))
        faults = [{'service': 'lambda', 'operation': 'GetPolicy', 'kind': 'throttle',
                   'count': 5, 'retry_after': 0}]
        with fake_aws('basic', faults=faults) as fake:
            _, found = self.triage(fake, 'my-fn', ['one'])
            statuses = [q['status'] for q in self.ops(fake, 'GetPolicy')]
        self.assertRegex(found['one'][0]['title'], r'^statements \d+')
        self.assertEqual(statuses, [429] * 5 + [200])

    def test_unknown_evidence_is_an_error_naming_it(self):
        self.steps(one=v2('one', ['polcy'], POLICY_SHAPE))
        with fake_aws('basic') as fake:
            _, found = self.triage(fake, 'my-fn', ['one'])
        self.assertEqual(found['one'][0]['severity'], 'error')
        self.assertIn("unknown evidence 'polcy'", found['one'][0]['title'])

    def test_metric_evidence_names_its_metric_and_statistic(self):
        body = ('    local s = ev["metric:Duration:p99"]\n'
                '    ctx:finding{ severity = "info", title = s.metric .. " " .. s.statistic }')
        self.steps(one=v2('one', ['metric:Duration:p99'], body))
        with fake_aws('basic') as fake:
            _, found = self.triage(fake, 'my-fn', ['one'])
        self.assertEqual(found['one'][0]['title'], 'Duration p99')


    def test_ctx_aws_reads_another_region_through_a_scope(self):
        body = ('    local eu = ctx.aws.scope{ region = "eu-west-1" }\n'
                '    local who = assert(eu.sts.GetCallerIdentity{})\n'
                '    local _, err = eu.lambda.GetFunctionConfiguration{ FunctionName = "nope" }\n'
                '    ctx:finding{ severity = "info", title = who.Account .. " " .. err.operation }')
        self.steps(one=v2('one', [], body))
        with fake_aws('basic') as fake:
            _, found = self.triage(fake, 'my-fn', ['one'])
            seen = [(q['operation'], q['region']) for q in fake.requests() if q.get('service')]
        self.assertEqual(found['one'][0]['title'], '123456789012 GetFunctionConfiguration')
        self.assertIn(('GetCallerIdentity', 'eu-west-1'), seen)
        self.assertIn(('GetFunctionConfiguration', 'eu-west-1'), seen)  # the scoped read
        self.assertIn(('GetFunctionConfiguration', 'us-east-1'), seen)  # the function's own


class ManifestTest(StepApiCase):

    def test_applies_false_is_a_skip_with_its_reason_and_no_run(self):
        applies = ('applies = function(ctx, ev) return ev.config.VpcConfig ~= nil '
                   'and #(ev.config.VpcConfig.SubnetIds or {}) > 0, "not attached to a VPC" end,')
        self.steps(one=v2('one', ['config'], '    ctx:finding{ severity = "fail", title = "ran" }',
                          applies=applies))
        with fake_aws('basic') as fake:
            _, not_vpc = self.triage(fake, 'my-fn', ['one'])
            _, vpc = self.triage(fake, 'vpc-fn', ['one'])
        self.assertEqual([(f['severity'], f['title']) for f in not_vpc['one']],
                         [('skip', 'not attached to a VPC')])
        self.assertEqual(vpc['one'][0]['title'], 'ran')

    def test_declared_args_are_plain_defaults_a_runbook_may_override(self):
        self.steps(one=v2('one', ['policy'], POLICY_SHAPE))
        script = self.write('t.lua', 'local engine = require("triage.engine")\n'
                            'return engine.main({ { "one", limit = 7 } }, ...)\n')
        with fake_aws('basic') as fake:
            r = self.rb(fake, '--plugins', self.plugins, script, 'my-fn', '--format', 'json')
        self.assertRegex(r.json()['steps'][0]['findings'][0]['title'], r'limit 7$')

    def test_a_v2_step_called_the_old_way_gathers_its_own_evidence(self):
        # A team override calls the base step's run(ctx) with one argument.
        self.steps(base=v2('base', ['policy'], POLICY_SHAPE),
                   wrapper='local base = require("steps.base")\n'
                           'return { id = "wrapper", title = "Wrapper", args = base.args,\n'
                           '  run = function(ctx) base.run(ctx) end }\n')
        with fake_aws('basic') as fake:
            _, found = self.triage(fake, 'my-fn', ['wrapper'])
        self.assertRegex(found['wrapper'][0]['title'], r'^statements \d+ limit 3$')

    def test_an_old_contract_step_still_runs(self):
        self.steps(old='return { id = "old", title = "Old", args = { n = 1 },\n'
                       '  run = function(ctx)\n'
                       '    local cfg = assert(ctx:config())\n'
                       '    ctx:finding{ severity = "info", title = cfg.FunctionName .. " " .. ctx.args.n }\n'
                       '  end }\n')
        with fake_aws('basic') as fake:
            _, found = self.triage(fake, 'my-fn', ['old'])
        self.assertEqual(found['old'][0]['title'], 'my-fn 1')

    def test_headline_names_a_step_that_could_not_run(self):
        self.steps(broken=v2('broken', [], '    error("boom")', title='Broken thing'))
        with fake_aws('basic') as fake:
            r, _ = self.triage(fake, 'my-fn', ['broken'])
        verdict = r.json()['verdict']
        self.assertEqual(verdict['summary'], 'no problems found')
        self.assertEqual(verdict['headline'],
                         'no problems found by the steps that ran; 1 step could not run: '
                         'Broken thing')


class ExtendsTest(StepApiCase):
    """`extends = "timeout"` reuses a built-in and changes part of it in a few lines."""

    # Replaces the built-in's all-clear check; reports the argument it runs with.
    TEAM_TIMEOUT = (
        'return {\n'
        '  extends = "timeout", title = "Timeouts (team)",\n'
        '  args = { margin = 0.5, team_note = { default = "sre", help = "who owns it" } },\n'
        '  checks = {\n'
        '    all_clear = function(ctx, w)\n'
        '      ctx:finding{ severity = "info", title = ("team clear at margin %s, %s, %d invocations")\n'
        '        :format(ctx.args.margin, ctx.args.team_note, w.durations.count) }\n'
        '    end,\n'
        '  },\n'
        '}\n')

    def test_an_override_that_extends_the_built_in_changes_one_check_and_its_args(self):
        self.steps(timeout=self.TEAM_TIMEOUT)
        with fake_aws('basic') as fake:
            r, found = self.triage(fake, 'my-fn', ['timeout'])
        step = r.json()['steps'][0]
        self.assertEqual(step['title'], 'Timeouts (team)')
        self.assertEqual(step['tags'][:1], ['default'])
        titles = [f['title'] for f in found['timeout']]
        self.assertTrue(any(re.match(r'^team clear at margin 0.5, sre, \d+ invocations$', t)
                            for t in titles), titles)

    def test_a_new_step_may_extend_a_built_in_under_its_own_id(self):
        self.steps(**{'team-timeout': self.TEAM_TIMEOUT.replace(
            'extends = "timeout",', 'id = "team-timeout", extends = "timeout",')})
        with fake_aws('basic') as fake:
            _, found = self.triage(fake, 'my-fn', ['timeout', 'team-timeout'])
        self.assertFalse([f for f in found['timeout'] if 'team clear' in f['title']])
        self.assertTrue([f for f in found['team-timeout'] if 'team clear' in f['title']])

    def test_extending_a_check_the_built_in_lacks_names_its_checks(self):
        self.steps(timeout='return { extends = "timeout",\n'
                           '  checks = { all_clean = function() end } }\n')
        with fake_aws('basic') as fake:
            _, found = self.triage(fake, 'my-fn', ['timeout'])
        f = found['timeout'][0]
        self.assertEqual(f['severity'], 'error')
        self.assertIn("replaces check 'all_clean', which 'timeout' does not have", f['title'])
        self.assertIn('all_clear', f['title'])
        self.assertRegex(f['evidence'][0], r'steps/timeout\.lua:1$')


if __name__ == '__main__':
    unittest.main()
