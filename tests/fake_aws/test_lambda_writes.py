"""Lambda writes a remediation sends: RevisionId preconditions, the update lifecycle
(LastUpdateStatus), PublishVersion, aliases, UpdateFunctionCode, event source mappings,
permissions and concurrency, each checked through botocore and by reading back.
"""

import base64
import copy
import hashlib
import json
import unittest

from botocore.exceptions import ClientError

from harness import resolve_world
from testlib import FakeTestCase

STALE = '00000000-0000-0000-0000-000000000000'
ESM = '2d9f6c1e-5b7a-4c3d-8e9f-0a1b2c3d4e5f'


def basic_with(**lambda_options):
    """The basic world with extra options in its "lambda" section."""
    with open(resolve_world('basic'), encoding='utf-8') as fh:
        world = json.load(fh)
    world = copy.deepcopy(world)
    world['lambda'].update(lambda_options)
    return world


class RevisionIds(FakeTestCase):
    shared = False

    def test_update_with_the_current_revision_succeeds_and_changes_it(self):
        lam = self.client('lambda')
        rev = lam.get_function_configuration(FunctionName='my-fn')['RevisionId']
        out = lam.update_function_configuration(FunctionName='my-fn', Timeout=45,
                                                RevisionId=rev)
        self.assertNotEqual(out['RevisionId'], rev)
        self.assertAwsError(lambda: lam.update_function_configuration(
            FunctionName='my-fn', Timeout=50, RevisionId=rev),
            'PreconditionFailedException', 412, 'does not match the latest Revision Id')
        self.assertEqual(lam.get_function_configuration(FunctionName='my-fn')['Timeout'], 45)

    def test_policy_writes_check_and_change_the_function_revision(self):
        lam = self.client('lambda')
        rev = lam.get_policy(FunctionName='my-fn')['RevisionId']
        self.assertEqual(rev, lam.get_function_configuration(FunctionName='my-fn')['RevisionId'])
        add = dict(FunctionName='my-fn', StatementId='allow-s3', Action='lambda:InvokeFunction',
                   Principal='s3.amazonaws.com')
        self.assertAwsError(lambda: lam.add_permission(RevisionId=STALE, **add),
                            'PreconditionFailedException', 412)
        lam.add_permission(RevisionId=rev, **add)
        after_add = lam.get_policy(FunctionName='my-fn')['RevisionId']
        self.assertNotEqual(after_add, rev)
        self.assertAwsError(lambda: lam.remove_permission(
            FunctionName='my-fn', StatementId='allow-s3', RevisionId=rev),
            'PreconditionFailedException', 412)
        lam.remove_permission(FunctionName='my-fn', StatementId='allow-s3', RevisionId=after_add)
        sids = [s['Sid'] for s in json.loads(lam.get_policy(FunctionName='my-fn')['Policy'])
                ['Statement']]
        self.assertNotIn('allow-s3', sids)
        self.assertAwsError(lambda: lam.remove_permission(FunctionName='my-fn',
                                                          StatementId='allow-s3'),
                            'ResourceNotFoundException', 404,
                            'Statement allow-s3 is not found in resource policy')

    def test_removing_the_last_statement_leaves_no_policy(self):
        lam = self.client('lambda')
        lam.add_permission(FunctionName='vpc-fn', StatementId='only', Principal='*',
                           Action='lambda:InvokeFunction')
        lam.remove_permission(FunctionName='vpc-fn', StatementId='only')
        self.assertAwsError(lambda: lam.get_policy(FunctionName='vpc-fn'),
                            'ResourceNotFoundException', 404)

    def test_a_resource_policy_is_limited_to_20_kb(self):
        lam = self.client('lambda')
        arn = 'arn:aws:execute-api:us-east-1:123456789012:%s/*/GET/' + 'x' * 200
        with self.assertRaises(ClientError) as caught:
            for i in range(100):
                lam.add_permission(FunctionName='vpc-fn', StatementId='api-%d' % i,
                                   Principal='apigateway.amazonaws.com',
                                   Action='lambda:InvokeFunction', SourceArn=arn % i)
        err = caught.exception.response
        self.assertEqual(err['Error']['Code'], 'PolicyLengthExceededException')
        self.assertRegex(err['Error']['Message'],
                         r'^The final policy size \(\d+\) is bigger than the limit \(20480\).$')
        self.assertGreater(i, 40)
        policy = lam.get_policy(FunctionName='vpc-fn')['Policy']
        self.assertLessEqual(len(policy), 20480)
        for j in range(i):
            lam.remove_permission(FunctionName='vpc-fn', StatementId='api-%d' % j)

    def test_concurrency_writes_change_the_revision(self):
        lam = self.client('lambda')
        rev = lam.get_function_configuration(FunctionName='vpc-fn')['RevisionId']
        lam.put_function_concurrency(FunctionName='vpc-fn', ReservedConcurrentExecutions=5)
        rev2 = lam.get_function_configuration(FunctionName='vpc-fn')['RevisionId']
        lam.delete_function_concurrency(FunctionName='vpc-fn')
        rev3 = lam.get_function_configuration(FunctionName='vpc-fn')['RevisionId']
        self.assertEqual(len({rev, rev2, rev3}), 3)

    def test_reserved_concurrency_is_limited_by_the_unreserved_capacity(self):
        lam = self.client('lambda')
        lam.put_function_concurrency(FunctionName='my-fn', ReservedConcurrentExecutions=400)
        # 1000 - 400 (my-fn) - 501 would leave 99 < 100 unreserved.
        self.assertAwsError(lambda: lam.put_function_concurrency(
            FunctionName='vpc-fn', ReservedConcurrentExecutions=501),
            'InvalidParameterValueException', 400,
            r"^Specified ReservedConcurrentExecutions for function decreases account's "
            r"UnreservedConcurrentExecution below its minimum value of \[100\].$")
        lam.put_function_concurrency(FunctionName='vpc-fn', ReservedConcurrentExecutions=500)
        self.assertEqual(lam.get_account_settings()['AccountLimit']
                         ['UnreservedConcurrentExecutions'], 100)


