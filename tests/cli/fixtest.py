"""Shared helpers for the `triage.lua FN --fix` tests (test_fix_prompt_cli, test_fix_apply_cli).

Runs the real binary against the fake AWS in one of two ways:
  - detached: a new session with no controlling terminal at all (stdin /dev/null), so
    that "no terminal" really means none, even when the tests run from a shell;
  - on a terminal: a new pseudo-terminal becomes the process's controlling terminal
    (ptyrun.run_on_tty, the driver the terminal tests share); stdout and stderr stay
    separate pipes, so a test sees what went to the report (stdout), to the operator
    (stderr) and to the terminal (the prompts). Each answer is typed after the next
    "Apply?" prompt appears; an answer may be a callable (run first, with the fake, at
    that moment) or SIGINT.
Every run writes its journal to a scratch file (--journal), never to the developer's own.
"""

import json
import os
import subprocess

from clitest import CliTestCase, Result, BIN
from ptyrun import PROMPT, Interrupt, run_on_tty  # noqa: F401 (re-exported)

HOOKS_BIN = os.path.join(os.path.dirname(BIN), 'runbook_testhooks')
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
        after the (i+1)-th prompt (typed_ahead: before the run starts; a callable answer is
        called with the fake). -> (Result, what the terminal showed, prompts seen)."""
        cmd = [BIN] + (argv if argv is not None else self.args(function, *extra, core=core))
        run = run_on_tty(cmd, self.env_for(fake), answers, timeout=timeout,
                         typed_ahead=typed_ahead, context=fake)
        done = subprocess.CompletedProcess(cmd, run.code, run.out, run.err)
        return Result(done), run.shown, run.prompts

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
