"""Confirmation on the controlling terminal, through a pseudo-terminal (Python's pty).

The script (tests/cli/scripts/confirm.lua) calls runbook.fix_scope.confirm, a core-only
function, so it runs with runbook_testhooks --test-core-script (tests/cmake/hooks.cmake).
Its stdin is /dev/null and its stdout a pipe: the question must go to, and the answer come
from, the terminal (/dev/tty) alone.
"""

import os
import subprocess
import unittest

from clitest import CliTestCase, BIN, HERE, base_env
from ptyrun import run_on_tty

HOOKS_BIN = os.path.join(os.path.dirname(BIN), 'runbook_testhooks')
SCRIPT = os.path.join(HERE, 'scripts', 'confirm.lua')
PROMPT = b'Apply the test change? [y/N/a/q] '


class ConfirmTest(CliTestCase):

    def env(self):
        env = base_env()
        env['HOME'] = self.dir
        return env

    def on_tty(self, answers, *options, choices=None):
        """Runs the script with a new pty as its controlling terminal; sends answers[i]
        after the (i+1)-th prompt (anything ending in '] '). Returns (exit code, stdout,
        stderr, what the terminal showed)."""
        args = [HOOKS_BIN] + list(options) + ['--test-core-script', SCRIPT]
        if choices:
            args.append(choices)
        run = run_on_tty(args, self.env(), answers, prompt=b'] ', timeout=40)
        return run.code, run.out, run.err, run.shown

    def assertAnswer(self, answers, expected, prompts=1):
        code, out, err, shown = self.on_tty(answers)
        self.assertEqual(code, 0, err)
        self.assertEqual(out.splitlines()[0], 'answer\t' + expected, (out, shown))
        self.assertEqual(shown.count(PROMPT), prompts, shown)
        self.assertNotIn('Apply', out)  # the question goes to the terminal only
        return shown

    def test_yes(self):
        self.assertAnswer([b'y\n'], 'yes')

    def test_no(self):
        self.assertAnswer([b'n\n'], 'no')

    def test_empty_is_no(self):
        self.assertAnswer([b'\n'], 'no')

    def test_all(self):
        self.assertAnswer([b'a\n'], 'all')

    def test_quit(self):
        self.assertAnswer([b'q\n'], 'quit')

    def test_end_of_input_is_no(self):
        self.assertAnswer([b'\x04'], 'no')  # Ctrl-D at the start of a line

    def test_garbage_then_yes(self):
        shown = self.assertAnswer([b'maybe\n', b'y\n'], 'yes', prompts=2)
        self.assertIn(b'please answer one of y/N/a/q', shown)

    def test_choices_limit_the_answers(self):
        code, out, err, shown = self.on_tty([b'a\n', b'\n'], choices='yn')
        self.assertEqual(out.splitlines()[0], 'answer\tno', (out, shown))
        self.assertIn(b'please answer one of y/N', shown)

    def run_detached(self, *options):
        """No controlling terminal at all (a new session that opens none)."""
        return subprocess.run([HOOKS_BIN] + list(options) + ['--test-core-script', SCRIPT],
                              env=self.env(), stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=30, start_new_session=True)

    def test_no_terminal(self):
        r = self.run_detached()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), ['answer\tno-terminal', 'options\tfalse\tfalse'])

    def test_yes_option_answers_without_asking(self):
        r = self.run_detached('--yes', '--dry-run')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), ['answer\tyes', 'options\ttrue\ttrue'])
        code, out, err, shown = self.on_tty([], '--yes')
        self.assertEqual(out.splitlines()[0], 'answer\tyes')
        self.assertEqual(shown, b'')

    def test_options_in_the_usage(self):
        r = subprocess.run([BIN, '--help'], capture_output=True, text=True, timeout=30)
        self.assertIn('--yes ', r.stdout)
        self.assertIn('--dry-run ', r.stdout)


if __name__ == '__main__':
    unittest.main()
