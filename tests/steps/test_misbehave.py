"""Plugins that misbehave, through the real binary against the fake AWS: each gives one
error finding that names the step's own file and line, and the rest of the triage goes on.

A syntax error, a missing `run`, two files for one step id in one directory, an unknown
`needs` entry, a misspelled operation, a malformed finding, a CPU loop that never yields
(stopped at --step-timeout by the core's count hook), a write the core refused (reported
even when the step ignores the refusal), and Ctrl-C during a run (the findings so far are
printed, exit 130). A wrongly typed runbook argument is tested with the --arg work
(test_selection.py)."""

import json
import os
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import BIN, fake_aws  # noqa: E402
from test_engine import EngineCase, step  # noqa: E402

OK_STEP = '    ctx:finding{ severity = "info", title = "fine" }'


class MisbehaveCase(EngineCase):

    def run_steps(self, entries, *args, code=1):
        """Runs the runbook `entries` over the fake; returns (result, steps by id)."""
        script = self.runbook(entries)
        with fake_aws('basic') as fake:
            r = self.triage(fake, script, 'my-fn', '--format', 'json', *args)
        self.assertEqual(r.code, code, repr(r))
        return r, self.steps_of(r)

    def only_error(self, steps, id):
        """The step's one error finding; the step's status is error."""
        errors = [f for f in steps[id]['findings'] if f['severity'] == 'error']
        self.assertEqual(len(errors), 1, steps[id])
        self.assertEqual(steps[id]['status'], 'error')
        return errors[0]

    def assertAt(self, f, relpath, line):
        """The finding locates the problem at <plugins>/relpath:line, in data and evidence."""
        where = '%s:%d' % (os.path.join(self.plugins, relpath), line)
        self.assertEqual(f['data']['location'], where, f)
        self.assertIn('at ' + where, f['evidence'], f)


class LoadProblemsTest(MisbehaveCase):

    def test_syntax_error_names_the_file_and_line(self):
        self.steps(good=step('good', OK_STEP),
                   broken='return { id = "broken", title = "Broken",\n'
                          '  run = function(ctx) if then end }\n')
        _, steps = self.run_steps('"broken", "good"')
        f = self.only_error(steps, 'broken')
        self.assertRegex(f['title'], r'^step failed to load: .*steps/broken\.lua:2: ')
        self.assertAt(f, 'steps/broken.lua', 2)
        self.assertEqual(steps['good']['findings'][0]['title'], 'fine')

    def test_missing_run_names_the_file_and_the_step_table(self):
        self.steps(good=step('good', OK_STEP),
                   norun='-- a team check\nreturn {\n  id = "norun",\n  title = "No run",\n}\n')
        _, steps = self.run_steps('"norun", "good"')
        f = self.only_error(steps, 'norun')
        self.assertEqual(f['title'], "step 'norun' is invalid: it has no run function")
        self.assertAt(f, 'steps/norun.lua', 3)
        self.assertEqual(steps['good']['status'], 'info')

    def test_a_v2_step_without_run_raises_at_its_own_line(self):
        self.steps(good=step('good', OK_STEP),
                   v2norun='local step = require("triage.step")\n'
                           'return step.define{ id = "v2norun", title = "x" }\n')
        _, steps = self.run_steps('"v2norun", "good"')
        f = self.only_error(steps, 'v2norun')
        self.assertIn("step 'v2norun' needs a run function", f['title'])
        self.assertAt(f, 'steps/v2norun.lua', 2)

    def test_unknown_need_names_the_line_that_asks_for_it(self):
        self.steps(good=step('good', OK_STEP),
                   needy='return { id = "needy", title = "Needy",\n'
                         '  needs = { "config",\n'
                         '            "?confg" },\n'
                         '  run = function(ctx, ev) end }\n')
        _, steps = self.run_steps('"needy", "good"')
        f = self.only_error(steps, 'needy')
        self.assertEqual(f['title'], "step 'needy' is invalid: it needs unknown evidence "
                                     "'confg' (known: see docs/writing-steps.md)")
        self.assertAt(f, 'steps/needy.lua', 3)

    def test_two_files_for_one_step_id_in_one_directory_are_an_error_naming_both(self):
        # steps/twin.lua and steps/twin/init.lua both answer require("steps.twin"): which
        # one runs would be an accident of package.path order, so neither runs.
        self.steps(good=step('good', OK_STEP), twin=step('twin', OK_STEP))
        self.write(os.path.join('plugins', 'steps', 'twin', 'init.lua'), step('twin', OK_STEP))
        _, steps = self.run_steps('"twin", "good"')
        f = self.only_error(steps, 'twin')
        first = os.path.join(self.plugins, 'steps', 'twin.lua')
        second = os.path.join(self.plugins, 'steps', 'twin', 'init.lua')
        self.assertEqual(f['title'], "two files define step 'twin' in one directory: %s and %s"
                         % (first, second))
        self.assertEqual(f['evidence'], ['at ' + first, 'at ' + second])
        self.assertEqual(steps['good']['status'], 'info')

    def test_helpers_beside_a_step_are_not_a_second_definition(self):
        self.steps(helped=step('helped', '    ctx:finding(require("steps.helped.findings")'
                                         '.fine())'))
        self.write(os.path.join('plugins', 'steps', 'helped', 'findings.lua'),
                   'return { fine = function() return { severity = "info", '
                   'title = "fine" } end }\n')
        script = self.runbook('"helped"')
        with fake_aws('basic') as fake:
            r = self.triage(fake, script, 'my-fn', '--format', 'json')
        self.assertEqual(self.steps_of(r)['helped']['findings'][0]['title'], 'fine', repr(r))


