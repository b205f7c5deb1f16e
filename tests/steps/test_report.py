"""The triage report through the real binary: the JSON schema of docs/report-schema.md,
the text verdict and step lines, sparklines, colour rules, Markdown, determinism."""

import os
import pty
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import BIN, CliTestCase, fake_aws, run, base_env  # noqa: E402

STEPS = {
    'healthy': '''return { id = "healthy", title = "Configuration", tags = { "config" },
  run = function(ctx)
    ctx:finding{ severity = "ok", title = "python3.12, 512 MB, 30 s timeout" }
  end }''',
    'slowfn': '''return { id = "slowfn", title = "Timeouts", tags = { "execution" },
  run = function(ctx)
    ctx:finding{ severity = "fail", title = "invocations time out: p99 4.2 s exceeds the 3 s timeout",
      evidence = { "12 'Task timed out after 3.00 seconds' lines, last at 2026-11-27T02:41:07Z" },
      why = "Lambda stops the invocation at the timeout",
      fix = { explain = "raise the timeout above the observed p99",
              commands = { "aws lambda update-function-configuration --function-name my-fn --timeout 10" },
              changes = "Timeout 3 s -> 10 s" },
      confidence = "high",
      data = { p99_ms = 4200, series = { label = "Duration p99", unit = "ms",
                                         values = { 400, 420, json.null, 4200, 3000 } } } }
  end }''',
    'throttled': '''return { id = "throttled", title = "Throttling", tags = { "concurrency" },
  run = function(ctx)
    ctx:finding{ severity = "warn", title = "42 throttles in the last 1h",
      data = { series = { { label = "Throttles", values = { 0, 0, 12, 30, 0 } } } } }
    ctx:finding{ severity = "info", title = "reserved concurrency 10" }
  end }''',
    'novpc': '''return { id = "novpc", title = "VPC", run = function(ctx) ctx:skip("no VPC configured") end }''',
}
RUNBOOK = ('local engine = require("triage.engine")\n'
           'return engine.main({ "healthy", "slowfn", "throttled", "novpc" }, ...)\n')

STATUSES = {'ok', 'skip', 'info', 'warn', 'fail', 'error'}
ISO = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
NULLABLE_STR = (str, type(None))


class ReportCase(CliTestCase):

    def setUp(self):
        super().setUp()
        for id, text in STEPS.items():
            self.write(os.path.join('plugins', 'steps', id + '.lua'), text)
        self.script = self.write('triage.lua', RUNBOOK)
        self.plugins = os.path.join(self.dir, 'plugins')

    def triage(self, fake, *args, **env):
        return self.rb(fake, '--plugins', self.plugins, self.script, 'my-fn', *args, **env)


