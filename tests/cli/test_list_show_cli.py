"""`runbook list` and `runbook show STEP` through the real binary: every step discovery
finds, which file wins an id (overrides marked, with --plugins and RUNBOOK_PATH), --steps
expressions, text and JSON; one step's arguments, needs, the AWS operations it reads and
the fixes it may propose. The operations `show` names are checked against what a triage
of that step really sends to the fake AWS server."""

import json
import os
import re
import unittest

from clitest import CliTestCase, base_env, fake_aws, run

READ = re.compile(r'^(Get|List|Describe)[A-Z]')
SHIPPED = ['config', 'timeout', 'forbidden', 'access_denied', 'bad_gateway', 'throttle',
           'async', 'event_sources', 'unavailable', 'vpc', 'cold_start', 'errors', 'changes']

TEAM_TIMEOUT = '''return { id = "timeout", title = "Team timeout", tags = { "team" },
  run = function(ctx) ctx:finding{ severity = "ok", title = "team" } end }
'''
TEAM_DLQ = '''local step = require("triage.step")
return step.define{ id = "team-dlq", title = "Dead-letter queue", tags = { "team", "async" },
  description = "An asynchronously invoked function has somewhere to send failures",
  args = { max_age = { default = 3600, help = "oldest event age in seconds" },
           strict = { default = false, help = "fail instead of warn" } },
  needs = { "config", "?mappings" },
  run = function(ctx) ctx:finding{ severity = "ok", title = "ok" } end }
'''


class ListShowCase(CliTestCase):

    def setUp(self):
        super().setUp()
        self.team = os.path.join(self.dir, 'team')

    def team_step(self, id, text):
        return self.write(os.path.join('team', 'steps', id + '.lua'), text)

    def runbook(self, *args, env=None):
        return run(list(args), env or base_env(), cwd=self.dir)

    def json_of(self, *args, env=None):
        r = self.runbook(*args, '--format', 'json', env=env)
        self.assertOk(r)
        return r.json()

    def assertUsage(self, r, message):
        self.assertEqual(r.code, 2, repr(r))
        self.assertIn(message, r.err)
        self.assertEqual(len(r.err.strip().splitlines()), 1, r.err)
        self.assertEqual(r.out, '')


