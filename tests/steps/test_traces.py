"""Where the time went (X-Ray), through the real binary against the fake server: the
timeout step names the slow downstream call from the traces (tests/worlds/
slow_dependency.json), the verdict's headline leads with it, the reads are the ones
documented (GetTraceSummaries with the function's filter expression, paged; BatchGetTraces
of at most 25 traces in batches of 5); an operator without xray:GetTraceSummaries gets a
finding naming the permission while the rest of the triage works; with tracing off
nothing is read from X-Ray and the timeout step says so once, at info, with the plan that
turns tracing on.
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))
sys.path.insert(0, os.path.join(HERE, '..', 'fake_aws'))

from clitest import StepTestCase  # noqa: E402
from harness import fake_aws  # noqa: E402

WORLD = 'slow_dependency'
FN = 'checkout'
FILTER = 'service(id(name: "checkout", type: "AWS::Lambda::Function"))'
PARTNER = 'POST https://api.partner.example/charge'


def xray_calls(fake, operation):
    return [r for r in fake.requests()
            if r.get('service') == 'xray' and r.get('operation') == operation]


class TracesTimeoutTest(StepTestCase):
    step = 'timeout'

    def test_timeout_names_the_slow_http_dependency_from_the_traces(self):
        with fake_aws(WORLD) as fake:
            r, findings = self.triage(fake, FN)
            summaries = xray_calls(fake, 'GetTraceSummaries')
            batches = xray_calls(fake, 'BatchGetTraces')
        self.assertEqual(r.code, 1, r)
        f = self.only(findings, 'fail', 'timed out')
        self.assertEqual(f['title'], '8 invocations timed out at the 3 s timeout (p99 3 s): '
                                     '94 % of their time in ' + PARTNER)
        ev = '\n'.join(f['evidence'])
        self.assertRegex(ev, r"94 % of the timed-out invocations' time was spent in POST "
                             r"https://api\.partner\.example/charge: p95 2\.9 s over 8 traces")
        self.assertIn(PARTNER + ': 94 % of the time, 8 calls in 8 traces, p50 2.8 s, p95 2.9 s, '
                      '3 faults', ev)
        self.assertIn('DynamoDB GetItem orders', ev)
        self.assertIn("the function's own code: 5 % of the time", ev)
        self.assertIn('25 of 30 traces read in full (slowest and failed first, %s)' % FILTER, ev)
        self.assertIn('the traces name the slow call: ' + PARTNER, f['fix']['explain'])
        # tracing is on and the role may write traces: the plan changes the timeout only
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-function-configuration --function-name checkout --timeout 6'])
        trace = f['data']['trace']
        self.assertEqual(trace['scope'], 'timed-out')
        self.assertEqual(trace['scoped'], 8)
        self.assertEqual(trace['summaries'], 30)
        self.assertEqual(trace['read'], 25)
        self.assertFalse(trace['truncated'])
        self.assertEqual(trace['worst']['label'], PARTNER)
        self.assertEqual(trace['worst']['kind'], 'remote')
        self.assertEqual(trace['worst']['faults'], 3)
        self.assertEqual(trace['worst']['p95_ms'], trace['downstreams'][0]['p95_ms'])
        self.assertGreater(trace['worst']['share'], 0.9)
        self.assertEqual(f['data']['headline'], "94 % of the timed-out invocations' time in "
                         + PARTNER + ' (p95 2.9 s over 8 traces)')
        # the reads: the function's filter on every page (4 summaries a page in this
        # world), the window in 5 time slices searched at once (2 pages each here, so the
        # list costs 2 rounds of calls, not 8), then 25 traces in 5 batches of 5, failed
        # and slowest first
        self.assertEqual(len(summaries), 10)
        for call in summaries:
            self.assertEqual(call['params']['FilterExpression'], FILTER)
        firsts = sorted(c['params']['StartTime'] for c in summaries
                        if 'NextToken' not in c['params'])
        self.assertEqual(len(set(firsts)), 5)
        self.assertEqual(sorted(len(b['params']['TraceIds']) for b in batches), [5] * 5)
        # no info finding about tracing: it is on
        self.assertEqual([x for x in findings if x['severity'] == 'info'], [])

    def test_errors_step_names_the_call_that_failed_in_the_failed_traces(self):
        with fake_aws(WORLD) as fake:
            r = self.rb(fake, 'triage.lua', FN, '--steps', 'errors', '--format', 'json',
                        timeout=120)
        findings = r.json()['steps'][0]['findings']
        f = self.only(findings, 'info', 'failed traces')
        self.assertEqual(f['title'], 'the failed traces point at %s: 3 failed calls in 3 traces'
                         % PARTNER)
        self.assertTrue(f['evidence'][0].startswith(
            '3 of 8 traced failed invocations had a failed call to ' + PARTNER))
        self.assertEqual(f['data']['trace']['faults'], 3)

    def test_cold_start_step_reads_the_traced_initialization(self):
        with fake_aws(WORLD) as fake:
            r = self.rb(fake, 'triage.lua', FN, '--steps', 'cold_start', '--format', 'json',
                        timeout=120)
        f = r.json()['steps'][0]['findings'][0]
        self.assertIn('X-Ray: 1 of 25 traces read were cold starts, Initialization p50 412 ms, '
                      'p95 412 ms', f['evidence'])

    def test_triage_headline_leads_with_where_the_time_went(self):
        with fake_aws(WORLD) as fake:
            r = self.rb(fake, 'triage.lua', FN, '--format', 'json', timeout=120)
        doc = r.json()
        self.assertRegex(doc['verdict']['headline'],
                         r"^94 % of the timed-out invocations' time in POST "
                         r"https://api\.partner\.example/charge \(p95 2\.9 s over 8 traces\)")
        self.assertNotIn('api.partner', doc['verdict']['summary'])

    def test_operator_without_xray_read_gets_a_finding_naming_it_and_the_rest_works(self):
        rules = [{'service': 'xray', 'operation': 'GetTraceSummaries', 'kind': 'access_denied'}]
        with fake_aws(WORLD, faults=rules) as fake:
            r = self.rb(fake, 'triage.lua', FN, '--format', 'json', timeout=120)
            batches = xray_calls(fake, 'BatchGetTraces')
        doc = r.json()
        self.assertEqual(batches, [])
        steps = {s['id']: s for s in doc['steps']}
        timeout = steps['timeout']['findings']
        denied = [f for f in timeout if f['severity'] == 'error']
        self.assertEqual(len(denied), 1, json.dumps(timeout, indent=1))
        self.assertIn('xray:GetTraceSummaries', denied[0]['title'])
        self.assertEqual(denied[0]['data']['permission'], 'xray:GetTraceSummaries')
        # the timeout is still found, from the logs, without a trace clause
        fail = self.only(timeout, 'fail', 'timed out')
        self.assertEqual(fail['title'], '8 invocations timed out at the 3 s timeout (p99 3 s)')
        self.assertNotIn('trace', fail['data'])
        # and the other steps ran
        for sid, s in steps.items():
            if sid != 'timeout':
                self.assertNotIn('error', [f['severity'] for f in s['findings']], sid)


class TraceListLimitsTest(StepTestCase):
    """A list cut at the page cap, traces X-Ray is still processing and an empty list are
    said so in the evidence: "no traces" never reads as "nothing happened"."""
    step = 'timeout'

    def world(self, change):
        with open(os.path.join(HERE, '..', 'worlds', WORLD + '.json'), encoding='utf-8') as fh:
            world = json.load(fh)
        change(world['xray'])
        return self.write('world.json', json.dumps(world))

    def test_a_list_cut_at_the_page_cap_and_unprocessed_traces_are_said(self):
        def change(xray):
            xray['page_size'] = 2  # 15 pages for 30 traces: the cap of 10 cuts it
            for t in xray['traces'][-3:]:  # the newest: on the first pages
                t['unprocessed'] = True
        with fake_aws(self.world(change)) as fake:
            _, findings = self.triage(fake, FN)
            pages = xray_calls(fake, 'GetTraceSummaries')
        self.assertEqual(len(pages), 10)
        f = self.only(findings, 'fail', 'timed out')
        self.assertIn('partial: the trace list was cut after 10 pages (20 summaries); the sample '
                      'is the slowest and failed among those', f['evidence'])
        self.assertTrue(any(e.endswith('still being processed by X-Ray (UnprocessedTraceIds)')
                            for e in f['evidence']), f['evidence'])
        self.assertTrue(f['data']['trace']['truncated'])
        self.assertGreater(f['data']['trace']['unprocessed'], 0)

    def test_an_empty_list_says_so_and_the_timeout_is_still_found(self):
        def change(xray):
            xray['traces'] = []
        with fake_aws(self.world(change)) as fake:
            _, findings = self.triage(fake, FN)
            batches = xray_calls(fake, 'BatchGetTraces')
        self.assertEqual(batches, [])
        f = self.only(findings, 'fail', 'timed out')
        self.assertEqual(f['title'], '8 invocations timed out at the 3 s timeout (p99 3 s)')
        self.assertIn('no traces of checkout in the last 1h (%s)' % FILTER, f['evidence'])
        self.assertIn('traces of the last 60 s may still be being indexed by X-Ray', f['evidence'])
        self.assertNotIn('headline', f['data'])


class TracingOffTest(StepTestCase):
    step = 'timeout'

    def test_tracing_off_reads_no_traces_and_the_timeout_fix_turns_it_on(self):
        with fake_aws('timeout') as fake:
            _, findings = self.triage(fake, 'report-builder')
            calls = [q for q in fake.requests() if q.get('service') == 'xray']
        self.assertEqual(calls, [])
        f = self.only(findings, 'fail', 'timed out')
        self.assertIn('X-Ray active tracing is off (TracingConfig PassThrough): no trace says '
                      'which call took the time; the plan turns it on', f['evidence'])
        # said once: the fix carries it, so no separate info finding
        self.assertEqual([x for x in findings if x['severity'] == 'info'], [])

    def test_tracing_off_with_errors_is_one_info_finding_with_the_plan(self):
        with open(os.path.join(HERE, '..', 'worlds', 'errors.json'), encoding='utf-8') as fh:
            world = json.load(fh)
        fn = next(iter(world['lambda']['functions']))
        world['lambda']['functions'][fn]['configuration']['TracingConfig'] = {
            'Mode': 'PassThrough'}
        with fake_aws(self.write('world.json', json.dumps(world))) as fake:
            _, findings = self.triage(fake, fn)
            calls = [q for q in fake.requests() if q.get('service') == 'xray']
        self.assertEqual(calls, [])
        info = [x for x in findings if x['severity'] == 'info']
        if any(x['severity'] in ('fail', 'warn') and 'timed out' in x['title'] for x in findings):
            self.skipTest('the errors world times out: the timeout fix carries the change')
        self.assertEqual(len(info), 1, json.dumps(findings, indent=1))
        f = info[0]
        self.assertEqual(f['title'], 'X-Ray active tracing is off: no trace can say which '
                                     'call takes the time')
        self.assertRegex(f['evidence'][1], r'^\d[\d,]* invocation errors in the last 1h')
        ops = [p['operation'] for p in f['fix']['plan']]
        self.assertEqual(ops[-1], 'UpdateFunctionConfiguration')
        self.assertEqual(f['fix']['plan'][-1]['params']['TracingConfig'], {'Mode': 'Active'})
        if len(ops) == 2:
            self.assertEqual(ops[0], 'AttachRolePolicy')
            self.assertTrue(f['fix']['plan'][0]['params']['PolicyArn'].endswith(
                ':policy/AWSXRayDaemonWriteAccess'))


if __name__ == '__main__':
    unittest.main()