class UpdateLifecycle(FakeTestCase):
    world = basic_with(update_in_progress_reads=2)

    def test_in_progress_for_n_reads_then_successful(self):
        lam = self.client('lambda')
        out = lam.update_function_configuration(FunctionName='my-fn', MemorySize=1024)
        self.assertEqual((out['LastUpdateStatus'], out['MemorySize']), ('InProgress', 1024))
        state = self.fake.world_state()['lambda']['functions']['my-fn']['configuration']
        self.assertEqual(state['LastUpdateStatus'], 'InProgress')
        seen = [lam.get_function_configuration(FunctionName='my-fn')['LastUpdateStatus']]
        self.assertAwsError(lambda: lam.update_function_configuration(
            FunctionName='my-fn', Timeout=5), 'ResourceConflictException', 409,
            'An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:'
            'function:my-fn')
        self.assertAwsError(lambda: lam.publish_version(FunctionName='my-fn'),
                            'ResourceConflictException', 409)
        seen.append(lam.get_function(FunctionName='my-fn')['Configuration']['LastUpdateStatus'])
        final = lam.get_function_configuration(FunctionName='my-fn')
        seen.append(final['LastUpdateStatus'])
        self.assertEqual(seen, ['InProgress', 'InProgress', 'Successful'])
        self.assertNotIn('LastUpdateStatusReason', final)
        self.assertEqual(lam.get_function_configuration(FunctionName='my-fn')
                         ['LastUpdateStatus'], 'Successful')


