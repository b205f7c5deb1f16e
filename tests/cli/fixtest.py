"""Shared helpers for the `triage.lua FN --fix` tests (test_fix_prompt_cli, test_fix_apply_cli).

Runs the real binary against the fake AWS in one of two ways:
  - detached: a new session with no controlling terminal at all (stdin /dev/null), so
    that "no terminal" really means none, even when the tests run from a shell;
  - on a terminal: a new pseudo-terminal becomes the process's controlling terminal (as
    tests/cli/test_confirm_cli.py does); stdout and stderr stay separate pipes, so a test
    sees what went to the report (stdout), to the operator (stderr) and to the terminal
    (the prompts). Each answer is typed after the next "Apply?" prompt appears; an answer
    may be a callable (run first, with the fake, at that moment) or SIGINT.
Every run writes its journal to a scratch file (--journal), never to the developer's own.
"""

import json
import os
import pty
import select
import signal
import subprocess
import time
import fcntl
import termios

from clitest import CliTestCase, Result, BIN

HOOKS_BIN = os.path.join(os.path.dirname(BIN), 'runbook_testhooks')
PROMPT = b'Apply? [y/N/a/q] '
# Operations that change something: what a fix may send and a triage never does.
WRITE_PREFIXES = ('Update', 'Put', 'Add', 'Remove', 'Attach', 'Detach', 'Delete', 'Create',
                  'Publish', 'Tag', 'Untag')


def is_write(request):
    return bool(request.get('operation')) and request['operation'].startswith(WRITE_PREFIXES)


# A world of one function with two fixable findings from two team steps (TEAM_STEPS), so that
# the prompt tests do not depend on what the built-in fixes propose. Its credentials carry a
# session token and its function environment values that must never reach the journal.
SECRET_KEY = 'fixtestSECRETkeyVALUEthatMUSTneverLEAK0000'
SESSION_TOKEN = 'fixtestSESSIONtokenVALUEthatMUSTneverLEAK'
ENV_VALUES = {'DB_PASSWORD': 'env-value-hunter2-never-journaled',
              'API_TOKEN': 'env-value-tok-0042-never-journaled'}
TEAM_ARN = 'arn:aws:sts::123456789012:assumed-role/ops/alice'
TEAM_WORLD = {
    'description': 'team-fn: 128 MB and a 3 s timeout, below two team floors',
    'account_id': '123456789012', 'region': 'us-east-1',
    'credentials': [{'access_key_id': 'AKIDFIXTESTEXAMPLE01', 'secret_access_key': SECRET_KEY,
                     'session_token': SESSION_TOKEN, 'expires': '+6h', 'arn': TEAM_ARN}],
    'lambda': {'functions': {'team-fn': {'configuration': {
        'MemorySize': 128, 'Timeout': 3, 'Environment': {'Variables': ENV_VALUES}}}}},
}
TEAM_STEP = '''-- {id}: a team floor for {field} (a fixable finding for the --fix tests).
local actions = require("fix.actions")
local step = require("triage.step")

return step.define{{
  id = "{id}", title = "{field} floor", description = "{field} at least {floor}",
  tags = {{ "team" }}, fixes = {{ "lambda UpdateFunctionConfiguration" }},
  needs = {{ "config" }},
  run = function(ctx, ev)
    local cfg = ev.config
    if cfg.{field} >= {floor} then
      return ctx:finding{{ severity = "ok", title = "{field} at or above {floor}" }}
    end
    local fn = {{ name = ctx.function_name, qualifier = ctx.qualifier }}
    ctx:finding{{
      severity = "warn", title = ("{field} %d is below the team's {floor}"):format(cfg.{field}),
      fix = {{
        explain = "raise {field} to {floor}",
        plan = {{ actions.update_configuration(fn, cfg, {{ {field} = {floor} }}) }},
        verify = {{ actions.verify_field(fn, "{field}", ">=", {floor}) }},
      }},
    }}
  end,
}}
'''
TEAM_STEPS = {'team_memory': ('MemorySize', 256), 'team_timeout': ('Timeout', 10)}


class Interrupt:
    """An answer that is no answer: SIGINT to the process at the prompt (Ctrl-C)."""


