"""Several accounts and Regions behind one endpoint: routing by credential and signing
Region, global IAM/STS per account, and cross-account AssumeRole (trust, ExternalId).
"""

import unittest

from testlib import FakeTestCase  # first: isolates the process from real AWS settings

import botocore.config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from universe import Universe  # noqa: E402
from world import WorldError  # noqa: E402

A, B = '111111111111', '222222222222'
KEY_A, SECRET_A = 'AKIDUNIVERSEACCOUNTA1', 'uNiverseSecretKeyForAccountAEXAMPLE00001'
KEY_B, SECRET_B = 'AKIDUNIVERSEACCOUNTB1', 'uNiverseSecretKeyForAccountBEXAMPLE00001'
ROLE_KEY = 'ASIAUNIVERSEROLEB0001'
ROLE = 'arn:aws:iam::%s:role/fleet-ro' % B
UNTRUSTING = 'arn:aws:iam::%s:role/private' % B


def _fn(name):
    return {name: {'configuration': {'Runtime': 'python3.12'}}}


WORLD = {
    'description': 'two accounts: A in two Regions, B in one with a role A may assume',
    'worlds': [
        {'account_id': A, 'region': 'us-east-1',
         'credentials': [{'access_key_id': KEY_A, 'secret_access_key': SECRET_A}],
         'lambda': {'functions': _fn('a-east-fn')},
         'iam': {'roles': {'a-east-fn-role': {}}}},
        {'account_id': A, 'region': 'us-west-2',
         'lambda': {'functions': dict(_fn('a-west-fn'), **_fn('a-west-2-fn'))},
         'iam': {'roles': {'a-west-fn-role': {}}}},
        {'account_id': B, 'region': 'us-east-1',
         'credentials': [{'access_key_id': KEY_B, 'secret_access_key': SECRET_B},
                         {'access_key_id': ROLE_KEY, 'expires': '+1h',
                          'secret_access_key': 'r0leS3cretKeyForFleetRoleInBEXAMPLE00001',
                          'session_token': 'IQoJb3JpZ2luFleetRoleInAccountBTokenEXAMPLE'}],
         'sts': {'roles': {ROLE: {'credentials': ROLE_KEY, 'trusted_accounts': [A],
                                  'external_id': 'xid-1'},
                           UNTRUSTING: {'credentials': ROLE_KEY}}},
         'lambda': {'functions': _fn('b-east-fn')}},
    ],
}