class UpdateFailure(FakeTestCase):
    world = basic_with(update_in_progress_reads=1, update_failure={
        'LastUpdateStatusReasonCode': 'SubnetOutOfIPAddresses', 'count': 1,
        'LastUpdateStatusReason': 'Lambda was not able to create an ENI in the VPC of the '
                                  'Lambda function because the limit for Network Interfaces '
                                  'has been reached.'})

    def test_the_update_ends_failed_with_a_reason_then_the_next_succeeds(self):
        lam = self.client('lambda')
        lam.update_function_configuration(FunctionName='vpc-fn', Timeout=20)
        self.assertEqual(lam.get_function_configuration(FunctionName='vpc-fn')
                         ['LastUpdateStatus'], 'InProgress')
        failed = lam.get_function_configuration(FunctionName='vpc-fn')
        self.assertEqual((failed['LastUpdateStatus'], failed['LastUpdateStatusReasonCode']),
                         ('Failed', 'SubnetOutOfIPAddresses'))
        self.assertIn('limit for Network Interfaces', failed['LastUpdateStatusReason'])
        lam.update_function_configuration(FunctionName='vpc-fn', Timeout=25)
        lam.get_function_configuration(FunctionName='vpc-fn')
        done = lam.get_function_configuration(FunctionName='vpc-fn')
        self.assertEqual((done['LastUpdateStatus'], done['Timeout']), ('Successful', 25))
        self.assertNotIn('LastUpdateStatusReasonCode', done)


class FailureRule(unittest.TestCase):
    def test_true_is_a_generic_failure_and_count_runs_out(self):
        from handlers.lambda_updates import _take_failure
        self.assertEqual(_take_failure({'update_failure': True})['LastUpdateStatusReasonCode'],
                         'InternalError')
        section = {'update_failure': {'count': 1, 'LastUpdateStatusReasonCode': 'InvalidSubnet'}}
        self.assertEqual(_take_failure(section)['LastUpdateStatus'], 'Failed')
        self.assertIsNone(_take_failure(section))
        self.assertIsNone(_take_failure({}))


class UpdateNeverSettles(FakeTestCase):
    world = basic_with(update_settles=False)

    def test_stays_in_progress(self):
        lam = self.client('lambda')
        lam.update_function_configuration(FunctionName='my-fn', Timeout=40)
        for _ in range(3):
            self.assertEqual(lam.get_function_configuration(FunctionName='my-fn')
                             ['LastUpdateStatus'], 'InProgress')


class Versions(FakeTestCase):
    shared = False

    def test_publish_snapshots_latest_as_max_plus_one(self):
        lam = self.client('lambda')
        same = lam.publish_version(FunctionName='my-fn')
        self.assertEqual(same['Version'], '7', 'nothing changed since version 7')
        lam.update_function_configuration(FunctionName='my-fn', Timeout=90)
        out = lam.publish_version(FunctionName='my-fn', Description='longer timeout')
        self.assertEqual((out['Version'], out['Timeout'], out['Description']),
                         ('8', 90, 'longer timeout'))
        self.assertEqual(out['FunctionArn'],
                         'arn:aws:lambda:us-east-1:123456789012:function:my-fn:8')
        self.assertEqual(lam.get_function_configuration(FunctionName='my-fn', Qualifier='8')
                         ['Timeout'], 90)
        listed = lam.list_versions_by_function(FunctionName='my-fn')['Versions']
        self.assertEqual([v['Version'] for v in listed], ['$LATEST', '7', '8'])
        self.assertEqual((listed[1]['Timeout'], listed[1]['Description']),
                         (30, 'release 2024.05'), 'a published version is immutable')
        self.assertEqual(listed[2]['Description'], 'longer timeout')
        self.assertIn('LastModified', listed[2])
        lam.update_function_configuration(FunctionName='my-fn', Timeout=120)
        self.assertEqual(lam.get_function_configuration(FunctionName='my-fn', Qualifier='8')
                         ['Timeout'], 90)

    def test_publish_checks_revision_and_code_sha(self):  # the first of vpc-fn
        lam = self.client('lambda')
        self.assertAwsError(lambda: lam.publish_version(FunctionName='vpc-fn', RevisionId=STALE),
                            'PreconditionFailedException', 412)
        self.assertAwsError(lambda: lam.publish_version(FunctionName='vpc-fn',
                                                        CodeSha256='bm90LXRoZS1jb2Rl'),
                            'InvalidParameterValueException', 400,
                            r'^CodeSHA256 \(bm90LXRoZS1jb2Rl\) is different from current')
        rev = lam.get_function_configuration(FunctionName='vpc-fn')['RevisionId']
        sha = lam.get_function_configuration(FunctionName='vpc-fn')['CodeSha256']
        first = lam.publish_version(FunctionName='vpc-fn', RevisionId=rev, CodeSha256=sha)
        self.assertEqual(first['Version'], '1')

    def test_update_function_code(self):
        lam = self.client('lambda')
        zipped = b'PK\x03\x04 not really a zip'
        sha = base64.b64encode(hashlib.sha256(zipped).digest()).decode()
        dry = lam.update_function_code(FunctionName='vpc-fn', ZipFile=zipped, DryRun=True)
        self.assertEqual(dry['CodeSha256'], sha)
        self.assertNotEqual(lam.get_function_configuration(FunctionName='vpc-fn')['CodeSha256'],
                            sha, 'DryRun changes nothing')
        self.assertAwsError(lambda: lam.update_function_code(
            FunctionName='vpc-fn', ZipFile=zipped, RevisionId=STALE),
            'PreconditionFailedException', 412)
        before = lam.list_versions_by_function(FunctionName='vpc-fn')['Versions']
        out = lam.update_function_code(FunctionName='vpc-fn', ZipFile=zipped, Publish=True)
        self.assertEqual((out['Version'], out['CodeSha256'], out['CodeSize']),
                         (str(len(before)), sha, len(zipped)))  # $LATEST + N versions
        self.assertEqual(lam.get_function_configuration(FunctionName='vpc-fn')['CodeSha256'],
                         sha)
        self.assertAwsError(lambda: lam.update_function_code(FunctionName='vpc-fn'),
                            'InvalidParameterValueException', 400, 'source for function code')


