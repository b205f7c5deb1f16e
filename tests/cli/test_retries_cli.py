"""Retries through the real binary: what is retried, how often, and what is not."""

import unittest

from clitest import CliTestCase, fake_aws

GET = ('call', 'lambda', 'GetFunctionConfiguration', '{"FunctionName":"my-fn"}')


def attempts(fake, operation='GetFunctionConfiguration'):
    return [r for r in fake.requests() if r['operation'] == operation]


class RetryTest(CliTestCase):

    def test_throttled_twice_then_answered_succeeds(self):
        faults = [{'service': 'lambda', 'kind': 'throttle', 'count': 2}]
        with fake_aws('basic', faults=faults) as fake:
            r = self.rb(fake, *GET)
            self.assertOk(r)
            self.assertEqual(r.json()['FunctionName'], 'my-fn')
            seen = attempts(fake)
            self.assertEqual([q['status'] for q in seen], [429, 429, 200])

    def test_always_throttled_gives_up_after_max_attempts(self):
        faults = [{'service': 'lambda', 'kind': 'throttle'}]
        with fake_aws('basic', faults=faults) as fake:
            r = self.rb(fake, *GET, AWS_MAX_ATTEMPTS='4')
            self.assertEqual(r.code, 1, repr(r))
            first = r.err.split('\n')[0]
            self.assertIn('TooManyRequestsException', first)
            self.assertIn('after 4 attempts', first)
            self.assertEqual(len(attempts(fake)), 4)

    def test_validation_error_is_not_retried(self):
        with fake_aws('basic') as fake:
            r = self.rb(fake, 'call', 'logs', 'FilterLogEvents',
                        '{"logGroupName": "/aws/lambda/my-fn", "limit": 0}')
            self.assertEqual(r.code, 1, repr(r))
            self.assertEqual(len(attempts(fake, 'FilterLogEvents')), 1)
            self.assertIn('"retryable": false', r.err)

    def test_access_denied_is_not_retried(self):
        faults = [{'service': 'lambda', 'kind': 'access_denied'}]
        with fake_aws('basic', faults=faults) as fake:
            r = self.rb(fake, *GET)
            self.assertEqual(r.code, 1, repr(r))
            self.assertIn('AccessDenied', r.err.split('\n')[0])
            self.assertEqual(len(attempts(fake)), 1)

    def test_reset_connection_is_retried(self):
        faults = [{'service': 'lambda', 'kind': 'reset', 'count': 1}]
        with fake_aws('basic', faults=faults) as fake:
            r = self.rb(fake, *GET)
            self.assertOk(r)
            self.assertEqual(len(attempts(fake)), 2)

    def test_service_unavailable_and_internal_errors_are_retried(self):
        for kind in ('unavailable', 'internal', 'truncated'):
            with self.subTest(kind=kind):
                faults = [{'service': 'lambda', 'kind': kind, 'count': 1}]
                with fake_aws('basic', faults=faults) as fake:
                    r = self.rb(fake, *GET)
                    self.assertOk(r)
                    self.assertEqual(len(attempts(fake)), 2)

    def test_query_protocol_throttling_is_retried(self):
        faults = [{'service': 'iam', 'kind': 'throttle', 'count': 1}]
        with fake_aws('basic', faults=faults) as fake:
            r = self.rb(fake, 'call', 'iam', 'GetRole', '{"RoleName":"my-fn-role"}')
            self.assertOk(r)
            self.assertEqual(len(attempts(fake, 'GetRole')), 2)

    def test_clock_skew_is_corrected_from_the_server_date(self):
        faults = [{'kind': 'skew', 'skew_seconds': 3600}]
        with fake_aws('basic', faults=faults) as fake:
            r = self.rb(fake, *GET)
            self.assertOk(r)
            seen = attempts(fake)
            self.assertEqual(len(seen), 2, seen)
            self.assertEqual(seen[0]['status'], 403)

    def test_adaptive_mode_still_succeeds_after_throttling(self):
        faults = [{'service': 'lambda', 'kind': 'throttle', 'count': 2}]
        with fake_aws('basic', faults=faults) as fake:
            r = self.rb(fake, *GET, AWS_RETRY_MODE='adaptive')
            self.assertOk(r)
            self.assertEqual(len(attempts(fake)), 3)

    def test_bad_retry_configuration_is_a_setup_error(self):
        with fake_aws('basic') as fake:
            r = self.rb(fake, *GET, AWS_MAX_ATTEMPTS='lots')
            self.assertEqual(r.code, 3, repr(r))
            self.assertIn('AWS_MAX_ATTEMPTS', r.err.split('\n')[0])
            self.assertEqual(fake.requests(), [])


if __name__ == '__main__':
    unittest.main()
