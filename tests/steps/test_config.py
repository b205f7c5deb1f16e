"""The config step through the real binary: the summary of a healthy function, a function
that is not Active, a failed or running update, runtime end of support (a plan that
updates the runtime), environment variable names (never values), and one finding for one
root cause: a VPC reason code is the vpc step's (lib.reasons), config only points at it.

Worlds: tests/worlds/healthy.json, tests/worlds/vpc.json and small worlds written per test.
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import StepTestCase, fake_aws  # noqa: E402

CREDS = [{'access_key_id': 'AKIAIOSFODNN7EXAMPLE',
          'secret_access_key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'}]
SUBNETS = [{'SubnetId': 'subnet-0f00d1e2c3b4a5961', 'VpcId': 'vpc-0c0ffee1234567890',
            'CidrBlock': '10.20.1.0/24', 'AvailabilityZone': 'us-east-1a',
            'AvailableIpAddressCount': 0}]
VPC_CONFIG = {'SubnetIds': ['subnet-0f00d1e2c3b4a5961'],
              'SecurityGroupIds': ['sg-0ab12cd34ef567890']}
SECRET_VALUE = 'Pr0d-DB-pa55w0rd-8841'
ROLE_REASON = 'The provided execution role does not have permissions to call ' \
              'CreateNetworkInterface on EC2'


def world_with(name, **config):
    return {'description': 'config test: %s' % name, 'credentials': CREDS,
            'lambda': {'functions': {name: {'configuration': config}}},
            'ec2': {'subnets': SUBNETS}}


class ConfigStepTest(StepTestCase):

    step = 'config'

    def world(self, world):
        if isinstance(world, dict):
            world = self.write('world.json', json.dumps(world))
        return fake_aws(world)

    def run_step(self, world, function):
        """The result and the config step's findings."""
        with self.world(world) as fake:
            return self.triage(fake, function)

    def by_severity(self, findings, severity):
        return [f for f in findings if f['severity'] == severity]

    def test_config_summarises_a_healthy_function_without_alarm(self):
        r, findings = self.run_step('healthy', 'orders-api')
        self.assertEqual(r.code, 0, repr(r))
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

    def test_config_points_a_vpc_reason_code_at_the_vpc_step_at_info(self):
        # One root cause, one finding: InsufficientRolePermissions of a VPC function is the
        # vpc step's fail (with the attach-role-policy plan); config only says so at info.
        world = world_with('ledger-sync', Runtime='python3.12', Timeout=30, MemorySize=256,
                           Role='arn:aws:iam::123456789012:role/ledger-sync-role',
                           VpcConfig=VPC_CONFIG, State='Failed',
                           StateReasonCode='InsufficientRolePermissions', StateReason=ROLE_REASON)
        r, findings = self.run_step(world, 'ledger-sync')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual(self.by_severity(findings, 'fail'), [])
        f = self.only(findings, 'info', 'InsufficientRolePermissions')
        self.assertEqual(f['title'], 'function is Failed: InsufficientRolePermissions '
                                     '(diagnosed by the vpc step)')
        self.assertIn('CreateNetworkInterface', f['evidence'][0])
        self.assertEqual(f['fix']['commands'], ['runbook triage.lua ledger-sync --steps vpc'])
        self.assertNotIn('plan', f['fix'])
        self.assertEqual(f['data']['owner'], 'vpc')
        summary = self.by_severity(findings, 'ok')[0]
        self.assertIn('VPC vpc-0c0ffee1234567890: subnets subnet-0f00d1e2c3b4a5961; security '
                      'groups sg-0ab12cd34ef567890', summary['evidence'])

    def test_config_and_vpc_report_insufficient_role_permissions_once(self):
        with fake_aws('vpc') as fake:
            r = self.rb(fake, 'triage.lua', 'audit-fn', '--steps', 'config,vpc',
                        '--format', 'json', timeout=120)
        self.assertEqual(r.code, 1, repr(r))
        steps = {s['id']: s['findings'] for s in r.json()['steps']}
        fails = [(sid, f['title']) for sid, fs in steps.items() for f in fs
                 if f['severity'] == 'fail']
        self.assertEqual(fails, [('vpc', 'function cannot attach to its VPC: role audit-fn-role '
                                         'may not create network interfaces')])
        pointer = [f for f in steps['config'] if f['data'].get('owner') == 'vpc']
        self.assertEqual([f['severity'] for f in pointer], ['info'])

    def test_config_owns_insufficient_role_permissions_without_a_vpc(self):
        world = world_with('ledger-sync', Runtime='python3.12', State='Failed',
                           Role='arn:aws:iam::123456789012:role/ledger-sync-role',
                           StateReasonCode='InsufficientRolePermissions',
                           StateReason='The role cannot be assumed by Lambda')
        r, findings = self.run_step(world, 'ledger-sync')
        self.assertEqual(r.code, 1, repr(r))
        f = self.only(findings, 'fail', 'InsufficientRolePermissions')
        self.assertEqual(f['title'], 'function is Failed: InsufficientRolePermissions')
        self.assertEqual(f['fix']['commands'], [])
        [verify] = f['fix']['verify']
        self.assertEqual((verify['what'], verify['path'], verify['op'], verify['value']),
                         ('State == Active', 'State', '==', 'Active'))
        self.assertEqual(verify['read']['operation'], 'GetFunctionConfiguration')

    def test_config_pending_warns_with_the_waiter_and_vpc_subnet_codes_point_at_vpc(self):
        world = world_with('ledger-sync', Runtime='python3.12', State='Pending',
                           StateReasonCode='Creating', StateReason='Creating resources')
        r, findings = self.run_step(world, 'ledger-sync')
        f = self.only(findings, 'warn', 'Pending')
        self.assertEqual(f['title'], 'function is Pending: Creating')
        self.assertEqual(f['fix']['commands'],
                         ['aws lambda wait function-active-v2 --function-name ledger-sync'])
        for state in ('Pending', 'Inactive'):
            with self.subTest(state=state):
                world = world_with('ledger-sync', Runtime='python3.12', VpcConfig=VPC_CONFIG,
                                   State=state, StateReasonCode='SubnetOutOfIPAddresses',
                                   StateReason='The subnet has no free IP addresses')
                r, findings = self.run_step(world, 'ledger-sync')
                self.assertEqual([f['severity'] for f in findings], ['info', 'ok'])
                self.assertEqual(findings[0]['title'], 'function is %s: SubnetOutOfIPAddresses '
                                 '(diagnosed by the vpc step)' % state)

    def test_config_fails_a_failed_update_and_notes_one_in_progress(self):
        world = world_with('billing-export', Runtime='python3.12', LastUpdateStatus='Failed',
                           LastUpdateStatusReasonCode='KMSKeyAccessDenied',
                           LastUpdateStatusReason='Lambda was unable to decrypt the environment '
                                                  'variables because KMS access was denied',
                           KMSKeyArn='arn:aws:kms:us-east-1:123456789012:key/'
                                     '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d')
        r, findings = self.run_step(world, 'billing-export')
        self.assertEqual(r.code, 1)
        [f] = self.by_severity(findings, 'fail')
        self.assertEqual(f['title'], 'the last update failed: KMSKeyAccessDenied')
        self.assertEqual(f['fix']['commands'], [
            "aws kms describe-key --key-id arn:aws:kms:us-east-1:123456789012:key/"
            "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d --query 'KeyMetadata.{State:KeyState,"
            "Enabled:Enabled}'"])
        self.assertEqual(f['fix']['verify'][0]['what'], 'LastUpdateStatus == Successful')
        world = world_with('billing-export', Runtime='python3.12', LastUpdateStatus='InProgress')
        r, findings = self.run_step(world, 'billing-export')
        self.assertEqual(r.code, 0)
        [f] = self.by_severity(findings, 'info')
        self.assertEqual(f['title'], 'a configuration or code update is in progress')
        self.assertEqual(f['fix']['commands'],
                         ['aws lambda wait function-updated-v2 --function-name billing-export'])

    def test_config_warns_about_a_deprecated_runtime_with_the_upgrade_plan(self):
        world = world_with('legacy-cron', Runtime='python3.9', Timeout=60)
        r, findings = self.run_step(world, 'legacy-cron')
        self.assertEqual(r.code, 0, repr(r))  # a warning does not fail the run
        [f] = self.by_severity(findings, 'warn')
        self.assertEqual(f['title'], 'runtime python3.9 is deprecated since 2025-12-15')
        # rendered from the plan: the same line the step wrote by hand before
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-function-configuration --function-name legacy-cron '
            '--runtime python3.13'])
        [step] = f['fix']['plan']
        self.assertIn('test it on the new runtime first', f['fix']['manual'])
        self.assertEqual((step['service'], step['operation']),
                         ('lambda', 'UpdateFunctionConfiguration'))
        self.assertEqual(step['params'], {'FunctionName': 'legacy-cron', 'Runtime': 'python3.13'})
        self.assertEqual(step['before'], {'Runtime': 'python3.9'})
        self.assertEqual(step['after'], {'Runtime': 'python3.13'})
        self.assertEqual(step['undo']['params'], {'FunctionName': 'legacy-cron',
                                                  'Runtime': 'python3.9'})
        [verify] = f['fix']['verify']
        self.assertEqual((verify['path'], verify['op'], verify['value']),
                         ('Runtime', '==', 'python3.13'))
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
            with self.world(world) as fake:
                r = self.rb(fake, 'triage.lua', 'payments-api', '--steps', 'config',
                            '--format', fmt)
            outputs.append(r.out)
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
