"""`runbook test`: step tests run through the real binary against the fake AWS server.

A passing and a failing case (the diff of expected against actual, "N passed, M failed",
exit 1), malformed test files (exit 2 naming the file and the field, nothing runs), a
case replayed from a --record file (no fake server, no Python), the operator's own AWS
variables never reaching the triage, and a team step whose operation the fake does not
implement: the step sees AWS's unknown-operation error, never an empty success.
"""

import os
import unittest

from clitest import CliTestCase, base_env, fake_aws, run

WORLDS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'worlds')

TIMEOUT_CASE = '''return {
  name = "%(name)s",
  world = "%(world)s",
  fn = "report-builder",
  steps = { "timeout" },
  expect = { exit = %(exit)d, findings = {
    { step = "timeout", severity = "%(severity)s", title = "%(title)s"%(data)s },
  } },
}
'''

SIGNING_STEP = '''-- a team check that reads an operation the fake AWS server does not implement
return {
  id = "signing",
  title = "Code signing",
  description = "The function is deployed with a code signing configuration",
  tags = { "team" },
  run = function(ctx)
    local reply, err = ctx.aws.lambda.GetFunctionCodeSigningConfig{
      FunctionName = ctx.function_name }
    if not reply then return ctx:error_from(err, "lambda GetFunctionCodeSigningConfig") end
    if not reply.CodeSigningConfigArn then
      return ctx:finding{ severity = "warn", title = "no code signing configuration" }
    end
    return ctx:finding{ severity = "ok", title = "signed with " .. reply.CodeSigningConfigArn }
  end,
}
'''