class FixTestCase(CliTestCase):

    def setUp(self):
        super().setUp()
        self.journal = os.path.join(self.dir, 'journal.jsonl')

    def args(self, function, *extra, core=()):
        return (['--journal', self.journal] + list(core) + ['triage.lua', function]
                + list(extra))

    def team_plugins(self):
        """A --plugins directory with the TEAM_STEPS. -> (core options, triage options):
        the directory, and the selection of only those steps."""
        for id_, (field, floor) in TEAM_STEPS.items():
            self.write(os.path.join('team', 'steps', id_ + '.lua'),
                       TEAM_STEP.format(id=id_, field=field, floor=floor))
        return ['--plugins', os.path.join(self.dir, 'team')], ['--steps', 'team']

    def detached(self, fake, function, *extra, core=(), binary=None, timeout=120):
        """A triage with no controlling terminal (a new session that opens none)."""
        proc = subprocess.run([binary or BIN] + self.args(function, *extra, core=core),
                              env=self.env_for(fake), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout,
                              start_new_session=True)
        return Result(proc)

    def on_tty(self, fake, function, answers, *extra, core=(), argv=None, timeout=90,
               typed_ahead=b''):
        """Runs a triage with a new pty as its controlling terminal; answers[i] is typed
        after the (i+1)-th prompt (typed_ahead: before the run starts). -> (Result, what
        the terminal showed, prompts seen)."""
        master, slave = pty.openpty()
        name = os.ttyname(slave)
        if typed_ahead:
            os.write(master, typed_ahead)

        def take_terminal():
            os.setsid()
            fd = os.open(name, os.O_RDWR)
            fcntl.ioctl(fd, termios.TIOCSCTTY, 0)
            os.close(fd)

        cmd = [BIN] + (argv if argv is not None else self.args(function, *extra, core=core))
        proc = subprocess.Popen(cmd, env=self.env_for(fake), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                preexec_fn=take_terminal)
        out_chunks, err_chunks = [], []
        streams = {proc.stdout.fileno(): out_chunks, proc.stderr.fileno(): err_chunks}
        shown, sent = b'', 0
        deadline = time.time() + timeout
        try:
            while time.time() < deadline and (streams or proc.poll() is None):
                fds = [master] + list(streams)
                ready, _, _ = select.select(fds, [], [], 0.1)
                for fd in ready:
                    try:
                        data = os.read(fd, 65536)
                    except OSError:
                        data = b''
                    if fd == master:
                        shown += data
                    elif data:
                        streams[fd].append(data)
                    else:
                        del streams[fd]
                if sent < len(answers) and shown.count(PROMPT) > sent:
                    answer = answers[sent]
                    sent += 1
                    if answer is Interrupt:
                        os.kill(proc.pid, signal.SIGINT)
                        continue
                    if callable(answer):
                        answer = answer(fake)
                    os.write(master, answer)
                if not ready and proc.poll() is not None and not streams:
                    break
            proc.wait(timeout=max(1, deadline - time.time()))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
            os.close(master)
            os.close(slave)
        done = subprocess.CompletedProcess(cmd, proc.returncode,
                                           b''.join(out_chunks).decode('utf-8', 'replace'),
                                           b''.join(err_chunks).decode('utf-8', 'replace'))
        return Result(done), shown, shown.count(PROMPT)

    # what the fake saw and the journal holds ----------------------------------------------

    def writes(self, fake):
        return [r for r in fake.requests() if is_write(r)]

    def journal_text(self):
        if not os.path.exists(self.journal):
            return ''
        with open(self.journal, encoding='utf-8') as fh:
            return fh.read()

    def journal_lines(self):
        return [json.loads(line) for line in self.journal_text().splitlines()]

    def entries(self):
        """One record per write: its send line merged with its result line (if any)."""
        out = {}
        for line in self.journal_lines():
            rec = out.setdefault(line['entry'], {})
            if line['event'] == 'send':
                rec.update(line)
                rec['sent'] = True
            else:
                rec.update({k: v for k, v in line.items() if k != 'event'})
                rec.setdefault('sent', False)
        return sorted(out.values(), key=lambda e: int(e['entry'].rsplit('.', 1)[1]))

    @staticmethod
    def findings(doc, step=None):
        return [f for s in doc['steps'] if step is None or s['id'] == step
                for f in s['findings']]

    @staticmethod
    def fixable(doc, step=None):
        return [f for f in FixTestCase.findings(doc, step)
                if f.get('fix') and f['fix'].get('plan')]

    @staticmethod
    def function_config(fake, function):
        return fake.world_state()['lambda']['functions'][function]['configuration']
