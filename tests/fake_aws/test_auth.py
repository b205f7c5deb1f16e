"""Authentication in the fake: SigV4 verification, tokens, clock skew, credential
endpoints (IMDSv2, container) and STS-issued credentials, with AWS's error wording.
"""

import datetime
import email.utils
import json
import re
import unittest

from testlib import KEY, SECRET, FakeTestCase  # first: isolates from real AWS settings

from botocore.auth import SigV4QueryAuth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

ROLE_KEY = 'ASIAQ3EGRBQXROLE0001'
ROLE_SECRET = 'r0leS3cretKeyForTheReadOnlyRoleEXAMPLE01'
ROLE_TOKEN = 'IQoJb3JpZ2luX2VjEReadOnlyRoleSessionTokenEXAMPLE01'
SKEW_MESSAGE = (r'^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z '
                r'\(\d{8}T\d{6}Z - 5 min\.\)$')
LAMBDA_PATH = '/2015-03-31/functions/my-fn/configuration'
STS_BODY = b'Action=GetCallerIdentity&Version=2011-06-15'
FORM = {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'}


def _past(minutes):
    return datetime.datetime.utcnow() - datetime.timedelta(minutes=minutes)


class Signatures(FakeTestCase):
    def test_wrong_secret_is_rejected_with_the_canonical_request(self):
        lam = self.client('lambda', secret='not-the-secret')
        err = self.assertAwsError(lambda: lam.get_function_configuration(FunctionName='my-fn'),
                                  'InvalidSignatureException', 403,
                                  '^The request signature we calculated does not match')
        self.assertIn('The Canonical String for this request should have been',
                      err['Error']['Message'])
        entry = self.last_request()
        self.assertIs(entry['signature_ok'], False)
        self.assertTrue(entry['expected_canonical_request'].startswith('GET\n' + LAMBDA_PATH))

    def test_query_services_report_signature_does_not_match(self):
        sts = self.client('sts', secret='not-the-secret')
        self.assertAwsError(sts.get_caller_identity, 'SignatureDoesNotMatch', 403)
        ec2 = self.client('ec2', secret='not-the-secret')
        self.assertAwsError(ec2.describe_vpcs, 'SignatureDoesNotMatch', 403)

    def test_unknown_access_key_uses_each_protocols_code(self):
        for service, call, code, status in (
                ('lambda', lambda c: c.list_functions(), 'UnrecognizedClientException', 403),
                ('logs', lambda c: c.describe_log_groups(), 'UnrecognizedClientException', 403),
                ('iam', lambda c: c.list_roles(), 'InvalidClientTokenId', 403),
                ('ec2', lambda c: c.describe_vpcs(), 'AuthFailure', 401)):
            client = self.client(service, key='AKIANOTKNOWN00000000')
            with self.subTest(service=service):
                self.assertAwsError(lambda: call(client), code, status)

    def test_session_credentials_need_their_exact_token(self):
        for token in (None, 'IQoJwrongtoken'):
            sts = self.client('sts', key=ROLE_KEY, secret=ROLE_SECRET, token=token)
            self.assertAwsError(sts.get_caller_identity, 'InvalidClientTokenId', 403,
                                '^The security token included in the request is invalid.$')
        sts = self.client('sts', key=ROLE_KEY, secret=ROLE_SECRET, token=ROLE_TOKEN)
        self.assertEqual(sts.get_caller_identity()['UserId'][:4], 'AIDA')

    def test_skewed_request_is_rejected_with_the_expired_wording(self):
        resp = self.raw('GET', LAMBDA_PATH, sign={'service': 'lambda', 'when': _past(20)})
        self.assertEqual(resp.status, 403)
        self.assertEqual(resp.headers['x-amzn-ErrorType'], 'InvalidSignatureException')
        self.assertRegex(resp.json()['message'], SKEW_MESSAGE)
        server_date = email.utils.parsedate_to_datetime(resp.headers['Date'])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertLess(abs((server_date - now).total_seconds()), 5)

    def test_skew_on_query_and_ec2_protocols(self):
        resp = self.raw('POST', '/', STS_BODY, FORM, sign={'service': 'sts', 'when': _past(20)})
        self.assertEqual(resp.status, 403)
        self.assertIn('<Code>SignatureDoesNotMatch</Code>', resp.text)
        self.assertRegex(re.search(r'<Message>(.*)</Message>', resp.text).group(1),
                         SKEW_MESSAGE)
        body = b'Action=DescribeVpcs&Version=2016-11-15'
        resp = self.raw('POST', '/', body, FORM, sign={'service': 'ec2', 'when': _past(20)})
        self.assertEqual(resp.status, 400)
        self.assertIn('<Code>RequestExpired</Code>', resp.text)

    def test_future_request_is_not_yet_current(self):
        future = datetime.datetime.utcnow() + datetime.timedelta(minutes=10)
        resp = self.raw('GET', LAMBDA_PATH, sign={'service': 'lambda', 'when': future})
        self.assertEqual(resp.status, 403)
        self.assertRegex(resp.json()['message'], r'^Signature not yet current: ')

    def test_request_within_five_minutes_is_accepted(self):
        resp = self.raw('GET', LAMBDA_PATH, sign={'service': 'lambda', 'when': _past(4)})
        self.assertEqual(resp.status, 200, resp.text)

    def test_missing_authorization_is_missing_authentication_token(self):
        resp = self.raw('GET', LAMBDA_PATH)
        self.assertEqual((resp.status, resp.headers['x-amzn-ErrorType']),
                         (403, 'MissingAuthenticationTokenException'))
        resp = self.raw('POST', '/', STS_BODY, FORM)
        self.assertEqual(resp.status, 403)
        self.assertIn('<Code>MissingAuthenticationToken</Code>', resp.text)

    def test_every_response_has_date_and_request_id(self):
        resp = self.raw('GET', LAMBDA_PATH, sign={'service': 'lambda'})
        self.assertEqual(resp.status, 200)
        self.assertIsNotNone(email.utils.parsedate_to_datetime(resp.headers['Date']))
        self.assertRegex(resp.headers['x-amzn-RequestId'], r'^[0-9a-f-]{36}$')

    def test_presigned_query_request_verifies(self):
        request = AWSRequest(method='GET', url=self.fake.url
                             + '/?Action=GetCallerIdentity&Version=2011-06-15')
        SigV4QueryAuth(Credentials(KEY, SECRET), 'sts', 'us-east-1', 60).add_auth(request)
        resp = self.raw('GET', request.url[len(self.fake.url):])
        self.assertEqual(resp.status, 200, resp.text)
        self.assertIn('<Arn>arn:aws:iam::123456789012:user/runbook-tester</Arn>', resp.text)

    def test_tampered_body_fails_the_signature(self):
        good = self.raw('POST', '/', STS_BODY, FORM, sign={'service': 'sts'})
        self.assertEqual(good.status, 200)
        resp = self.raw('POST', '/', STS_BODY, FORM, sign={'service': 'sts'},
                        sent_body=STS_BODY + b'&DurationSeconds=900')
        self.assertEqual(resp.status, 403)
        self.assertIn('<Code>SignatureDoesNotMatch</Code>', resp.text)


class StsCredentials(FakeTestCase):
    def test_assume_role_credentials_then_verify(self):
        sts = self.client('sts')
        out = sts.assume_role(RoleArn='arn:aws:iam::123456789012:role/runbook-readonly',
                              RoleSessionName='triage')
        creds = out['Credentials']
        self.assertEqual(creds['AccessKeyId'], ROLE_KEY)
        self.assertEqual(out['AssumedRoleUser']['Arn'],
                         'arn:aws:sts::123456789012:assumed-role/runbook-readonly/triage')
        as_role = self.client('sts', key=creds['AccessKeyId'], secret=creds['SecretAccessKey'],
                              token=creds['SessionToken'])
        self.assertEqual(as_role.get_caller_identity()['Arn'], out['AssumedRoleUser']['Arn'])

    def test_assume_unknown_role_is_access_denied(self):
        sts = self.client('sts')
        self.assertAwsError(lambda: sts.assume_role(
            RoleArn='arn:aws:iam::123456789012:role/nope', RoleSessionName='xy'),
            'AccessDenied', 403, r'^User: arn:aws:iam::123456789012:user/runbook-tester is not '
            r'authorized to perform: sts:AssumeRole on resource: ')

    def test_web_identity_is_unsigned_and_checks_the_token(self):
        sts = self.client('sts')
        role = 'arn:aws:iam::123456789012:role/runbook-web-identity'
        token = self.fake.world['sts']['roles'][role]['web_identity_tokens'][0]
        out = sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName='pod',
                                                WebIdentityToken=token)
        self.assertEqual(out['Credentials']['AccessKeyId'], 'ASIAQ3EGRBQXWEBID001')
        self.assertIsNone(self.last_request()['access_key_id'])
        self.assertAwsError(lambda: sts.assume_role_with_web_identity(
            RoleArn=role, RoleSessionName='pod', WebIdentityToken='forged'),
            'InvalidIdentityToken', 400)