class ListTest(ListShowCase):

    def test_list_shows_every_builtin_with_title_tags_and_source(self):
        r = self.runbook('list')
        self.assertOk(r)
        lines = r.out.splitlines()
        self.assertEqual(lines[0].split(), ['ID', 'TITLE', 'TAGS', 'SOURCE'])
        self.assertEqual(lines[-1], '%d steps' % len(SHIPPED))
        rows = {line.split()[0]: line for line in lines[1:-1]}
        self.assertEqual(sorted(rows), sorted(SHIPPED))
        self.assertIn('Timeouts', rows['timeout'])
        self.assertIn('default, execution, logs, metrics', rows['timeout'])
        self.assertTrue(rows['vpc'].endswith('/plugins/steps/vpc.lua'), rows['vpc'])

    def test_list_json_every_builtin_carries_the_default_tag_and_wins(self):
        doc = self.json_of('list')
        self.assertEqual(sorted(s['id'] for s in doc['steps']), sorted(SHIPPED))
        for s in doc['steps']:
            self.assertIn('default', s['tags'], s)
            self.assertTrue(s['wins'], s)
            self.assertEqual(s['overrides'], [])
            self.assertTrue(s['source'].endswith('/plugins/steps/%s.lua' % s['id']), s)

    def test_a_plugins_step_overrides_the_builtin_and_both_are_marked(self):
        team_timeout = self.team_step('timeout', TEAM_TIMEOUT)
        self.team_step('team-dlq', TEAM_DLQ)
        doc = self.json_of('--plugins', self.team, 'list')
        steps = doc['steps']
        # the team directory is searched first: its files come first, in name order
        self.assertEqual([(s['id'], s['source']) for s in steps[:2]],
                         [('team-dlq', os.path.join(self.team, 'steps', 'team-dlq.lua')),
                          ('timeout', team_timeout)])
        builtin = [s for s in steps[2:] if s['id'] == 'timeout']
        self.assertEqual(len(builtin), 1)
        self.assertEqual((steps[1]['wins'], steps[1]['title'], steps[1]['overrides']),
                         (True, 'Team timeout', [builtin[0]['source']]))
        self.assertEqual((builtin[0]['wins'], builtin[0]['overridden_by']),
                         (False, team_timeout))
        self.assertEqual((steps[1]['origin'], builtin[0]['origin']), ('--plugins', 'builtin'))
        text = self.runbook('--plugins', self.team, 'list')
        self.assertOk(text)
        self.assertIn('[overrides %s]' % builtin[0]['source'], text.out)
        self.assertIn('[overridden by %s]' % team_timeout, text.out)
        self.assertEqual(text.out.splitlines()[-1], '%d steps, 1 overridden' % (len(SHIPPED) + 1))

    def test_runbook_path_directories_are_listed_too(self):
        self.team_step('team-dlq', TEAM_DLQ)
        doc = self.json_of('list', env=dict(base_env(), RUNBOOK_PATH=self.team))
        self.assertEqual((doc['steps'][0]['id'], doc['steps'][0]['origin']),
                         ('team-dlq', 'RUNBOOK_PATH'))

    def test_a_plugin_lists_only_directories_the_sandbox_lets_it_read(self):
        outside = os.path.join(self.dir, 'outside')
        os.makedirs(outside)
        self.write(os.path.join('outside', 'secret-name.txt'), 'x')
        self.team_step('team-dlq', TEAM_DLQ)
        script = self.write(os.path.join('team', 'peek.lua'),
                            'local fs = require("runbook.fs")\n'
                            'print(#assert(fs.files(%r)))\n'
                            'local names, err = fs.files(%r)\n'
                            'print(names, err.code, err.message)\n'
                            % (os.path.join(self.team, 'steps'), outside))
        r = self.runbook('--plugins', self.team, script)
        self.assertOk(r)
        lines = r.out.splitlines()
        self.assertEqual(lines[0], '1', 'its own plugin directory is listed')
        self.assertTrue(lines[1].startswith('nil\tNotAllowed\tio.open: plugins may not read'),
                        r.out)
        self.assertNotIn('secret-name', r.out)

    def test_list_steps_takes_the_triage_expressions(self):
        self.team_step('team-dlq', TEAM_DLQ)
        doc = self.json_of('--plugins', self.team, 'list', '--steps', 'default and not vpc')
        self.assertEqual([s['id'] for s in doc['steps']],
                         sorted(s for s in SHIPPED if s != 'vpc'))
        doc = self.json_of('--plugins', self.team, 'list', '--steps', 'team-* or api')
        self.assertEqual([s['id'] for s in doc['steps']], ['team-dlq', 'bad_gateway', 'forbidden'])

    def test_list_usage_errors_are_one_line_naming_the_token(self):
        self.assertUsage(self.runbook('list', '--steps', 'default and nope'),
                         "unknown step 'nope' in --steps")
        self.assertUsage(self.runbook('list', '--steps', 'default and'),
                         "invalid --steps 'default and'")
        self.assertUsage(self.runbook('list', '--format', 'xml'), "invalid --format 'xml'")
        self.assertUsage(self.runbook('list', 'extra'), "unexpected argument 'extra'")

    def test_a_step_that_does_not_load_is_listed_with_its_error(self):
        broken = self.team_step('broken', 'return { id = "broken", title = \n')
        self.team_step('misnamed', 'return { id = "other", title = "x", run = function() end }\n')
        doc = self.json_of('--plugins', self.team, 'list')
        by_id = {s['id']: s for s in doc['steps']}
        self.assertIn('failed to load: %s:2:' % broken, by_id['broken']['error'])
        self.assertIn("its id is 'other', not 'misnamed'", by_id['misnamed']['error'])
        self.assertEqual(len(doc['steps']), len(SHIPPED) + 2, 'the others are still listed')


