"""IAM writes a remediation sends (inline and managed role policies) and undoes, with
IAM's NoSuchEntity / LimitExceeded / InvalidInput answers, checked by reading back.
"""

import json
import unittest

from test_lambda_writes import basic_with
from testlib import FakeTestCase

BASIC = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'
XRAY = 'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess'


def doc(action, resource='*'):
    return json.dumps({'Version': '2012-10-17', 'Statement': [
        {'Effect': 'Allow', 'Action': action, 'Resource': resource}]})


class InlinePolicies(FakeTestCase):
    shared = False

    def test_put_get_list_delete(self):
        iam = self.client('iam')
        iam.put_role_policy(RoleName='my-fn-role', PolicyName='runbook-fix',
                            PolicyDocument=doc('sqs:SendMessage'))
        self.assertEqual(iam.list_role_policies(RoleName='my-fn-role')['PolicyNames'],
                         ['orders-table-access', 'runbook-fix'])
        iam.put_role_policy(RoleName='my-fn-role', PolicyName='runbook-fix',
                            PolicyDocument=doc(['sqs:SendMessage', 'sqs:GetQueueUrl']))
        got = iam.get_role_policy(RoleName='my-fn-role', PolicyName='runbook-fix')
        self.assertEqual(got['PolicyDocument']['Statement'][0]['Action'],
                         ['sqs:SendMessage', 'sqs:GetQueueUrl'])
        iam.delete_role_policy(RoleName='my-fn-role', PolicyName='runbook-fix')
        self.assertEqual(iam.list_role_policies(RoleName='my-fn-role')['PolicyNames'],
                         ['orders-table-access'])
        self.assertAwsError(lambda: iam.get_role_policy(RoleName='my-fn-role',
                                                        PolicyName='runbook-fix'),
                            'NoSuchEntity', 404,
                            '^The role policy with name runbook-fix cannot be found.$')
        self.assertAwsError(lambda: iam.delete_role_policy(RoleName='my-fn-role',
                                                           PolicyName='runbook-fix'),
                            'NoSuchEntity', 404,
                            '^The role policy with name runbook-fix cannot be found.$')
        self.assertAwsError(lambda: iam.delete_role_policy(RoleName='no-role', PolicyName='x'),
                            'NoSuchEntity', 404, '^The role with name no-role cannot be found.$')
        state = self.fake.world_state()['iam']['roles']['my-fn-role']['inline_policies']
        self.assertEqual(sorted(state), ['orders-table-access'])

    def test_inline_policies_of_a_role_are_limited_in_size(self):
        iam = self.client('iam')
        big = doc(['s3:GetObject'], ['arn:aws:s3:::bucket-%04d/*' % i for i in range(400)])
        self.assertAwsError(lambda: iam.put_role_policy(RoleName='vpc-fn-role',
                                                        PolicyName='big', PolicyDocument=big),
                            'LimitExceeded', 409,
                            '^Maximum policy size of 10240 bytes exceeded for role vpc-fn-role$')
        self.assertEqual(iam.list_role_policies(RoleName='vpc-fn-role')['PolicyNames'], [])


class ManagedPolicies(FakeTestCase):
    shared = False

    def attached(self, iam, role='my-fn-role'):
        return [p['PolicyArn'] for p in
                iam.list_attached_role_policies(RoleName=role)['AttachedPolicies']]

    def test_detach_and_attach(self):
        iam = self.client('iam')
        iam.detach_role_policy(RoleName='my-fn-role', PolicyArn=XRAY)
        self.assertEqual(self.attached(iam), [BASIC])
        self.assertAwsError(lambda: iam.detach_role_policy(RoleName='my-fn-role',
                                                           PolicyArn=XRAY),
                            'NoSuchEntity', 404, '^Policy %s was not found.$' % XRAY)
        iam.attach_role_policy(RoleName='my-fn-role', PolicyArn=XRAY)
        iam.attach_role_policy(RoleName='my-fn-role', PolicyArn=XRAY)  # idempotent
        self.assertEqual(self.attached(iam), [BASIC, XRAY])
        self.assertAwsError(lambda: iam.detach_role_policy(RoleName='no-role', PolicyArn=XRAY),
                            'NoSuchEntity', 404)

    def test_attach_errors(self):
        iam = self.client('iam')
        missing = 'arn:aws:iam::123456789012:policy/not-there'
        self.assertAwsError(lambda: iam.attach_role_policy(RoleName='vpc-fn-role',
                                                           PolicyArn=missing),
                            'NoSuchEntity', 404,
                            '^Policy %s does not exist or is not attachable.$' % missing)
        self.assertAwsError(lambda: iam.attach_role_policy(RoleName='vpc-fn-role',
                                                           PolicyArn='policy/not-an-arn-at-all'),
                            'InvalidInput', 400, '^ARN policy/not-an-arn-at-all is not valid.$')
        self.assertEqual(self.attached(iam, 'vpc-fn-role'),
                         ['arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'])


def _quota_world():
    """basic, plus twelve customer managed policies to attach."""
    world = basic_with()
    world['iam']['policies'] = {'arn:aws:iam::123456789012:policy/p%d' % i: {
        'versions': {'v1': json.loads(doc('s3:ListBucket'))}} for i in range(12)}
    return world


class ManagedPolicyQuota(FakeTestCase):
    world = _quota_world()

    def test_no_more_than_ten_per_role(self):
        iam = self.client('iam')
        for i in range(8):  # my-fn-role already has two
            iam.attach_role_policy(RoleName='my-fn-role',
                                   PolicyArn='arn:aws:iam::123456789012:policy/p%d' % i)
        self.assertAwsError(lambda: iam.attach_role_policy(
            RoleName='my-fn-role', PolicyArn='arn:aws:iam::123456789012:policy/p8'),
            'LimitExceeded', 409, '^Cannot exceed quota for PoliciesPerRole: 10$')


if __name__ == '__main__':
    unittest.main()
