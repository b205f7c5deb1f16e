"""Quota enforcement (--quotas) and added latency (--latency-ms): a burst past a
bucket gets each service's own throttling error and is marked in the request log,
the bucket refills at its rate, buckets are per account and Region, and a delayed
request does not hold up the others.
"""

import os
import threading
import time
import unittest

from testlib import FakeTestCase  # first: isolates the process from real AWS settings

import botocore.config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
import quotas  # noqa: E402
from harness import FakeAws  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, 'quotas_test.txt')
BURST = 3
# (service, method, kwargs, error code, HTTP status)
PROTOCOLS = (
    ('lambda', 'list_functions', {}, 'TooManyRequestsException', 429),
    ('logs', 'describe_log_groups', {}, 'ThrottlingException', 400),
    ('cloudwatch', 'list_metrics', {}, 'Throttling', 400),
    ('cloudtrail', 'lookup_events', {}, 'ThrottlingException', 400),
    ('ec2', 'describe_subnets', {}, 'RequestLimitExceeded', 503),
    ('iam', 'list_roles', {}, 'Throttling', 400),
    ('sts', 'get_caller_identity', {}, 'Throttling', 400),
    ('xray', 'get_trace_summaries', {'StartTime': 0, 'EndTime': 60},
     'ThrottledException', 429),
    ('apigateway', 'get_rest_apis', {}, 'TooManyRequestsException', 429),
)


class QuotaFake(FakeTestCase):
    shared = False

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeAws('basic', quotas=TABLE).start()
        cls.session = __import__('testlib')._SESSION
        cls._clients = {}

    def regional(self, service, region):
        cfg = botocore.config.Config(retries={'mode': 'standard', 'total_max_attempts': 1})
        client = self.session.create_client(service, endpoint_url=self.fake.url,
                                            region_name=region,
                                            aws_access_key_id='AKIAIOSFODNN7EXAMPLE',
                                            aws_secret_access_key='wJalrXUtnFEMI/K7MDENG/'
                                            'bPxRfiCYEXAMPLEKEY', config=cfg)
        self.addCleanup(client.close)
        return client

    def burst(self, call, times):
        """Call times times at once; the error codes (None for a success)."""
        out = []
        for _ in range(times):
            try:
                call()
                out.append(None)
            except ClientError as exc:
                out.append((exc.response['Error']['Code'],
                            exc.response['ResponseMetadata']['HTTPStatusCode'], exc.response))
        return out


class Enforcement(QuotaFake):

    def test_past_the_burst_each_service_answers_its_own_throttling_error(self):
        for index, (service, method, kwargs, code, status) in enumerate(PROTOCOLS):
            with self.subTest(service=service):
                # a Region of its own per case: fresh buckets
                client = self.regional(service, 'ap-test-%d' % index)
                results = self.burst(lambda: getattr(client, method)(**kwargs), BURST + 2)
                self.assertEqual(results[:BURST], [None] * BURST)
                self.assertEqual([r[:2] for r in results[BURST:]], [(code, status)] * 2)
                if service == 'lambda':
                    body = results[-1][2]
                    self.assertEqual(body['Reason'], 'CallerRateLimitExceeded')

    def test_throttles_are_marked_in_the_request_log_and_counted(self):
        self.fake.clear_requests()
        client = self.regional('logs', 'eu-test-1')
        self.burst(client.describe_log_groups, BURST + 1)
        log = self.fake.requests()
        self.assertEqual([e.get('quota') for e in log],
                         [None] * BURST + ['logs DescribeLogGroups'])
        self.assertEqual(log[-1]['error_code'], 'ThrottlingException')
        self.assertGreaterEqual(self.fake.quota_state()['throttles']['logs DescribeLogGroups'], 1)

    def test_the_bucket_refills_at_its_rate(self):
        client = self.regional('ec2', 'eu-test-2')
        results = self.burst(client.describe_vpcs, BURST + 1)
        for _ in range(10):  # a slow machine may have refilled a token meanwhile
            if results[-1] is not None:
                break
            results = self.burst(client.describe_vpcs, 1)
        self.assertEqual(results[-1][0], 'RequestLimitExceeded')
        time.sleep(1.1)  # 1 per second: one token back
        self.assertEqual(self.burst(client.describe_vpcs, 1), [None])

    def test_star_shares_one_bucket_and_listed_or_exempt_operations_have_their_own(self):
        client = self.regional('lambda', 'eu-test-3')
        self.assertEqual(self.burst(client.list_functions, 2), [None, None])
        results = self.burst(lambda: client.get_account_settings(), 2)
        self.assertEqual((results[0], results[1][0]), (None, 'TooManyRequestsException'))
        get = self.burst(lambda: client.get_function(FunctionName='my-fn'), BURST)
        self.assertEqual(get, [None] * BURST)
        invoke = self.burst(lambda: client.invoke(FunctionName='my-fn'), BURST + 3)
        self.assertNotIn('TooManyRequestsException', [r and r[0] for r in invoke])

    def test_buckets_are_per_region(self):
        east = self.regional('cloudwatch', 'eu-test-4')
        west = self.regional('cloudwatch', 'eu-test-5')
        self.assertEqual(self.burst(east.list_metrics, BURST + 1)[-1][0], 'Throttling')
        self.assertEqual(self.burst(west.list_metrics, BURST), [None] * BURST)