class ShowTest(ListShowCase):

    def test_show_text_gives_arguments_needs_reads_and_fixes(self):
        r = self.runbook('show', 'timeout')
        self.assertOk(r)
        out = r.out
        self.assertTrue(out.startswith('timeout: Timeouts\n  Configured timeout'), out)
        self.assertRegex(out, r'\n  margin +number +0\.8 +p99 at this share of the timeout is '
                              r'too close\n')
        self.assertIn('\ntags       default, execution, logs, metrics\n', out)
        self.assertIn('\nneeds      config, ?events, ?reports, ?metric:Duration:p99, ?apis, '
                      '?role', out)
        for op in ('lambda GetFunctionConfiguration', 'logs FilterLogEvents',
                   'cloudwatch GetMetricStatistics', 'iam GetRole', 'apigateway GetRestApis'):
            self.assertIn('\n  %s\n' % op, out)
        fixes = out.split('fixes it may propose\n')[1].split()
        self.assertEqual(fixes, ['lambda', 'UpdateFunctionConfiguration', 'iam',
                                 'AttachRolePolicy'])

    def test_show_json_of_a_team_step(self):
        self.team_step('team-dlq', TEAM_DLQ)
        doc = self.json_of('--plugins', self.team, 'show', 'team-dlq')
        self.assertEqual(doc['arguments'], [
            {'name': 'max_age', 'type': 'number', 'default': 3600,
             'help': 'oldest event age in seconds'},
            {'name': 'strict', 'type': 'boolean', 'default': False,
             'help': 'fail instead of warn'}])
        self.assertEqual(doc['needs'], ['config', '?mappings'])
        self.assertEqual(doc['reads'], ['lambda GetFunctionConfiguration',
                                        'lambda ListEventSourceMappings'])
        self.assertIsNone(doc['fixes'], 'a step that declares no fixes')
        self.assertEqual(doc['tags'], ['team', 'async'])
        text = self.runbook('--plugins', self.team, 'show', 'team-dlq')
        self.assertIn('not declared', text.out)

    def test_show_names_the_override_that_wins(self):
        team_timeout = self.team_step('timeout', TEAM_TIMEOUT)
        doc = self.json_of('--plugins', self.team, 'show', 'timeout')
        self.assertEqual((doc['title'], doc['source'], len(doc['overrides'])),
                         ('Team timeout', team_timeout, 1))
        self.assertTrue(doc['overrides'][0].endswith('/plugins/steps/timeout.lua'))

    def test_steps_that_only_report_declare_no_fixes(self):
        self.assertEqual(self.json_of('show', 'unavailable')['fixes'], [])
        self.assertIn('none: it only reports', self.runbook('show', 'unavailable').out)

    def test_show_errors(self):
        self.assertUsage(self.runbook('show', 'nope'), "unknown step 'nope'")
        self.assertUsage(self.runbook('show'), 'no step given')
        self.assertUsage(self.runbook('show', 'vpc', 'config'), "unexpected argument 'config'")
        broken = self.team_step('broken', 'return 42\n')
        r = self.runbook('--plugins', self.team, 'show', 'broken')
        self.assertEqual(r.code, 3, repr(r))
        self.assertIn("step 'broken' in %s: it returned number, not a table" % broken, r.err)

    def test_the_core_help_names_list_and_show(self):
        r = self.runbook('--help')
        self.assertOk(r)
        self.assertIn('runbook list [--steps EXPR] [--format json]', r.out)
        self.assertIn('runbook show STEP [--format json]', r.out)

    def test_a_runbook_is_found_by_name_without_lua(self):
        r = self.runbook('triage', '--', '--help')
        self.assertOk(r)
        self.assertIn('usage: runbook triage.lua FUNCTION', r.out)


# (step, world, function): a triage that takes each step down its deepest path
READ_CASES = [('config', 'basic', 'my-fn'), ('timeout', 'timeout', 'report-builder'),
              ('forbidden', 'forbidden', 'checkout-fn'),
              ('access_denied', 'access_denied', None), ('bad_gateway', 'bad_gateway', 'orders-fn'),
              ('throttle', 'throttle', 'checkout-fn'), ('unavailable', 'unavailable', None),
              ('vpc', 'vpc', 'ingest-fn'), ('cold_start', 'cold_start', None),
              ('errors', 'errors', None)]


class ReadsTest(ListShowCase):

    def first_function(self, world):
        root = os.path.join(os.path.dirname(__file__), '..', 'worlds', world + '.json')
        with open(root, encoding='utf-8') as fh:
            return next(iter(json.load(fh)['lambda']['functions']))

    def test_every_operation_a_step_sends_is_among_the_reads_show_names(self):
        for id, world, fn in READ_CASES:
            with self.subTest(step=id):
                reads = set(self.json_of('show', id)['reads'])
                with fake_aws(world) as fake:
                    r = self.rb(fake, 'triage.lua', fn or self.first_function(world),
                                '--steps', id, '--format', 'json')
                    self.assertIn(r.code, (0, 1), repr(r))
                    sent = {'%s %s' % (q['service'], q['operation'])
                            for q in fake.requests() if q.get('service')}
                self.assertTrue(sent, 'the triage read something')
                self.assertLessEqual(sent, reads, 'sent but not declared: %s'
                                     % sorted(sent - reads))


    def test_every_fix_plan_a_step_proposes_is_among_the_fixes_it_declares(self):
        fixes = {id: set(self.json_of('show', id)['fixes']) for id in SHIPPED}
        worlds = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'worlds')
        proposed = 0
        for name in sorted(os.listdir(worlds)):
            if not name.endswith('.json'):
                continue
            with open(os.path.join(worlds, name), encoding='utf-8') as fh:
                functions = list(json.load(fh).get('lambda', {}).get('functions', {}))
            with fake_aws(name[:-5]) as fake:
                for fn in functions:
                    r = self.rb(fake, 'triage.lua', fn, '--format', 'json')
                    self.assertIn(r.code, (0, 1), repr(r))
                    for s in r.json()['steps']:
                        for f in s['findings']:
                            for action in ((f.get('fix') or {}).get('plan') or []):
                                if READ.match(action['operation']):
                                    continue  # a plan may read first: not a fix
                                op = '%s %s' % (action['service'], action['operation'])
                                proposed += 1
                                with self.subTest(world=name, function=fn, step=s['id']):
                                    self.assertIn(op, fixes[s['id']])
        self.assertGreater(proposed, 10, 'the worlds propose fixes')

if __name__ == '__main__':
    unittest.main()
