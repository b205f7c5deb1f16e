"""The log readers follow the function's LoggingConfig: a custom log group (text format)
and the JSON format reach the same timeout conclusion as the default group in text.

Worlds: tests/worlds/timeout.json (default group, text), timeout_log_group.json (the same
logs in /shared/reports, LoggingConfig.LogGroup; no /aws/lambda/report-builder) and
timeout_json_logs.json (the same invocations as JSON platform and application records).
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import StepTestCase, fake_aws  # noqa: E402

FN = 'report-builder'
TITLE = '12 invocations timed out at the 3 s timeout (p99 3 s)'


class TimeoutAcrossLogFormats(StepTestCase):
    step = 'timeout'

    def timeout_finding(self, world):
        """The step's fail finding and the log groups FilterLogEvents was asked for."""
        with fake_aws(world) as fake:
            r, findings = self.triage(fake, FN)
            groups = {q['params'].get('logGroupName') for q in fake.requests()
                      if q.get('operation') == 'FilterLogEvents'}
        self.assertEqual(r.code, 1, repr(r))
        return self.only(findings, 'fail', 'timed out'), groups

    def assertSameConclusion(self, f, base):
        self.assertEqual(f['title'], base['title'])
        self.assertTrue(f['title'].startswith(TITLE), f['title'])
        for key in ('timeouts', 'timeout_s', 'invocations', 'cold_timeouts',
                    'recommended_timeout_s', 'p99_ms', 'max_ms'):
            self.assertEqual(f['data'][key], base['data'][key], key)
        self.assertEqual(f['fix']['commands'], base['fix']['commands'])
        self.assertEqual(f['confidence'], 'high')
        ev = '\n'.join(f['evidence'])
        self.assertIn('p99 3 s, max 3 s over 120 invocations (REPORT lines)', ev)
        self.assertIn('1 of 12 timed-out invocations was a cold start', ev)

    def test_default_custom_group_and_json_reach_the_same_timeout_conclusion(self):
        base, base_groups = self.timeout_finding('timeout')
        self.assertEqual(base_groups, {'/aws/lambda/' + FN})
        self.assertEqual(base['data']['recommended_timeout_s'], 6)

        custom, groups = self.timeout_finding('timeout_log_group')
        self.assertEqual(groups, {'/shared/reports'})  # never the default group
        self.assertSameConclusion(custom, base)
        self.assertIn("12 'Task timed out after 3.00 seconds' lines", custom['evidence'][0])

        js, groups = self.timeout_finding('timeout_json_logs')
        self.assertEqual(groups, {'/aws/lambda/' + FN})
        self.assertSameConclusion(js, base)
        ev = '\n'.join(js['evidence'])
        self.assertIn('12 invocations timed out in the last 1h (12 JSON platform.report '
                      'records with status "timeout")', ev)
        self.assertIn('"type":"platform.report"', ev)  # the record quoted as Lambda wrote it
        self.assertNotIn('Task timed out after', ev)


class ErrorsFollowTheLogGroup(StepTestCase):
    step = 'errors'

    def test_errors_step_reads_the_configured_group(self):
        with fake_aws('timeout_log_group') as fake:
            r, findings = self.triage(fake, FN)
            groups = {q['params'].get('logGroupName') for q in fake.requests()
                      if q.get('operation') == 'FilterLogEvents'}
        self.assertEqual(groups, {'/shared/reports'})
        titles = ' | '.join(f['title'] for f in findings)
        self.assertNotIn('no log group', titles)
        self.assertIn('12', titles, titles)


if __name__ == '__main__':
    unittest.main()
