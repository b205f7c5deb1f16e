"""`runbook triage.lua FN --fix`: what applying guarantees, through the real binary.

Against the fake AWS (its request log and world are the ground truth):
  - a change made between the triage and the answer is detected and nothing is sent;
  - RevisionId is sent with the writes that take one, and a PreconditionFailed ends the fix
    as failed, journaled;
  - a plan that fails half-way is journaled step by step and says how to undo what went
    through (exit 5);
  - the journal is 0600, one JSON object per line with every field, and never holds the
    secret key, the session token or a value of the function's environment;
  - a plan changed after approval, a write outside any approved plan, and a triage step
    that tries to apply a fix itself are all refused with no request sent;
  - each built-in fix the test worlds offer changes the world exactly in the fields its
    plan names, and a later triage no longer reports the finding at that severity;
  - the rendered `aws` commands, run with the real aws CLI, make the same change runbook
    makes (tests/cli/test_fix_render_cli.py runs the CLI the same way).
"""

import json
import os
import re
import signal
import stat
import subprocess
import time
import unittest

import botocore.config
import botocore.session

from clitest import fake_aws, HERE, Result, BIN
from fixtest import (FixTestCase, HOOKS_BIN, TEAM_WORLD, SECRET_KEY, SESSION_TOKEN,
                     ENV_VALUES, TEAM_ARN)

AWS_CLI = '/usr/bin/aws'
GUARDS = os.path.join(HERE, 'scripts', 'fix_apply_guards.lua')
NEW_ENV_VALUE = 'env-value-new-debug-never-journaled'
# A team step whose fix rewrites the function's environment (adds LOG_LEVEL).
ENV_STEP = '''-- team_env: the function must log at a team level (a fix that rewrites Environment).
local actions = require("fix.actions")
local step = require("triage.step")

return step.define{
  id = "team_env", title = "Log level", description = "LOG_LEVEL is set",
  tags = { "team" }, fixes = { "lambda UpdateFunctionConfiguration" }, needs = { "config" },
  run = function(ctx, ev)
    local vars = {}
    for k, v in pairs((ev.config.Environment or {}).Variables or {}) do vars[k] = v end
    if vars.LOG_LEVEL then return ctx:finding{ severity = "ok", title = "LOG_LEVEL set" } end
    vars.LOG_LEVEL = "%s"
    local fn = { name = ctx.function_name }
    ctx:finding{ severity = "warn", title = "LOG_LEVEL is not set",
      fix = { explain = "set LOG_LEVEL",
              plan = { actions.update_configuration(fn, ev.config,
                                                    { Environment = { Variables = vars } }) } } }
  end,
}
''' % NEW_ENV_VALUE
# Team steps that try to apply a fix from inside the triage.
ROGUE_STEPS = {
    'rogue_offer': '''
    local remedy = require("runbook.remedy")
    local p = remedy.plan{ fix = { plan = { actions.update_configuration(fn, ev.config,
      { Timeout = 60 }) } }, title = "rogue", ["function"] = fn.name }
    remedy.offer(p)''',
    'rogue_apply': '''
    local remedy = require("runbook.remedy")
    local p = remedy.plan{ fix = { plan = { actions.update_configuration(fn, ev.config,
      { Timeout = 61 }) } }, title = "rogue", ["function"] = fn.name }
    remedy.confirm(p)
    remedy.apply(p)''',
    'rogue_write': '''
    local aws = require("runbook.aws")
    local _, err = aws.call("lambda", "UpdateFunctionConfiguration",
      { FunctionName = fn.name, Timeout = 62 })
    error(err and err.code or "the write went through")''',
}
ROGUE_STEP = '''-- {id}: a step that tries to change the function itself (it must be refused).
local actions = require("fix.actions")
local step = require("triage.step")

return step.define{{
  id = "{id}", title = "{id}", description = "tries a write", tags = {{ "rogue" }},
  needs = {{ "config" }},
  run = function(ctx, ev)
    local fn = {{ name = ctx.function_name }}
    {body}
    ctx:finding{{ severity = "ok", title = "nothing was refused" }}
  end,
}}
'''


def team_lambda(fake):
    """A botocore client for the fake with TEAM_WORLD's credentials (someone else's change)."""
    cred = TEAM_WORLD['credentials'][0]
    return botocore.session.get_session().create_client(
        'lambda', endpoint_url=fake.url, region_name='us-east-1',
        aws_access_key_id=cred['access_key_id'], aws_secret_access_key=cred['secret_access_key'],
        aws_session_token=cred['session_token'],
        config=botocore.config.Config(retries={'total_max_attempts': 1}))


