"""The shipped remediation runbooks, end to end: runbooks/rollback.lua and
runbooks/enable-event-sources.lua through the real binary against the fake AWS.

The world (WORLD below): my-fn with versions 1-3; alias `live` on 3; alias `canary` on 3
with 10% of its traffic on 2; two SQS event source mappings, `orders` Disabled and `audit`
Enabled. Every run writes its journal to a scratch file (--journal). Whether a change was
made is read from the fake itself (its world and its request log), never from what
runbook printed. Prompts are answered on a new pseudo-terminal that is the process's
controlling terminal (ptyrun.run_on_tty); runs that must have no terminal start in a new
session that opens none.
"""

import json
import os
import subprocess
import unittest

from clitest import BIN, CliTestCase, Result, fake_aws
from ptyrun import run_on_tty

SECRET = 'rollbackSecretKeyForTests0000000000000000'
ORDERS = 'arn:aws:sqs:us-east-1:123456789012:orders'
AUDIT = 'arn:aws:sqs:us-east-1:123456789012:audit'
WORLD = {
    'description': 'remediation runbooks: an alias to roll back, a disabled queue consumer',
    'credentials': [{'access_key_id': 'AKIDROLLBACKTEST0001', 'secret_access_key': SECRET}],
    'lambda': {
        'functions': {
            'my-fn': {
                'configuration': {'Description': 'orders API'},
                'versions': {'1': {'Description': 'first release'},
                             '2': {'Description': 'add retries'},
                             '3': {'Description': 'new parser'}},
                'aliases': {'live': {'FunctionVersion': '3'},
                            'canary': {'FunctionVersion': '3', 'RoutingConfig': {
                                'AdditionalVersionWeights': {'2': 0.1}}}},
            },
        },
        'event_source_mappings': [
            {'EventSourceArn': ORDERS, 'FunctionName': 'my-fn', 'State': 'Disabled',
             'StateTransitionReason': 'USER_INITIATED', 'BatchSize': 10,
             'LastProcessingResult': 'PROBLEM: Function call failed'},
            {'EventSourceArn': AUDIT, 'FunctionName': 'my-fn', 'BatchSize': 10},
        ],
    },
}
WRITES = ('Update', 'Put', 'Add', 'Remove', 'Attach', 'Detach', 'Delete', 'Create', 'Publish')
APPLY = b'Apply? [y/N/a/q] '
WHICH = b'Roll live back to which version? '


class RemediationTestCase(CliTestCase):

    def setUp(self):
        super().setUp()
        self.journal = os.path.join(self.dir, 'journal.jsonl')
        self.world = self.write('world.json', json.dumps(WORLD))

    def fake(self):
        return fake_aws(self.world)

    def argv(self, *args):
        return [BIN, '--journal', self.journal] + list(args)

    def detached(self, fake, *args):
        """No controlling terminal at all (a new session that opens none)."""
        proc = subprocess.run(self.argv(*args), env=self.env_for(fake), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=120,
                              start_new_session=True)
        return Result(proc)

    def on_tty(self, fake, answers, *args):
        """Runs with a new pty as the controlling terminal; answers = [(prompt, text[, then])]:
        each text is typed once its prompt has appeared (after the previous one), after
        calling then() if given. -> (Result, what the terminal showed)."""
        cmd = self.argv(*args)
        run = run_on_tty(cmd, self.env_for(fake), answers, timeout=90)
        self.assertEqual(run.answered, len(answers), 'not every prompt appeared: %r' % run.shown)
        return Result(subprocess.CompletedProcess(cmd, run.code, run.out, run.err)), run.shown

    # what the fake and the journal say ------------------------------------------------------

    def writes(self, fake):
        return [r for r in fake.requests()
                if (r.get('operation') or '').startswith(WRITES)]

    def alias(self, fake, name):
        return fake.world_state()['lambda']['functions']['my-fn']['aliases'][name]

    def mapping(self, fake, source):
        for m in fake.world_state()['lambda']['event_source_mappings']:
            if m['EventSourceArn'] == source:
                return m
        self.fail('no mapping from %s' % source)

    def journal_lines(self):
        if not os.path.exists(self.journal):
            return []
        with open(self.journal, encoding='utf-8') as fh:
            text = fh.read()
        self.assertNotIn(SECRET, text)
        return [json.loads(line) for line in text.splitlines()]

    def assertOneLineError(self, r, code, *needles):
        self.assertEqual(r.code, code, repr(r))
        lines = r.err.strip().splitlines()
        self.assertEqual(len(lines), 1, repr(r))
        for n in needles:
            self.assertIn(n, lines[0])

    def undo_available(self, fake):
        r = self.rb(fake, 'undo', '--help')
        return r.code == 0


