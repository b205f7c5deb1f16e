"""Ctrl-C and SIGTERM through the real binary: the run stops promptly whatever it is
doing (calls in flight, a blocking credential fetch, a Lua task spinning on the CPU),
says one line on stderr, still writes its --record file, and exits 130 (SIGINT) or
143 (SIGTERM)."""

import json
import os
import signal
import subprocess
import time
import unittest

from clitest import BIN, CliTestCase, fake_aws

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'scripts')
SLOW = os.path.join(SCRIPTS, 'interrupt_slow_reads.lua')
SPIN = os.path.join(SCRIPTS, 'interrupt_cpu_loop.lua')
PROMPT = 5.0  # seconds a stop may take; the injected delays are far longer


class InterruptTest(CliTestCase):

    def start(self, fake, *args):
        env = self.env_for(fake)
        proc = subprocess.Popen([BIN] + list(args), env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        line = proc.stdout.readline()
        self.assertTrue(line.startswith('ready'), 'no ready line: %r %r'
                        % (line, proc.stderr.read() if proc.poll() is not None else ''))
        return proc

    def stop(self, proc, signo=signal.SIGINT, settle=0.5):
        time.sleep(settle)  # let the slow calls get on the wire
        self.assertIsNone(proc.poll(), 'the run ended before the signal')
        sent = time.monotonic()
        proc.send_signal(signo)
        out, err = proc.communicate(timeout=30)
        return proc.returncode, out, err, time.monotonic() - sent

    def test_sigint_with_calls_in_flight_exits_130_and_keeps_the_recording(self):
        faults = [{'service': 'lambda', 'kind': 'delay', 'delay_ms': 20000}]
        with fake_aws('basic', faults=faults) as fake:
            rec = os.path.join(self.dir, 'run.json')
            proc = self.start(fake, '--record', rec, SLOW)
            code, out, err, took = self.stop(proc)
            self.assertEqual(code, 130, err)
            self.assertEqual(err, 'runbook: interrupted\n')
            self.assertNotIn('not interrupted', out)
            self.assertLess(took, PROMPT)
            with open(rec, encoding='utf-8') as fh:
                doc = json.load(fh)
            self.assertEqual(doc['format'], 'runbook-recording')
            self.assertEqual([(x['service'], x['operation']) for x in doc['exchanges']],
                             [('sts', 'GetCallerIdentity')])
            self.assertEqual([n for n in os.listdir(self.dir) if '.tmp.' in n], [])

    def test_sigterm_exits_143(self):
        faults = [{'service': 'lambda', 'kind': 'delay', 'delay_ms': 20000}]
        with fake_aws('basic', faults=faults) as fake:
            proc = self.start(fake, SLOW)
            code, _, err, took = self.stop(proc, signal.SIGTERM)
            self.assertEqual(code, 143, err)
            self.assertEqual(err, 'runbook: interrupted\n')
            self.assertLess(took, PROMPT)

    def test_sigint_while_assuming_a_role_stops_the_blocking_sts_call(self):
        faults = [{'service': 'sts', 'operation': 'AssumeRole', 'kind': 'delay',
                   'delay_ms': 20000}]
        with fake_aws('basic', faults=faults) as fake:
            proc = self.start(fake, SLOW, 'role')
            code, _, err, took = self.stop(proc)
            self.assertEqual(code, 130, err)
            self.assertEqual(err, 'runbook: interrupted\n')
            self.assertLess(took, PROMPT)

    def test_sigint_stops_a_task_spinning_on_the_cpu_even_inside_pcall(self):
        with fake_aws('basic') as fake:
            rec = os.path.join(self.dir, 'spin.json')
            proc = self.start(fake, '--record', rec, SPIN)
            code, out, err, took = self.stop(proc, settle=0.3)
            self.assertEqual(code, 130, err)
            self.assertEqual(err, 'runbook: interrupted\n')
            self.assertNotIn('not interrupted', out)
            self.assertLess(took, PROMPT)
            with open(rec, encoding='utf-8') as fh:
                self.assertEqual(json.load(fh)['exchanges'], [])

    def test_help_lists_every_exit_code(self):
        with fake_aws('basic') as fake:
            r = self.rb(fake, '--help')
            self.assertOk(r)
            for text in ('4 fixes offered but not applied', '5 partial', '130 interrupted',
                         '143 terminated', '130/143 > 2 > 3 > 5 > 4 > 1 > 0'):
                self.assertIn(text, r.out)


if __name__ == '__main__':
    unittest.main()
