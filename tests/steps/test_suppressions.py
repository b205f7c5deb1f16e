"""Suppressions (docs/suppressions.md) through the real binary against the fake: a
suppressed finding is still reported, severity unchanged, marked suppressed, and left out
of the exit code; an expired entry warns once and does not suppress; a malformed file is
exit 2 naming the entry; with no file the report is unchanged.

World: tests/worlds/throttle.json (checkout-fn: reserved concurrency 0, a fail finding).
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import CliTestCase, fake_aws, run  # noqa: E402

FUTURE, PAST = '2099-12-31', '2000-01-01'


def doc(*entries):
    return json.dumps({'version': 1, 'suppressions': list(entries)})


def entry(**over):
    e = {'step': 'throttle', 'function': 'checkout-*', 'reason': 'load test, throttled on purpose',
         'expires': FUTURE}
    e.update(over)
    return {k: v for k, v in e.items() if v is not None}


class SuppressionsTest(CliTestCase):

    def triage(self, *extra, fmt='json', cwd=None):
        with fake_aws('throttle') as fake:
            args = ['triage.lua', 'checkout-fn', '--steps', 'throttle', '--format', fmt,
                    '--fail-on', 'fail'] + list(extra)
            return run(args, self.env_for(fake), timeout=120, cwd=cwd)

    def fail_finding(self, r):
        findings = r.json()['steps'][0]['findings']
        fails = [f for f in findings if f['severity'] == 'fail']
        self.assertEqual(len(fails), 1, repr(r))
        return fails[0]

    def test_no_file_is_unchanged(self):
        r = self.triage(cwd=self.dir)
        self.assertEqual(r.code, 1, repr(r))
        f = self.fail_finding(r)
        self.assertNotIn('suppressed', f)
        self.assertNotIn('suppressed', r.json()['verdict']['counts'])
        self.assertEqual(r.json()['verdict']['status'], 'fail')

    def test_suppressed_finding_is_reported_but_exits_0(self):
        path = self.write('supp.json', doc(entry(account='123456789012', region='us-east-1',
                                                 title='reserved concurrency is 0')))
        r = self.triage('--suppressions', path)
        self.assertEqual(r.code, 0, repr(r))
        f = self.fail_finding(r)
        self.assertEqual(f['suppressed'], {'reason': 'load test, throttled on purpose',
                                           'expires': FUTURE, 'entry': 1})
        verdict = r.json()['verdict']
        self.assertEqual(verdict['counts']['suppressed'], 1)
        self.assertEqual(verdict['status'], 'ok')
        text = self.triage('--suppressions', path, fmt='text')
        self.assertEqual(text.code, 0, repr(text))
        self.assertIn('suppressed: load test, throttled on purpose (until %s)' % FUTURE,
                      text.out)
        self.assertIn('FAIL Throttling:', text.out)
        self.assertIn('1 suppressed', text.out.splitlines()[0])
        md = self.triage('--suppressions', path, fmt='markdown')
        self.assertEqual(md.code, 0, repr(md))
        self.assertIn('*suppressed: load test, throttled on purpose (until %s)*' % FUTURE,
                      md.out)

    def test_fix_does_not_offer_a_suppressed_findings_fix(self):
        path = self.write('supp.json', doc(entry()))
        offered = self.triage('--fix', '--dry-run', fmt='text')
        self.assertEqual(offered.code, 4, repr(offered))  # offered, nothing applied
        self.assertIn('(1/1) Fix [throttle]', offered.err)
        r = self.triage('--suppressions', path, '--fix', '--dry-run', fmt='text')
        self.assertEqual(r.code, 0, repr(r))
        self.assertNotIn('Fix [throttle]', r.err + r.out)
        self.assertIn('Fixes: no finding has a fix to apply', r.out)

    def test_default_file_in_current_directory(self):
        self.write('.runbook/suppressions.json', doc(entry()))
        r = self.triage(cwd=self.dir)
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual(self.fail_finding(r)['suppressed']['entry'], 1)

    def test_non_matching_entries_do_not_suppress(self):
        for other in (entry(function='batch-*'), entry(account='210987654321'),
                      entry(region='eu-west-1'), entry(title='no such title'),
                      entry(step='timeout')):
            path = self.write('supp.json', doc(other))
            r = self.triage('--suppressions', path)
            self.assertEqual(r.code, 1, '%r: %r' % (other, r))
            self.assertNotIn('suppressed', self.fail_finding(r))

    def test_expired_entry_warns_once_and_does_not_suppress(self):
        path = self.write('supp.json', doc(entry(function='other-fn'), entry(expires=PAST)))
        r = self.triage('--suppressions', path)
        self.assertEqual(r.code, 1, repr(r))
        self.assertNotIn('suppressed', self.fail_finding(r))
        warnings = [l for l in r.err.splitlines() if 'expired' in l]
        self.assertEqual(len(warnings), 1, r.err)
        self.assertIn('suppressions[2] (step throttle, function checkout-*) expired on %s'
                      % PAST, warnings[0])

    def test_malformed_file_exits_2_naming_the_entry(self):
        path = self.write('supp.json', doc(entry(), entry(expires='next year')))
        r = self.triage('--suppressions', path)
        self.assertEqual(r.code, 2, repr(r))
        self.assertEqual(r.out, '')
        lines = r.err.strip().splitlines()
        self.assertEqual(len(lines), 1, r.err)
        self.assertIn("suppressions[2] (step throttle) expires 'next year' is not a date",
                      lines[0])
        path = self.write('bad.json', '{"version": 1, "suppressions": [')
        r = self.triage('--suppressions', path)
        self.assertEqual(r.code, 2, repr(r))
        self.assertIn('not valid JSON', r.err)

    def test_missing_file_is_a_usage_error(self):
        r = self.triage('--suppressions', os.path.join(self.dir, 'nope.json'))
        self.assertEqual(r.code, 2, repr(r))
        self.assertIn('--suppressions: cannot read', r.err)


if __name__ == '__main__':
    unittest.main()