class RollbackTest(RemediationTestCase):

    def test_rollback_from_the_journal(self):
        with self.fake() as fake:
            first = self.rb(fake, '--journal', self.journal, 'rollback.lua', 'my-fn:live',
                            '--to', '2', '--yes')
            self.assertOk(first)
            self.assertEqual(self.alias(fake, 'live')['FunctionVersion'], '2')
            self.assertIn('rolled back my-fn:live: version 3 -> 2', first.out)
            fake.clear_requests()
            # no --to: the journal says live pointed at 3 before its last change
            second = self.rb(fake, '--journal', self.journal, 'rollback.lua', 'my-fn:live', '--yes')
            self.assertOk(second)
            self.assertEqual(self.alias(fake, 'live')['FunctionVersion'], '3')
            self.assertIn('rolled back my-fn:live: version 2 -> 3', second.out)
            self.assertIn('the journal: entry ', second.err)
            writes = self.writes(fake)
            lines = self.journal_lines()
            if self.undo_available(fake):  # undo of the rollback points live back at 2
                self.assertOk(self.rb(fake, '--journal', self.journal, 'undo', '--last', '--yes'))
                self.assertEqual(self.alias(fake, 'live')['FunctionVersion'], '2')
        self.assertEqual([w['operation'] for w in writes], ['UpdateAlias'])
        params = writes[0]['params']
        self.assertEqual((params['Name'], params['FunctionVersion']), ('live', '3'))
        self.assertIn('RevisionId', params)  # sent with the alias's revision, read just before
        self.assertEqual([(e['before']['FunctionVersion'], e['after']['FunctionVersion'])
                          for e in lines if e['event'] == 'send'], [('3', '2'), ('2', '3')])
        self.assertEqual([e['outcome'] for e in lines if e['event'] == 'result'],
                         ['applied', 'applied'])

    def test_journal_not_trusted_when_the_alias_changed_since(self):
        other = os.path.join(self.dir, 'someone-else.jsonl')
        with self.fake() as fake:
            self.assertOk(self.rb(fake, '--journal', self.journal, 'rollback.lua', 'my-fn:live',
                                  '--to', '2', '--yes'))
            # someone else (another journal) points live at 1 since
            self.assertOk(self.rb(fake, '--journal', other, 'rollback.lua', 'my-fn:live',
                                  '--to', '1', '--yes'))
            fake.clear_requests()
            r = self.rb(fake, '--journal', self.journal, 'rollback.lua', 'my-fn:live', '--yes')
            self.assertEqual(self.writes(fake), [])
            self.assertEqual(self.alias(fake, 'live')['FunctionVersion'], '1')
        self.assertEqual(r.code, 2, repr(r))
        self.assertIn('pointed it at 2, but it now points at 1: it was changed outside runbook',
                      r.err)
        self.assertIn('with --yes, give --to VERSION', r.err)

    def test_choose_from_the_list_on_a_terminal(self):
        with self.fake() as fake:
            r, shown = self.on_tty(fake, [(WHICH, b'9\n'), (WHICH, b'1\n'), (APPLY, b'y\n')],
                                   'rollback.lua', 'my-fn:live')
            live = self.alias(fake, 'live')
        self.assertOk(r)
        self.assertEqual(live['FunctionVersion'], '1')
        # the versions, newest first, with descriptions, the current one marked
        listed = [line.split()[0] for line in r.err.splitlines() if line.startswith('  ')
                  and line.split()[0] in ('1', '2', '3', '$LATEST')]
        self.assertEqual(listed[:4], ['3', '2', '1', '$LATEST'])
        self.assertRegex(r.err, r'\n  3 .*new parser.*<- live points here\n')
        self.assertIn("'9' is not one of the versions above", r.err)
        self.assertEqual(shown.count(WHICH), 2, shown)
        self.assertEqual(shown.count(APPLY), 1, shown)
        self.assertNotIn(b'new parser', shown)  # the list goes to stderr, the questions to the tty
        self.assertIn('version 3 -> 1', r.out)

    def test_declined_on_the_terminal_changes_nothing(self):
        with self.fake() as fake:
            r, _ = self.on_tty(fake, [(WHICH, b'2\n'), (APPLY, b'n\n')], 'rollback.lua',
                               'my-fn:live')
            self.assertEqual(self.writes(fake), [])
            self.assertEqual(self.alias(fake, 'live')['FunctionVersion'], '3')
        self.assertOk(r)
        self.assertIn('not rolled back: declined', r.out)

    def test_an_alias_changed_at_the_prompt_is_not_written(self):
        other = os.path.join(self.dir, 'someone-else.jsonl')

        def someone_else_moves_it():
            self.assertOk(self.rb(fake, '--journal', other, 'rollback.lua', 'my-fn:live', '--to',
                                  '1', '--yes'))
            fake.clear_requests()

        with self.fake() as fake:
            r, _ = self.on_tty(fake, [(WHICH, b'2\n'), (APPLY, b'y\n', someone_else_moves_it)],
                               'rollback.lua', 'my-fn:live')
            self.assertEqual(self.writes(fake), [])
            self.assertEqual(self.alias(fake, 'live')['FunctionVersion'], '1')
        self.assertEqual(r.code, 5, repr(r))
        self.assertIn('FunctionVersion is 1', r.err)
        self.assertIn('my-fn:live not rolled back', r.out)

    def test_weighted_routing_kept(self):
        with self.fake() as fake:
            r = self.rb(fake, '--journal', self.journal, 'rollback.lua', 'my-fn:canary', '--to',
                        '1', '--keep-routing', '--yes')
            canary = self.alias(fake, 'canary')
        self.assertOk(r)
        self.assertEqual(canary['FunctionVersion'], '1')
        self.assertEqual(canary['RoutingConfig'], {'AdditionalVersionWeights': {'2': 0.1}})

    def test_weighted_routing_cleared_when_the_operator_says_so(self):
        keep = b'Keep this weighted routing? [y/N] '
        with self.fake() as fake:
            r, shown = self.on_tty(fake, [(keep, b'n\n'), (APPLY, b'y\n')], 'rollback.lua',
                                   'my-fn:canary', '--to', '1')
            canary = self.alias(fake, 'canary')
            writes = self.writes(fake)
        self.assertOk(r)
        self.assertIn(b'canary sends 10% to version 2', shown)
        self.assertEqual(canary['FunctionVersion'], '1')
        self.assertNotIn('RoutingConfig', canary)
        self.assertEqual(writes[0]['params']['RoutingConfig'], {'AdditionalVersionWeights': {}})

    def test_weighted_routing_cleared_by_option(self):
        with self.fake() as fake:
            r = self.rb(fake, '--journal', self.journal, 'rollback.lua', 'my-fn:canary', '--to',
                        '1', '--clear-routing', '--yes')
            canary = self.alias(fake, 'canary')
        self.assertOk(r)
        self.assertEqual(canary['FunctionVersion'], '1')
        self.assertNotIn('RoutingConfig', canary)

    def test_routing_onto_its_own_additional_version_is_cleared(self):
        with self.fake() as fake:
            refused = self.rb(fake, 'rollback.lua', 'my-fn:canary', '--to', '2', '--keep-routing',
                              '--yes', '--journal', self.journal)
            self.assertEqual(self.writes(fake), [])
            r = self.rb(fake, 'rollback.lua', 'my-fn:canary', '--to', '2', '--yes', '--journal',
                        self.journal)
            canary = self.alias(fake, 'canary')
        self.assertOneLineError(refused, 2, 'give --clear-routing')
        self.assertOk(r)
        self.assertEqual(canary['FunctionVersion'], '2')
        self.assertNotIn('RoutingConfig', canary)

    def test_yes_without_to_is_refused(self):
        with self.fake() as fake:
            r = self.rb(fake, '--journal', self.journal, 'rollback.lua', 'my-fn:live', '--yes')
            self.assertEqual(self.writes(fake), [])
        self.assertOneLineError(r, 2, 'give --to VERSION')
        self.assertEqual(self.journal_lines(), [])

    def test_yes_on_a_weighted_alias_needs_a_routing_choice(self):
        with self.fake() as fake:
            r = self.rb(fake, '--journal', self.journal, 'rollback.lua', 'my-fn:canary', '--to',
                        '1', '--yes')
            self.assertEqual(self.writes(fake), [])
        self.assertOneLineError(r, 2, '--keep-routing or --clear-routing')

    def test_dry_run_sends_no_write(self):
        with self.fake() as fake:
            r = self.rb(fake, '--journal', self.journal, 'rollback.lua', 'my-fn:live', '--to',
                        '2', '--dry-run')
            self.assertEqual(self.writes(fake), [])
            self.assertEqual(self.alias(fake, 'live')['FunctionVersion'], '3')
        self.assertEqual(r.code, 4, repr(r))
        self.assertIn('aws lambda update-alias --function-name my-fn --name live '
                      '--function-version 2', r.err)
        self.assertEqual(self.journal_lines(), [])

    def test_no_terminal_applies_nothing(self):
        with self.fake() as fake:
            r = self.detached(fake, 'rollback.lua', 'my-fn:live', '--to', '2')
            asked = self.detached(fake, 'rollback.lua', 'my-fn:live')
            self.assertEqual(self.writes(fake), [])
        self.assertEqual(r.code, 4, repr(r))
        self.assertIn('no terminal', r.out)
        self.assertEqual(asked.code, 4, repr(asked))
        self.assertIn('give --to VERSION', asked.err)

    def test_already_there(self):
        with self.fake() as fake:
            r = self.rb(fake, '--journal', self.journal, 'rollback.lua', 'my-fn:live', '--to',
                        '3', '--yes')
            self.assertEqual(self.writes(fake), [])
        self.assertOk(r)
        self.assertIn('already points at version 3: nothing to do', r.out)

    def test_usage_and_unknown_names(self):
        cases = [
            (['my-fn'], "'my-fn' names no alias"),
            (['my-fn:live', '--keep-routing', '--clear-routing'], 'contradict'),
            (['my-fn:nope'], "function 'my-fn' has no alias 'nope' (its aliases: canary and live)"),
            (['no-such-fn:live'], "function 'no-such-fn' not found in us-east-1"),
            (['my-fn:live', '--to', '9', '--yes'], "function 'my-fn' has no version '9'"),
            (['my-fn:live', '--bogus'], "unexpected argument '--bogus'"),
        ]
        with self.fake() as fake:
            for args, needle in cases:
                with self.subTest(args=args):
                    r = self.rb(fake, '--journal', self.journal, 'rollback.lua', *args)
                    self.assertOneLineError(r, 2, needle)
            self.assertEqual(self.writes(fake), [])

    def test_help(self):
        with self.fake() as fake:
            r = self.rb(fake, 'rollback.lua', '--help')
        self.assertOk(r)
        self.assertTrue(r.out.startswith('usage: runbook rollback.lua FUNCTION:ALIAS'), r.out)
        self.assertIn('--keep-routing', r.out)


