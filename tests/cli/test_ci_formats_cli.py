"""CI outputs of `runbook triage.lua FN` through the real binary against the fake AWS:
--format junit (checked with xml.etree, field by field), --format sarif (validated against
the official SARIF 2.1.0 schema in tests/schemas/), the exit code following --fail-on as
for text, and --output FILE written atomically (all or nothing, nothing on stdout)."""

import json
import os
import unittest
import xml.etree.ElementTree as ET

import jsonschema

from clitest import CliTestCase, ROOT
from harness import fake_aws

SCHEMA = os.path.join(ROOT, 'tests', 'schemas', 'sarif-schema-2.1.0.json')
ARN = 'arn:aws:lambda:us-east-1:123456789012:function:'


class CiFormatsTest(CliTestCase):

    def triage(self, fake, fn, *args):
        return self.rb(fake, 'triage.lua', fn, *args, timeout=120)

    def both(self, world, fn, fmt, *args):
        """The run in `fmt` and the same run as JSON (the reference)."""
        with fake_aws(world) as fake:
            r = self.triage(fake, fn, '--format', fmt, *args)
            ref = self.triage(fake, fn, '--format', 'json', *args)
        self.assertEqual(r.err, '', repr(r))
        return r, ref.json()

    def junit(self, world, fn, *args):
        r, ref = self.both(world, fn, 'junit', *args)
        root = ET.fromstring(r.out)
        self.assertEqual(root.tag, 'testsuites')
        suites = root.findall('testsuite')
        self.assertEqual(len(suites), 1)
        suite = suites[0]
        self.assertEqual(suite.get('name'), ARN + fn)
        cases = suite.findall('testcase')
        self.assertEqual([c.get('name') for c in cases], [s['id'] for s in ref['steps']])
        for c in cases:
            self.assertEqual(c.get('classname'), ARN + fn)
            float(c.get('time'))
        self.assertEqual(int(suite.get('tests')), len(cases))
        self.assertEqual(int(root.get('tests')), len(cases))
        return r, ref, suite

    def test_junit_failure_for_a_fail_finding_with_evidence_and_fix(self):
        r, ref, suite = self.junit('throttle', 'checkout-fn')
        self.assertEqual(r.code, 1, repr(r))
        steps = {s['id']: s for s in ref['steps']}
        failing = [c for c in suite.findall('testcase') if c.find('failure') is not None]
        self.assertEqual([c.get('name') for c in failing], ['throttle'])
        self.assertEqual(suite.get('failures'), '1')
        f = steps['throttle']['findings'][0]
        failure = failing[0].find('failure')
        self.assertEqual(failure.get('message'), f['title'])
        self.assertEqual(failure.get('type'), 'fail')
        self.assertIn('evidence: ' + f['evidence'][0], failure.text)
        self.assertIn('$ ' + f['fix']['commands'][0], failure.text)
        skipped = [c.get('name') for c in suite.findall('testcase') if c.find('skipped') is not None]
        self.assertEqual(skipped, [s['id'] for s in ref['steps'] if s['status'] == 'skip'])
        self.assertEqual(int(suite.get('skipped')), len(skipped))

    def test_junit_fail_on_error_has_no_failures_and_exits_0(self):
        r, _, suite = self.junit('throttle', 'checkout-fn', '--fail-on', 'error')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual(suite.get('failures'), '0')
        self.assertEqual(suite.findall('testcase/failure'), [])

    def test_junit_healthy_function_passes(self):
        r, ref, suite = self.junit('healthy', 'orders-api')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual(suite.findall('testcase/failure'), [])
        self.assertTrue(suite.findall('testcase/skipped'))

    def sarif(self, world, fn, *args):
        r, ref = self.both(world, fn, 'sarif', *args)
        log = json.loads(r.out)
        with open(SCHEMA, encoding='utf-8') as fh:
            jsonschema.validate(log, json.load(fh))
        self.assertEqual(len(log['runs']), 1)
        run = log['runs'][0]
        self.assertEqual(run['tool']['driver']['name'], 'runbook')
        self.assertEqual(run['tool']['driver']['version'], ref['version'])
        want = [(s['id'], f['title']) for s in ref['steps'] for f in s['findings']
                if f['severity'] not in ('ok', 'skip')]
        got = [(res['properties']['step'], res['message']['text']) for res in run['results']]
        self.assertEqual(got, want)
        rules = run['tool']['driver']['rules']
        for res in run['results']:
            self.assertEqual(rules[res['ruleIndex']]['id'], res['ruleId'])
            self.assertTrue(res['ruleId'] == res['properties']['step']
                            or res['ruleId'].startswith(res['properties']['step'] + '/'))
            loc, = res['locations']
            self.assertNotIn('physicalLocation', loc)
            self.assertEqual(loc['logicalLocations'],
                             [{'fullyQualifiedName': ARN + fn, 'kind': 'function', 'name': fn}])
        return r, run

    def test_sarif_valid_with_error_result_for_a_fail_finding(self):
        r, run = self.sarif('throttle', 'checkout-fn')
        self.assertEqual(r.code, 1, repr(r))
        levels = {res['properties']['step']: res['level'] for res in run['results']}
        self.assertEqual(levels['throttle'], 'error')
        res = [x for x in run['results'] if x['properties']['step'] == 'throttle'][0]
        self.assertTrue(res['properties']['fix']['commands'])

    def test_sarif_healthy_is_valid_and_has_no_errors(self):
        r, run = self.sarif('healthy', 'orders-api')
        self.assertEqual(r.code, 0, repr(r))
        self.assertNotIn('error', [res['level'] for res in run['results']])

    def test_sarif_exit_follows_fail_on(self):
        with fake_aws('throttle') as fake:
            r = self.triage(fake, 'checkout-fn', '--format', 'sarif', '--fail-on', 'error')
        self.assertEqual(r.code, 0, repr(r))

    def test_output_writes_the_file_and_nothing_on_stdout(self):
        path = os.path.join(self.dir, 'out', 'report.xml')
        os.makedirs(os.path.dirname(path))
        with open(path, 'w') as fh:
            fh.write('old')
        with fake_aws('throttle') as fake:
            r = self.triage(fake, 'checkout-fn', '--format', 'junit', '--output', path)
            ref = self.triage(fake, 'checkout-fn', '--format', 'junit')
        self.assertEqual(r.code, 1, repr(r))
        self.assertEqual((r.out, r.err), ('', ''))
        with open(path, encoding='utf-8') as fh:
            written = fh.read()
        self.assertEqual(ET.fromstring(written).tag, 'testsuites')
        # the same report as on stdout, but for the timings
        strip = lambda s: [l.split(' time=')[0] for l in s.splitlines()]  # noqa: E731
        self.assertEqual(strip(written), strip(ref.out))
        self.assertEqual(os.listdir(os.path.dirname(path)), ['report.xml'])

    def test_output_into_a_missing_directory_fails_cleanly(self):
        path = os.path.join(self.dir, 'missing', 'report.sarif')
        with fake_aws('throttle') as fake:
            r = self.triage(fake, 'checkout-fn', '--format', 'sarif', '--output', path)
        self.assertEqual(r.code, 3, repr(r))
        self.assertEqual(r.out, '')
        self.assertEqual(len(r.err.strip().splitlines()), 1, repr(r))
        self.assertIn('cannot write ' + path, r.err)
        self.assertEqual(os.listdir(self.dir), [])

    def test_output_over_a_directory_leaves_no_partial_file(self):
        path = os.path.join(self.dir, 'taken')
        os.makedirs(os.path.join(path, 'inside'))
        with fake_aws('throttle') as fake:
            r = self.triage(fake, 'checkout-fn', '--format', 'junit', '--output', path)
        self.assertEqual(r.code, 3, repr(r))
        self.assertEqual(len(r.err.strip().splitlines()), 1, repr(r))
        self.assertIn('cannot write ' + path, r.err)
        self.assertEqual(sorted(os.listdir(self.dir)), ['taken'])
        self.assertEqual(os.listdir(path), ['inside'])

    def test_unknown_format_and_empty_output_are_usage_errors(self):
        with fake_aws('healthy') as fake:
            bad = self.triage(fake, 'orders-api', '--format', 'xml')
            empty = self.triage(fake, 'orders-api', '--output', '')
        self.assertEqual(bad.code, 2, repr(bad))
        self.assertIn("invalid --format 'xml': text, json, markdown, junit, sarif or html", bad.err)
        self.assertEqual(empty.code, 2, repr(empty))
        self.assertIn('empty --output', empty.err)


if __name__ == '__main__':
    unittest.main()