class Aliases(FakeTestCase):
    shared = False

    def test_create_update_and_delete_an_alias(self):
        lam = self.client('lambda')
        lam.update_function_configuration(FunctionName='my-fn', MemorySize=768)
        new = lam.publish_version(FunctionName='my-fn')['Version']
        self.assertGreater(int(new), 7)
        created = lam.create_alias(FunctionName='my-fn', Name='canary', FunctionVersion='7',
                                   Description='canary traffic')
        self.assertEqual(created['AliasArn'],
                         'arn:aws:lambda:us-east-1:123456789012:function:my-fn:canary')
        self.assertAwsError(lambda: lam.create_alias(FunctionName='my-fn', Name='canary',
                                                     FunctionVersion='7'),
                            'ResourceConflictException', 409, '^Alias already exists: ')
        rev = lam.get_alias(FunctionName='my-fn', Name='canary')['RevisionId']
        self.assertEqual(rev, created['RevisionId'])
        updated = lam.update_alias(FunctionName='my-fn', Name='canary', FunctionVersion=new,
                                   RoutingConfig={'AdditionalVersionWeights': {'7': 0.25}},
                                   RevisionId=rev)
        self.assertNotEqual(updated['RevisionId'], rev)
        got = lam.get_alias(FunctionName='my-fn', Name='canary')
        self.assertEqual((got['FunctionVersion'], got['RoutingConfig']),
                         (new, {'AdditionalVersionWeights': {'7': 0.25}}))
        self.assertEqual(got['Description'], 'canary traffic')
        self.assertEqual(lam.get_function_configuration(FunctionName='my-fn',
                                                        Qualifier='canary')['MemorySize'], 768)
        self.assertAwsError(lambda: lam.update_alias(FunctionName='my-fn', Name='canary',
                                                     FunctionVersion='7', RevisionId=rev),
                            'PreconditionFailedException', 412)
        lam.update_alias(FunctionName='my-fn', Name='canary', FunctionVersion='7',
                         RoutingConfig={})
        got = lam.get_alias(FunctionName='my-fn', Name='canary')
        self.assertEqual(got['FunctionVersion'], '7')
        self.assertNotIn('RoutingConfig', got)
        names = [a['Name'] for a in lam.list_aliases(FunctionName='my-fn')['Aliases']]
        self.assertEqual(names, ['canary', 'live'])
        lam.delete_alias(FunctionName='my-fn', Name='canary')
        self.assertAwsError(lambda: lam.get_alias(FunctionName='my-fn', Name='canary'),
                            'ResourceNotFoundException', 404)
        lam.delete_alias(FunctionName='my-fn', Name='canary')  # already gone: still 204
        self.assertEqual(self.last_request()['status'], 204)

    def test_alias_rules(self):
        lam = self.client('lambda')
        self.assertAwsError(lambda: lam.create_alias(FunctionName='my-fn', Name='9',
                                                     FunctionVersion='7'),
                            'ValidationException', 400, "Value '9' at 'name'")
        self.assertAwsError(lambda: lam.create_alias(FunctionName='my-fn', Name='old',
                                                     FunctionVersion='3'),
                            'ResourceNotFoundException', 404, 'function:my-fn:3$')
        self.assertAwsError(lambda: lam.create_alias(
            FunctionName='my-fn', Name='w', FunctionVersion='$LATEST',
            RoutingConfig={'AdditionalVersionWeights': {'7': 0.5}}),
            'InvalidParameterValueException', 400, r'^\$LATEST is not supported')
        self.assertAwsError(lambda: lam.update_alias(
            FunctionName='my-fn', Name='live',
            RoutingConfig={'AdditionalVersionWeights': {'7': 0.5}}),
            'InvalidParameterValueException', 400, 'Primary version 7')
        self.assertAwsError(lambda: lam.update_alias(FunctionName='my-fn', Name='nope',
                                                     FunctionVersion='7'),
                            'ResourceNotFoundException', 404, '^Cannot find alias arn: ')
        lam.update_function_configuration(FunctionName='my-fn', Timeout=31)
        lam.publish_version(FunctionName='my-fn')
        self.assertAwsError(lambda: lam.update_alias(
            FunctionName='my-fn', Name='live', FunctionVersion='8',
            RoutingConfig={'AdditionalVersionWeights': {'7': 0.5}}),
            'InvalidParameterValueException', 400,
            '^Alias with weights can not be used with Provisioned Concurrency$')
        lam.create_alias(FunctionName='my-fn', Name='split', FunctionVersion='8',
                         RoutingConfig={'AdditionalVersionWeights': {'7': 0.5}})
        self.assertAwsError(lambda: lam.put_provisioned_concurrency_config(
            FunctionName='my-fn', Qualifier='split', ProvisionedConcurrentExecutions=2),
            'InvalidParameterValueException', 400,
            '^Alias with weights can not be used with Provisioned Concurrency$')
        lam.delete_alias(FunctionName='my-fn', Name='split')