class EnableEventSourcesTest(RemediationTestCase):

    def test_reenables_a_disabled_mapping_and_undo_disables_it_again(self):
        with self.fake() as fake:
            r = self.rb(fake, '--journal', self.journal, 'enable-event-sources.lua', 'my-fn',
                        '--yes')
            self.assertOk(r)
            self.assertEqual(self.mapping(fake, ORDERS)['State'], 'Enabled')
            self.assertEqual(self.mapping(fake, AUDIT)['State'], 'Enabled')
            writes = self.writes(fake)
            self.assertEqual([(w['operation'], w['params']) for w in writes],
                             [('UpdateEventSourceMapping',
                               {'UUID': self.mapping(fake, ORDERS)['UUID'], 'Enabled': True})])
            self.assertIn('re-enabled', r.out)
            self.assertIn('PROBLEM: Function call failed', r.err)
            self.assertIn('USER_INITIATED', r.err)
            send = [e for e in self.journal_lines() if e['event'] == 'send']
            self.assertEqual((send[0]['before'], send[0]['after']),
                             ({'Enabled': False}, {'Enabled': True}))
            self.assertEqual(send[0]['undo']['params'],
                             {'UUID': self.mapping(fake, ORDERS)['UUID'], 'Enabled': False})
            if not self.undo_available(fake):
                self.skipTest('runbook undo is not built yet')
            undo = self.rb(fake, '--journal', self.journal, 'undo', '--last', '--yes')
            self.assertOk(undo)
            self.assertEqual(self.mapping(fake, ORDERS)['State'], 'Disabled')

    def test_on_a_terminal(self):
        with self.fake() as fake:
            r, shown = self.on_tty(fake, [(APPLY, b'y\n')], 'enable-event-sources.lua', 'my-fn')
            self.assertOk(r)
            self.assertEqual(self.mapping(fake, ORDERS)['State'], 'Enabled')
        self.assertEqual(shown.count(APPLY), 1, shown)

    def test_a_mapping_changed_at_the_prompt_is_not_written(self):
        other = os.path.join(self.dir, 'someone-else.jsonl')

        def someone_else_enables_it():
            self.assertOk(self.rb(fake, '--journal', other, 'enable-event-sources.lua', 'my-fn',
                                  '--yes'))
            fake.clear_requests()

        with self.fake() as fake:
            r, _ = self.on_tty(fake, [(APPLY, b'y\n', someone_else_enables_it)],
                               'enable-event-sources.lua', 'my-fn')
            self.assertEqual(self.writes(fake), [])
        self.assertEqual(r.code, 5, repr(r))
        self.assertIn("state changed since it was confirmed: Enabled is true", r.err)
        self.assertIn('not re-enabled', r.out)

    def test_dry_run_and_no_terminal_send_no_write(self):
        with self.fake() as fake:
            dry = self.rb(fake, '--journal', self.journal, 'enable-event-sources.lua', 'my-fn',
                          '--dry-run')
            none = self.detached(fake, 'enable-event-sources.lua', 'my-fn')
            self.assertEqual(self.writes(fake), [])
            self.assertEqual(self.mapping(fake, ORDERS)['State'], 'Disabled')
        self.assertEqual((dry.code, none.code), (4, 4), (dry, none))
        self.assertIn('aws lambda update-event-source-mapping --uuid ', dry.err)
        self.assertEqual(self.journal_lines(), [])

    def test_nothing_disabled(self):
        with self.fake() as fake:
            self.assertOk(self.rb(fake, '--journal', self.journal, 'enable-event-sources.lua',
                                  'my-fn', '--yes'))
            fake.clear_requests()
            r = self.rb(fake, '--journal', self.journal, 'enable-event-sources.lua', 'my-fn',
                        '--yes')
            self.assertEqual(self.writes(fake), [])
        self.assertOk(r)
        self.assertIn('my-fn has no disabled event source mapping (2 mappings, none Disabled)',
                      r.out)

    def test_uuid_selects_one_mapping(self):
        with self.fake() as fake:
            audit = self.mapping(fake, AUDIT)['UUID']
            r = self.rb(fake, '--journal', self.journal, 'enable-event-sources.lua', 'my-fn',
                        '--uuid', audit, '--yes')
            unknown = self.rb(fake, '--journal', self.journal, 'enable-event-sources.lua',
                              'my-fn', '--uuid', 'nope', '--yes')
            self.assertEqual(self.writes(fake), [])
        self.assertOk(r)
        self.assertIn('is Enabled: nothing to re-enable', r.out)
        self.assertOneLineError(unknown, 2, "function 'my-fn' has no event source mapping 'nope'")

    def test_usage(self):
        with self.fake() as fake:
            missing = self.rb(fake, 'enable-event-sources.lua')
            unknown = self.rb(fake, 'enable-event-sources.lua', 'no-such-fn', '--yes')
            helped = self.rb(fake, 'enable-event-sources.lua', '--help')
        self.assertOneLineError(missing, 2, 'give the function')
        self.assertOneLineError(unknown, 2, "function 'no-such-fn' not found")
        self.assertOk(helped)
        self.assertTrue(helped.out.startswith('usage: runbook enable-event-sources.lua FUNCTION'))


if __name__ == '__main__':
    unittest.main()
