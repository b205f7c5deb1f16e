"""The verdict of `triage.lua --fix`: fixed, applied (not yet observed) or not cleared.

After a fix is applied, runbook re-runs the step on a window that starts at the apply time.
These tests make the fake's Lambda update take a few reads to settle
(`update_in_progress_reads`), wait for runbook's "waiting for ... to finish updating" line
on stderr, and add invocations at that moment with `POST /__fake/traffic`: they fall in the
re-run's window, and nothing from the triage's own window does.
"""

import json
import os
import subprocess
import unittest

from clitest import BIN, ROOT, CliTestCase, fake_aws

FN = 'report-builder'


class FixVerdictTest(CliTestCase):

    def world(self):
        with open(os.path.join(ROOT, 'tests', 'worlds', 'timeout.json'), encoding='utf-8') as fh:
            world = json.load(fh)
        world.setdefault('lambda', {})['update_in_progress_reads'] = 4
        return self.write('world.json', json.dumps(world))

    def fix_with_traffic(self, **traffic):
        """Runs --fix=timeout --yes; when the update is being waited for, adds `traffic`
        (none when empty). Returns (exit code, report, stderr)."""
        with fake_aws(self.world()) as fake:
            env = self.env_for(fake)
            proc = subprocess.Popen(
                [BIN, '--journal', os.path.join(self.dir, 'j.jsonl'), '--yes', 'triage.lua',
                 FN, '--fix=timeout', '--format', 'json'],
                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True)
            err_lines = []
            sent = False
            for line in proc.stderr:
                err_lines.append(line)
                if not sent and 'to finish updating' in line:
                    sent = True
                    if traffic:
                        fake.traffic(FN, **traffic)
            out = proc.stdout.read()
            code = proc.wait(timeout=120)
            self.assertTrue(sent, 'no progress line while waiting for the update:\n'
                            + ''.join(err_lines))
            return code, json.loads(out), ''.join(err_lines)

    def outcome(self, report):
        step = next(s for s in report['steps'] if s['id'] == 'timeout')
        fixed = [f for f in step['findings'] if f['fix'] and f['fix'].get('outcome')]
        self.assertEqual(len(fixed), 1, step)
        return fixed[0]['fix']['outcome']

    def test_invocations_since_without_timeouts_is_fixed(self):
        code, report, err = self.fix_with_traffic(invocations=5, duration_ms=900)
        o = self.outcome(report)
        self.assertEqual((o['status'], o['verdict']), ('verified', 'fixed'), err)
        self.assertTrue(all(c['ok'] for c in o['checks']), o)
        self.assertEqual(report['fixes']['counts']['verified'], 1)
        self.assertIn('fixed', err)

    def test_no_invocations_since_is_applied_not_yet_observed(self):
        code, report, err = self.fix_with_traffic()
        o = self.outcome(report)
        self.assertEqual((o['status'], o['verdict']), ('applied', 'applied, not yet observed'),
                         err)
        self.assertIn('no invocations since the fix', o['reason'])

    def test_a_new_timeout_since_is_not_cleared(self):
        code, report, err = self.fix_with_traffic(invocations=5, timeouts=2)
        o = self.outcome(report)
        self.assertEqual((o['status'], o['verdict']), ('not_cleared', 'not cleared'), err)
        self.assertIn('still reports', o['reason'])
        # the finding still counts: exit 1 (findings), not 0
        self.assertEqual(code, 1, err)


if __name__ == '__main__':
    unittest.main()
