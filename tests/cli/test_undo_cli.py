"""`runbook journal` and `runbook undo` through the binary against the fake AWS server.

Each test applies the timeout world's built-in fix to report-builder with
`triage.lua report-builder --fix=timeout --yes` (step 1 attaches the X-Ray policy to the
role, step 2 raises Timeout 3 -> 6, MemorySize 256 -> 512 and turns tracing on), then
lists the journal, undoes entries and checks the fake's world and request log: what was
restored, and that a refused or dry-run undo sent no write at all. A change "by someone
else" between the fix and the undo is made with a signed botocore call to the fake.
"""

import json
import os
import unittest

from clitest import BIN, CliTestCase, fake_aws
from ptyrun import run_on_tty

FN = 'report-builder'
ROLE = 'report-builder-role'
XRAY = 'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess'


class UndoCliTest(CliTestCase):

    def setUp(self):
        super().setUp()
        self.journal = os.path.join(self.dir, 'journal.jsonl')

    def rbj(self, fake, *args, **kw):
        return self.rb(fake, '--journal', self.journal, *args, timeout=120, **kw)

    def fix(self, fake, code=(0, 1)):
        r = self.rbj(fake, '--yes', 'triage.lua', FN, '--fix=timeout', '--format', 'json')
        self.assertIn(r.code, code, repr(r))
        return r.json()['fixes']['run']

    def records(self):
        with open(self.journal, encoding='utf-8') as fh:
            lines = [json.loads(line) for line in fh if line.strip()]
        out = {}
        for e in lines:
            rec = out.setdefault(e['entry'], {})
            rec.update({k: v for k, v in e.items() if k != 'time' or 'time' not in rec})
        return out

    def config(self, fake):
        return fake.world_state()['lambda']['functions'][FN]['configuration']

    def attached(self, fake):
        return fake.world_state()['iam']['roles'][ROLE]['attached_policies']

    def writes(self, fake):
        return [q for q in fake.requests()
                if q.get('operation') and not q['operation'].startswith(('Get', 'List'))]

    def assertFixed(self, fake):
        c = self.config(fake)
        self.assertEqual((c['Timeout'], c['MemorySize'], c['TracingConfig']['Mode']),
                         (6, 512, 'Active'))
        self.assertIn(XRAY, self.attached(fake))

    def assertOriginal(self, fake):
        c = self.config(fake)
        self.assertEqual((c['Timeout'], c['MemorySize'], c['TracingConfig']['Mode']),
                         (3, 256, 'PassThrough'))
        self.assertNotIn(XRAY, self.attached(fake))

    def append(self, record):
        """Adds a journal line by hand (a record runbook itself would not write)."""
        with open(self.journal, 'a', encoding='utf-8') as fh:
            fh.write(json.dumps(record) + '\n')

    def botocore_lambda(self, fake):
        import botocore.session  # Debian's python3-botocore (the tests run /usr/bin/python3)
        cred = fake.credentials()
        return botocore.session.Session().create_client(
            'lambda', region_name='us-east-1', endpoint_url=fake.url,
            aws_access_key_id=cred['access_key_id'],
            aws_secret_access_key=cred['secret_access_key'])

    def on_tty(self, fake, answer, *args):
        """Runs the binary with a new pty as its controlling terminal and types `answer`
        after the prompt. Returns (exit code, stdout, what the terminal showed)."""
        run = run_on_tty([BIN, '--journal', self.journal] + list(args), self.env_for(fake),
                         [answer], timeout=120)
        return run.code, run.out, run.shown

    # runbook journal ----------------------------------------------------------------------

    def test_journal_lists_the_fix_grouped_by_run(self):
        with fake_aws('timeout') as fake:
            run = self.fix(fake)
            r = self.rbj(fake, 'journal')
            j = self.rbj(fake, 'journal', '--run', run, '--format', 'json')
            last = self.rbj(fake, 'journal', '--function', FN, '--last', '1')
            other = self.rbj(fake, 'journal', '--function', 'nobody')
            unknown = self.rbj(fake, 'journal', '--run', 'no-such-run')
            bad = self.rbj(fake, 'journal', '--last', 'zero')
        self.assertOk(r)
        lines = r.out.splitlines()
        self.assertEqual(lines[0], 'run ' + run)
        self.assertIn('[timeout] 12 invocations timed out', lines[1])
        self.assertTrue(lines[2].startswith('    %s.1  ' % run), lines[2])
        self.assertIn('iam AttachRolePolicy  PolicyArn: absent -> ' + XRAY + '  applied', lines[2])
        self.assertIn('lambda UpdateFunctionConfiguration  MemorySize: 256 -> 512, '
                      'Timeout: 3 -> 6', lines[3])
        self.assertTrue(lines[3].endswith('applied'), lines[3])
        self.assertIn('  %s  ' % FN, lines[3])
        self.assertOk(j)
        got = j.json()
        self.assertEqual([e['entry'] for e in got], [run + '.1', run + '.2'])
        self.assertEqual([e['outcome'] for e in got], ['applied', 'applied'])
        self.assertEqual(got[1]['before']['Timeout'], 3)
        self.assertOk(last)
        self.assertEqual(len(last.out.splitlines()), 3, last.out)
        self.assertIn(run + '.2', last.out)
        self.assertOk(other)
        self.assertIn('no entries for function nobody', other.out)
        self.assertEqual(unknown.code, 2, repr(unknown))
        self.assertEqual(unknown.err.strip().count('\n'), 0, unknown.err)
        self.assertIn("no run 'no-such-run'", unknown.err)
        self.assertEqual(bad.code, 2, repr(bad))

    def test_missing_journal_is_one_line(self):
        with fake_aws('timeout') as fake:
            r = self.rbj(fake, 'journal')
            u = self.rbj(fake, '--yes', 'undo', '--last')
        self.assertOk(r)
        self.assertEqual(r.out, '')
        self.assertEqual(r.err, 'runbook journal: no journal at %s: nothing has been changed '
                         'yet\n' % self.journal)
        self.assertOk(u)
        self.assertIn('nothing to undo', u.out)

    def test_malformed_line_is_skipped_with_a_warning(self):
        with fake_aws('timeout') as fake:
            run = self.fix(fake)
            with open(self.journal, 'a', encoding='utf-8') as fh:
                fh.write('{"entry": "torn\n')
            r = self.rbj(fake, 'journal')
            u = self.rbj(fake, '--yes', 'undo', '--last')
            self.assertEqual(self.config(fake)['Timeout'], 3)
        self.assertOk(r)
        self.assertIn(run + '.2', r.out)
        self.assertEqual(r.err, 'runbook journal: warning: %s:5: not a journal entry, '
                         'skipped\n' % self.journal)
        self.assertOk(u)
        self.assertIn('warning: %s:5: not a journal entry' % self.journal, u.err)

    # runbook undo ---------------------------------------------------------------------------

    def test_undo_last_walks_back_through_the_history(self):
        with fake_aws('timeout') as fake:
            run = self.fix(fake)
            self.assertFixed(fake)
            first = self.rbj(fake, '--yes', 'undo', '--last')
            c = self.config(fake)
            self.assertEqual((c['Timeout'], c['MemorySize'], c['TracingConfig']['Mode']),
                             (3, 256, 'PassThrough'))
            self.assertIn(XRAY, self.attached(fake))  # the older change is still there
            second = self.rbj(fake, '--yes', 'undo', '--last')
            self.assertOriginal(fake)
            fake.clear_requests()
            third = self.rbj(fake, '--yes', 'undo', '--last')
            self.assertEqual(self.writes(fake), [])
            listing = self.rbj(fake, 'journal')
            secret = fake.credentials()['secret_access_key']
            env = self.config(fake)['Environment']['Variables']
        self.assertOk(first)
        self.assertRegex(first.out, r'^undid %s\.2 \(entry \S+\.1\)\n$' % run)
        self.assertIn('MemorySize: 512 -> 256', first.err)
        self.assertIn('aws lambda update-function-configuration --function-name %s' % FN,
                      first.err)
        self.assertOk(second)
        self.assertRegex(second.out, r'^undid %s\.1 ' % run)
        self.assertIn('iam DetachRolePolicy', second.err)
        self.assertOk(third)
        self.assertEqual(third.out, 'nothing left to undo in %s\n' % self.journal)
        recs = self.records()
        undos = [r for r in recs.values() if r.get('undoes')]
        self.assertEqual([(u['undoes'], u['outcome'], u['operation']) for u in undos],
                         [(run + '.2', 'applied', 'UpdateFunctionConfiguration'),
                          (run + '.1', 'applied', 'DetachRolePolicy')])
        # each undo can be undone in turn: its own undo is the original call
        self.assertEqual(undos[0]['undo']['params'],
                         {'FunctionName': FN, 'MemorySize': 512, 'Timeout': 6,
                          'TracingConfig': {'Mode': 'Active'}})
        self.assertIn('undone by %s' % undos[0]['entry'], listing.out)
        self.assertIn('undoes %s.2' % run, listing.out)
        with open(self.journal, encoding='utf-8') as fh:
            text = fh.read()
        self.assertNotIn(secret, text)
        for value in env.values():
            self.assertNotIn(value, text)

    def test_undoing_an_undo_reapplies_the_change_and_last_takes_it_again(self):
        with fake_aws('timeout') as fake:
            run = self.fix(fake)
            first = self.rbj(fake, '--yes', 'undo', '--last')
            self.assertOk(first)
            undo_id = first.out.split()[-1].rstrip(')')
            redo = self.rbj(fake, '--yes', 'undo', undo_id)
            self.assertFixed(fake)
            listing = self.rbj(fake, 'journal')
            again = self.rbj(fake, '--yes', 'undo', '--last')
            self.assertEqual(self.config(fake)['Timeout'], 3)
            self.assertIn(XRAY, self.attached(fake))
        self.assertOk(redo)
        self.assertIn('undo %s: 12 invocations timed out' % undo_id, redo.err)
        self.assertNotIn('undo %s: undo' % undo_id, redo.err)
        line = [x for x in listing.out.splitlines() if x.strip().startswith(run + '.2')][0]
        self.assertTrue(line.endswith('applied'), line)  # live again: no "undone by"
        self.assertOk(again)
        self.assertRegex(again.out, r'^undid %s\.2 ' % run)

    def test_undo_run_reverses_the_whole_run_newest_first(self):
        with fake_aws('timeout') as fake:
            run = self.fix(fake)
            r = self.rbj(fake, '--yes', 'undo', '--run', run)
            self.assertOriginal(fake)
            fake.clear_requests()
            again = self.rbj(fake, '--yes', 'undo', '--run', run)
            unknown = self.rbj(fake, '--yes', 'undo', '--run', 'no-such-run')
            self.assertEqual(self.writes(fake), [])
        self.assertOk(r)
        self.assertEqual([line.split()[1] for line in r.out.splitlines()],
                         [run + '.2', run + '.1'])
        self.assertOk(again)
        self.assertEqual(again.out, 'nothing left to undo in run %s\n' % run)
        self.assertEqual(unknown.code, 2, repr(unknown))
        self.assertEqual(unknown.err.count('\n'), 1, unknown.err)

    def test_undo_of_a_partial_run_reverses_only_what_was_applied(self):
        fault = [{'kind': 'error', 'service': 'lambda', 'operation': 'UpdateFunctionConfiguration',
                  'status': 400, 'code': 'InvalidParameterValueException',
                  'message': 'injected by the test'}]
        with fake_aws('timeout', faults=fault) as fake:
            run = self.fix(fake, code=(5,))
            self.assertIn(XRAY, self.attached(fake))
            self.assertEqual(self.config(fake)['Timeout'], 3)
            fake.set_faults([])
            failed = self.rbj(fake, '--yes', 'undo', run + '.2')
            fake.clear_requests()
            r = self.rbj(fake, '--yes', 'undo', '--run', run)
            ops = [q['operation'] for q in self.writes(fake)]
            self.assertOriginal(fake)
        self.assertEqual(failed.code, 1, repr(failed))
        self.assertIn('was not applied (failed)', failed.err)
        self.assertOk(r)
        self.assertEqual(ops, ['DetachRolePolicy'])
        self.assertEqual(r.out.split()[1], run + '.1')

    def test_undo_refused_when_the_resource_changed_since(self):
        with fake_aws('timeout') as fake:
            self.fix(fake)
            client = self.botocore_lambda(fake)
            client.update_function_configuration(FunctionName=FN, Timeout=10)
            client.close()
            fake.clear_requests()
            r = self.rbj(fake, '--yes', 'undo', '--last')
            writes = self.writes(fake)
            c = self.config(fake)
        self.assertEqual(r.code, 1, repr(r))
        self.assertEqual(writes, [])
        self.assertEqual((c['Timeout'], c['MemorySize']), (10, 512))
        self.assertIn('the resource no longer holds what', r.err)
        self.assertIn('Timeout is 10, the plan expected 6', r.err)
        self.assertEqual(r.out, '')

    def test_dry_run_sends_no_write(self):
        with fake_aws('timeout') as fake:
            self.fix(fake)
            fake.clear_requests()
            r = self.rbj(fake, '--dry-run', 'undo', '--last')
            writes = self.writes(fake)
            self.assertFixed(fake)
            # without --yes and without a terminal nothing is applied either
            n = self.rbj(fake, 'undo', '--last')
            self.assertFixed(fake)
        self.assertEqual(r.code, 4, repr(r))
        self.assertEqual(writes, [])
        self.assertIn('dry run: nothing was sent', r.err)
        self.assertIn('Timeout: 6 -> 3', r.err)
        self.assertEqual(n.code, 4, repr(n))
        self.assertIn('no terminal', n.err)
        self.assertFalse(any(rec.get('undoes') for rec in self.records().values()))

    def test_undo_asks_on_the_terminal(self):
        with fake_aws('timeout') as fake:
            run = self.fix(fake)
            fake.clear_requests()
            no_code, no_out, no_shown = self.on_tty(fake, b'n\n', 'undo', '--last')
            self.assertEqual(self.writes(fake), [])
            self.assertFixed(fake)
            yes_code, yes_out, yes_shown = self.on_tty(fake, b'y\n', 'undo', '--last')
            self.assertEqual(self.config(fake)['Timeout'], 3)
        self.assertEqual(no_code, 4, no_shown)
        self.assertEqual(no_out, '')
        self.assertIn(b'Apply? [y/N/a/q] ', no_shown)
        self.assertEqual(yes_code, 0, yes_shown)
        self.assertRegex(yes_out, r'^undid %s\.2 ' % run)

    def test_refusals_are_one_line(self):
        with fake_aws('timeout') as fake:
            run = self.fix(fake)
            recs = self.records()
            base = dict(recs[run + '.2'], run='handmade')
            base.pop('time_done', None)
            irreversible = dict(base, entry='handmade.1', undo=None)
            secret = dict(base, entry='handmade.2', undo=dict(
                base['undo'], params=dict(base['undo']['params'], Environment={
                    'Variables': {'DB_HOST': {'$secret': 'DB_HOST'}}})))
            unknown = dict(base, entry='handmade.3', event='send', outcome='sending')
            elsewhere = dict(base, entry='handmade.4', account='999999999999')
            for rec in (irreversible, secret, unknown, elsewhere):
                self.append(rec)
            fake.clear_requests()
            got = {name: self.rbj(fake, '--yes', 'undo', entry) for name, entry in (
                ('irreversible', 'handmade.1'), ('secret', 'handmade.2'),
                ('unknown', 'handmade.3'), ('elsewhere', 'handmade.4'),
                ('no such entry', 'nope.7'))}
            done = self.rbj(fake, '--yes', 'undo', run + '.2')
            again = self.rbj(fake, '--yes', 'undo', run + '.2')
            run_unknown = self.rbj(fake, '--yes', 'undo', '--run', 'handmade')
            writes = self.writes(fake)
            usage = self.rbj(fake, 'undo')
            both = self.rbj(fake, 'undo', '--last', run + '.1')
        expect = {'irreversible': (1, 'cannot be undone: no call reverses it'),
                  'secret': (1, 'secret value that was never written down'),
                  'unknown': (1, 'outcome is unknown'),
                  'elsewhere': (2, 'made in account 999999999999'),
                  'no such entry': (2, "no entry 'nope.7'")}
        for name, (code, words) in expect.items():
            r = got[name]
            self.assertEqual(r.code, code, '%s: %r' % (name, r))
            self.assertIn(words, r.err, name)
            self.assertEqual(r.err.count('\n'), 1, '%s: %r' % (name, r.err))
        self.assertOk(done)
        self.assertEqual(again.code, 1, repr(again))
        self.assertIn('already undone by', again.err)
        self.assertEqual(run_unknown.code, 1, repr(run_unknown))
        self.assertIn('check the resource', run_unknown.err)
        self.assertEqual([q['operation'] for q in writes], ['UpdateFunctionConfiguration'])
        self.assertEqual(usage.code, 2, repr(usage))
        self.assertEqual(both.code, 2, repr(both))
        self.assertIn('exactly one of ENTRY, --last or --run', both.err)

    def test_commands_in_the_usage(self):
        with fake_aws('timeout') as fake:
            r = self.rb(fake, '--help')
            h = self.rb(fake, 'undo', '--help')
        self.assertIn('runbook journal [--run RUN]', r.out)
        self.assertIn('runbook undo ENTRY|--last|--run RUN', r.out)
        self.assertOk(h)
        self.assertIn('usage: runbook undo ENTRY | --last | --run RUN', h.out)


if __name__ == '__main__':
    unittest.main()
