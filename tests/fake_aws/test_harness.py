"""The test harness: run_with_fake.py's environment, exit status and request log, and
the fake_aws() context manager.
"""

import json
import os
import subprocess
import tempfile
import unittest
import urllib.request

import testlib  # noqa: F401  (isolates the process from real AWS settings)
from harness import fake_aws, python

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(HERE, 'run_with_fake.py')

PROBE = r'''
import json, os, sys
keys = ["AWS_ENDPOINT_URL", "FAKE_AWS_URL", "AWS_ACCESS_KEY_ID", "AWS_REGION",
        "AWS_EC2_METADATA_DISABLED", "HOME", "AWS_ENDPOINT_URL_LAMBDA", "AWS_SESSION_TOKEN"]
print(json.dumps({k: os.environ.get(k) for k in keys} | {"argv": sys.argv[1:]}))
sys.exit(7)
'''


class RunWithFake(unittest.TestCase):
    def run_probe(self, *extra, env=None):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, 'requests.json')
            proc = subprocess.run([python(), RUN, '--world', 'basic', '--requests-out', out,
                                   *extra, '--', python(), '-c', PROBE, '@FAKE_AWS_URL@/x'],
                                  capture_output=True, text=True, env=env, timeout=60)
            with open(out, encoding='utf-8') as fh:
                requests = json.load(fh)
        return proc, json.loads(proc.stdout), requests

    def test_command_sees_the_fake_and_its_exit_status_is_kept(self):
        env = dict(os.environ, AWS_ENDPOINT_URL_LAMBDA='https://lambda.us-east-1.amazonaws.com')
        proc, seen, requests = self.run_probe(env=env)
        self.assertEqual(proc.returncode, 7, proc.stderr)
        self.assertRegex(seen['AWS_ENDPOINT_URL'], r'^http://127\.0\.0\.1:\d+$')
        self.assertEqual(seen['FAKE_AWS_URL'], seen['AWS_ENDPOINT_URL'])
        self.assertEqual(seen['AWS_ACCESS_KEY_ID'], 'AKIAIOSFODNN7EXAMPLE')
        self.assertEqual((seen['AWS_REGION'], seen['AWS_EC2_METADATA_DISABLED']),
                         ('us-east-1', 'true'))
        self.assertEqual(os.listdir(seen['HOME']) if os.path.isdir(seen['HOME']) else [], [])
        self.assertIsNone(seen['AWS_ENDPOINT_URL_LAMBDA'])
        self.assertIn('dropping AWS_ENDPOINT_URL_LAMBDA', proc.stderr)
        self.assertEqual(seen['argv'], [seen['FAKE_AWS_URL'] + '/x'])
        self.assertEqual(requests, [])

    def test_caller_credentials_win_and_no_creds_leaves_them_out(self):
        env = dict(os.environ, AWS_ACCESS_KEY_ID='AKIACALLER0000000000')
        _, seen, _ = self.run_probe(env=env)
        self.assertEqual(seen['AWS_ACCESS_KEY_ID'], 'AKIACALLER0000000000')
        _, seen, _ = self.run_probe('--no-creds')
        self.assertIsNone(seen['AWS_ACCESS_KEY_ID'])

    def test_missing_world_exits_125(self):
        proc = subprocess.run([python(), RUN, '--world', 'no-such-world', '--', 'true'],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.returncode, 125)
        self.assertIn("no world 'no-such-world'", proc.stderr)


class ContextManager(unittest.TestCase):
    def test_fake_aws_runs_and_stops_the_server(self):
        with fake_aws('basic', faults=[{'kind': 'throttle', 'service': 'lambda'}]) as fake:
            env = fake.env(base={})
            self.assertEqual(env['AWS_ENDPOINT_URL'], fake.url)
            self.assertEqual(fake.faults()[0]['kind'], 'throttle')
            fake.set_faults([])
            self.assertEqual(fake.faults(), [])
            self.assertEqual(fake.requests(), [])
            url = fake.url
            proc = fake.proc
        self.assertIsNotNone(proc.poll())
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with self.assertRaises(OSError):
            opener.open(url + '/__fake/health', timeout=2)

    def test_shutdown_endpoint_stops_the_server(self):
        with fake_aws('basic') as fake:
            fake.control('POST', '/__fake/shutdown', {})
            self.assertEqual(fake.proc.wait(timeout=10), 0)


if __name__ == '__main__':
    unittest.main()
