"""The shipped examples through the real binary, so they cannot rot: the team runbook
(examples/runbooks/api-triage.lua), the team check (examples/steps/tags.lua), the team
override of a built-in step (examples/steps/timeout.lua) and the demo recording
(examples/demo/recording.json) that the README's first command replays.
"""

import copy
import json
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import CliTestCase, base_env, fake_aws, run, ROOT  # noqa: E402

EXAMPLES = os.path.join(ROOT, 'examples')
TEAM_RUNBOOK = os.path.join(EXAMPLES, 'runbooks', 'api-triage.lua')
DEMO_WORLD = os.path.join(EXAMPLES, 'demo', 'world.json')
DEMO_RECORDING = os.path.join(EXAMPLES, 'demo', 'recording.json')
MULTI_WORLD = os.path.join(ROOT, 'tests', 'worlds', 'multi.json')
FN = 'fulfillment-fn'
FN_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:' + FN
TRIAGE_STEPS = ['config', 'timeout', 'forbidden', 'access_denied', 'bad_gateway', 'throttle',
                'async', 'event_sources', 'unavailable', 'vpc', 'cold_start', 'errors',
                'changes']
TEAM_STEPS = ['forbidden', 'bad_gateway', 'timeout', 'throttle', 'access_denied', 'errors',
              'tags']

# Times in a report: ISO 8601 instants and the date prefix of log stream names.
ISO = re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?')
STREAM_DATE = re.compile(r'\d{4}/\d\d/\d\d/')


def without_durations(doc):
    """The report without duration_ms (top level and per step), documented as per-run."""
    if isinstance(doc, dict):
        return {k: without_durations(v) for k, v in doc.items() if k != 'duration_ms'}
    if isinstance(doc, list):
        return [without_durations(v) for v in doc]
    return doc


def timeless(doc):
    """The report with its clock readings masked: durations dropped, times replaced by <t>,
    and each finding's data.series (points of a metric bucketed on the wall clock) dropped.
    What is left (verdicts, findings, counts, percentiles, fix commands) does not depend on
    when the run happened."""
    if isinstance(doc, dict):
        return {k: timeless(v) for k, v in doc.items()
                if k != 'duration_ms' and k != 'series'}
    if isinstance(doc, list):
        return [timeless(v) for v in doc]
    if isinstance(doc, str):
        return STREAM_DATE.sub('<d>/', ISO.sub('<t>', doc))
    return doc


def steps_of(result):
    return {s['id']: s for s in result.json()['steps']}


def commands(step):
    return [c for f in step['findings'] for c in ((f.get('fix') or {}).get('commands') or [])]


def offline_env(home):
    """No fake, no endpoint, no credentials, no profile: only what replay needs."""
    env = base_env()
    env['HOME'] = home
    return env


class ExamplesCase(CliTestCase):

    def triage(self, fake, *args):
        return self.rb(fake, *args, '--format', 'json', timeout=120)

    def world_with(self, tags):
        """The demo world with fulfillment-fn's tags replaced (a file in the test's dir)."""
        with open(DEMO_WORLD, encoding='utf-8') as fh:
            world = json.load(fh)
        world = copy.deepcopy(world)
        world['lambda']['functions'][FN]['tags'] = tags
        path = os.path.join(self.dir, 'tagged-world.json')
        with open(path, 'w', encoding='utf-8') as fh:
            json.dump(world, fh)
        return path