class CredentialEndpoints(FakeTestCase):
    def _imds_token(self):
        resp = self.raw('PUT', '/latest/api/token',
                        headers={'X-aws-ec2-metadata-token-ttl-seconds': '21600'})
        self.assertEqual(resp.status, 200)
        return resp.text

    def test_imds_token_needs_a_ttl(self):
        self.assertEqual(self.raw('PUT', '/latest/api/token').status, 400)

    def test_imds_requires_the_session_token(self):
        path = '/latest/meta-data/iam/security-credentials/'
        self.assertEqual(self.raw('GET', path).status, 401)
        resp = self.raw('GET', path, headers={'X-aws-ec2-metadata-token': 'bogus'})
        self.assertEqual(resp.status, 401)
        resp = self.raw('GET', path, headers={'X-aws-ec2-metadata-token': self._imds_token()})
        self.assertEqual((resp.status, resp.text), (200, 'runbook-instance-role'))

    def test_imds_credentials_verify_as_signing_credentials(self):
        token = self._imds_token()
        resp = self.raw('GET', '/latest/meta-data/iam/security-credentials/'
                        'runbook-instance-role', headers={'X-aws-ec2-metadata-token': token})
        creds = resp.json()
        self.assertEqual((creds['Code'], creds['Type']), ('Success', 'AWS-HMAC'))
        self.assertRegex(creds['Expiration'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
        sts = self.client('sts', key=creds['AccessKeyId'], secret=creds['SecretAccessKey'],
                          token=creds['Token'])
        self.assertEqual(sts.get_caller_identity()['Arn'], 'arn:aws:sts::123456789012:'
                         'assumed-role/runbook-instance-role/i-0123456789abcdef0')

    def test_container_credentials_check_the_authorization_token(self):
        self.assertEqual(self.raw('GET', '/container/credentials').status, 401)
        auth = {'Authorization': 'fake-container-authorization-token'}
        for path in ('/container/credentials', '/v2/credentials/6b0f2ab6-task'):
            resp = self.raw('GET', path, headers=auth)
            self.assertEqual(resp.status, 200)
        creds = resp.json()
        self.assertEqual(creds['RoleArn'], 'arn:aws:iam::123456789012:role/runbook-task-role')
        sts = self.client('sts', key=creds['AccessKeyId'], secret=creds['SecretAccessKey'],
                          token=creds['Token'])
        self.assertIn('assumed-role/runbook-task-role', sts.get_caller_identity()['Arn'])

    def test_credential_endpoints_are_logged(self):
        self._imds_token()
        entry = self.last_request()
        self.assertEqual((entry['service'], entry['operation']), ('imds', 'GetToken'))


class ExpiredCredentials(FakeTestCase):
    shared = False
    world = {'credentials': [
        {'access_key_id': 'AKIAIOSFODNN7EXAMPLE', 'secret_access_key': SECRET},
        {'access_key_id': 'ASIAEXPIRED000000001', 'secret_access_key': 'old-secret',
         'session_token': 'old-token', 'expires': '-1m'}]}

    def test_expired_session_credentials_fail_with_expired_token(self):
        lam = self.client('lambda', key='ASIAEXPIRED000000001', secret='old-secret',
                          token='old-token')
        self.assertAwsError(lam.list_functions, 'ExpiredTokenException', 403)
        sts = self.client('sts', key='ASIAEXPIRED000000001', secret='old-secret',
                          token='old-token')
        self.assertAwsError(sts.get_caller_identity, 'ExpiredToken', 400)

    def test_minimal_world_serves_empty_answers_and_hides_secrets(self):
        self.assertEqual(self.client('lambda').list_functions()['Functions'], [])
        self.assertEqual(self.client('sts').get_caller_identity()['Account'], '123456789012')
        self.assertNotIn('old-secret', json.dumps(self.fake.world_state()))


if __name__ == '__main__':
    unittest.main()