class JsonSchemaTest(ReportCase):

    def assertTypes(self, obj, spec, where):
        self.assertEqual(set(obj), set(spec), where)
        for key, types in spec.items():
            self.assertIsInstance(obj[key], types, '%s.%s = %r' % (where, key, obj[key]))

    def test_json_has_every_documented_field_with_its_type(self):
        with fake_aws('basic') as fake:
            r = self.triage(fake, '--format', 'json')
        self.assertEqual(r.code, 1, repr(r))
        doc = r.json()
        # optional members, present when the run read them (the configuration here; no
        # step reads a metric): the configured timeout and the metric series
        self.assertEqual(doc.pop('timeout_s'), 30)
        self.assertNotIn('series', doc)
        self.assertTypes(doc, {'schema_version': int, 'tool': str, 'version': str,
                               'function': dict, 'window': dict, 'reference_time': str,
                               'verdict': dict, 'steps': list, 'duration_ms': int,
                               'api': dict}, '$')
        self.assertEqual((doc['schema_version'], doc['tool']), (1, 'runbook'))
        self.assertRegex(doc['version'], r'^\d+\.\d+\.\d+')
        self.assertTypes(doc['function'], {'name': str, 'qualifier': NULLABLE_STR,
                                           'arn': NULLABLE_STR, 'region': str,
                                           'account': NULLABLE_STR}, '$.function')
        self.assertEqual(doc['function'], {
            'name': 'my-fn', 'qualifier': None, 'region': 'us-east-1',
            'account': '123456789012',
            'arn': 'arn:aws:lambda:us-east-1:123456789012:function:my-fn'})
        self.assertTypes(doc['window'], {'start': str, 'end': str, 'seconds': int,
                                         'label': str}, '$.window')
        for t in (doc['window']['start'], doc['window']['end'], doc['reference_time']):
            self.assertRegex(t, ISO)
        self.assertEqual((doc['window']['seconds'], doc['window']['label']), (3600, '1h'))
        self.assertEqual(doc['window']['end'], doc['reference_time'])
        self.assertTypes(doc['verdict'], {'status': str, 'counts': dict, 'summary': str,
                                          'headline': str}, '$.verdict')
        self.assertEqual(doc['verdict']['counts'],
                         {'error': 0, 'fail': 1, 'warn': 1, 'info': 0, 'ok': 1, 'skip': 1})
        self.assertEqual((doc['verdict']['status'], doc['verdict']['summary']),
                         ('fail', 'timeouts'))
        self.assertTypes(doc['api'], {'calls': int, 'shared': int, 'attempts': int,
                                      'retries': int}, '$.api')
        self.assertEqual([s['id'] for s in doc['steps']],
                         ['healthy', 'slowfn', 'throttled', 'novpc'])
        self.assertEqual([s['status'] for s in doc['steps']], ['ok', 'fail', 'warn', 'skip'])
        for i, s in enumerate(doc['steps']):
            where = '$.steps[%d]' % i
            self.assertTypes(s, {'id': str, 'title': str, 'status': str, 'tags': list,
                                 'duration_ms': int, 'findings': list}, where)
            self.assertIn(s['status'], STATUSES)
            self.assertTrue(s['findings'])
            for j, f in enumerate(s['findings']):
                fw = '%s.findings[%d]' % (where, j)
                self.assertTypes(f, {'severity': str, 'title': str, 'evidence': list,
                                     'why': NULLABLE_STR, 'fix': (dict, type(None)),
                                     'confidence': NULLABLE_STR, 'data': dict}, fw)
                self.assertIn(f['severity'], STATUSES)
                self.assertTrue(all(isinstance(e, str) for e in f['evidence']))
                if f['fix'] is not None:
                    self.assertTypes(f['fix'], {'explain': NULLABLE_STR, 'commands': list,
                                                'changes': NULLABLE_STR}, fw + '.fix')
        fail = doc['steps'][1]['findings'][0]
        self.assertEqual(fail['fix']['commands'], [
            'aws lambda update-function-configuration --function-name my-fn --timeout 10'])
        self.assertEqual(fail['data']['series']['values'], [400, 420, None, 4200, 3000])
        self.assertEqual(doc['steps'][0]['tags'], ['config'])

    def test_schema_document_names_every_field_the_report_has(self):
        with open(os.path.join(HERE, '..', '..', 'docs', 'report-schema.md'),
                  encoding='utf-8') as fh:
            documented = set(re.findall(r'^\| `([a-z_]+)` \|', fh.read(), re.M))
        with fake_aws('basic') as fake:
            doc = self.triage(fake, '--format', 'json').json()
        keys = set(doc) | set(doc['function']) | set(doc['window']) | set(doc['verdict'])
        for s in doc['steps']:
            keys |= set(s)
            for f in s['findings']:
                keys |= set(f) - {'data'}
        self.assertEqual(keys - documented, set())


class TextTest(ReportCase):

    def test_text_starts_with_the_verdict_then_one_line_per_step(self):
        with fake_aws('basic') as fake:
            r = self.triage(fake)
        self.assertEqual(r.code, 1, repr(r))
        lines = r.out.split('\n')
        self.assertEqual(lines[0], 'my-fn (us-east-1): 1 FAIL, 1 WARN, 1 OK, 1 SKIP — timeouts')
        self.assertRegex(lines[1], r'^window: last 1h \(\S+Z to \S+Z\)$')
        self.assertEqual(lines[3:7], [
            'OK     Configuration  python3.12, 512 MB, 30 s timeout',
            'FAIL   Timeouts       invocations time out: p99 4.2 s exceeds the 3 s timeout',
            'WARN   Throttling     42 throttles in the last 1h (+1 more)',
            'SKIP   VPC            no VPC configured'])
        self.assertNotIn('\x1b[', r.out)  # not a terminal: no colour

    def test_text_draws_sparklines_for_series_the_steps_supply(self):
        with fake_aws('basic') as fake:
            r = self.triage(fake)
        self.assertIn('Over the last 1h\n'
                      '  Duration p99  ▁▁ █▆  400..4200 ms\n'
                      '  Throttles     ▁▁▄█▁  0..30\n', r.out)

    def test_text_details_give_evidence_why_fix_commands_and_confidence(self):
        with fake_aws('basic') as fake:
            r = self.triage(fake)
        details = r.out.split('\nDetails\n', 1)[1]
        self.assertIn(
            'FAIL Timeouts: invocations time out: p99 4.2 s exceeds the 3 s timeout\n'
            "  - 12 'Task timed out after 3.00 seconds' lines, last at 2026-11-27T02:41:07Z\n"
            '  why: Lambda stops the invocation at the timeout\n'
            '  fix: raise the timeout above the observed p99\n'
            '    $ aws lambda update-function-configuration --function-name my-fn --timeout 10\n'
            '  changes: Timeout 3 s -> 10 s\n'
            '  confidence: high\n', details)
        self.assertIn('WARN Throttling: 42 throttles in the last 1h', details)
        self.assertIn('INFO Throttling: reserved concurrency 10', details)
        self.assertNotIn('Configuration', details)  # ok and skip findings have no details
        self.assertNotIn('no VPC configured', details)

    def tty_run(self, fake, *args, **env):
        """Runs the triage with stdout on a pseudo-terminal; returns what it printed."""
        master, slave = pty.openpty()
        full_env = self.env_for(fake, **env)
        proc = subprocess.Popen([BIN, '--plugins', self.plugins, self.script, 'my-fn'] +
                                list(args), env=full_env, stdin=subprocess.DEVNULL,
                                stdout=slave, stderr=subprocess.DEVNULL)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=60)
        os.close(master)
        return b''.join(chunks).decode('utf-8')

    def test_colour_only_on_a_terminal_and_never_with_no_color(self):
        with fake_aws('basic') as fake:
            coloured = self.tty_run(fake, TERM='xterm')
            self.assertIn('\x1b[31mFAIL', coloured)
            self.assertIn('\x1b[32mOK', coloured)
            self.assertNotIn('\x1b[', self.tty_run(fake, TERM='xterm', NO_COLOR='1'))
            self.assertNotIn('\x1b[', self.tty_run(fake, '--no-color', TERM='xterm'))
            self.assertNotIn('\x1b[', self.tty_run(fake, TERM='dumb'))

    def test_same_recording_gives_the_same_report(self):
        rec = os.path.join(self.dir, 'rec.json')
        with fake_aws('basic') as fake:
            live = self.rb(fake, '--record', rec, '--plugins', self.plugins, self.script,
                           'my-fn', '--format', 'markdown')
        replayed = run(['--replay', rec, '--plugins', self.plugins, self.script, 'my-fn',
                        '--format', 'markdown'], base_env())
        self.assertEqual(replayed.code, live.code, repr(replayed))
        self.assertEqual(replayed.out, live.out)