class TeamRunbookTest(ExamplesCase):

    def test_team_runbook_reports_only_its_steps_in_its_order(self):
        with fake_aws(MULTI_WORLD) as fake:
            r = self.triage(fake, '--plugins', EXAMPLES, TEAM_RUNBOOK, FN)
        self.assertEqual(r.code, 1, repr(r))  # the multi world has failures on purpose
        self.assertEqual([s['id'] for s in r.json()['steps']], TEAM_STEPS)
        for s in r.json()['steps']:
            for f in s['findings']:
                self.assertNotRegex(f['title'], r"^step '|unknown argument|step failed to load",
                                    'step %s: %r' % (s['id'], f))

    def test_team_runbook_overrides_step_arguments(self):
        with fake_aws(MULTI_WORLD) as fake:
            team = steps_of(self.triage(fake, '--plugins', EXAMPLES, TEAM_RUNBOOK, FN))
            stock = steps_of(self.triage(fake, 'triage.lua', FN))
        # growth = 3: after timeouts at 3 s the team proposes 9 s, the stock triage 6 s
        self.assertTrue(any('--timeout 9' in c for c in commands(team['timeout'])),
                        commands(team['timeout']))
        self.assertTrue(any('--timeout 6' in c for c in commands(stock['timeout'])),
                        commands(stock['timeout']))
        # required = owner, cost-center, service: the multi world's function has no tags
        tags = team['tags']['findings'][0]
        self.assertEqual(tags['severity'], 'fail')
        self.assertEqual(tags['data']['missing'], ['owner', 'cost-center', 'service'])

    def test_team_runbook_without_its_plugins_dir_names_the_missing_step(self):
        with fake_aws(MULTI_WORLD) as fake:
            r = self.triage(fake, TEAM_RUNBOOK, FN, '--steps', 'tags')
        self.assertEqual(r.code, 1, repr(r))
        finding = steps_of(r)['tags']['findings'][0]
        self.assertEqual(finding['severity'], 'error')
        self.assertIn("step 'tags' not found", finding['title'])


class TagsCheckTest(ExamplesCase):

    def test_tags_check_fails_when_a_required_tag_is_missing(self):
        with fake_aws(DEMO_WORLD) as fake:  # owner and service, no cost-center
            r = self.triage(fake, '--plugins', EXAMPLES, 'triage.lua', FN, '--steps', 'tags')
        self.assertEqual(r.code, 1, repr(r))
        step = steps_of(r)['tags']
        self.assertEqual(step['status'], 'fail')
        f = step['findings'][0]
        self.assertEqual(f['title'], 'fulfillment-fn lacks the required tag cost-center')
        self.assertIn('%s carries owner=fulfillment-team, service=shipping' % FN_ARN,
                      f['evidence'])
        self.assertEqual(f['fix']['commands'],
                         ['aws lambda tag-resource --resource %s --tags cost-center=COST_CENTER'
                          % FN_ARN])

    def test_tags_check_passes_when_every_required_tag_is_set(self):
        world = self.world_with({'owner': 'fulfillment-team', 'cost-center': 'cc-4711'})
        with fake_aws(world) as fake:
            r = self.triage(fake, '--plugins', EXAMPLES, 'triage.lua', FN, '--steps', 'tags')
            listed = [q['params'] for q in fake.requests() if q.get('operation') == 'ListTags']
        self.assertEqual(r.code, 0, repr(r))
        f = steps_of(r)['tags']['findings'][0]
        self.assertEqual(f['severity'], 'ok')
        self.assertEqual(f['title'], 'carries the required tags owner, cost-center')
        self.assertEqual(listed, [{'Resource': FN_ARN}])

    def test_tags_check_treats_an_empty_tag_value_as_missing(self):
        world = self.world_with({'owner': ' ', 'cost-center': 'cc-4711'})
        with fake_aws(world) as fake:
            r = self.triage(fake, '--plugins', EXAMPLES, 'triage.lua', FN, '--steps', 'tags')
        f = steps_of(r)['tags']['findings'][0]
        self.assertEqual((f['severity'], f['data']['missing']), ('fail', ['owner']))

    def test_tags_check_names_the_permission_the_operator_lacks(self):
        denied = [{'service': 'lambda', 'operation': 'ListTags', 'kind': 'access_denied'}]
        with fake_aws(DEMO_WORLD, faults=denied) as fake:
            r = self.triage(fake, '--plugins', EXAMPLES, 'triage.lua', FN, '--steps', 'tags')
        f = steps_of(r)['tags']['findings'][0]
        self.assertEqual(f['severity'], 'error')
        self.assertIn('lambda:ListTags', f['title'])


