"""Step selection through the real binary: --steps expressions over ids and tags with
globs (as nmap's --script), how --tag and --skip combine with them, report order, and
step arguments from the runbook file and --arg, type-checked against their defaults.

Most cases run test-only steps from a --plugins directory over the basic world; the
first ones run the shipped triage, whose steps carry the tag `default`.
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import fake_aws  # noqa: E402
from test_engine import EngineCase, SHIPPED, step  # noqa: E402

ARGY = step('argy', '    ctx:finding{ severity = "ok", title = "margin " .. tostring(ctx.args.margin)'
            ' .. " strict " .. tostring(ctx.args.strict) .. " name " .. ctx.args.name'
            ' .. " extra " .. table.concat(ctx.args.extra, "+") }',
            args='margin = 0.8, strict = false, name = "x", extra = { "a" }')


class ExpressionTest(EngineCase):

    def ids(self, r):
        self.assertOk(r)
        return [s['id'] for s in r.json()['steps']]

    def test_default_and_not_vpc_runs_every_builtin_but_vpc_in_runbook_order(self):
        with fake_aws('basic') as fake:
            r = self.rb(fake, 'triage.lua', 'my-fn', '--steps', 'default and not vpc',
                        '--format', 'json')
        self.assertIn(r.code, (0, 1), repr(r))
        self.assertEqual([s['id'] for s in r.json()['steps']],
                         [s for s in SHIPPED if s != 'vpc'])

    def test_a_plain_triage_runs_the_runbook_list_as_before(self):
        with fake_aws('basic') as fake:
            r = self.rb(fake, 'triage.lua', 'my-fn', '--format', 'json')
        self.assertEqual([s['id'] for s in r.json()['steps']], SHIPPED, repr(r))

    def test_a_glob_selects_team_steps_the_runbook_does_not_list_after_its_own(self):
        self.steps(**{'a': step('a'), 'team-z': step('team-z'), 'team-a': step('team-a'),
                      'team-m': step('team-m')})
        script = self.runbook('"a", "team-z"')
        with fake_aws('basic') as fake:
            r = self.triage(fake, script, 'my-fn', '--steps', 'team-*', '--format', 'json')
        # the runbook's order first (team-z), then extras in discovery order
        self.assertEqual(self.ids(r), ['team-z', 'team-a', 'team-m'])

    def test_boolean_expressions_over_tags_with_parentheses(self):
        self.steps(a=step('a', tags=['tlogs']), b=step('b', tags=['tmetrics']),
                   cold=step('cold', tags=['tlogs', 'tperf']), d=step('d', tags=['tnet']))
        script = self.runbook('"a", "b", "cold", "d"')
        cases = [('(tlogs or tmetrics) and not cold', ['a', 'b']),
                 ('tlogs and not tperf, d', ['a', 'd']),
                 ('not (tlogs or tmetrics) and tnet', ['d']),
                 ('tperf*', ['cold']),
                 ('b,a', ['a', 'b']),
                 # built-ins are found too: after the runbook's, in discovery order
                 ('d or (default and api)', ['d', 'bad_gateway', 'forbidden'])]
        with fake_aws('basic') as fake:
            for expr, expected in cases:
                with self.subTest(expr=expr):
                    r = self.triage(fake, script, 'my-fn', '--steps', expr, '--format', 'json')
                    self.assertIn(r.code, (0, 1), repr(r))
                    self.assertEqual([s['id'] for s in r.json()['steps']], expected)

    def test_an_id_selects_its_step_only_even_when_another_step_has_that_tag(self):
        self.steps(config=step('config', tags=['config']), net=step('net', tags=['config']))
        script = self.runbook('"config", "net"')
        with fake_aws('basic') as fake:
            r = self.triage(fake, script, 'my-fn', '--steps', 'config', '--format', 'json')
        self.assertEqual(self.ids(r), ['config'])

    def test_steps_selects_then_tag_narrows_then_skip_removes(self):
        self.steps(a=step('a', tags=['tlogs']), b=step('b', tags=['tmetrics']),
                   c=step('c', tags=['tlogs', 'tnet']), team=step('team', tags=['tlogs']))
        script = self.runbook('"a", "b", "c"')
        with fake_aws('basic') as fake:
            r = self.triage(fake, script, 'my-fn', '--steps', 'a or b or team or c',
                            '--tag', 'tlogs', '--skip', 'c', '--format', 'json')
            self.assertEqual(self.ids(r), ['a', 'team'])
            # --skip may name a step only the expression brought in
            r = self.triage(fake, script, 'my-fn', '--steps', 'tlogs', '--skip', 'team',
                            '--format', 'json')
            self.assertEqual(self.ids(r), ['a', 'c'])

    def test_unknown_names_and_syntax_errors_are_one_line_usage_errors_naming_the_token(self):
        self.steps(a=step('a', tags=['tlogs']))
        script = self.runbook('"a"')
        cases = [('a or nope', "unknown step 'nope' in --steps"),
                 ('team-*', "unknown step 'team-*' in --steps"),
                 ('a and', "invalid --steps 'a and': expected a step id, tag or '(' at the end"),
                 ('(a or tlogs', "expected ')' before the end"),
                 ('a )', "unexpected ')'"),
                 ('a tlogs', "unexpected 'tlogs'"),
                 ('a & tlogs', "unexpected character '&'")]
        with fake_aws('basic') as fake:
            for expr, message in cases:
                with self.subTest(expr=expr):
                    r = self.triage(fake, script, 'my-fn', '--steps', expr)
                    self.assertEqual(r.code, 2, repr(r))
                    self.assertIn(message, r.err)
                    self.assertEqual(len(r.err.strip().splitlines()), 1, r.err)
                    self.assertEqual(r.out, '')
            self.assertEqual(fake.requests(), [], 'a usage error reads nothing from AWS')


class ArgumentTest(EngineCase):

    def title(self, r):
        self.assertOk(r)
        return self.steps_of(r)['argy']['findings'][0]['title']

    def test_arg_sets_numbers_booleans_strings_and_json_tables_over_the_runbook(self):
        self.steps(argy=ARGY)
        script = self.runbook('{ "argy", margin = 0.5 }')
        with fake_aws('basic') as fake:
            self.assertEqual(self.title(self.triage(fake, script, 'my-fn', '--format', 'json')),
                             'margin 0.5 strict false name x extra a')
            r = self.triage(fake, script, 'my-fn', '--format', 'json',
                            '--arg', 'argy.margin=0.7', '--arg', 'argy.strict=true',
                            '--arg', 'argy.name=team', '--arg', 'argy.extra=["b","c"]')
            self.assertEqual(self.title(r), 'margin 0.7 strict true name team extra b+c')

    def test_a_wrongly_typed_or_unknown_arg_is_a_usage_error_naming_the_flag(self):
        self.steps(argy=ARGY)
        script = self.runbook('"argy"')
        cases = [('argy.margin=abc', "--arg argy.margin=abc: margin of step 'argy' is a number"),
                 ('argy.strict=yes', "--arg argy.strict=yes: strict of step 'argy' is a boolean"),
                 ('argy.extra=b', "--arg argy.extra=b: extra of step 'argy' is a table"),
                 ('argy.margn=1', "--arg argy.margn=1: step 'argy' has no argument 'margn' "
                                  "(its arguments: extra, margin, name, strict)"),
                 ('nope.x=1', "--arg nope.x=1: no step 'nope'"),
                 ('argy', '--arg argy: give step.key=value')]
        with fake_aws('basic') as fake:
            for flag, message in cases:
                with self.subTest(flag=flag):
                    r = self.triage(fake, script, 'my-fn', '--arg', flag)
                    self.assertEqual(r.code, 2, repr(r))
                    self.assertIn(message, r.err)
                    self.assertEqual(len(r.err.strip().splitlines()), 1, r.err)

    def test_a_wrongly_typed_runbook_argument_is_an_error_naming_the_runbook(self):
        self.steps(argy=ARGY, other=step('other'))
        script = self.runbook('{ "argy", margin = "abc" }, "other"')
        with fake_aws('basic') as fake:
            r = self.triage(fake, script, 'my-fn', '--format', 'json')
        self.assertEqual(r.code, 1, repr(r))
        steps = self.steps_of(r)
        f = steps['argy']['findings'][0]
        self.assertEqual(f['severity'], 'error')
        self.assertEqual(f['title'], "runbook %s: argument margin of step 'argy' is a number, "
                                     "not a string" % script)
        self.assertEqual(steps['other']['findings'][0]['severity'], 'ok', 'the rest runs')

    def test_arg_works_on_a_builtin_step_of_the_shipped_triage(self):
        with fake_aws('timeout') as fake:
            r = self.rb(fake, 'triage.lua', 'orders-api', '--steps', 'timeout',
                        '--arg', 'timeout.margin=abc')
        self.assertEqual(r.code, 2, repr(r))
        self.assertIn("--arg timeout.margin=abc: margin of step 'timeout' is a number", r.err)


if __name__ == '__main__':
    unittest.main()