class HostileTextTest(ReportCase):

    def test_log_text_cannot_break_the_json_or_steer_the_terminal(self):
        self.write(os.path.join('plugins', 'steps', 'healthy.lua'), r'''return {
  id = "healthy", title = "Configuration", run = function(ctx)
    ctx:finding{ severity = "warn", title = "red \27[31malert\27[0m here",
      evidence = { ("caf\u{E9}"):sub(1, 4) .. " cut", "line one\rline two" },
      data = { bad = function() end } }
  end }''')
        with fake_aws('basic') as fake:
            doc = self.triage(fake, '--format', 'json', '--steps', 'healthy').json()
            text = self.triage(fake, '--steps', 'healthy').out
            md = self.triage(fake, '--format', 'markdown', '--steps', 'healthy').out
        f = doc['steps'][0]['findings'][0]
        self.assertEqual(f['evidence'][0], 'caf\ufffd cut')
        self.assertIn('bad', f['data']['unencodable'])
        for out in (text, md):
            self.assertNotIn('\x1b', out)
            self.assertNotIn('\r', out)
        self.assertIn('red ?[31malert?[0m here', text)
        self.assertIn('  - line one\n    line two\n', text)


class MarkdownTest(ReportCase):

    def test_markdown_has_heading_status_table_and_fenced_fix_commands(self):
        with fake_aws('basic') as fake:
            r = self.triage(fake, '--format', 'markdown')
        self.assertEqual(r.code, 1, repr(r))
        md = r.out
        self.assertTrue(md.startswith('## Triage: my-fn (us-east-1)\n\n'
                                      '**1 FAIL, 1 WARN, 1 OK, 1 SKIP** — timeouts\n'), md)
        self.assertIn('- function: `arn:aws:lambda:us-east-1:123456789012:function:my-fn`', md)
        self.assertIn('| Step | Status | Finding |\n|---|---|---|\n'
                      '| Configuration | OK | python3.12, 512 MB, 30 s timeout |\n'
                      '| Timeouts | FAIL | invocations time out: p99 4.2 s exceeds the 3 s timeout |\n'
                      '| Throttling | WARN | 42 throttles in the last 1h |\n'
                      '| VPC | SKIP | no VPC configured |\n', md)
        self.assertIn('## Details\n\n### FAIL Timeouts: invocations time out', md)
        self.assertIn('**Evidence**\n\n```\n12 ', md)
        self.assertIn('**Fix:** raise the timeout above the observed p99\n\n```sh\n'
                      'aws lambda update-function-configuration --function-name my-fn '
                      '--timeout 10\n```\n', md)
        self.assertIn('**Changes:** Timeout 3 s -> 10 s', md)
        self.assertIn('**Confidence:** high', md)
        self.assertEqual(md.count('```') % 2, 0)
        self.assertNotIn('\x1b[', md)


if __name__ == '__main__':
    unittest.main()