class Routing(FakeTestCase):
    world = WORLD
    shared = False

    def region_client(self, service, region, key=KEY_A, secret=SECRET_A, token=None):
        cfg = botocore.config.Config(retries={'mode': 'standard', 'total_max_attempts': 1})
        client = self.session.create_client(service, endpoint_url=self.fake.url,
                                            region_name=region, aws_access_key_id=key,
                                            aws_secret_access_key=secret,
                                            aws_session_token=token, config=cfg)
        self.addCleanup(client.close)
        return client

    def names(self, client):
        return sorted(f['FunctionName'] for f in client.list_functions()['Functions'])

    def test_a_request_reaches_the_world_of_its_account_and_signing_region(self):
        self.assertEqual(self.names(self.region_client('lambda', 'us-east-1')), ['a-east-fn'])
        west = self.region_client('lambda', 'us-west-2')
        self.assertEqual(self.names(west), ['a-west-2-fn', 'a-west-fn'])
        arn = west.get_function_configuration(FunctionName='a-west-fn')['FunctionArn']
        self.assertEqual(arn, 'arn:aws:lambda:us-west-2:%s:function:a-west-fn' % A)
        b = self.region_client('lambda', 'us-east-1', KEY_B, SECRET_B)
        self.assertEqual(self.names(b), ['b-east-fn'])
        self.assertEqual(b.get_function(FunctionName='b-east-fn')['Configuration']
                         ['FunctionArn'], 'arn:aws:lambda:us-east-1:%s:function:b-east-fn' % B)

    def test_a_region_the_file_does_not_list_is_empty(self):
        self.assertEqual(self.names(self.region_client('lambda', 'eu-west-1')), [])
        self.assertEqual(self.names(self.region_client('lambda', 'us-west-2', KEY_B,
                                                       SECRET_B)), [])

    def test_iam_is_one_per_account_whatever_the_region(self):
        for region in ('us-east-1', 'us-west-2', 'ap-south-1'):
            iam = self.region_client('iam', region)
            names = sorted(r['RoleName'] for r in iam.list_roles()['Roles'])
            self.assertEqual(names, ['a-east-fn-role', 'a-west-fn-role'], region)
        iam_b = self.region_client('iam', 'us-east-1', KEY_B, SECRET_B)
        self.assertEqual(iam_b.list_roles()['Roles'], [])
        sts = self.region_client('sts', 'us-west-2')
        self.assertEqual(sts.get_caller_identity()['Account'], A)

    def test_assume_role_in_another_account_issues_that_accounts_credentials(self):
        sts = self.region_client('sts', 'us-east-1')
        out = sts.assume_role(RoleArn=ROLE, RoleSessionName='runbook', ExternalId='xid-1')
        creds = out['Credentials']
        self.assertEqual(creds['AccessKeyId'], ROLE_KEY)
        self.assertEqual(out['AssumedRoleUser']['Arn'],
                         'arn:aws:sts::%s:assumed-role/fleet-ro/runbook' % B)
        self.fake.clear_requests()
        lam = self.region_client('lambda', 'us-east-1', creds['AccessKeyId'],
                                 creds['SecretAccessKey'], creds['SessionToken'])
        self.assertEqual(self.names(lam), ['b-east-fn'])
        who = self.region_client('sts', 'us-east-1', creds['AccessKeyId'],
                                 creds['SecretAccessKey'], creds['SessionToken'])
        self.assertEqual(who.get_caller_identity()['Account'], B)
        self.assertEqual([r['account'] for r in self.fake.requests()], [B, B])

    def test_session_name_is_in_the_request_log(self):
        self.fake.clear_requests()
        self.region_client('sts', 'us-east-1').assume_role(
            RoleArn=ROLE, RoleSessionName='runbook', ExternalId='xid-1')
        entry = self.fake.requests()[-1]
        self.assertEqual((entry['operation'], entry['params']['RoleSessionName'],
                          entry['account']), ('AssumeRole', 'runbook', A))

    def test_wrong_or_missing_external_id_untrusted_or_unknown_role_is_access_denied(self):
        sts = self.region_client('sts', 'us-east-1')
        cases = ((ROLE, {'ExternalId': 'wrong'}), (ROLE, {}),
                 (UNTRUSTING, {}), ('arn:aws:iam::%s:role/nope' % B, {}),
                 ('arn:aws:iam::333333333333:role/fleet-ro', {}))
        for role, extra in cases:
            with self.subTest(role=role, extra=extra):
                with self.assertRaises(ClientError) as caught:
                    sts.assume_role(RoleArn=role, RoleSessionName='runbook', **extra)
                err = caught.exception.response
                self.assertEqual((err['Error']['Code'],
                                  err['ResponseMetadata']['HTTPStatusCode']),
                                 ('AccessDenied', 403))
                self.assertEqual(err['Error']['Message'],
                                 'User: arn:aws:iam::%s:user/runbook-tester is not authorized '
                                 'to perform: sts:AssumeRole on resource: %s' % (A, role))

    def test_traffic_goes_to_the_world_named_by_account_and_region(self):
        out = self.fake.traffic('a-west-fn', account_id=A, region='us-west-2', invocations=2)
        self.assertEqual(out['log_group'], '/aws/lambda/a-west-fn')
        logs = self.region_client('logs', 'us-west-2')
        groups = logs.describe_log_groups()['logGroups']
        self.assertEqual([g['logGroupName'] for g in groups], ['/aws/lambda/a-west-fn'])
        with self.assertRaisesRegex(ValueError, 'no such world'):
            self.fake.traffic('a-west-fn', account_id=B, region='eu-north-1')

    def test_the_role_account_trusts_its_own_callers(self):
        sts = self.region_client('sts', 'us-east-1', KEY_B, SECRET_B)
        out = sts.assume_role(RoleArn=UNTRUSTING, RoleSessionName='runbook')
        self.assertEqual(out['Credentials']['AccessKeyId'], ROLE_KEY)


class Format(unittest.TestCase):

    def load(self, data):
        return Universe(data, lambda world: None)

    def test_a_classic_world_serves_every_region(self):
        universe = self.load({'credentials': [{'access_key_id': 'K', 'secret_access_key': 'S'}]})
        cred = universe.credential('K')
        self.assertIs(universe.world_for(cred, 'eu-west-1', 'lambda'), universe.primary)

    def test_bad_files_name_what_is_wrong(self):
        cred = [{'access_key_id': 'K', 'secret_access_key': 'S'}]
        cases = (({'worlds': []}, 'non-empty list'),
                 ({'worlds': [{'credentials': cred, 'functions': {}}]},
                  r'unknown key\(s\) in worlds\[0\]: functions'),
                 ({'worlds': [{'credentials': cred}], 'lambda': {}},
                  r'unknown top-level key\(s\) beside "worlds": lambda'),
                 ({'worlds': [{'credentials': cred}, {'region': 'us-east-1'}]},
                  'two worlds for account 123456789012 in us-east-1'),
                 ({'worlds': [{'account_id': A, 'credentials': cred}, {'account_id': B}]},
                  'account %s has no "credentials"' % B))
        for data, message in cases:
            with self.subTest(message=message):
                with self.assertRaisesRegex(WorldError, message):
                    self.load(data)


if __name__ == '__main__':
    unittest.main()
