"""Waiting for a published request rate (core/quotas.txt) is not a step's fault: the time
a step's own calls are told to wait in the client's limiter does not count against
--step-timeout, while a step that is slow for any other reason still times out.
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import fake_aws  # noqa: E402
from test_engine import EngineCase, step  # noqa: E402

# Eight distinct reads at once: at 2 per second with a burst of 2, the last one is sent
# 3 s after the first, three times the step timeout below.
PACED_READS = '''    local reads = {}
    for i = 1, 8 do
      reads[i] = function()
        return ctx.aws.call("lambda", "GetFunctionConfiguration", { FunctionName = "fn-" .. i })
      end
    end
    runbook.all(reads)
    ctx:finding{ severity = "info", title = "read all eight" }'''

RATE = ['--rate-limit', 'lambda.GetFunctionConfiguration=2']


class QuotaPacingTest(EngineCase):

    def test_a_step_waiting_for_a_published_rate_is_not_timed_out(self):
        self.steps(paced=step('paced', PACED_READS))
        with fake_aws('basic') as fake:
            r = self.triage(fake, *RATE, self.runbook('"paced"'), 'my-fn',
                            '--step-timeout', '1', '--format', 'json')
        self.assertEqual(r.code, 0, repr(r))
        findings = r.json()['steps'][0]['findings']
        self.assertEqual([f['title'] for f in findings], ['read all eight'], repr(r))

    def test_the_same_step_times_out_when_its_reads_are_slow_for_another_reason(self):
        slow = PACED_READS.replace('runbook.all(reads)', 'runbook.all(reads)\n'
                                   '    runbook.sleep(3)')
        self.steps(slow=step('slow', slow))
        with fake_aws('basic') as fake:
            r = self.triage(fake, *RATE, self.runbook('"slow"'), 'my-fn',
                            '--step-timeout', '1', '--format', 'json')
        self.assertEqual(r.code, 1, repr(r))
        titles = [f['title'] for f in r.json()['steps'][0]['findings']]
        self.assertEqual(titles, ['step timed out after 1 s'], repr(r))


if __name__ == '__main__':
    unittest.main()