class EventSourceMappings(FakeTestCase):
    shared = False

    def test_disable_and_enable(self):
        lam = self.client('lambda')
        out = lam.update_event_source_mapping(UUID=ESM, Enabled=False)
        self.assertEqual((out['State'], out['StateTransitionReason']),
                         ('Disabling', 'USER_INITIATED'))
        self.assertEqual(self.last_request()['status'], 202)
        self.assertEqual(lam.get_event_source_mapping(UUID=ESM)['State'], 'Disabled')
        listed = lam.list_event_source_mappings(FunctionName='my-fn')['EventSourceMappings']
        self.assertEqual(listed[0]['State'], 'Disabled')
        out = lam.update_event_source_mapping(UUID=ESM, Enabled=True, BatchSize=50,
                                              MaximumBatchingWindowInSeconds=5)
        self.assertEqual(out['State'], 'Enabling')
        got = lam.get_event_source_mapping(UUID=ESM)
        self.assertEqual((got['State'], got['BatchSize'], got['MaximumBatchingWindowInSeconds']),
                         ('Enabled', 50, 5))

    def test_rules(self):
        lam = self.client('lambda')
        self.assertAwsError(lambda: lam.update_event_source_mapping(
            UUID=ESM, BatchSize=100, MaximumBatchingWindowInSeconds=0),
            'InvalidParameterValueException', 400, 'Maximum batch window in seconds')
        self.assertAwsError(lambda: lam.update_event_source_mapping(
            UUID='11111111-2222-3333-4444-555555555555', Enabled=True),
            'ResourceNotFoundException', 404)
        self.assertAwsError(lambda: lam.update_event_source_mapping(
            UUID=ESM, FunctionName='no-such-fn'), 'ResourceNotFoundException', 404)
        self.assertEqual(lam.update_event_source_mapping(UUID=ESM, BatchSize=5)['State'],
                         'Updating')


if __name__ == '__main__':
    unittest.main()