class TimeoutOverrideTest(ExamplesCase):

    def test_override_replaces_the_builtin_step_from_the_plugins_dir(self):
        # healthy: timeout 10 s, slowest invocation about 198 ms
        with fake_aws('healthy') as fake:
            team = self.triage(fake, '--plugins', EXAMPLES, 'triage.lua', 'orders-api',
                               '--steps', 'timeout')
            stock = self.triage(fake, 'triage.lua', 'orders-api', '--steps', 'timeout')
        self.assertEqual(steps_of(stock)['timeout']['title'], 'Timeouts')
        self.assertEqual(steps_of(stock)['timeout']['status'], 'ok')
        step = steps_of(team)['timeout']
        self.assertEqual(step['title'], 'Timeouts (team policy)')
        self.assertEqual(step['status'], 'warn')
        self.assertEqual([f['severity'] for f in step['findings']], ['ok', 'warn'])
        self.assertRegex(step['findings'][1]['title'], r'^timeout 10 s is 5\dx the slowest')
        self.assertEqual(commands(step),
                         ['aws lambda update-function-configuration --function-name orders-api '
                          '--timeout 3'])

    def test_override_keeps_the_builtin_diagnosis_of_timeouts(self):
        with fake_aws(DEMO_WORLD) as fake:
            team = self.triage(fake, '--plugins', EXAMPLES, 'triage.lua', FN,
                               '--steps', 'timeout')
            stock = self.triage(fake, 'triage.lua', FN, '--steps', 'timeout')
        t, s = steps_of(team)['timeout'], steps_of(stock)['timeout']
        self.assertEqual(t['status'], 'fail')
        self.assertEqual([(f['severity'], f['title']) for f in t['findings']],
                         [(f['severity'], f['title']) for f in s['findings']])
        self.assertEqual(commands(t), commands(s))


class DemoRecordingTest(ExamplesCase):

    def test_replay_of_a_recorded_demo_run_gives_the_same_report(self):
        recording = os.path.join(self.dir, 'demo.json')
        with fake_aws(DEMO_WORLD) as fake:
            live = self.rb(fake, '--record', recording, 'triage.lua', FN, '--format', 'json',
                           timeout=120)
        replay = run(['--replay', recording, 'triage.lua', FN, '--format', 'json'],
                     offline_env(self.dir), timeout=120)
        self.assertEqual(live.code, 1, repr(live))
        self.assertEqual(replay.code, live.code, repr(replay))
        self.assertEqual(without_durations(replay.json()), without_durations(live.json()))

    def test_shipped_recording_replays_offline_with_every_step(self):
        r = run(['--replay', DEMO_RECORDING, 'triage.lua', FN, '--format', 'json'],
                offline_env(self.dir), timeout=120, cwd=self.dir)
        self.assertEqual(r.code, 1, repr(r))
        doc = r.json()
        self.assertEqual([s['id'] for s in doc['steps']], TRIAGE_STEPS)
        errors = [(s['id'], f['title']) for s in doc['steps'] for f in s['findings']
                  if f['severity'] == 'error']
        self.assertEqual(errors, [], 'a step failed on replay (re-record with '
                         'examples/demo/record.sh if a step makes a new call)')
        self.assertEqual(doc['function']['arn'], FN_ARN)

    def test_shipped_recording_matches_a_live_run_of_the_demo_world(self):
        # The recording was made at another time, so only clock readings may differ: see
        # timeless(). test_replay_of_a_recorded_demo_run_gives_the_same_report compares exactly.
        replay = run(['--replay', DEMO_RECORDING, 'triage.lua', FN, '--format', 'json'],
                     offline_env(self.dir), timeout=120)
        with fake_aws(DEMO_WORLD) as fake:
            live = self.triage(fake, 'triage.lua', FN)
        self.assertEqual(replay.code, live.code, repr(replay))
        self.assertEqual(timeless(replay.json()), timeless(live.json()))

    def test_text_report_of_the_replay_concludes(self):
        r = run(['--replay', DEMO_RECORDING, 'triage.lua', FN], offline_env(self.dir),
                timeout=120)
        self.assertEqual(r.code, 1, repr(r))
        first = r.out.splitlines()[0]
        self.assertRegex(first, r'^fulfillment-fn \(us-east-1\): \d+ FAIL')
        self.assertIn('aws lambda add-permission --function-name fulfillment-fn', r.out)
        self.assertIn('aws iam put-role-policy --role-name fulfillment-fn-role', r.out)


if __name__ == '__main__':
    unittest.main()
