"""The config step through the real binary: the summary of a healthy function, a function
that is not Active, a failed or running update, runtime end of support, environment
variable names (never values).

Worlds: tests/worlds/healthy.json and small worlds written per test.
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import CliTestCase, fake_aws  # noqa: E402

CREDS = [{'access_key_id': 'AKIAIOSFODNN7EXAMPLE',
          'secret_access_key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'}]
SUBNETS = [{'SubnetId': 'subnet-0f00d1e2c3b4a5961', 'VpcId': 'vpc-0c0ffee1234567890',
            'CidrBlock': '10.20.1.0/24', 'AvailabilityZone': 'us-east-1a',
            'AvailableIpAddressCount': 0}]
SECRET_VALUE = 'Pr0d-DB-pa55w0rd-8841'


def world_with(name, **config):
    return {'description': 'config test: %s' % name, 'credentials': CREDS,
            'lambda': {'functions': {name: {'configuration': config}}},
            'ec2': {'subnets': SUBNETS}}


class ConfigStepTest(CliTestCase):

    def triage(self, world, function, fmt='json'):
        if isinstance(world, dict):
            world = self.write('world.json', json.dumps(world))
        with fake_aws(world) as fake:
            r = self.rb(fake, 'triage.lua', function, '--steps', 'config', '--format', fmt)
        self.assertIn(r.code, (0, 1), repr(r))
        return r

    def findings(self, r):
        steps = r.json()['steps']
        self.assertEqual([s['id'] for s in steps], ['config'], repr(r))
        return steps[0]['findings']

    def by_severity(self, findings, severity):
        return [f for f in findings if f['severity'] == severity]

    def test_config_summarises_a_healthy_function_without_alarm(self):
        r = self.triage('healthy', 'orders-api')
        self.assertEqual(r.code, 0, repr(r))
        findings = self.findings(r)
        self.assertEqual([f['severity'] for f in findings], ['ok'])
        f = findings[0]
        self.assertEqual(f['title'], 'python3.12 on arm64, 512 MB, timeout 10 s, Active')
        ev = f['evidence']
        self.assertIn('execution role arn:aws:iam::123456789012:role/orders-api-role', ev)
        self.assertIn('environment variable names: LOG_LEVEL, POWERTOOLS_SERVICE_NAME, '
                      'TABLE_NAME (values not shown)', ev)
        self.assertIn('no VPC: the function reaches the internet and AWS APIs directly', ev)
        self.assertIn('state Active, last update Successful', ev)
        self.assertIn('runtime python3.12 (end of support 2028-10-31), handler app.handler, '
                      'architecture arm64, package Zip', ev)
        self.assertTrue(any(line.startswith('code size 47.1 KB; layers (5.1 MB): arn:aws:lambda:')
                            for line in ev), ev)
        self.assertEqual(f['data']['timeout_s'], 10)
        self.assertEqual(f['data']['memory_mb'], 512)
        self.assertEqual(f['data']['env_names'], ['LOG_LEVEL', 'POWERTOOLS_SERVICE_NAME', 'TABLE_NAME'])

    def test_config_fails_a_failed_vpc_function_with_its_reason_code_and_role_fix(self):
        world = world_with('ledger-sync', Runtime='python3.12', Timeout=30, MemorySize=256,
                           Role='arn:aws:iam::123456789012:role/ledger-sync-role',
                           VpcConfig={'SubnetIds': ['subnet-0f00d1e2c3b4a5961'],
                                      'SecurityGroupIds': ['sg-0ab12cd34ef567890']},
                           State='Failed', StateReasonCode='InsufficientRolePermissions',
                           StateReason='The provided execution role does not have permissions '
                                       'to call CreateNetworkInterface on EC2')
        r = self.triage(world, 'ledger-sync')
        self.assertEqual(r.code, 1, repr(r))
        [f] = self.by_severity(self.findings(r), 'fail')
        self.assertEqual(f['title'], 'function is Failed: InsufficientRolePermissions')
        self.assertIn('CreateNetworkInterface', f['evidence'][0])
        self.assertEqual(f['fix']['commands'], [
            'aws iam attach-role-policy --role-name ledger-sync-role --policy-arn '
            'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'])
        summary = self.by_severity(self.findings(r), 'ok')[0]
        self.assertIn('VPC vpc-0c0ffee1234567890: subnets subnet-0f00d1e2c3b4a5961; security '
                      'groups sg-0ab12cd34ef567890', summary['evidence'])

    def test_config_pending_warns_and_subnet_without_ips_points_at_the_subnets(self):
        for state, severity, command in (
                ('Pending', 'warn', 'aws lambda wait function-active-v2 --function-name ledger-sync'),
                ('Inactive', 'fail', 'aws ec2 describe-subnets --subnet-ids subnet-0f00d1e2c3b4a5961')):
            with self.subTest(state=state):
                world = world_with('ledger-sync', Runtime='python3.12',
                                   VpcConfig={'SubnetIds': ['subnet-0f00d1e2c3b4a5961'],
                                              'SecurityGroupIds': ['sg-0ab12cd34ef567890']},
                                   State=state, StateReasonCode='SubnetOutOfIPAddresses',
                                   StateReason='The subnet has no free IP addresses')
                findings = self.findings(self.triage(world, 'ledger-sync'))
                [f] = self.by_severity(findings, severity)
                self.assertEqual(f['title'], 'function is %s: SubnetOutOfIPAddresses' % state)
                self.assertTrue(f['fix']['commands'][0].startswith(command), f['fix'])

    def test_config_fails_a_failed_update_and_notes_one_in_progress(self):
        world = world_with('billing-export', Runtime='python3.12', LastUpdateStatus='Failed',
                           LastUpdateStatusReasonCode='KMSKeyAccessDenied',
                           LastUpdateStatusReason='Lambda was unable to decrypt the environment '
                                                  'variables because KMS access was denied',
                           KMSKeyArn='arn:aws:kms:us-east-1:123456789012:key/'
                                     '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d')
        r = self.triage(world, 'billing-export')
        self.assertEqual(r.code, 1)
        [f] = self.by_severity(self.findings(r), 'fail')
        self.assertEqual(f['title'], 'the last update failed: KMSKeyAccessDenied')
        self.assertEqual(f['fix']['commands'], [
            "aws kms describe-key --key-id arn:aws:kms:us-east-1:123456789012:key/"
            "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d --query 'KeyMetadata.{State:KeyState,"
            "Enabled:Enabled}'"])
        world = world_with('billing-export', Runtime='python3.12', LastUpdateStatus='InProgress')
        r = self.triage(world, 'billing-export')
        self.assertEqual(r.code, 0)
        [f] = self.by_severity(self.findings(r), 'info')
        self.assertEqual(f['title'], 'a configuration or code update is in progress')
        self.assertEqual(f['fix']['commands'],
                         ['aws lambda wait function-updated-v2 --function-name billing-export'])

    def test_config_warns_about_a_deprecated_runtime_with_the_upgrade_command(self):
        world = world_with('legacy-cron', Runtime='python3.9', Timeout=60)
        r = self.triage(world, 'legacy-cron')
        self.assertEqual(r.code, 0, repr(r))  # a warning does not fail the run
        [f] = self.by_severity(self.findings(r), 'warn')
        self.assertEqual(f['title'], 'runtime python3.9 is deprecated since 2025-12-15')
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-function-configuration --function-name legacy-cron '
            '--runtime python3.13'])
        self.assertEqual(f['fix']['changes'], 'Runtime python3.9 -> python3.13')
        self.assertLess(f['data']['days_left'], 0)

    def test_config_never_prints_environment_variable_values(self):
        world = world_with('payments-api', Runtime='nodejs22.x',
                           Environment={'Variables': {'DB_PASSWORD': SECRET_VALUE,
                                                      'DB_USER_SECRET_ARN': 'arn:aws:secretsmanager:'
                                                      'us-east-1:123456789012:secret:pay-8Hq2',
                                                      'STRIPE_API_KEY': 'sk_live_51Hx9EXAMPLE'}})
        outputs = []
        for fmt in ('json', 'text', 'markdown'):
            outputs.append(self.triage(world, 'payments-api', fmt).out)
        for out in outputs:
            self.assertNotIn(SECRET_VALUE, out)
            self.assertNotIn('sk_live_51Hx9EXAMPLE', out)
            self.assertNotIn('secret:pay-8Hq2', out)
            self.assertIn('DB_PASSWORD', out)
        findings = json.loads(outputs[0])['steps'][0]['findings']
        secret = [f for f in findings if 'may hold a secret' in f['title']]
        self.assertEqual(len(secret), 1, findings)
        self.assertEqual(secret[0]['severity'], 'info')
        self.assertEqual(secret[0]['title'], 'environment variable DB_PASSWORD, STRIPE_API_KEY '
                                             'may hold a secret in plain configuration')
        self.assertEqual(secret[0]['data']['names'], ['DB_PASSWORD', 'STRIPE_API_KEY'])


if __name__ == '__main__':
    unittest.main()
