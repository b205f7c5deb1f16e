"""The fake's quota enforcement through the real binary: a fleet triage against a fake
that allows Lambda GetFunction fewer requests per second than the client paces itself to
(core/quotas.txt says 100/s; this table 20/s with a burst of 4). The fake answers the
excess with Lambda's throttling error, marked with its quota in the request log; the
client's retries absorb every one (its api.throttles counts the same requests) and every
function is still reported.
"""

import json
import os
import subprocess
import unittest

from clitest import CliTestCase, ROOT

from harness import fake_aws

GEN = os.path.join(ROOT, 'bench', 'fleet', 'gen_world.py')
TABLE = 'lambda GetFunction 20 4 test: tighter than the client paces\n'


class FakeQuotasTest(CliTestCase):

    def test_throttles_past_the_quota_are_absorbed_by_the_clients_retries(self):
        world, table = self.write('w.json', ''), self.write('quotas.txt', TABLE)
        subprocess.run(['/usr/bin/python3', GEN, '--functions', '40', '--broken-share', '0',
                        '--out', world], check=True)
        with fake_aws(world, quotas=table) as fake:
            r = self.rb(fake, 'triage.lua', '--all', '--format', 'json', timeout=300)
            calls = fake.requests()
            counted = fake.quota_state()['throttles']
        self.assertEqual(r.code, 0, repr(r))
        doc = r.json()
        throttled = [c for c in calls if c.get('quota')]
        self.assertGreater(len(throttled), 0)
        self.assertEqual({(c['operation'], c['status'], c['error_code'], c['quota'])
                          for c in throttled},
                         {('GetFunction', 429, 'TooManyRequestsException',
                           'lambda GetFunction')})
        self.assertEqual(counted, {'lambda GetFunction': len(throttled)})
        self.assertEqual(doc['api']['throttles'], len(throttled))
        self.assertEqual(doc['verdict']['functions'], 40)
        self.assertEqual(doc['targets'][0]['status'], 'ok')
        self.assertNotIn('TooManyRequestsException', json.dumps(doc['functions']))


if __name__ == '__main__':
    unittest.main()