class KitTest(CliTestCase):

    def timeout_case(self, name='timeout_test.lua', exit=1, severity='fail',
                     title='timed out at the 3 s timeout', data=''):
        world = os.path.abspath(os.path.join(WORLDS, 'timeout.json'))
        return self.write(name, TIMEOUT_CASE % dict(name=name, world=world, exit=exit,
                                                    severity=severity, title=title, data=data))

    def kit(self, *paths, env=None):
        return run(['test'] + list(paths), env or base_env(), timeout=300, cwd=self.dir)

    def test_passing_case_prints_pass_and_the_count(self):
        self.timeout_case(data=', data = { recommended_timeout_s = 6 }')
        r = self.kit('.')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual(r.out.splitlines(), [
            'PASS ./timeout_test.lua: timeout_test.lua', '1 passed, 0 failed'])

    def test_failing_case_shows_the_diff_and_exits_1(self):
        self.timeout_case()
        self.timeout_case('wrong_test.lua', exit=0, severity='warn', title='slow',
                          data=', data = { recommended_timeout_s = 9 }')
        r = self.kit('wrong_test.lua', 'timeout_test.lua')
        self.assertEqual(r.code, 1, repr(r))
        lines = r.out.splitlines()
        self.assertEqual(lines[0], 'FAIL wrong_test.lua: wrong_test.lua')
        self.assertIn('  exit code: expected 0, got 1', lines)
        self.assertIn('  - timeout warn "slow" data={"recommended_timeout_s":9}', lines)
        plus = [l for l in lines if l.startswith('  + timeout fail ')]
        self.assertEqual(len(plus), 1, r.out)
        self.assertIn('recommended_timeout_s=6', plus[0])
        self.assertIn('      vs timeout fail: data.recommended_timeout_s: expected 9, got 6', lines)
        self.assertIn('      vs timeout fail: severity: expected warn, got fail', lines)
        self.assertIn('PASS timeout_test.lua: timeout_test.lua', lines)
        self.assertEqual(lines[-1], '1 passed, 1 failed')

    def test_an_unexpected_problem_fails_even_when_every_expected_finding_matched(self):
        self.write('ok_test.lua', '''return { world = "%s", fn = "report-builder",
          steps = { "timeout", "config" },
          expect = { findings = { { step = "config" } } } }''' % os.path.join(WORLDS, 'timeout.json'))
        r = self.kit('ok_test.lua')
        self.assertEqual(r.code, 1, repr(r))
        self.assertIn('  + timeout fail ', r.out)

    def test_malformed_files_exit_2_naming_file_and_field_and_nothing_runs(self):
        cases = {
            'typo_test.lua': ('return { world = "w.json", fn = "f", expect = {}, stpes = {} }',
                              'typo_test.lua: stpes: unknown field'),
            'nofn_test.lua': ('return { world = "w.json", expect = {} }',
                              'nofn_test.lua: fn: missing'),
            'sev_test.lua': ('return { world = "w.json", fn = "f", expect = { findings = {'
                             ' { severity = "bad" } } } }',
                             "sev_test.lua: expect.findings[1].severity: 'bad' is not"),
            'world_test.lua': ('return { world = "nowhere.json", fn = "f", expect = {} }',
                               "world_test.lua: world: no file 'nowhere.json'"),
            'case_test.lua': ('return { world = "w.json", cases = { { fn = "f", expect = {'
                              ' exit = "one" } } } }',
                              'case_test.lua: cases[1].expect.exit: must be an integer'),
            'syntax_test.lua': ('return { world = ', 'syntax_test.lua:1:'),
        }
        self.write('w.json', '{"credentials": []}')
        for name, (text, _) in cases.items():
            self.write(name, text)
        r = self.kit('.')
        self.assertEqual(r.code, 2, repr(r))
        self.assertEqual(r.out, '')
        for name, (_, message) in cases.items():
            self.assertIn(message, r.err)
        self.assertEqual(len(r.err.splitlines()), len(cases), r.err)

    def test_usage_errors_exit_2(self):
        r = self.kit('missing_dir')
        self.assertEqual((r.code, r.err.strip()),
                         (2, "runbook test: no such test file or directory 'missing_dir'"))
        os.mkdir(os.path.join(self.dir, 'empty'))
        r = self.kit('empty')
        self.assertEqual((r.code, r.err.strip()),
                         (2, "runbook test: no *_test.lua file under 'empty'"))
        r = self.kit('--nope')
        self.assertEqual(r.code, 2)
        self.assertIn("unknown option '--nope'", r.err)

    def test_a_recording_replays_with_no_fake_server(self):
        rec = os.path.join(self.dir, 'rec.json')
        with fake_aws('timeout') as fake:
            r = self.rb_record(fake, rec)
        self.assertEqual(r.code, 1, repr(r))
        self.write('replay_test.lua', '''return { recording = "rec.json", fn = "report-builder",
          steps = { "timeout" }, expect = { exit = 1, findings = {
            { step = "timeout", severity = "fail", title = "^12 invocations timed out" } } } }''')
        env = dict(base_env(), RB_PYTHON='/nonexistent/python3')  # no fake can start
        r = self.kit('replay_test.lua', env=env)
        self.assertEqual(r.code, 0, repr(r))
        self.assertIn('1 passed, 0 failed', r.out)

    def rb_record(self, fake, path):
        return run(['--record', path, 'triage.lua', 'report-builder', '--steps', 'timeout',
                    '--format', 'json'], self.env_for(fake))

    def test_the_operators_aws_settings_never_reach_the_triage(self):
        self.timeout_case()
        env = dict(base_env(), AWS_ACCESS_KEY_ID='AKIAOPERATORKEY00000',
                   AWS_SECRET_ACCESS_KEY='operator-secret', AWS_PROFILE='prod',
                   AWS_ENDPOINT_URL='https://lambda.us-east-1.amazonaws.com',
                   AWS_REGION='eu-west-1')
        r = self.kit('timeout_test.lua', env=env)
        self.assertEqual(r.code, 0, repr(r))

    def test_an_operation_the_fake_lacks_is_an_error_the_step_sees(self):
        self.write('team/steps/signing.lua', SIGNING_STEP)
        world = os.path.join(WORLDS, 'basic.json')
        self.write('signing_test.lua', '''return { world = "%s", fn = "my-fn",
          plugins = { "team" }, steps = { "signing" },
          expect = { findings = { { step = "signing", severity = "warn" } } } }''' % world)
        r = self.kit('signing_test.lua')
        self.assertEqual(r.code, 1, repr(r))
        self.assertIn('  - signing warn ""', r.out)
        self.assertIn('  + signing error "', r.out)
        self.write('signing_test.lua', '''return { world = "%s", fn = "my-fn",
          plugins = { "team" }, steps = { "signing" },
          expect = { findings = { { step = "signing", severity = "error",
            evidence = "UnknownOperationException: the fake AWS server does not implement '''
                   '''lambda:GetFunctionCodeSigningConfig" } } } }''' % world)
        r = self.kit('signing_test.lua', '--verbose')
        self.assertEqual(r.code, 0, repr(r))


if __name__ == '__main__':
    unittest.main()
