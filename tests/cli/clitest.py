"""Shared helpers for whole-binary tests: run the real runbook against the fake AWS.

RUNBOOK_BIN names the binary under test (ctest sets it). Every run gets an environment
with no AWS variables of the developer's own, a fresh HOME, and the fake's endpoint, so a
test can never reach a real account or any address but 127.0.0.1.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'fake_aws'))

from harness import fake_aws  # noqa: E402  (path set just above)

BIN = os.environ.get('RUNBOOK_BIN', os.path.join(ROOT, 'build', 'runbook'))


def base_env():
    """The process environment without anything AWS- or runbook-related."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(('AWS_', 'RUNBOOK_')) and k not in ('HOME', 'NO_COLOR')}


class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return 'exit %d\n--- stdout\n%s\n--- stderr\n%s' % (self.code, self.out, self.err)


def run(args, env, timeout=60, cwd=None):
    proc = subprocess.run([BIN] + list(args), env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout, cwd=cwd)
    return Result(proc)


class CliTestCase(unittest.TestCase):
    """A test case with a scratch directory and helpers to run the binary."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix='runbook-test.')
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text, mode=0o644):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as fh:
            fh.write(text)
        os.chmod(path, mode)
        return path

    def env_for(self, fake, creds=True, **extra):
        env = fake.env(base=base_env(), creds=creds)
        env.update({k: v for k, v in extra.items() if v is not None})
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
        return env

    def rb(self, fake, *args, creds=True, timeout=60, **extra):
        return run(args, self.env_for(fake, creds=creds, **extra), timeout=timeout)

    def assertOk(self, result):
        self.assertEqual(result.code, 0, repr(result))

    def assertAllSigned(self, fake):
        reqs = [r for r in fake.requests() if r.get('service')]
        self.assertTrue(reqs, 'the fake saw no signed request')
        for r in reqs:
            self.assertTrue(r['signature_ok'], 'bad signature: %r' % r)


class StepTestCase(CliTestCase):
    """A test of one triage step: run only that step, read its findings from the JSON."""

    step = None  # the step id under test

    def triage(self, fake, function):
        r = self.rb(fake, 'triage.lua', function, '--steps', self.step, '--format', 'json',
                    timeout=120)
        self.assertIn(r.code, (0, 1), repr(r))
        steps = r.json()['steps']
        self.assertEqual([s['id'] for s in steps], [self.step])
        return r, steps[0]['findings']

    def run_world(self, world, function):
        """triage() against a fake serving `world`: a world's name or path, or a dict (written
        to a scratch file first, for worlds built by the test)."""
        if isinstance(world, dict):
            world = self.write('world.json', json.dumps(world))
        with fake_aws(world) as fake:
            return self.triage(fake, function)

    def only(self, findings, severity, needle):
        """The one finding of that severity whose title holds needle."""
        hits = [f for f in findings if f['severity'] == severity and needle in f['title']]
        self.assertEqual(len(hits), 1, json.dumps(findings, indent=1))
        return hits[0]
