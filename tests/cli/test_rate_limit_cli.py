"""Published request rates through the real binary (core/quotas.txt, docs/quotas.md): the
client spaces calls to an operation's rate, --rate-limit and RUNBOOK_RATE_LIMITS override
it, a bad override is a usage error, and runbook.core reports what the limiter did and
lets a runbook ask for adaptive retries. Times are read from the fake's request log.
"""

import datetime
import json
import os
import time
import unittest

from clitest import CliTestCase, fake_aws, HERE

SCRIPT = os.path.join(HERE, 'scripts', 'paced_reads.lua')


def seconds(stamp):
    return datetime.datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S.%fZ').timestamp()


class RateLimitTest(CliTestCase):

    def paced(self, fake, n, *options, **env):
        fake.clear_requests()
        self.launched = time.time()  # no call can go before this, so slots count from it
        r = self.rb(fake, *options, SCRIPT, str(n), **env)
        self.assertEqual(r.code, 0, repr(r))
        first = {}  # the first attempt of each read (a throttled one is retried)
        for q in fake.requests():
            if q.get('operation') == 'GetFunctionConfiguration':
                name = q['params']['FunctionName']
                first[name] = min(first.get(name, float('inf')), seconds(q['time']))
        times = sorted(first.values())
        self.assertEqual(len(times), n)
        return json.loads(r.out), times

    def test_an_override_spaces_the_calls_to_its_rate(self):
        with fake_aws('basic') as fake:
            out, times = self.paced(fake, 6, '--rate-limit', 'lambda.GetFunctionConfiguration=2')
        # a burst of 2 at once, then one every 0.5 s: (6 - 2) / 2 = 2 s in all. A call may
        # go late (a busy machine), never early: the k-th paced one not before k * 0.5 s.
        for k, t in enumerate(times[2:], 1):
            self.assertGreaterEqual(t - self.launched, k * 0.5 - 0.02, times)
        self.assertGreaterEqual(times[-1] - times[0], 1.5, times)
        self.assertEqual(out['limiter']['paced'], 4)
        self.assertAlmostEqual(out['limiter']['waited'], 0.5 + 1 + 1.5 + 2, places=1)
        self.assertEqual(out['limiter']['attempts'], 6)

    def test_lambda_control_plane_calls_share_the_published_15_per_second(self):
        with fake_aws('basic') as fake:
            out, times = self.paced(fake, 20)
            # 15 at once, then 5 more told to wait 1/15 s, 2/15 s, ... 5/15 s
            self.assertEqual(out['limiter']['paced'], 5)
            self.assertAlmostEqual(out['limiter']['waited'], (1 + 2 + 3 + 4 + 5) / 15, places=2)
            self.assertGreaterEqual(times[-1] - self.launched, 5 / 15 - 0.02, times)
            out, _ = self.paced(fake, 20, '--rate-limit', 'lambda.*=off')
            self.assertEqual(out['limiter']['paced'], 0)
            self.assertEqual(out['limiter']['waited'], 0)

    def test_the_environment_overrides_the_table_and_the_option_wins(self):
        with fake_aws('basic') as fake:
            out, _ = self.paced(fake, 6, RUNBOOK_RATE_LIMITS='lambda.GetFunctionConfiguration=1/6')
            self.assertEqual(out['limiter']['paced'], 0)  # a burst of 6
            out, _ = self.paced(fake, 6, '--rate-limit', 'lambda.GetFunctionConfiguration=20/2',
                                RUNBOOK_RATE_LIMITS='lambda.GetFunctionConfiguration=off')
            self.assertEqual(out['limiter']['paced'], 4)

    def test_a_bad_override_is_a_usage_error_naming_the_entry_and_the_syntax(self):
        cases = [(['--rate-limit', 'lambda.GetFunction=fast', SCRIPT], {},
                  "runbook: bad --rate-limit entry 'lambda.GetFunction=fast': use "
                  "SERVICE.OPERATION=PER_SECOND[/BURST]"),
                 (['--rate-limit', 'lambda.GetFuntion=2', SCRIPT], {},
                  "did you mean GetFunction?"),
                 (['--rate-limit=lambda', SCRIPT], {}, "bad --rate-limit entry 'lambda'"),
                 ([SCRIPT, '--rate-limit'], {}, "missing value for option '--rate-limit'"),
                 ([SCRIPT], {'RUNBOOK_RATE_LIMITS': 'logs.FilterLogEvents=5,monitoring=3'},
                  "runbook: bad RUNBOOK_RATE_LIMITS entry 'monitoring=3': use")]
        with fake_aws('basic') as fake:
            for args, env, message in cases:
                with self.subTest(args=args, env=env):
                    r = self.rb(fake, *args, **env)
                    self.assertEqual(r.code, 2, repr(r))
                    self.assertEqual(r.out, '')
                    self.assertIn(message, r.err.splitlines()[0])
                    self.assertEqual(fake.requests(), [])

    def test_help_names_the_option(self):
        with fake_aws('basic') as fake:
            r = self.rb(fake, '--help')
        self.assertIn('--rate-limit SERVICE.OPERATION=PER_SECOND[/BURST]', r.out)

    def test_a_runbook_may_ask_for_adaptive_retries_unless_the_operator_chose(self):
        with fake_aws('basic') as fake:
            r = self.rb(fake, SCRIPT, '1', 'adaptive')
            self.assertEqual(r.code, 0, repr(r))
            out = json.loads(r.out)
            self.assertEqual((out['mode_before'], out['chosen']), ('standard', False))
            self.assertEqual((out['switched'], out['mode']), (True, 'adaptive'))
            r = self.rb(fake, SCRIPT, '1', 'adaptive', AWS_RETRY_MODE='standard')
            out = json.loads(r.out)
            self.assertEqual((out['switched'], out['mode'], out['chosen']),
                             (False, 'standard', True))
            self.assertIn('AWS_RETRY_MODE', out['why'])

    def test_published_pacing_and_adaptive_retries_apply_together(self):
        with fake_aws('basic') as fake:
            fake.set_faults([{'kind': 'throttle', 'operation': 'GetFunctionConfiguration',
                              'count': 2}])
            fake.clear_requests()
            r = self.rb(fake, '--rate-limit', 'lambda.GetFunctionConfiguration=4', SCRIPT, '8',
                        'adaptive')
            self.assertEqual(r.code, 0, repr(r))
            out = json.loads(r.out)
            statuses = [q['status'] for q in fake.requests() if q.get('service')]
        self.assertEqual(out['mode'], 'adaptive')
        self.assertEqual(out['limiter']['throttles'], 2)  # retried, after the adaptive wait
        self.assertGreaterEqual(out['limiter']['paced'], 4)  # 8 reads, a burst of 4
        self.assertEqual(statuses.count(429) + statuses.count(400), 2, statuses)
        self.assertEqual(len(statuses), 10)

    def test_throttles_the_retries_absorbed_are_counted(self):
        with fake_aws('basic') as fake:
            fake.set_faults([{'kind': 'throttle', 'operation': 'GetFunctionConfiguration',
                              'count': 2}])
            out, _ = self.paced(fake, 3)
        self.assertEqual(out['limiter']['throttles'], 2)
        self.assertEqual(out['stats']['throttles'], 2)
        self.assertEqual(out['limiter']['attempts'], 5)


if __name__ == '__main__':
    unittest.main()