def shape(title):
    return re.sub(r'\d+', '#', title)


class FixApplyTest(FixTestCase):

    def team_yes(self, fake, *extra, steps=None):
        core, select = self.team_plugins()
        if steps:
            select = ['--steps', steps]
        return self.detached(fake, 'team-fn', *select, *extra, core=core + ['--yes'])

    # (a) a change between the triage and the answer --------------------------------------

    def test_a_change_made_before_the_answer_is_detected_and_nothing_is_sent(self):
        core, select = self.team_plugins()
        mine = []

        def change_then_yes(fake):
            client = team_lambda(fake)
            try:
                mine.append(client.update_function_configuration(FunctionName='team-fn',
                                                                 Timeout=5))
            finally:
                client.close()
            return b'y\n'

        with fake_aws(TEAM_WORLD) as fake:
            r, shown, prompts = self.on_tty(fake, 'team-fn', [change_then_yes], *select,
                                            '--fix=team_timeout', '--format', 'json', core=core)
            writes = self.writes(fake)
            cfg = self.function_config(fake, 'team-fn')
        self.assertEqual(prompts, 1, shown)
        self.assertEqual(len(mine), 1)
        self.assertEqual([(w['operation'], w['params'].get('Timeout')) for w in writes],
                         [('UpdateFunctionConfiguration', 5)], 'only our own change was sent')
        self.assertEqual(cfg['Timeout'], 5)
        [f] = self.fixable(r.json(), 'team_timeout')
        outcome = f['fix']['outcome']
        self.assertEqual(outcome['status'], 'stale', outcome)
        self.assertEqual(outcome['applied'], 0)
        self.assertIn('Timeout is 5, the plan expected 3', r.err)
        self.assertIn('Timeout is 5, the plan expected 3', json.dumps(outcome['changed']))
        self.assertEqual([e['outcome'] for e in self.entries()], ['not_sent'])
        self.assertFalse([line for line in self.journal_lines() if line['event'] == 'send'])

    def test_a_re_read_that_fails_is_a_failure_not_a_change(self):
        # the triage's own read goes through; the re-read before the offer is refused
        refused = {'service': 'lambda', 'operation': 'GetFunctionConfiguration',
                   'kind': 'access_denied', 'skip': 1}
        with fake_aws(TEAM_WORLD, faults=[refused]) as fake:
            r = self.team_yes(fake, '--fix=team_timeout', '--format', 'json')
            writes = self.writes(fake)
        self.assertEqual(writes, [])
        self.assertEqual(r.code, 5, repr(r))
        [f] = self.fixable(r.json(), 'team_timeout')
        outcome = f['fix']['outcome']
        self.assertEqual(outcome['status'], 'failed', outcome)
        self.assertIn('could not re-read it: AccessDeniedException', outcome['changed'][0])
        self.assertIn('could not be re-read', r.err)
        self.assertNotIn('changed since the triage', r.err)

    # (b) RevisionId and PreconditionFailed ------------------------------------------------

    def test_revision_id_is_sent_with_update_function_configuration(self):
        with fake_aws(TEAM_WORLD) as fake:
            revision = self.function_config(fake, 'team-fn')['RevisionId']
            r = self.team_yes(fake, '--fix=team_timeout')
            [write] = self.writes(fake)
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual(write['operation'], 'UpdateFunctionConfiguration')
        self.assertEqual(write['params']['RevisionId'], revision)
        self.assertEqual(self.entries()[0]['params']['RevisionId'], revision)

    def test_revision_id_is_sent_with_add_permission(self):
        with fake_aws('forbidden') as fake:
            got = self.rb(fake, 'call', 'lambda', 'GetPolicy',
                          json.dumps({'FunctionName': 'checkout-fn'}))
            self.assertOk(got)
            revision = got.json()['RevisionId']
            r = self.detached(fake, 'checkout-fn', '--steps', 'forbidden', '--fix=forbidden',
                              core=['--yes'])
            adds = [w for w in self.writes(fake) if w['operation'] == 'AddPermission']
        self.assertEqual(len(adds), 1, repr(r))
        self.assertEqual(adds[0]['params']['RevisionId'], revision)
        self.assertTrue(200 <= adds[0]['status'] < 300, adds[0])

    def test_precondition_failed_ends_the_fix_as_failed(self):
        fault = {'service': 'lambda', 'operation': 'UpdateFunctionConfiguration',
                 'kind': 'error', 'code': 'PreconditionFailedException', 'status': 412,
                 'message': 'The Revision Id provided does not match the latest Revision Id.'}
        with fake_aws(TEAM_WORLD, faults=[fault]) as fake:
            r = self.team_yes(fake, '--fix=team_timeout', '--format', 'json')
            cfg = self.function_config(fake, 'team-fn')
        self.assertEqual(r.code, 5, repr(r))
        self.assertEqual(cfg['Timeout'], 3)
        [f] = self.fixable(r.json(), 'team_timeout')
        outcome = f['fix']['outcome']
        self.assertEqual(outcome['status'], 'failed')
        self.assertEqual(outcome['error']['code'], 'PreconditionFailedException')
        self.assertIn('PreconditionFailedException', outcome['reason'])
        self.assertIn('step 1 of 1 (lambda UpdateFunctionConfiguration) failed: '
                      'PreconditionFailedException', r.err)
        [entry] = self.entries()
        self.assertEqual(entry['outcome'], 'failed')
        self.assertEqual(entry['error']['code'], 'PreconditionFailedException')

    # (c) a plan that fails half-way -------------------------------------------------------

    def test_a_failure_on_the_second_call_is_journaled_and_says_how_to_undo(self):
        fault = {'service': 'lambda', 'operation': 'UpdateFunctionConfiguration',
                 'kind': 'internal', 'count': 50}
        with fake_aws('timeout', faults=[fault]) as fake:
            r = self.detached(fake, 'report-builder', '--steps', 'timeout', '--fix=timeout',
                              core=['--yes'])
            world = fake.world_state()
            role = world['iam']['roles']['report-builder-role']
            cfg = world['lambda']['functions']['report-builder']['configuration']
            self.assertEqual(r.code, 5, repr(r))
            entries = self.entries()
            self.assertEqual([(e['step'], e['operation'], e['outcome']) for e in entries],
                             [(1, 'AttachRolePolicy', 'applied'),
                              (2, 'UpdateFunctionConfiguration', 'failed')])
            self.assertEqual(entries[1]['error']['code'], 'ServiceException')
            self.assertIn('arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess',
                          role['attached_policies'])
            self.assertEqual(cfg['Timeout'], 3)
            run = entries[0]['run']
            self.assertIn('step 2 of 2 (lambda UpdateFunctionConfiguration) failed: '
                          'ServiceException', r.err)
            self.assertRegex(r.err, r'applied: step 1[;,]')
            self.assertIn('runbook undo --run ' + run, r.err)
            self.assertIn('[timeout] ', r.out)
            # the advice works: undo takes back exactly what went through
            undo = subprocess.run([BIN, '--journal', self.journal, '--yes', 'undo', '--run', run],
                                  env=self.env_for(fake), stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=120,
                                  start_new_session=True)
            self.assertEqual(undo.returncode, 0, undo.stdout + undo.stderr)
            role = fake.world_state()['iam']['roles']['report-builder-role']
            self.assertNotIn('arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess',
                             role['attached_policies'])

    def test_ctrl_c_while_a_write_is_in_flight_journals_how_it_ended(self):
        core, select = self.team_plugins()
        slow = {'service': 'lambda', 'operation': 'UpdateFunctionConfiguration',
                'kind': 'delay', 'delay_ms': 2000}
        with fake_aws(TEAM_WORLD, faults=[slow]) as fake:
            proc = subprocess.Popen(
                [BIN] + self.args('team-fn', *select, '--fix=team_timeout', '--format', 'json',
                                  core=core + ['--yes']),
                env=self.env_for(fake), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, start_new_session=True)
            try:
                deadline = time.time() + 30
                while '"sending"' not in self.journal_text() and time.time() < deadline:
                    time.sleep(0.05)
                time.sleep(0.3)  # the request is with the fake, its answer 2 s away
                proc.send_signal(signal.SIGINT)
                out, err = proc.communicate(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            cfg = self.function_config(fake, 'team-fn')
        out, err = out.decode(), err.decode()
        self.assertEqual(proc.returncode, 130, err)
        self.assertNotIn('stack traceback', err)
        # the write went through: the journal and the report say so, with the way back
        self.assertEqual(cfg['Timeout'], 10)
        [entry] = self.entries()
        self.assertEqual(entry['outcome'], 'applied')
        doc = json.loads(out)
        [f] = self.fixable(doc, 'team_timeout')
        self.assertEqual(f['fix']['outcome']['status'], 'applied', f['fix']['outcome'])
        self.assertIn('interrupted', f['fix']['outcome']['reason'])
        self.assertEqual(doc['fixes']['run'], entry['run'])

    # (d) the journal ----------------------------------------------------------------------

    def test_the_journal_is_private_complete_and_never_holds_a_secret(self):
        core, _ = self.team_plugins()
        self.write(os.path.join('team', 'steps', 'team_env.lua'), ENV_STEP)
        with fake_aws(TEAM_WORLD) as fake:
            r = self.detached(fake, 'team-fn', '--steps', 'team', '--fix', '--format', 'json',
                              core=core + ['--yes'])
            cfg = self.function_config(fake, 'team-fn')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual(cfg['Environment']['Variables'],
                         dict(ENV_VALUES, LOG_LEVEL=NEW_ENV_VALUE))
        self.assertEqual(stat.S_IMODE(os.stat(self.journal).st_mode), 0o600)
        text = self.journal_text()
        for secret in [SECRET_KEY, SESSION_TOKEN, NEW_ENV_VALUE] + list(ENV_VALUES.values()):
            self.assertNotIn(secret, text)
            self.assertNotIn(secret, r.out + r.err)
        lines = self.journal_lines()  # every line parses
        self.assertEqual(len(lines), 6)  # three writes, each a send and a result line
        for line in lines:
            self.assertIn(line['event'], ('send', 'result'))
            self.assertTrue(line['time'] and line['entry'] and line['run'], line)
        entries = self.entries()
        self.assertEqual(sorted(e['finding']['step'] for e in entries),
                         ['team_env', 'team_memory', 'team_timeout'])
        for e in entries:
            self.assertEqual(e['outcome'], 'applied', e)
            self.assertEqual((e['identity'], e['account'], e['region'], e['function']),
                             (TEAM_ARN, '123456789012', 'us-east-1', 'team-fn'))
            self.assertRegex(e['plan_hash'], r'^[0-9a-f]{64}$')
            self.assertEqual(e['operation'], 'UpdateFunctionConfiguration')
            for field in ('time', 'finding', 'params', 'before', 'after', 'request_id'):
                self.assertTrue(e.get(field), (field, e))
        [env] = [e for e in entries if e['finding']['step'] == 'team_env']
        self.assertEqual(sorted(env['params']['Environment']['Variables']),
                         ['API_TOKEN', 'DB_PASSWORD', 'LOG_LEVEL'])

    def test_no_write_is_sent_when_the_journal_cannot_be_written(self):
        self.write('journal.jsonl', '', mode=0o644)  # refused: others could read it
        with fake_aws(TEAM_WORLD) as fake:
            r = self.team_yes(fake, '--fix')
            writes = self.writes(fake)
        self.assertEqual(writes, [], repr(r))
        self.assertEqual(r.code, 3, repr(r))
        self.assertIn('chmod 600', r.err)
        self.assertEqual(self.journal_text(), '')

    # (e) a plan changed after approval; a write outside any plan --------------------------

    def test_a_plan_changed_after_approval_and_an_undeclared_write_are_refused(self):
        with fake_aws(TEAM_WORLD) as fake:
            proc = subprocess.run([HOOKS_BIN, '--journal', self.journal, '--yes',
                                   '--test-core-script', GUARDS],
                                  env=self.env_for(fake), stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=60,
                                  start_new_session=True)
            writes = self.writes(fake)
        r = Result(proc)
        self.assertEqual(r.code, 0, repr(r))
        got = {line.split('\t')[0]: line.split('\t')[1:] for line in r.out.splitlines()}
        self.assertEqual(got['confirm'], ['yes'])
        for case in ('edited-params', 'added-step'):
            self.assertEqual(got[case][:2], ['refused', '0'], (case, r.out))
            self.assertIn('changed after it was confirmed', got[case][2])
        self.assertEqual(got['unconfirmed'][0], 'refused')
        self.assertEqual(got['undeclared'][0], 'refused WriteRefused')
        self.assertEqual(writes, [], 'the fake saw no write')
        self.assertEqual(self.journal_text(), '')

    # (f) a triage step cannot apply a fix -------------------------------------------------

    def test_a_step_that_tries_to_apply_a_fix_is_refused(self):
        for id_, body in ROGUE_STEPS.items():
            self.write(os.path.join('rogue', 'steps', id_ + '.lua'),
                       ROGUE_STEP.format(id=id_, body=body))
        with fake_aws(TEAM_WORLD) as fake:
            r = self.detached(fake, 'team-fn', '--steps', 'rogue', '--fix', '--format', 'json',
                              core=['--plugins', os.path.join(self.dir, 'rogue'), '--yes'])
            writes = self.writes(fake)
        self.assertEqual(writes, [], repr(r))
        doc = r.json()
        self.assertEqual(sorted(s['id'] for s in doc['steps']), sorted(ROGUE_STEPS))
        for s in doc['steps']:
            [f] = s['findings']
            self.assertEqual(f['severity'], 'error', (s['id'], f))
        text = json.dumps(doc)
        self.assertIn('a triage step cannot apply a fix', text)
        self.assertIn('WriteRefused', text)
        self.assertEqual(self.journal_text(), '')

    # (g) each built-in fix changes the world as planned, and a later triage agrees --------

    def planned_state(self, world, fn, step):
        """What the world holds now for the fields plan step `step` changes."""
        op, params = step['operation'], step['params']
        lam = world['lambda']['functions'].get(params.get('FunctionName', fn), {})
        if op == 'UpdateFunctionConfiguration':
            return {k: lam['configuration'].get(k) for k in step['after']}
        if op == 'AttachRolePolicy':
            role = world['iam']['roles'][params['RoleName']]
            return params['PolicyArn'] in role['attached_policies']
        if op == 'PutRolePolicy':
            role = world['iam']['roles'][params['RoleName']]
            return role['inline_policies'].get(params['PolicyName'])
        if op == 'AddPermission':
            return [s for s in (lam.get('policy') or {}).get('Statement', [])
                    if s['Sid'] == params['StatementId']]
        if op in ('PutFunctionConcurrency', 'DeleteFunctionConcurrency'):
            return lam.get('reserved_concurrency')
        self.fail('no check for %s: add one' % op)

    def assertPlanned(self, before, after, fn, step):
        """The world moved from the plan step's `before` to its `after`."""
        op, params = step['operation'], step['params']
        now = self.planned_state(after, fn, step)
        self.assertNotEqual(self.planned_state(before, fn, step), now, op)
        if op == 'UpdateFunctionConfiguration':
            self.assertEqual(now, step['after'])
        elif op == 'AttachRolePolicy':
            self.assertTrue(now)
        elif op == 'PutRolePolicy':
            self.assertEqual(now, json.loads(params['PolicyDocument']))
        elif op == 'AddPermission':
            self.assertEqual(len(now), 1)
            self.assertEqual(now[0]['Action'], params['Action'])
            if params.get('SourceArn'):
                self.assertEqual(now[0]['Condition']['ArnLike']['AWS:SourceArn'],
                                 params['SourceArn'])
        elif op == 'PutFunctionConcurrency':
            self.assertEqual(now, params['ReservedConcurrentExecutions'])
        elif op == 'DeleteFunctionConcurrency':
            self.assertIsNone(now)

    def test_each_builtin_fix_changes_the_world_as_planned_and_clears_its_finding(self):
        cases = [('timeout', 'report-builder', 'timeout'), ('oom', 'image-resizer', 'timeout'),
                 ('basic', 'my-fn', 'timeout'), ('forbidden', 'checkout-fn', 'forbidden'),
                 ('access_denied', 'notify-fn', 'access_denied'),
                 ('throttle', 'checkout-fn', 'throttle')]
        for world_name, fn, step_id in cases:
            with self.subTest(world=world_name, step=step_id), fake_aws(world_name) as fake:
                if os.path.exists(self.journal):
                    os.unlink(self.journal)
                before = fake.world_state()
                r = self.detached(fake, fn, '--steps', step_id, '--fix=' + step_id,
                                  '--format', 'json', core=['--yes'])
                after = fake.world_state()
                applied = [f for f in self.fixable(r.json(), step_id)
                           if f['fix']['outcome']['status'] != 'manual']
                self.assertTrue(applied, repr(r))
                sent = []
                for f in applied:
                    self.assertIn(f['fix']['outcome']['status'], ('applied', 'verified'),
                                  json.dumps(f['fix']['outcome']))
                    for s in f['fix']['plan']:
                        self.assertPlanned(before, after, fn, s)
                        sent.append(s['operation'])
                self.assertEqual([w['operation'] for w in self.writes(fake)], sent)
                # nothing else of the function's configuration moved
                keep = ('RevisionId', 'LastModified', 'LastUpdateStatus',
                        'LastUpdateStatusReason', 'LastUpdateStatusReasonCode')
                planned = {k for f in applied for s in f['fix']['plan']
                           if s['operation'] == 'UpdateFunctionConfiguration' for k in s['after']}
                old = before['lambda']['functions'][fn]['configuration']
                new = after['lambda']['functions'][fn]['configuration']
                for k in set(old) | set(new):
                    if k not in planned and k not in keep:
                        self.assertEqual(old.get(k), new.get(k), k)
                # healthy traffic since the fix; a triage of the time since no longer reports it
                fake.traffic(fn, invocations=5, duration_ms=200, max_memory_mb=60)
                since = self.entries()[0]['time']
                time.sleep(1.1)  # a window from the second of the fix that is not empty
                again = self.detached(fake, fn, '--steps', step_id, '--since', since,
                                      '--format', 'json')
                self.assertIn(again.code, (0, 1), repr(again))
                now = {(f['severity'], shape(f['title']))
                       for f in self.findings(again.json(), step_id)}
                for f in applied:
                    self.assertNotIn((f['severity'], shape(f['title'])), now, again.out)

    # (h) the rendered commands, run with the aws CLI, make the same change ----------------

    def run_commands(self, fake, commands):
        env = self.env_for(fake)
        env.update({'AWS_DEFAULT_REGION': env['AWS_REGION'], 'AWS_PAGER': '',
                    'AWS_CONFIG_FILE': os.path.join(self.dir, 'config'),
                    'AWS_SHARED_CREDENTIALS_FILE': os.path.join(self.dir, 'credentials')})
        prelude = 'aws() { %s --endpoint-url "$FAKE_AWS_URL" --no-cli-pager "$@"; }\n' % AWS_CLI
        proc = subprocess.run(['/bin/sh', '-c', prelude + 'set -e\n' + '\n'.join(commands)],
                              env=env, capture_output=True, text=True, timeout=180,
                              stdin=subprocess.DEVNULL)
        self.assertEqual(proc.returncode, 0, '%s\n%s' % (commands, proc.stderr))

    def same_change(self, world, fn, select, core=()):
        """The plans of a dry run, applied by the aws CLI on one fake and by runbook on
        another: both worlds must hold the same planned fields."""
        with fake_aws(world) as by_cli:
            dry = self.detached(by_cli, fn, *select, '--fix', '--format', 'json',
                                core=list(core) + ['--dry-run'])
            fixes = self.fixable(dry.json())
            self.assertTrue(fixes, repr(dry))
            commands = []
            for f in fixes:
                commands += f['fix']['commands'][:len(f['fix']['plan'])]
            self.assertTrue(all(c.startswith('aws ') for c in commands), commands)
            before = by_cli.world_state()
            self.run_commands(by_cli, commands)
            cli_world = by_cli.world_state()
            cli_writes = [w['operation'] for w in self.writes(by_cli)]
        with fake_aws(world) as by_runbook:
            r = self.detached(by_runbook, fn, *select, '--fix', '--format', 'json',
                              core=list(core) + ['--yes'])
            self.assertIn(r.code, (0, 1), repr(r))
            rb_world = by_runbook.world_state()
            rb_writes = [w['operation'] for w in self.writes(by_runbook)]
        self.assertEqual(cli_writes, rb_writes)
        for f in fixes:
            for s in f['fix']['plan']:
                self.assertPlanned(before, cli_world, fn, s)
                self.assertEqual(self.planned_state(cli_world, fn, s),
                                 self.planned_state(rb_world, fn, s), s['operation'])
        return commands

    @unittest.skipUnless(os.access(AWS_CLI, os.X_OK), 'needs the aws CLI at /usr/bin/aws')
    def test_rendered_commands_make_the_same_change_as_runbook(self):
        core, select = self.team_plugins()
        commands = self.same_change(TEAM_WORLD, 'team-fn', select, core)
        self.assertEqual(commands, [
            'aws lambda update-function-configuration --function-name team-fn --memory-size 256',
            'aws lambda update-function-configuration --function-name team-fn --timeout 10'])
        commands = self.same_change('timeout', 'report-builder', ['--steps', 'timeout'])
        self.assertEqual([c.split()[:3] for c in commands],
                         [['aws', 'iam', 'attach-role-policy'],
                          ['aws', 'lambda', 'update-function-configuration']])


if __name__ == '__main__':
    unittest.main()
