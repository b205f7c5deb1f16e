"""`runbook triage.lua FN --fix`: the confirmation prompt, through the real binary.

Each run gets a new pseudo-terminal as its controlling terminal (fixtest.FixTestCase.on_tty)
while stdout and stderr are separate pipes: the report must be all that reaches stdout,
the plan goes to stderr and the question "Apply? [y/N/a/q]" to the terminal alone. The
answers are typed on the terminal; what the fake AWS received (its request log and world)
and the journal say whether anything was applied. Runs without a terminal are started in
a new session that has none.

Most tests use fixtest.TEAM_WORLD with two team steps in a --plugins directory (team-fn:
MemorySize 128 -> 256 from team_memory, Timeout 3 -> 10 from team_timeout), so that what
is asked does not depend on the built-in fixes; one test answers y to the built-in timeout
fix of the `timeout` world.
"""

import json
import unittest

from clitest import fake_aws
from fixtest import FixTestCase, Interrupt, PROMPT, TEAM_ARN, TEAM_WORLD

class FixPromptTest(FixTestCase):

    def team(self, answers, *extra, core=()):
        """team-fn's fixes offered on a terminal. -> result, terminal text, prompts, the
        writes the fake saw, team-fn's configuration afterwards."""
        team_core, select = self.team_plugins()
        with fake_aws(TEAM_WORLD) as fake:
            r, shown, prompts = self.on_tty(fake, 'team-fn', answers, *select, *extra,
                                            core=team_core + list(core))
            return r, shown, prompts, self.writes(fake), self.function_config(fake, 'team-fn')

    def one_fix(self, answers, *extra):
        return self.team(answers, '--fix=team_timeout', *extra)

    def assertSeparated(self, r, shown):
        """The report on stdout; the plan on stderr; the terminal holds only the question."""
        self.assertTrue(r.out.startswith('team-fn (us-east-1): '), r.out[:200])
        for plan_text in ('Apply?', 'Fix [team_timeout]', '  changes:\n', '  commands:\n',
                          'risk:', 'as ' + TEAM_ARN):
            self.assertNotIn(plan_text, r.out)
        self.assertIn('Fix [team_timeout] Timeout 3 is below', r.err)
        self.assertIn('  changes:\n  1. lambda UpdateFunctionConfiguration', r.err)
        for report_text in (b'changes:', b'team-fn (us-east-1)', b'Fixes:'):
            self.assertNotIn(report_text, shown)
        self.assertTrue(shown.startswith(PROMPT), shown)

    def assertNothingApplied(self, writes, cfg):
        self.assertEqual(writes, [])
        self.assertEqual((cfg['Timeout'], cfg['MemorySize']), (3, 128))
        self.assertEqual(self.journal_text(), '')

    def assertTimeoutApplied(self, writes, cfg):
        self.assertEqual([(w['operation'], w['params'].get('Timeout')) for w in writes],
                         [('UpdateFunctionConfiguration', 10)])
        self.assertEqual((cfg['Timeout'], cfg['MemorySize']), (10, 128))

    # one fix ------------------------------------------------------------------------------

    def test_y_applies_the_fix(self):
        r, shown, prompts, writes, cfg = self.one_fix([b'y\n'])
        self.assertEqual(prompts, 1, shown)
        self.assertSeparated(r, shown)
        self.assertTimeoutApplied(writes, cfg)
        self.assertRegex(r.out, r'\[team_timeout\] .*: applied, not yet observed')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual([e['outcome'] for e in self.entries()], ['applied'])

    def test_n_declines(self):
        r, shown, prompts, writes, cfg = self.one_fix([b'n\n'])
        self.assertEqual(prompts, 1, shown)
        self.assertSeparated(r, shown)
        self.assertNothingApplied(writes, cfg)
        self.assertRegex(r.out, r"\[team_timeout\] Timeout 3 is below the team's 10: declined\n")
        self.assertEqual(r.code, 0, repr(r))  # declined is an answer, not a pending fix

    def test_empty_answer_is_no(self):
        r, shown, prompts, writes, cfg = self.one_fix([b'\n'])
        self.assertEqual(prompts, 1, shown)
        self.assertNothingApplied(writes, cfg)
        self.assertRegex(r.out, r'\[team_timeout\] .*: declined')

    def test_end_of_input_is_no(self):
        r, shown, prompts, writes, cfg = self.one_fix([b'\x04'])  # Ctrl-D
        self.assertEqual(prompts, 1, shown)
        self.assertNothingApplied(writes, cfg)
        self.assertRegex(r.out, r'\[team_timeout\] .*: declined')

    def test_an_answer_typed_before_the_question_is_not_an_answer(self):
        team_core, select = self.team_plugins()
        with fake_aws(TEAM_WORLD) as fake:
            r, shown, prompts = self.on_tty(fake, 'team-fn', [b'n\n'], *select,
                                            '--fix=team_timeout', core=team_core,
                                            typed_ahead=b'y\n')
            writes = self.writes(fake)
        self.assertEqual(prompts, 1, shown)
        self.assertEqual(writes, [], 'the y typed ahead approved a plan nobody had seen')
        self.assertRegex(r.out, r'\[team_timeout\] .*: declined')

    def test_garbage_then_y_asks_again_and_applies(self):
        r, shown, prompts, writes, cfg = self.one_fix([b'perhaps\n', b'y\n'])
        self.assertEqual(prompts, 2, shown)
        self.assertIn(b'please answer one of y/N/a/q', shown)
        self.assertTimeoutApplied(writes, cfg)

    def test_prompt_shows_the_change_the_command_the_risk_and_the_identity(self):
        r, shown, prompts, writes, cfg = self.one_fix([b'n\n'])
        plan = r.err[r.err.index('Fix [team_timeout]'):]
        self.assertEqual(plan.splitlines()[:9], [
            "Fix [team_timeout] Timeout 3 is below the team's 10",
            '  raise Timeout to 10',
            '  changes:',
            '  1. lambda UpdateFunctionConfiguration',
            '       Timeout: 3 -> 10',
            '  commands:',
            '    aws lambda update-function-configuration --function-name team-fn --timeout 10',
            '  risk: 1 write to AWS; each can be reversed with `runbook undo`',
            '  as %s in 123456789012, us-east-1' % TEAM_ARN])

    def test_the_builtin_timeout_fix_applied_with_y(self):
        with fake_aws('timeout') as fake:
            r, shown, prompts = self.on_tty(fake, 'report-builder', [b'y\n'], '--fix=timeout',
                                            '--format', 'json')
            writes = self.writes(fake)
            cfg = self.function_config(fake, 'report-builder')
        self.assertEqual(prompts, 1, shown)
        doc = json.loads(r.out)  # the report alone: one JSON document
        [f] = self.fixable(doc, 'timeout')
        self.assertIn(f['fix']['outcome']['status'], ('applied', 'verified'), f['fix'])
        plan = f['fix']['plan']
        self.assertEqual([w['operation'] for w in writes], [s['operation'] for s in plan])
        for s in plan:
            if s['operation'] == 'UpdateFunctionConfiguration':
                for field, value in s['after'].items():
                    self.assertEqual(cfg[field], value, field)
        self.assertIn('Fix [timeout] ', r.err)
        self.assertIn('as arn:aws:iam::123456789012:user/runbook-tester in 123456789012, '
                      'us-east-1', r.err)

    # two fixes ----------------------------------------------------------------------------

    def test_a_applies_this_and_every_remaining_fix_without_asking(self):
        r, shown, prompts, writes, cfg = self.team([b'a\n', b'n\n'], '--fix', '--format',
                                                   'json')
        self.assertEqual(prompts, 1, shown)
        self.assertEqual([(w['operation'], sorted(w['params'])) for w in writes], [
            ('UpdateFunctionConfiguration', ['FunctionName', 'MemorySize', 'RevisionId']),
            ('UpdateFunctionConfiguration', ['FunctionName', 'RevisionId', 'Timeout'])],
            r.err)
        self.assertEqual((cfg['MemorySize'], cfg['Timeout']), (256, 10))
        doc = json.loads(r.out)
        self.assertEqual([f['fix']['outcome']['status'] for f in self.fixable(doc)],
                         ['applied', 'applied'])
        self.assertEqual(doc['fixes']['counts']['applied'], 2)
        self.assertEqual(r.code, 0, repr(r))

    def test_q_stops_offering(self):
        r, shown, prompts, writes, cfg = self.team([b'q\n', b'y\n'], '--fix', '--format',
                                                   'json')
        self.assertEqual(prompts, 1, shown)  # no later fix is asked
        self.assertNothingApplied(writes, cfg)
        doc = json.loads(r.out)
        first, second = [f['fix']['outcome'] for f in self.fixable(doc)]
        self.assertEqual((first['status'], second['status']), ('declined', 'declined'))
        self.assertIn('quit', second['reason'])
        self.assertNotIn('(2/2)', r.err)

    def test_n_then_y_answers_each_fix_in_turn(self):
        r, shown, prompts, writes, cfg = self.team([b'n\n', b'y\n'], '--fix')
        self.assertEqual(prompts, 2, shown)
        self.assertTimeoutApplied(writes, cfg)
        self.assertIn('(1/2) Fix [team_memory]', r.err)
        self.assertIn('(2/2) Fix [team_timeout]', r.err)
        self.assertRegex(r.out, r'\[team_memory\] .*: declined')

    def test_ctrl_c_at_the_prompt_stops_and_sends_nothing(self):
        r, shown, prompts, writes, cfg = self.team([Interrupt, b'y\n'], '--fix')
        self.assertEqual(r.code, 130, repr(r))
        self.assertEqual(prompts, 1, shown)  # the second fix is never asked
        self.assertNothingApplied(writes, cfg)  # nothing sent, nothing half-journaled
        self.assertIn('interrupted', r.err)

    def test_ctrl_c_typed_on_the_terminal_stops_and_sends_nothing(self):
        r, shown, prompts, writes, cfg = self.team([b'\x03', b'y\n'], '--fix')
        self.assertEqual(r.code, 130, repr(r))
        self.assertEqual(prompts, 1, shown)
        self.assertNothingApplied(writes, cfg)

    # no terminal, --yes, --dry-run --------------------------------------------------------

    def detached_team(self, *extra, core=()):
        team_core, select = self.team_plugins()
        with fake_aws(TEAM_WORLD) as fake:
            r = self.detached(fake, 'team-fn', *select, *extra, core=team_core + list(core))
            return r, self.writes(fake), self.function_config(fake, 'team-fn')

    def test_yes_without_a_terminal_applies(self):
        r, writes, cfg = self.detached_team('--fix', core=['--yes'])
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual(len(writes), 2)
        self.assertEqual((cfg['MemorySize'], cfg['Timeout']), (256, 10))
        self.assertNotIn('Apply?', r.out + r.err)

    def test_no_terminal_and_no_yes_applies_nothing_and_exits_4(self):
        r, writes, cfg = self.detached_team('--fix', '--format', 'json')
        self.assertEqual(r.code, 4, repr(r))
        self.assertNothingApplied(writes, cfg)
        doc = r.json()
        self.assertEqual([f['fix']['outcome']['status'] for f in self.fixable(doc)],
                         ['offered', 'offered'])
        self.assertEqual(doc['fixes']['counts']['offered'], 2)
        self.assertIn('no terminal', r.err)

    def test_dry_run_shows_every_plan_and_sends_no_write(self):
        r, writes, cfg = self.detached_team('--fix', '--format', 'json', core=['--dry-run'])
        self.assertEqual(r.code, 4, repr(r))
        self.assertNothingApplied(writes, cfg)
        doc = r.json()
        fixable = self.fixable(doc)
        self.assertEqual(len(fixable), 2)
        for f in fixable:
            self.assertEqual(f['fix']['outcome']['status'], 'offered', f['title'])
            self.assertIn('] ' + f['title'], r.err)
            for command in f['fix']['commands']:
                self.assertIn('    ' + command, r.err)
        self.assertEqual(r.err.count('dry run: nothing was sent'), 2)

    def test_dry_run_on_a_terminal_asks_nothing(self):
        r, shown, prompts, writes, cfg = self.team([b'y\n', b'y\n'], '--fix',
                                                   core=['--dry-run'])
        self.assertEqual(prompts, 0, shown)
        self.assertNothingApplied(writes, cfg)
        self.assertEqual(r.code, 4, repr(r))

    # the JSON document and --fix=STEP -----------------------------------------------------

    def test_json_with_yes_is_one_document_with_each_outcome_and_the_counts(self):
        r, shown, prompts, writes, cfg = self.team([], '--fix', '--format', 'json',
                                                   core=['--yes'])
        self.assertEqual(prompts, 0, shown)
        self.assertEqual(shown, b'')
        doc = json.loads(r.out)  # exactly one JSON document: nothing before or after it
        statuses = [f['fix']['outcome']['status'] for f in self.fixable(doc)]
        self.assertEqual(statuses, ['applied', 'applied'])
        counts = doc['fixes']['counts']
        self.assertEqual(sum(counts.values()), doc['fixes']['offered'])
        self.assertEqual(counts['applied'], 2)
        self.assertTrue(doc['fixes']['run'])
        for f in self.fixable(doc):
            self.assertEqual(f['fix']['outcome']['run'], doc['fixes']['run'])

    def test_markdown_is_written_after_the_prompts_with_the_outcomes(self):
        r, shown, prompts, writes, cfg = self.team([b'y\n', b'n\n'], '--fix', '--format',
                                                   'markdown')
        self.assertEqual(prompts, 2, shown)
        self.assertNotIn('Apply?', r.out)
        self.assertNotIn('  changes:\n', r.out)
        fixes = r.out[r.out.index('## Fixes'):]
        self.assertIn("- [team_memory] MemorySize 128 is below the team's 256: applied", fixes)
        self.assertIn("- [team_timeout] Timeout 3 is below the team's 10: declined", fixes)
        self.assertEqual((cfg['MemorySize'], cfg['Timeout']), (256, 3))

    def test_fix_step_limits_the_offers(self):
        r, shown, prompts, writes, cfg = self.team([b'y\n', b'y\n'], '--fix=team_timeout',
                                                   '--format', 'json')
        self.assertEqual(prompts, 1, shown)
        self.assertTimeoutApplied(writes, cfg)
        doc = json.loads(r.out)
        [memory] = self.fixable(doc, 'team_memory')
        self.assertNotIn('outcome', memory['fix'])
        self.assertNotIn('Fix [team_memory]', r.err)
        self.assertEqual(doc['fixes']['offered'], 1)

    def test_fix_steps_as_a_list_and_an_empty_list(self):
        r, writes, cfg = self.detached_team('--fix=team_memory,team_timeout', '--format',
                                            'json', core=['--dry-run'])
        self.assertEqual([f['fix']['outcome']['status'] for f in self.fixable(r.json())],
                         ['offered', 'offered'])
        r, writes, cfg = self.detached_team('--fix=')
        self.assertEqual(r.code, 2, repr(r))
        self.assertEqual(r.err.strip().splitlines(), [
            'runbook: --fix= names no step: give --fix or --fix=STEP,...'])

    def test_unknown_fix_step_is_a_one_line_usage_error(self):
        r, writes, cfg = self.detached_team('--fix=nosuchstep')
        self.assertEqual(r.code, 2, repr(r))
        self.assertEqual(len(r.err.strip().splitlines()), 1, r.err)
        self.assertIn("unknown step 'nosuchstep'", r.err)
        self.assertEqual(r.out, '')
        self.assertNothingApplied(writes, cfg)


if __name__ == '__main__':
    unittest.main()
