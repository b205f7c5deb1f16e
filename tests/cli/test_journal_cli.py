"""The journal through the binary: fix_scope.journal_append with --journal FILE and the
default path, its file mode, and an entry holding the run's secret key refused.

The script (tests/cli/scripts/journal.lua) uses the core-only module runbook.fix_scope, so
it runs with runbook_testhooks --test-core-script (tests/cmake/hooks.cmake).
"""

import json
import os
import stat
import subprocess
import unittest

from clitest import CliTestCase, Result, fake_aws, BIN, HERE

HOOKS_BIN = os.path.join(os.path.dirname(BIN), 'runbook_testhooks')
SCRIPT = os.path.join(HERE, 'scripts', 'journal.lua')


class JournalTest(CliTestCase):

    def hooks(self, fake, *args, **extra):
        env = self.env_for(fake, **extra)
        proc = subprocess.run([HOOKS_BIN] + list(args) + ['--test-core-script', SCRIPT],
                              env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=60)
        return Result(proc), env['AWS_SECRET_ACCESS_KEY']

    def outcomes(self, r):
        return {line.split('\t')[0]: line.split('\t')[1:] for line in r.out.splitlines()}

    def check_journal(self, path, secret):
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path, encoding='utf-8') as fh:
            text = fh.read()
        self.assertNotIn(secret, text)
        entries = [json.loads(line) for line in text.splitlines()]
        self.assertEqual([e['operation'] for e in entries],
                         ['UpdateFunctionConfiguration', 'PutFunctionConcurrency'])
        self.assertEqual(entries[0]['params'], {'FunctionName': 'my-fn', 'Timeout': 45})

    def test_journal_option(self):
        path = os.path.join(self.dir, 'j.jsonl')
        with fake_aws('basic') as fake:
            r, secret = self.hooks(fake, '--journal', path)
        self.assertOk(r)
        got = self.outcomes(r)
        self.assertEqual(got['journal'], [path])
        self.assertEqual(got['first'][0], 'ok')
        self.assertEqual(got['second'][0], 'ok')
        self.assertEqual(got['secret'][0], 'SecretInJournal')
        self.assertIn('nothing was written', got['secret'][1])
        self.assertNotIn(secret, r.out + r.err)
        self.check_journal(path, secret)

    def test_default_path_and_directories(self):
        state = os.path.join(self.dir, 'state')
        with fake_aws('basic') as fake:
            r, secret = self.hooks(fake, XDG_STATE_HOME=state)
            self.assertOk(r)
            self.assertEqual(self.outcomes(r)['journal'], ['default'])
            self.check_journal(os.path.join(state, 'runbook', 'journal.jsonl'), secret)
            for d in (state, os.path.join(state, 'runbook')):
                self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), 0o700, d)
            home = os.path.join(self.dir, 'home')
            os.mkdir(home)
            r, secret = self.hooks(fake, HOME=home, XDG_STATE_HOME=None)
            self.assertOk(r)
            self.check_journal(os.path.join(home, '.local', 'state', 'runbook',
                                            'journal.jsonl'), secret)

    def test_readable_journal_refused(self):
        path = self.write('open.jsonl', '', mode=0o644)
        with fake_aws('basic') as fake:
            r, _ = self.hooks(fake, '--journal', path)
        self.assertOk(r)
        got = self.outcomes(r)
        self.assertEqual(got['first'][0], 'JournalRefused')
        self.assertIn('chmod 600', got['first'][1])
        with open(path, encoding='utf-8') as fh:
            self.assertEqual(fh.read(), '')

    def test_journal_option_in_usage(self):
        r = subprocess.run([BIN, '--help'], capture_output=True, text=True, timeout=30)
        self.assertIn('--journal FILE', r.stdout)


if __name__ == '__main__':
    unittest.main()