class Table(unittest.TestCase):

    def test_bad_lines_are_named(self):
        with self.assertRaisesRegex(quotas.QuotaError, 'q:2: PER_SECOND .fast. is not'):
            quotas.parse('# c\nlambda * fast 3 src\n', 'q')
        with self.assertRaisesRegex(quotas.QuotaError, 'q:1: expected SERVICE OPERATION'):
            quotas.parse('lambda *\n', 'q')

    def test_the_bucket_math_with_an_injected_clock(self):
        now = [0.0]
        limits = quotas.Quotas(quotas.parse('logs FilterLogEvents 5 5 x\n'), lambda: now[0])
        takes = [limits.take('1', 'r', 'logs', 'FilterLogEvents') for _ in range(6)]
        self.assertEqual(takes, [None] * 5 + ['logs FilterLogEvents'])
        now[0] = 0.2  # one token back at 5 per second
        self.assertIsNone(limits.take('1', 'r', 'logs', 'FilterLogEvents'))
        self.assertIsNotNone(limits.take('1', 'r', 'logs', 'FilterLogEvents'))
        self.assertIsNone(limits.take('2', 'r', 'logs', 'FilterLogEvents'))  # other account

    @unittest.skipUnless(os.path.exists(quotas.DEFAULT_TABLE), 'no core/quotas.txt yet')
    def test_the_projects_table_loads(self):
        limits = quotas.Quotas(quotas.load(quotas.DEFAULT_TABLE))
        self.assertIsNotNone(limits.entry_for('lambda', 'ListFunctions'))
        self.assertIsNotNone(limits.entry_for('cloudwatch', 'GetMetricData'))
        self.assertIsNone(limits.entry_for('lambda', 'Invoke'))


class WorldKeys(unittest.TestCase):

    def test_the_world_can_turn_quotas_and_latency_on(self):
        world = {'credentials': [{'access_key_id': 'AKIDQUOTAWORLD000001',
                                  'secret_access_key': 'q' * 40}],
                 'quotas': TABLE, 'latency_ms': 50}
        with FakeAws(world) as fake:
            import testlib
            client = testlib._SESSION.create_client(
                'logs', endpoint_url=fake.url, region_name='us-east-1',
                aws_access_key_id='AKIDQUOTAWORLD000001', aws_secret_access_key='q' * 40,
                config=botocore.config.Config(retries={'total_max_attempts': 1}))
            self.addCleanup(client.close)
            codes = []
            for _ in range(BURST + 1):
                try:
                    client.describe_log_groups()
                    codes.append(None)
                except ClientError as exc:
                    codes.append(exc.response['Error']['Code'])
            log = fake.requests()
        self.assertEqual(codes, [None] * BURST + ['ThrottlingException'])
        self.assertTrue(all(e['duration_ms'] >= 50 for e in log), log)

    def test_a_bad_table_stops_the_server_with_one_line(self):
        bad = os.path.join(HERE, '__pycache__', 'bad_quotas.txt')
        os.makedirs(os.path.dirname(bad), exist_ok=True)
        with open(bad, 'w', encoding='utf-8') as fh:
            fh.write('lambda * many 3 src\n')
        try:
            with self.assertRaisesRegex(RuntimeError, r'fake_aws: .*bad_quotas.txt:1: '
                                        r"PER_SECOND 'many' is not a positive number"):
                FakeAws('basic', quotas=bad).start()
        finally:
            os.unlink(bad)


class Latency(FakeTestCase):
    shared = False

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeAws('basic', latency_ms=300).start()
        cls.session = __import__('testlib')._SESSION
        cls._clients = {}

    def test_delayed_requests_overlap(self):
        clients = [self.session.create_client(
            'lambda', endpoint_url=self.fake.url, region_name='us-east-1',
            aws_access_key_id='AKIAIOSFODNN7EXAMPLE',
            aws_secret_access_key='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')
            for _ in range(8)]
        for client in clients:
            self.addCleanup(client.close)
        took = []

        def call(client):
            started = time.monotonic()
            client.get_function_configuration(FunctionName='my-fn')
            took.append(time.monotonic() - started)

        started = time.monotonic()
        threads = [threading.Thread(target=call, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        total = time.monotonic() - started
        self.assertEqual(len(took), 8)
        self.assertGreaterEqual(min(took), 0.3)  # each one was delayed
        self.assertLess(total, 1.5)  # 8 x 0.3 s one after another would be 2.4 s


if __name__ == '__main__':
    unittest.main()