class RunProblemsTest(MisbehaveCase):

    def test_misspelled_operation_is_blamed_on_the_step_line(self):
        self.steps(good=step('good', OK_STEP),
                   typo=step('typo', '    local fn = ctx.aws.lambda.GetFuncton{ FunctionName = '
                                     'ctx.function_name }'))
        _, steps = self.run_steps('"typo", "good"')
        f = self.only_error(steps, 'typo')
        self.assertIn("unknown operation 'GetFuncton' for service 'lambda' (did you mean "
                      "GetFunction?)", f['title'])
        self.assertIn('steps/typo.lua:3: ', f['title'])
        self.assertNotIn('context.lua', f['title'])
        self.assertNotIn('aws.lua', f['title'])
        self.assertAt(f, 'steps/typo.lua', 3)

    def test_misspelled_service_is_blamed_on_the_step_line(self):
        self.steps(svc=step('svc', '    local x = ctx.aws.lamda.GetFunction{}'))
        _, steps = self.run_steps('"svc"')
        f = self.only_error(steps, 'svc')
        self.assertRegex(f['title'], r"steps/svc\.lua:3: unknown service 'lamda'$")

    def test_malformed_finding_is_blamed_on_the_step_line(self):
        self.steps(good=step('good', OK_STEP),
                   bad=step('bad', '    ctx:finding{ severity = "warn" }'))
        _, steps = self.run_steps('"bad", "good"')
        f = self.only_error(steps, 'bad')
        self.assertIn('steps/bad.lua:3: ', f['title'])
        self.assertAt(f, 'steps/bad.lua', 3)

    def test_cpu_loop_is_stopped_at_the_step_timeout_and_the_others_report(self):
        # A pcall inside the loop must not swallow the stop.
        spin = ('    local n = 0\n'
                '    while true do\n'
                '      pcall(function() n = n + 1 end)\n'
                '    end')
        self.steps(before=step('before', OK_STEP), spin=step('spin', spin),
                   after=step('after', 'runbook.sleep(0.2)\n' + OK_STEP))
        t0 = time.monotonic()
        _, steps = self.run_steps('"before", "spin", "after"', '--step-timeout', '1')
        self.assertLess(time.monotonic() - t0, 10)
        f = self.only_error(steps, 'spin')
        self.assertEqual(f['title'], 'step ran 1 s without yielding (a CPU loop?)')
        self.assertEqual(f['data']['location'].rsplit(':', 1)[0],
                         os.path.join(self.plugins, 'steps', 'spin.lua'))
        self.assertIn(int(f['data']['location'].rsplit(':', 1)[1]), (4, 5))
        self.assertEqual(steps['before']['findings'][0]['title'], 'fine')
        self.assertEqual(steps['after']['findings'][0]['title'], 'fine')

    def test_cpu_loop_in_a_task_the_step_spawned_is_stopped_too(self):
        spin = ('    local t = runbook.spawn(function() while true do end end)\n'
                '    local ok, err = runbook.join(t)\n'
                '    ctx:finding{ severity = "info", title = "joined: " .. tostring(err) }')
        self.steps(spawner=step('spawner', spin))
        # the step was told (join returned the error) and went on
        _, steps = self.run_steps('"spawner"', '--step-timeout', '1', code=0)
        titles = [f['title'] for f in steps['spawner']['findings']]
        self.assertEqual(len(titles), 1, titles)
        self.assertRegex(titles[0], r'^joined: .*spawner\.lua:3: ran past its time limit '
                                    r'without yielding \(a CPU loop\?\)$')

    def test_a_refused_write_is_an_error_even_when_the_step_ignores_it(self):
        body = ('    local _, err = ctx.aws.lambda.UpdateFunctionConfiguration{\n'
                '      FunctionName = ctx.function_name, Timeout = 30 }\n'
                '    ctx:finding{ severity = "info", title = "went on: " .. err.code }')
        self.steps(writer=step('writer', body), good=step('good', OK_STEP))
        with fake_aws('basic') as fake:
            script = self.runbook('"writer", "good"')
            r = self.triage(fake, script, 'my-fn', '--format', 'json')
            sent = [q.get('operation') for q in fake.requests()]
        self.assertEqual(r.code, 1, repr(r))
        self.assertNotIn('UpdateFunctionConfiguration', sent)
        steps = self.steps_of(r)
        titles = [f['title'] for f in steps['writer']['findings']]
        self.assertEqual(titles, ['went on: WriteRefused', 'step attempted a write: lambda '
                                  'UpdateFunctionConfiguration (refused: a triage is read-only)'])
        f = self.only_error(steps, 'writer')
        self.assertAt(f, 'steps/writer.lua', 3)
        self.assertEqual(steps['good']['status'], 'info')

    def test_an_error_is_never_summarised_as_no_problems_found(self):
        self.steps(good=step('good', '    ctx:finding{ severity = "ok", title = "fine" }'),
                   boom=step('boom', '    error("boom")'))
        script = self.runbook('"good", "boom"')
        with fake_aws('basic') as fake:
            for fmt in ('text', 'markdown', 'json'):
                with self.subTest(format=fmt):
                    r = self.triage(fake, script, 'my-fn', '--format', fmt)
                    self.assertEqual(r.code, 1, repr(r))
                    if fmt == 'json':
                        self.assertEqual(r.json()['verdict']['headline'],
                                         'no problems found by the steps that ran; '
                                         '1 step could not run: Boom')
                    else:
                        self.assertIn('no problems found by the steps that ran; 1 step could '
                                      'not run: Boom', r.out)
                        self.assertNotRegex(r.out, r'no problems found(?! by the steps)')


