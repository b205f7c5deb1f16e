"""Fault injection: every kind, per protocol, with counts, skips, stacking, run-time
control, and concurrency (delayed requests must overlap).
"""

import datetime
import email.utils
import http.client
import json
import threading
import time
import unittest

from testlib import FakeTestCase  # first: isolates the process from real AWS settings

from botocore.exceptions import ClientError, HTTPClientError  # noqa: E402
from botocore.parsers import ResponseParserError  # noqa: E402
from faults import FaultError, Rule  # noqa: E402

LAMBDA_PATH = '/2015-03-31/functions/my-fn/configuration'


class Faults(FakeTestCase):
    shared = False

    def setUp(self):
        self.fake.set_faults([])
        self.fake.clear_requests()

    def get_config(self):
        return self.client('lambda').get_function_configuration(FunctionName='my-fn')

    def test_throttle_uses_each_services_code_and_status(self):
        self.fake.set_faults([{'kind': 'throttle', 'retry_after': 3}])
        err = self.assertAwsError(self.get_config, 'TooManyRequestsException', 429)
        self.assertEqual(err['ResponseMetadata']['HTTPHeaders']['retry-after'], '3')
        self.assertEqual(err['Reason'], 'CallerRateLimitExceeded')
        cases = (('logs', 'describe_log_groups', 'ThrottlingException', 400),
                 ('iam', 'list_roles', 'Throttling', 400),
                 ('cloudwatch', 'list_metrics', 'Throttling', 400),
                 ('ec2', 'describe_vpcs', 'RequestLimitExceeded', 503),
                 ('apigateway', 'get_rest_apis', 'TooManyRequestsException', 429))
        for service, method, code, status in cases:
            with self.subTest(service=service):
                client = self.client(service)
                self.assertAwsError(getattr(client, method), code, status)

    def test_count_limits_a_rule_to_the_first_requests(self):
        self.fake.set_faults([{'service': 'lambda', 'kind': 'throttle', 'count': 2}])
        self.assertAwsError(self.get_config, 'TooManyRequestsException')
        self.assertAwsError(self.get_config, 'TooManyRequestsException')
        self.assertEqual(self.get_config()['FunctionName'], 'my-fn')
        statuses = [e['status'] for e in self.fake.requests()]
        self.assertEqual(statuses, [429, 429, 200])

    def test_skip_lets_the_first_requests_through(self):
        self.fake.set_faults([{'kind': 'unavailable', 'skip': 1, 'count': 1}])
        self.get_config()
        self.assertAwsError(self.get_config, 'ServiceUnavailableException', 503)
        self.get_config()

    def test_probability_applies_to_a_seeded_share_of_requests(self):
        rule = {'service': 'lambda', 'kind': 'throttle', 'probability': 0.3, 'seed': 7}

        def statuses():
            self.fake.clear_requests()
            self.fake.set_faults([rule])
            for _ in range(60):
                try:
                    self.get_config()
                except ClientError:
                    pass
            return [e['status'] for e in self.fake.requests()]

        first = statuses()
        self.assertEqual(first, statuses())  # the same seed gives the same faults
        share = first.count(429) / len(first)
        self.assertTrue(0.15 < share < 0.45, share)
        with self.assertRaises(FaultError):
            Rule(dict(rule, probability=2))

    def test_rule_matches_only_its_operation(self):
        self.fake.set_faults([{'service': 'lambda', 'operation': 'GetPolicy',
                               'kind': 'internal'}])
        self.get_config()
        lam = self.client('lambda')
        self.assertAwsError(lambda: lam.get_policy(FunctionName='my-fn'), 'ServiceException',
                            500)

    def test_unavailable_and_internal_on_query_and_ec2(self):
        self.fake.set_faults([{'kind': 'unavailable', 'service': 'sts'},
                              {'kind': 'internal', 'service': 'ec2'}])
        self.assertAwsError(self.client('sts').get_caller_identity, 'ServiceUnavailable', 503)
        self.assertAwsError(self.client('ec2').describe_vpcs, 'InternalError', 500)

    def test_access_denied_names_caller_action_and_resource(self):
        self.fake.set_faults([{'kind': 'access_denied', 'operation': 'GetPolicy'}])
        lam = self.client('lambda')
        self.assertAwsError(
            lambda: lam.get_policy(FunctionName='my-fn'), 'AccessDeniedException', 403,
            r'^User: arn:aws:iam::123456789012:user/runbook-tester is not authorized to '
            r'perform: lambda:GetPolicy on resource: arn:aws:lambda:us-east-1:123456789012:'
            r'function:my-fn because no identity-based policy allows the lambda:GetPolicy '
            r'action$')
        self.fake.set_faults([{'kind': 'access_denied'}])
        self.assertAwsError(lambda: self.client('iam').get_role(RoleName='my-fn-role'),
                            'AccessDenied', 403, 'iam:GetRole on resource: arn:aws:iam::')
        self.assertAwsError(self.client('ec2').describe_vpcs, 'UnauthorizedOperation', 403,
                            '^You are not authorized to perform this operation.')

    def test_custom_error_kind(self):
        self.fake.set_faults([{'kind': 'error', 'code': 'ResourceConflictException',
                               'status': 409, 'message': 'An update is in progress'}])
        self.assertAwsError(self.get_config, 'ResourceConflictException', 409,
                            'An update is in progress')

    def _raw_get(self):
        resp = self.raw('GET', LAMBDA_PATH, sign={'service': 'lambda'})
        return resp

    def test_reset_closes_the_socket_without_a_response(self):
        self.fake.set_faults([{'kind': 'reset', 'count': 1}])
        with self.assertRaises((ConnectionResetError, http.client.RemoteDisconnected)):
            self._raw_get()
        self.assertEqual(self._raw_get().status, 200)
        self.assertEqual(self.fake.requests()[0]['faults'], ['reset'])

    def test_reset_surfaces_as_a_connection_error_in_botocore(self):
        self.fake.set_faults([{'kind': 'reset', 'count': 1}])
        with self.assertRaises(HTTPClientError):
            self.get_config()

    def test_close_gives_an_empty_reply(self):
        self.fake.set_faults([{'kind': 'close', 'count': 1}])
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError)):
            self._raw_get()

    def test_truncated_body_is_shorter_than_content_length(self):
        self.fake.set_faults([{'kind': 'truncated', 'count': 1}])
        with self.assertRaises(http.client.IncompleteRead):
            self._raw_get()

    def test_malformed_reply_is_not_parseable(self):
        self.fake.set_faults([{'kind': 'malformed'}])
        resp = self._raw_get()
        self.assertEqual(resp.status, 200)
        with self.assertRaises(ValueError):
            json.loads(resp.body)
        with self.assertRaises(ResponseParserError):
            self.client('sts').get_caller_identity()

    def test_skew_moves_the_servers_clock(self):
        self.fake.set_faults([{'kind': 'skew', 'skew_seconds': 1800}])
        err = self.assertAwsError(self.get_config, 'InvalidSignatureException', 403,
                                  '^Signature expired: ')
        server = email.utils.parsedate_to_datetime(
            err['ResponseMetadata']['HTTPHeaders']['date'])
        ahead = (server - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        self.assertAlmostEqual(ahead, 1800, delta=10)

    def test_delay_stacks_with_a_terminal_fault(self):
        self.fake.set_faults([{'kind': 'delay', 'delay_ms': 150},
                              {'kind': 'throttle', 'service': 'lambda'}])
        started = time.monotonic()
        self.assertAwsError(self.get_config, 'TooManyRequestsException')
        self.assertGreaterEqual(time.monotonic() - started, 0.15)
        self.assertEqual(self.fake.requests()[0]['faults'], ['delay', 'throttle'])

    def test_delayed_requests_overlap(self):
        self.fake.set_faults([{'kind': 'delay', 'delay_ms': 100}])
        results = []

        def one():
            results.append(self._raw_get().status)
        threads = [threading.Thread(target=one) for _ in range(50)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        self.assertEqual(results, [200] * 50)
        self.assertLess(elapsed, 2.5, 'delayed requests were served one after another')
        self.assertTrue(all(e['duration_ms'] >= 100 for e in self.fake.requests()))

    def test_imds_faults_need_an_explicit_service(self):
        self.fake.set_faults([{'kind': 'unavailable'}])
        headers = {'X-aws-ec2-metadata-token-ttl-seconds': '60'}
        self.assertEqual(self.raw('PUT', '/latest/api/token', headers=headers).status, 200)
        self.fake.set_faults([{'kind': 'unavailable', 'service': 'imds'}])
        self.assertEqual(self.raw('PUT', '/latest/api/token', headers=headers).status, 503)

    def test_add_appends_and_get_reports_counts(self):
        self.fake.set_faults([{'kind': 'throttle', 'operation': 'GetPolicy', 'count': 1}])
        rules = self.fake.add_faults({'kind': 'internal', 'operation': 'ListFunctions'})
        self.assertEqual([r['kind'] for r in rules], ['throttle', 'internal'])
        self.assertAwsError(lambda: self.client('lambda').get_policy(FunctionName='my-fn'),
                            'TooManyRequestsException')
        self.assertEqual(self.fake.faults()[0]['applied'], 1)

    def test_invalid_rule_is_rejected(self):
        with self.assertRaises(Exception) as caught:
            self.fake.set_faults([{'kind': 'gremlins'}])
        self.assertIn('400', str(caught.exception))


class FaultsFromFile(FakeTestCase):
    shared = False
    faults = [{'service': 'lambda', 'kind': 'throttle', 'count': 1}]

    def test_faults_file_applies_from_the_start(self):
        lam = self.client('lambda')
        self.assertAwsError(lam.list_functions, 'TooManyRequestsException', 429)
        self.assertIn('Functions', lam.list_functions())


class FaultsFromWorld(FakeTestCase):
    shared = False
    world = {'credentials': [{'access_key_id': 'AKIAIOSFODNN7EXAMPLE',
                              'secret_access_key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'}],
             'faults': [{'service': 'sts', 'kind': 'unavailable', 'count': 1}]}

    def test_world_faults_apply(self):
        sts = self.client('sts')
        with self.assertRaises(ClientError):
            sts.get_caller_identity()
        self.assertEqual(sts.get_caller_identity()['Account'], '123456789012')


if __name__ == '__main__':
    unittest.main()
