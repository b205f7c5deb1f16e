"""Every credential source, end to end: the fake sees calls signed with that source's key."""

import os
import stat
import unittest

from clitest import CliTestCase, fake_aws

ROLE_ARN = 'arn:aws:iam::123456789012:role/runbook-readonly'
WEB_ROLE_ARN = 'arn:aws:iam::123456789012:role/runbook-web-identity'
WEB_TOKEN = ('eyJhbGciOiJSUzI1NiIsImtpZCI6ImZha2UifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6'
             'ZGVmYXVsdDpydW5ib29rIn0.c2lnbmF0dXJl')
NO_ENV_CREDS = dict(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_SESSION_TOKEN=None)


class CredentialSourcesTest(CliTestCase):

    def call_identity(self, fake, *args, **env):
        return self.rb(fake, *args, 'call', 'lambda', 'ListFunctions', creds=False, **env)

    def signer_of_last_lambda_call(self, fake):
        calls = [r for r in fake.requests() if r['service'] == 'lambda']
        self.assertTrue(calls, 'no lambda call reached the fake')
        self.assertTrue(calls[-1]['signature_ok'], calls[-1])
        return calls[-1]['access_key_id']

    def key(self, fake, index):
        return fake.credentials(index)

    def test_environment_variables(self):
        with fake_aws('basic') as fake:
            c = self.key(fake, 1)
            r = self.call_identity(fake, AWS_ACCESS_KEY_ID=c['access_key_id'],
                                   AWS_SECRET_ACCESS_KEY=c['secret_access_key'],
                                   AWS_SESSION_TOKEN=c['session_token'])
            self.assertOk(r)
            self.assertEqual(self.signer_of_last_lambda_call(fake), c['access_key_id'])

    def test_profile_in_shared_credentials_file(self):
        with fake_aws('basic') as fake:
            c = self.key(fake, 0)
            os.makedirs(os.path.join(fake.home, '.aws'))
            with open(os.path.join(fake.home, '.aws', 'credentials'), 'w') as fh:
                fh.write('[default]\naws_access_key_id = AKIAWRONGWRONGWRONG1\n'
                         'aws_secret_access_key = nope\n\n'
                         '[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n'
                         % (c['access_key_id'], c['secret_access_key']))
            r = self.call_identity(fake, '--profile', 'dev', **NO_ENV_CREDS)
            self.assertOk(r)
            self.assertEqual(self.signer_of_last_lambda_call(fake), c['access_key_id'])

    def test_explicit_files_and_profile_section_in_config(self):
        with fake_aws('basic') as fake:
            c = self.key(fake, 0)
            cfg = self.write('cfg', '[profile ops]\nregion = us-east-1\n'
                             'aws_access_key_id = %s\naws_secret_access_key = %s\n'
                             % (c['access_key_id'], c['secret_access_key']))
            creds = self.write('creds', '')
            r = self.call_identity(fake, AWS_PROFILE='ops', AWS_CONFIG_FILE=cfg,
                                   AWS_SHARED_CREDENTIALS_FILE=creds, AWS_REGION=None,
                                   **NO_ENV_CREDS)
            self.assertOk(r)
            self.assertEqual(self.signer_of_last_lambda_call(fake), c['access_key_id'])

    def test_credential_process(self):
        with fake_aws('basic') as fake:
            c = self.key(fake, 1)
            script = self.write('creds.sh', '#!/bin/sh\ncat <<JSON\n{"Version": 1, '
                                '"AccessKeyId": "%s", "SecretAccessKey": "%s", '
                                '"SessionToken": "%s", "Expiration": "2099-01-01T00:00:00Z"}\n'
                                'JSON\n' % (c['access_key_id'], c['secret_access_key'],
                                            c['session_token']), mode=0o755)
            cfg = self.write('cfg', '[profile proc]\ncredential_process = %s\n' % script)
            r = self.call_identity(fake, '--profile', 'proc', AWS_CONFIG_FILE=cfg,
                                   **NO_ENV_CREDS)
            self.assertOk(r)
            self.assertEqual(self.signer_of_last_lambda_call(fake), c['access_key_id'])

    def test_failing_credential_process_names_the_profile_and_exits_3(self):
        with fake_aws('basic') as fake:
            cfg = self.write('cfg', '[profile broken]\ncredential_process = /bin/false\n')
            r = self.call_identity(fake, '--profile', 'broken', AWS_CONFIG_FILE=cfg,
                                   **NO_ENV_CREDS)
            self.assertEqual(r.code, 3, repr(r))
            self.assertIn('broken', r.err.split('\n')[0])
            self.assertEqual([q for q in fake.requests() if q['service'] == 'lambda'], [])

    def test_assume_role_with_source_profile(self):
        with fake_aws('basic') as fake:
            base, role = self.key(fake, 0), self.key(fake, 1)
            cfg = self.write('cfg', '[profile base]\naws_access_key_id = %s\n'
                             'aws_secret_access_key = %s\n\n[profile ro]\nrole_arn = %s\n'
                             'source_profile = base\n'
                             % (base['access_key_id'], base['secret_access_key'], ROLE_ARN))
            r = self.call_identity(fake, '--profile', 'ro', AWS_CONFIG_FILE=cfg, **NO_ENV_CREDS)
            self.assertOk(r)
            sts = [q for q in fake.requests() if q['operation'] == 'AssumeRole']
            self.assertEqual(len(sts), 1)
            self.assertEqual(sts[0]['access_key_id'], base['access_key_id'])
            self.assertEqual(sts[0]['params']['RoleArn'], ROLE_ARN)
            self.assertEqual(self.signer_of_last_lambda_call(fake), role['access_key_id'])

    def test_web_identity_from_environment(self):
        with fake_aws('basic') as fake:
            token = self.write('token', WEB_TOKEN)
            r = self.call_identity(fake, AWS_WEB_IDENTITY_TOKEN_FILE=token,
                                   AWS_ROLE_ARN=WEB_ROLE_ARN, **NO_ENV_CREDS)
            self.assertOk(r)
            sts = [q for q in fake.requests() if q['operation'] == 'AssumeRoleWithWebIdentity']
            self.assertEqual(len(sts), 1)
            self.assertEqual(self.signer_of_last_lambda_call(fake), self.key(fake, 2)['access_key_id'])

    def test_container_credentials_full_uri_with_token(self):
        with fake_aws('basic') as fake:
            r = self.call_identity(
                fake, AWS_CONTAINER_CREDENTIALS_FULL_URI=fake.url + '/container/credentials',
                AWS_CONTAINER_AUTHORIZATION_TOKEN='fake-container-authorization-token',
                **NO_ENV_CREDS)
            self.assertOk(r)
            self.assertEqual(self.signer_of_last_lambda_call(fake), self.key(fake, 4)['access_key_id'])

    def test_instance_metadata_v2(self):
        with fake_aws('basic') as fake:
            r = self.call_identity(fake, AWS_EC2_METADATA_SERVICE_ENDPOINT=fake.url,
                                   AWS_EC2_METADATA_DISABLED=None, **NO_ENV_CREDS)
            self.assertOk(r)
            self.assertEqual(self.signer_of_last_lambda_call(fake), self.key(fake, 3)['access_key_id'])

    def test_no_credentials_exits_3_with_one_line_naming_the_sources_tried(self):
        with fake_aws('basic') as fake:
            r = self.call_identity(fake, **NO_ENV_CREDS)
            self.assertEqual(r.code, 3, repr(r))
            first = r.err.split('\n')[0]
            for source in ('environment', 'profile', 'web identity', 'container',
                           'instance metadata'):
                self.assertIn(source, first.lower())
            self.assertEqual(fake.requests(), [])


if __name__ == '__main__':
    unittest.main()
