"""The team checks of examples/steps/ and the team runbook examples/runbooks/team-triage.lua
through the real binary, for what `runbook test` cannot say: that no environment variable
value ever reaches a report (every format, stdout and stderr), the order of the team
runbook's report and the step it drops, and what `runbook show` tells about a team check.
Their findings branch by branch are examples/testing/team_checks_test.lua and
team_triage_test.lua (the ctest kit_examples).
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import CliTestCase, base_env, fake_aws, run, ROOT  # noqa: E402

EXAMPLES = os.path.join(ROOT, 'examples')
WORLD = os.path.join(EXAMPLES, 'testing', 'worlds', 'team.json')
TEAM_RUNBOOK = os.path.join(EXAMPLES, 'runbooks', 'team-triage.lua')
TEAM_CHECKS = 'async_dlq,runtime_support,plain_secrets,log_retention,error_alarm'
# Every environment variable value of worlds/team.json.
VALUES = ['hunter2-plain-text-value', 'sk_live_example_value_not_real', 'kms-encrypted-value',
          'arn:aws:secretsmanager:us-east-1:123456789012:secret:api-token',
          '/mailer/smtp-password', 'uploads', 'orders']
TEAM_ORDER = ['config', 'runtime_support', 'plain_secrets', 'async_dlq', 'errors', 'timeout',
              'throttle', 'access_denied', 'forbidden', 'bad_gateway', 'unavailable', 'vpc',
              'log_retention', 'error_alarm', 'tags']


class PlainSecretsNeverShowsAValue(CliTestCase):

    def test_no_value_in_any_format(self):
        with fake_aws(WORLD) as fake:
            for fn in ('thumbnailer', 'order-events', 'mailer'):
                for fmt in ('json', 'text', 'markdown'):
                    r = self.rb(fake, '--plugins', EXAMPLES, 'triage.lua', fn, '--steps',
                                'plain_secrets,config', '--format', fmt, timeout=120)
                    self.assertIn(r.code, (0, 1), repr(r))
                    self.assertIn('plain_secrets', r.out.replace('Secrets in environment '
                                                                 'variables', 'plain_secrets'))
                    for value in VALUES:
                        # 'uploads'/'orders' are also plain words; look for them as values.
                        needle = value if len(value) > 8 else '=' + value
                        self.assertNotIn(needle, r.out, '%s %s: %s' % (fn, fmt, value))
                        self.assertNotIn(needle, r.err, '%s %s: %s' % (fn, fmt, value))

    def test_the_plain_text_finding_names_only_the_names(self):
        with fake_aws(WORLD) as fake:
            r = self.rb(fake, '--plugins', EXAMPLES, 'triage.lua', 'thumbnailer', '--steps',
                        'plain_secrets', '--format', 'json', timeout=120)
        self.assertEqual(r.code, 1, repr(r))
        f = [s for s in r.json()['steps'] if s['id'] == 'plain_secrets'][0]['findings'][0]
        self.assertEqual(f['data'], {'names': ['DB_PASSWORD', 'STRIPE_API_KEY'],
                                     'references': []})
        self.assertNotIn('BUCKET', f['title'] + ' '.join(f['evidence']))


class TeamRunbook(CliTestCase):

    def test_report_keeps_the_team_order_without_cold_start(self):
        with fake_aws(WORLD) as fake:
            r = self.rb(fake, '--plugins', EXAMPLES, TEAM_RUNBOOK, 'order-events', '--format',
                        'json', timeout=120)
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual([s['id'] for s in r.json()['steps']], TEAM_ORDER)

    def test_team_checks_alone_by_their_tag(self):
        with fake_aws(WORLD) as fake:
            r = self.rb(fake, '--plugins', EXAMPLES, TEAM_RUNBOOK, 'mailer', '--steps', 'team',
                        '--format', 'json', timeout=120)
            calls = sorted({q['operation'] for q in fake.requests()})
        self.assertEqual([s['id'] for s in r.json()['steps']],
                         ['runtime_support', 'plain_secrets', 'async_dlq', 'log_retention',
                          'error_alarm', 'tags'])
        for op in ('GetFunctionEventInvokeConfig', 'DescribeLogGroups', 'DescribeAlarms',
                   'ListTags'):  # the last one is examples/steps/tags.lua's own call
            self.assertIn(op, calls)

    def test_without_the_plugins_directory_the_team_checks_are_not_found(self):
        with fake_aws(WORLD) as fake:
            r = self.rb(fake, TEAM_RUNBOOK, 'mailer', '--format', 'json', timeout=120)
        steps = {s['id']: s for s in r.json()['steps']}
        self.assertEqual(steps['async_dlq']['findings'][0]['severity'], 'error')
        self.assertIn("step 'async_dlq' not found", steps['async_dlq']['findings'][0]['title'])


class ShowTeamCheck(CliTestCase):

    def test_show_lists_the_team_evidence_reads(self):
        r = run(['--plugins', EXAMPLES, 'show', 'async_dlq'], base_env())
        self.assertEqual(r.code, 0, repr(r))
        self.assertIn('lambda GetFunctionEventInvokeConfig', r.out)
        self.assertIn('examples/steps/async_dlq.lua', r.out)
        r = run(['--plugins', EXAMPLES, 'show', 'log_retention'], base_env())
        self.assertIn('logs DescribeLogGroups', r.out)
        self.assertIn('retention_days', r.out)


if __name__ == '__main__':
    unittest.main()
