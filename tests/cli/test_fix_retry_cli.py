"""A call AWS refuses only for now is sent again, within the same approval.

The timeout world's fix attaches the X-Ray policy to the role, then turns tracing on with
UpdateFunctionConfiguration. On AWS, Lambda can refuse the second call until the role's
new permission has propagated. The fake refuses it once (a fault rule) the way Lambda
does; runbook must wait, send the very same call again (the core gives a 4xx-refused
call's approval back: nothing changed), journal both tries, and end applied. A refusal
that is not about propagation is not retried.
"""

import json
import os
import unittest

from clitest import CliTestCase, fake_aws

FN = 'report-builder'
NOT_YET = {'service': 'lambda', 'operation': 'UpdateFunctionConfiguration', 'kind': 'error',
           'code': 'InvalidParameterValueException', 'status': 400, 'count': 1,
           'message': 'The provided execution role does not have permissions to call '
                      'PutTraceSegments on XRAY'}


class RetryTest(CliTestCase):

    def fix(self, fake):
        journal = os.path.join(self.dir, 'j.jsonl')
        r = self.rb(fake, '--journal', journal, '--yes', 'triage.lua', FN, '--fix=timeout',
                    '--format', 'json', timeout=120)
        with open(journal, encoding='utf-8') as fh:
            lines = [json.loads(line) for line in fh if line.strip()]
        return r, lines

    def updates_sent(self, fake):
        return [q for q in fake.requests() if q.get('operation') == 'UpdateFunctionConfiguration']

    def test_propagation_refusal_is_retried_and_journaled(self):
        with fake_aws('timeout') as fake:
            fake.add_faults([NOT_YET])
            r, lines = self.fix(fake)
            self.assertIn('trying again in', r.err)
            sent = self.updates_sent(fake)
            self.assertEqual(len(sent), 2, sent)
            config = fake.world_state()['lambda']['functions'][FN]['configuration']
            self.assertEqual(config['TracingConfig']['Mode'], 'Active')
        outcome = next(f['fix']['outcome'] for s in r.json()['steps'] if s['id'] == 'timeout'
                       for f in s['findings'] if f['fix'] and f['fix'].get('outcome'))
        self.assertIn(outcome['status'], ('applied', 'verified'), r.err)
        update = [e for e in lines if e.get('entry', '').endswith('.2')]
        self.assertEqual([(e['event'], e['outcome']) for e in update],
                         [('send', 'sending'), ('result', 'failed'), ('send', 'sending'),
                          ('result', 'applied')])
        self.assertTrue(update[1]['retrying'])

    def test_other_refusals_are_not_retried(self):
        rule = dict(NOT_YET, message='Memory size 512 is not valid here', count=5)
        with fake_aws('timeout') as fake:
            fake.add_faults([rule])
            r, lines = self.fix(fake)
            self.assertEqual(len(self.updates_sent(fake)), 1)
        self.assertEqual(r.code, 5, r.err)
        self.assertNotIn('trying again', r.err)
        self.assertEqual(lines[-1]['outcome'], 'failed')


if __name__ == '__main__':
    unittest.main()