class InterruptTest(MisbehaveCase):

    def interrupt(self, signo, *args):
        """Runs done/slow/spin steps, sends signo once they are under way: (code, out, err)."""
        self.steps(done=step('done', OK_STEP),
                   slow=step('slow', '    ctx:finding{ severity = "info", title = "started" }\n'
                                     '    runbook.sleep(60)'),
                   spin=step('spin', '    while true do pcall(function() end) end'))
        script = self.runbook('"done", "slow", "spin"')
        with fake_aws('basic') as fake:
            proc = subprocess.Popen(
                [BIN, '--plugins', self.plugins, script, 'my-fn', '--step-timeout', '60']
                + list(args), env=self.env_for(fake), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.addCleanup(lambda: proc.poll() is None and proc.kill())
            time.sleep(1.5)  # preflight done, the steps under way
            self.assertIsNone(proc.poll(), 'the run ended before the signal')
            sent = time.monotonic()
            proc.send_signal(signo)
            out, err = proc.communicate(timeout=30)
        self.assertLess(time.monotonic() - sent, 5)
        self.assertEqual(err, 'runbook: interrupted\n')
        return proc.returncode, out, err

    def test_sigterm_reports_too_and_exits_143(self):
        code, out, _ = self.interrupt(signal.SIGTERM)
        self.assertEqual(code, 143, out)
        self.assertIn('step interrupted before it finished (SIGTERM)', out)
        self.assertIn('fine', out)
        self.assertIn('could not run: Slow, Spin', out)

    def test_ctrl_c_prints_the_findings_so_far_and_exits_130(self):
        code, out, _ = self.interrupt(signal.SIGINT, '--format', 'json')
        self.assertEqual(code, 130, out)
        steps = {s['id']: s for s in json.loads(out)['steps']}
        self.assertEqual([f['title'] for f in steps['done']['findings']], ['fine'])
        self.assertEqual([f['title'] for f in steps['slow']['findings']],
                         ['started', 'step interrupted before it finished (Ctrl-C)'])
        self.assertEqual([f['title'] for f in steps['spin']['findings']],
                         ['step interrupted before it finished (Ctrl-C)'])
        self.assertTrue(steps['spin']['findings'][0]['data']['interrupted'])
        self.assertRegex(steps['slow']['findings'][1]['data']['location'], r'steps/slow\.lua:4$')


if __name__ == '__main__':
    unittest.main()
