"""The fake's X-Ray: GetTraceSummaries (time range, the function's filter expression,
NextToken paging, computed summaries) and BatchGetTraces (segment documents as JSON text,
the 5-id limit, unprocessed traces), through botocore's own client."""

import datetime
import json
import unittest

from testlib import KEY, SECRET, ClientError, FakeTestCase

FN_FILTER = 'service(id(name: "checkout", type: "AWS::Lambda::Function"))'


def trace(n, start, fault=False, name='checkout', unprocessed=False):
    fn_doc = {'id': '%016x' % (n * 10 + 1), 'name': name, 'origin': 'AWS::Lambda::Function',
              'start_time': 0.02, 'end_time': 1.5 + n / 10.0,
              'subsegments': [{'id': '%016x' % (n * 10 + 2), 'name': 'Invocation',
                               'start_time': 0.02, 'end_time': 1.49 + n / 10.0,
                               'subsegments': [{'id': '%016x' % (n * 10 + 3),
                                                'name': 'api.partner.example',
                                                'namespace': 'remote', 'fault': fault,
                                                'start_time': 0.1, 'end_time': 1.2}]}]}
    svc_doc = {'id': '%016x' % (n * 10 + 4), 'name': name, 'origin': 'AWS::Lambda',
               'start_time': 0.0, 'end_time': 1.51 + n / 10.0}
    return {'id': '1-6937a%03x-4b2c8e01f3a9d6c7b5e4%04x' % (n, n), 'start': start,
            'unprocessed': unprocessed, 'segments': [svc_doc, fn_doc]}


class Traces(FakeTestCase):
    world = {'credentials': [{'access_key_id': KEY, 'secret_access_key': SECRET}],
             'xray': {'page_size': 2, 'traces': [
                 trace(1, '-50m'), trace(2, '-40m', fault=True), trace(3, '-30m'),
                 trace(4, '-20m', name='other-fn'), trace(5, '-3h'),
                 trace(6, '-10m', unprocessed=True)]}}

    def window(self, minutes=60):
        end = datetime.datetime.now(datetime.timezone.utc)
        return end - datetime.timedelta(minutes=minutes), end

    def summaries(self, **extra):
        start, end = self.window()
        xray = self.client('xray')
        out, token, pages = [], None, 0
        while True:
            kw = dict(StartTime=start, EndTime=end, **extra)
            if token:
                kw['NextToken'] = token
            page = xray.get_trace_summaries(**kw)
            pages += 1
            out += page['TraceSummaries']
            token = page.get('NextToken')
            if not token:
                return out, pages

    def test_the_functions_filter_pages_its_traces_in_the_window_newest_first(self):
        got, pages = self.summaries(FilterExpression=FN_FILTER)
        self.assertEqual([s['Id'][-1] for s in got], ['6', '3', '2', '1'])
        self.assertEqual(pages, 2)
        two = [s for s in got if s['Id'].endswith('2')][0]
        self.assertTrue(two['HasFault'])
        self.assertFalse(two['HasError'])
        self.assertAlmostEqual(two['Duration'], 1.71, places=2)
        self.assertIn({'Name': 'checkout', 'Type': 'AWS::Lambda::Function'}, two['ServiceIds'])

    def test_service_by_name_and_no_filter(self):
        self.assertEqual(len(self.summaries(FilterExpression='service("other-fn")')[0]), 1)
        self.assertEqual(len(self.summaries()[0]), 5)

    def test_an_unsupported_filter_or_a_range_over_6_hours_is_refused(self):
        start, end = self.window()
        with self.assertRaises(ClientError) as cm:
            self.client('xray').get_trace_summaries(StartTime=start, EndTime=end,
                                                    FilterExpression='responsetime > 5')
        self.assertEqual(cm.exception.response['Error']['Code'], 'InvalidRequestException')
        self.assertIn('responsetime > 5', cm.exception.response['Error']['Message'])
        start, end = self.window(7 * 60)
        with self.assertRaises(ClientError) as cm:
            self.client('xray').get_trace_summaries(StartTime=start, EndTime=end)
        self.assertEqual(cm.exception.response['Error']['Code'], 'InvalidRequestException')

    def test_batch_get_traces_gives_documents_as_json_text_with_epoch_times(self):
        got, _ = self.summaries(FilterExpression=FN_FILTER)
        ids = [s['Id'] for s in got]
        out = self.client('xray').batch_get_traces(TraceIds=ids)
        self.assertEqual(len(out['Traces']), 3)
        self.assertEqual(out['UnprocessedTraceIds'], [ids[0]])
        t = out['Traces'][0]
        docs = [json.loads(s['Document']) for s in t['Segments']]
        fn_doc = [d for d in docs if d['origin'] == 'AWS::Lambda::Function'][0]
        now = datetime.datetime.now(datetime.timezone.utc).timestamp()
        self.assertLess(abs(fn_doc['start_time'] - now), 3600)
        call = fn_doc['subsegments'][0]['subsegments'][0]
        self.assertEqual(call['namespace'], 'remote')
        self.assertGreater(call['start_time'], fn_doc['start_time'])

    def test_batch_get_traces_takes_at_most_five_ids(self):
        ids = ['1-6937a%03x-4b2c8e01f3a9d6c7b5e4%04x' % (n, n) for n in range(1, 7)]
        with self.assertRaises(ClientError) as cm:
            self.client('xray').batch_get_traces(TraceIds=ids)
        self.assertEqual(cm.exception.response['Error']['Code'], 'InvalidRequestException')


if __name__ == '__main__':
    unittest.main()
