"""The fake's quota enforcement through the real binary: a fleet triage against a fake
that allows Lambda GetFunction fewer requests per second than the client paces itself to
(core/quotas.txt says 100/s; this table 30/s with a burst of 8). The fake answers the
excess with Lambda's throttling error, marked with its quota in the request log and
counted at /__fake/quotas; the client retries each (its api.throttles counts them; the
last answer of a call it gives up on is not retried), and every function is reported,
or named in its target's errors when the client gave up on it.
"""

import os
import subprocess
import unittest

from clitest import CliTestCase, ROOT

from harness import fake_aws

GEN = os.path.join(ROOT, 'bench', 'fleet', 'gen_world.py')
TABLE = 'lambda GetFunction 30 8 test: tighter than the client paces\n'


class FakeQuotasTest(CliTestCase):

    def test_throttles_past_the_quota_are_absorbed_by_the_clients_retries(self):
        world, table = self.write('w.json', ''), self.write('quotas.txt', TABLE)
        subprocess.run(['/usr/bin/python3', GEN, '--functions', '40', '--broken-share', '0',
                        '--out', world], check=True)
        with fake_aws(world, quotas=table) as fake:
            r = self.rb(fake, 'triage.lua', '--all', '--format', 'json', timeout=300)
            calls = fake.requests()
            counted = fake.quota_state()['throttles']
        # 0, or 5 when the client gave up on a function after its last attempt
        self.assertIn(r.code, (0, 5), repr(r))
        doc = r.json()
        throttled = [c for c in calls if c.get('quota')]
        self.assertGreater(len(throttled), 0)
        self.assertEqual({(c['operation'], c['status'], c['error_code'], c['quota'])
                          for c in throttled},
                         {('GetFunction', 429, 'TooManyRequestsException',
                           'lambda GetFunction')})
        self.assertEqual(counted, {'lambda GetFunction': len(throttled)})
        # the client retried each of them but the last answer of a call it gave up on,
        # and lost no function silently
        gave_up = doc['targets'][0].get('errors', [])
        self.assertTrue(all('TooManyRequestsException' in e for e in gave_up), gave_up)
        self.assertEqual(doc['api']['throttles'] + len(gave_up), len(throttled))
        self.assertEqual(doc['verdict']['functions'] + len(gave_up), 40)

if __name__ == '__main__':
    unittest.main()
