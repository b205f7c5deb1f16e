"""The vpc step through the real binary: subnets out of addresses, no NAT route, an
internet-gateway-only subnet, a missing VPC endpoint, security-group egress without
HTTPS, a role without the ENI permissions, and no false alarm for a healthy VPC function.
Every fix is a plan (fix.plan): the tests check its calls and that the commands shown are
rendered from it.

Worlds: tests/worlds/vpc.json (ingest-fn, report-fn, export-fn, audit-fn), basic.json
(vpc-fn: private subnets behind a NAT gateway), healthy.json.
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import StepTestCase, fake_aws  # noqa: E402
from partitions import moved  # noqa: E402

VPC = 'vpc-0d4e5f6a7b8c9d0e1'
SUBNET_A, SUBNET_B = 'subnet-0aa11bb22cc33dd01', 'subnet-0aa11bb22cc33dd02'
SUBNET_C, SUBNET_D = 'subnet-0aa11bb22cc33dd03', 'subnet-0aa11bb22cc33dd04'
PUBLIC, ISOLATED = 'subnet-0aa11bb22cc33dd10', 'subnet-0aa11bb22cc33dd20'
NAT = 'nat-0e1f2a3b4c5d6e7f8'


def calls(fix):
    """The plan's calls as (service, operation) pairs."""
    return [(s['service'], s['operation']) for s in fix['plan']]


def world_file(name):
    with open(os.path.join(ROOT, 'tests', 'worlds', name + '.json'), encoding='utf-8') as fh:
        return json.load(fh)


def ref(step, field):
    return {'$ref': {'step': step, 'field': field}}


class VpcStepTest(StepTestCase):

    step = 'vpc'

    def run_step(self, world, function):
        if isinstance(world, dict):
            world = self.write('world.json', json.dumps(world))
        with fake_aws(world) as fake:
            return self.triage(fake, function)

    def the_fail(self, findings):
        """The one fail finding."""
        chosen = [f for f in findings if f['severity'] == 'fail']
        self.assertEqual(len(chosen), 1, json.dumps(findings, indent=1))
        return chosen[0]

    def test_vpc_reports_subnets_out_of_ips_and_moves_to_larger_subnets(self):
        r, findings = self.run_step('vpc', 'ingest-fn')
        self.assertEqual(r.code, 1, repr(r))
        f = self.the_fail(findings)
        self.assertEqual(f['title'], 'subnet %s has 0 free IP addresses (2 of 2 subnets at or '
                                     'below 20)' % SUBNET_A)
        ev = '\n'.join(f['evidence'])
        self.assertIn('LastUpdateStatus Failed, reason code SubnetOutOfIPAddresses', ev)
        self.assertIn('%s (ingest-private-a, us-east-1a, 10.20.1.0/26): 0 of 59 addresses free'
                      % SUBNET_A, ev)
        self.assertIn('%s (ingest-private-b, us-east-1b, 10.20.1.64/26): 3 of 59 addresses free'
                      % SUBNET_B, ev)
        self.assertIn('candidate %s (ingest-private-c, us-east-1c, 10.20.16.0/20): 4071 addresses '
                      'free, routes through %s' % (SUBNET_C, NAT), ev)
        self.assertEqual(f['fix']['commands'], [
            'aws lambda update-function-configuration --function-name ingest-fn --vpc-config '
            '\'{"SecurityGroupIds":["sg-0a1a2a3a4a5a6a7a8"],"SubnetIds":["%s","%s"]}\''
            % (SUBNET_D, SUBNET_C)])
        [step] = f['fix']['plan']
        self.assertEqual(step['params'], {
            'FunctionName': 'ingest-fn',
            'VpcConfig': {'SubnetIds': [SUBNET_D, SUBNET_C],
                          'SecurityGroupIds': ['sg-0a1a2a3a4a5a6a7a8']}})
        self.assertEqual(step['before'], {'VpcConfig': {
            'SubnetIds': [SUBNET_A, SUBNET_B], 'SecurityGroupIds': ['sg-0a1a2a3a4a5a6a7a8']}})
        self.assertEqual(step['undo']['params']['VpcConfig']['SubnetIds'], [SUBNET_A, SUBNET_B])
        self.assertEqual([(v['path'], v['op'], v['value']) for v in f['fix']['verify']],
                         [('VpcConfig.SubnetIds', 'contains', SUBNET_D),
                          ('VpcConfig.SubnetIds', 'contains', SUBNET_C)])
        self.assertEqual(f['fix']['changes'], 'SubnetIds %s, %s -> %s, %s'
                         % (SUBNET_A, SUBNET_B, SUBNET_D, SUBNET_C))
        self.assertEqual(f['confidence'], 'high')

    def test_vpc_proposes_a_free_cidr_when_no_subnet_has_room(self):
        world = world_file('vpc')
        world['ec2']['subnets'] = [s for s in world['ec2']['subnets']
                                   if s['SubnetId'] not in (SUBNET_C, SUBNET_D)]
        r, findings = self.run_step(world, 'ingest-fn')
        f = self.the_fail(findings)
        # the new subnet's id is captured from create-subnet and used by the next calls
        self.assertEqual(f['fix']['commands'], [
            'SUBNET_ID=$(aws ec2 create-subnet --vpc-id %s --availability-zone us-east-1a '
            '--cidr-block 10.20.4.0/22 --query Subnet.SubnetId --output text)' % VPC,
            'ASSOCIATION_ID=$(aws ec2 associate-route-table --route-table-id '
            'rtb-0a9b8c7d6e5f40001 --subnet-id "$SUBNET_ID" --query AssociationId --output text)',
            'aws lambda update-function-configuration --function-name ingest-fn --vpc-config '
            '\'{"SecurityGroupIds":["sg-0a1a2a3a4a5a6a7a8"],"SubnetIds":["\'"$SUBNET_ID"\'"]}\''])
        self.assertEqual(calls(f['fix']), [('ec2', 'CreateSubnet'), ('ec2', 'AssociateRouteTable'),
                                           ('lambda', 'UpdateFunctionConfiguration')])
        create, associate, move = f['fix']['plan']
        self.assertEqual(f['fix']['manual'], 'network changes are explained, never applied: '
                         'check the route tables, endpoints and security groups first')
        self.assertEqual(create['params'], {'VpcId': VPC, 'CidrBlock': '10.20.4.0/22',
                                            'AvailabilityZone': 'us-east-1a'})
        self.assertEqual(create['undo']['operation'], 'DeleteSubnet')
        self.assertEqual(associate['params']['SubnetId'], ref(1, 'Subnet.SubnetId'))
        self.assertEqual(move['params']['VpcConfig']['SubnetIds'], [ref(1, 'Subnet.SubnetId')])
        self.assertIn('free range 10.20.4.0/22', f['fix']['explain'])

    def test_vpc_reports_no_nat_route_and_the_missing_sqs_endpoint(self):
        r, findings = self.run_step('vpc', 'report-fn')
        self.assertEqual(r.code, 1, repr(r))
        fails = {f['data']['route']: f for f in findings if f['severity'] == 'fail'}
        self.assertEqual(sorted(fails), ['igw', 'none'])

        f = fails['none']
        self.assertEqual(f['title'], 'no route out of the VPC for sqs: subnet %s has no NAT '
                                     'gateway route' % ISOLATED)
        ev = '\n'.join(f['evidence'])
        self.assertIn('route table rtb-0a9b8c7d6e5f40003 (explicitly associated) has no 0.0.0.0/0 '
                      'route', ev)
        self.assertIn('covered by VPC endpoints: dynamodb via vpce-0d1d2d3d4d5d6d7d8', ev)
        self.assertRegex(ev, r"5 connect timeouts / timed-out invocations in the logs, first at "
                             r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
        self.assertRegex(ev, r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[ERROR\] ConnectTimeoutError: '
                             r'Connect timeout on endpoint URL: "https://sqs\.us-east-1\.'
                             r'amazonaws\.com/"')
        self.assertRegex(ev, r'Z [0-9a-f-]{36} Task timed out after 15\.02 seconds')
        # one way out planned; endpoints, the alternative, in words
        self.assertEqual(f['fix']['commands'], [
            'aws ec2 create-route --route-table-id rtb-0a9b8c7d6e5f40003 --destination-cidr-block '
            '0.0.0.0/0 --nat-gateway-id %s' % NAT])
        self.assertIn('or, without internet access, add VPC endpoints for sqs', f['fix']['explain'])
        route, = f['fix']['plan']
        self.assertEqual(f['fix']['manual'], 'network changes are explained, never applied: '
                         'check the route tables, endpoints and security groups first')
        self.assertEqual(route['params'], {'RouteTableId': 'rtb-0a9b8c7d6e5f40003',
                                           'DestinationCidrBlock': '0.0.0.0/0',
                                           'NatGatewayId': NAT})
        self.assertEqual((route['undo']['operation'], route['undo']['params']),
                         ('DeleteRoute', {'RouteTableId': 'rtb-0a9b8c7d6e5f40003',
                                          'DestinationCidrBlock': '0.0.0.0/0'}))
        self.assertEqual(f['fix']['verify'], [
            {'what': 'every subnet of the function has a way out', 'step': 'vpc'}])

        g = fails['igw']
        self.assertEqual(g['title'], 'no route out of the VPC for dynamodb, sqs: subnet %s has '
                                     'only an internet gateway route (igw-0b1c2d3e4f5a6b7c8)'
                         % PUBLIC)
        self.assertIn('a Lambda ENI never has a public IP', '\n'.join(g['evidence']))
        self.assertIn('calls dynamodb (environment variable TABLE_NAME)', '\n'.join(g['evidence']))
        self.assertEqual(g['fix']['commands'][0],
                         'aws lambda update-function-configuration --function-name report-fn '
                         '--vpc-config \'{"SecurityGroupIds":["sg-0b1b2b3b4b5b6b7b8"],'
                         '"SubnetIds":["%s","%s"]}\'' % (SUBNET_D, SUBNET_C))
        self.assertEqual(calls(g['fix']), [('lambda', 'UpdateFunctionConfiguration')])
        self.assertIn('or, without internet access, add VPC endpoints for dynamodb, sqs',
                      g['fix']['explain'])
        self.assertNotIn('https://sqs.us-east-1.amazonaws.com/123456789012/report-jobs', r.out)

    def test_vpc_reports_security_group_without_https_egress(self):
        r, findings = self.run_step('vpc', 'export-fn')
        f = self.the_fail(findings)
        self.assertEqual(f['title'], 'security groups sg-0c1c2c3c4c5c6c7c8 allow no outbound HTTPS '
                                     '(443)')
        ev = '\n'.join(f['evidence'])
        self.assertIn('sg-0c1c2c3c4c5c6c7c8 (export-fn-sg): egress on 443 none', ev)
        self.assertIn('calls s3 (log line at ', ev)
        self.assertEqual(f['fix']['commands'], [
            'aws ec2 authorize-security-group-egress --group-id sg-0c1c2c3c4c5c6c7c8 '
            '--ip-permissions \'[{"FromPort":443,"IpProtocol":"tcp","IpRanges":'
            '[{"CidrIp":"0.0.0.0/0"}],"ToPort":443}]\''])
        [step] = f['fix']['plan']
        self.assertEqual(f['fix']['manual'], 'network changes are explained, never applied: '
                         'check the route tables, endpoints and security groups first')
        rule = {'IpProtocol': 'tcp', 'FromPort': 443, 'ToPort': 443,
                'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}
        self.assertEqual(step['params'], {'GroupId': 'sg-0c1c2c3c4c5c6c7c8',
                                          'IpPermissions': [rule]})
        self.assertEqual(step['undo']['operation'], 'RevokeSecurityGroupEgress')
        self.assertEqual(step['undo']['params'], step['params'])
        # its subnets route through an available NAT gateway: no route finding
        self.assertEqual([x['severity'] for x in findings], ['fail'])

    def test_vpc_reports_a_role_without_eni_permissions(self):
        r, findings = self.run_step('vpc', 'audit-fn')
        f = self.the_fail(findings)
        self.assertEqual(f['title'], 'function cannot attach to its VPC: role audit-fn-role may '
                                     'not create network interfaces')
        ev = '\n'.join(f['evidence'])
        self.assertIn('State Failed, reason code InsufficientRolePermissions: The provided '
                      'execution role does not have permissions to call CreateNetworkInterface '
                      'on EC2', ev)
        self.assertIn('role audit-fn-role has AWSLambdaBasicExecutionRole attached', ev)
        self.assertEqual(f['fix']['commands'], [
            'aws iam attach-role-policy --role-name audit-fn-role --policy-arn '
            'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'])
        [step] = f['fix']['plan']
        self.assertEqual(f['fix']['manual'], 'network changes are explained, never applied: '
                         'check the route tables, endpoints and security groups first')
        self.assertEqual((step['service'], step['operation'], step['params']),
                         ('iam', 'AttachRolePolicy',
                          {'RoleName': 'audit-fn-role', 'PolicyArn': 'arn:aws:iam::aws:policy/'
                           'service-role/AWSLambdaVPCAccessExecutionRole'}))
        self.assertEqual(step['undo']['operation'], 'DetachRolePolicy')
        self.assertEqual(f['fix']['verify'], [
            {'what': 'role audit-fn-role may create network interfaces', 'step': 'vpc'}])

    def test_vpc_role_fix_stands_when_the_role_cannot_be_read(self):
        world = world_file('vpc')
        world['faults'] = [{'service': 'iam', 'kind': 'access_denied'}]
        r, findings = self.run_step(world, 'audit-fn')
        f = self.the_fail(findings)
        self.assertEqual(f['title'], 'function cannot attach to its VPC: role audit-fn-role may '
                                     'not create network interfaces')
        self.assertNotIn('attached', '\n'.join(f['evidence']))
        self.assertEqual(calls(f['fix']), [('iam', 'AttachRolePolicy')])

    def test_vpc_role_fix_names_the_managed_policy_in_the_function_partition(self):
        r, findings = self.run_step(moved(world_file('vpc')), 'audit-fn')
        f = self.the_fail(findings)
        self.assertIn('role audit-fn-role has no managed policies attached',
                      '\n'.join(f['evidence']))
        self.assertEqual(f['fix']['commands'], [
            'aws iam attach-role-policy --role-name audit-fn-role --policy-arn '
            'arn:aws-cn:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'])

    def test_vpc_healthy_private_function_is_ok(self):
        r, findings = self.run_step('basic', 'vpc-fn')
        self.assertEqual(r.code, 0, repr(r))
        self.assertEqual([f['severity'] for f in findings], ['ok'], json.dumps(findings, indent=1))
        f = findings[0]
        self.assertEqual(f['title'], 'VPC networking ok: 2 subnets in 2 AZs (at least 243 free '
                                     'IPs), out via nat-0f1e2d3c4b5a69788, HTTPS egress open')
        ev = '\n'.join(f['evidence'])
        self.assertIn('subnet-0a1b2c3d4e5f60001 (orders-private-a, us-east-1a, 10.0.1.0/24): 243 '
                      'of 251 addresses free', ev)
        self.assertIn('2 Lambda ENIs (2 in use)', ev)

    def denied(self, operation):
        """export-fn's findings when the operator may not call ec2 `operation`."""
        world = world_file('vpc')
        world['faults'] = [{'service': 'ec2', 'operation': operation, 'kind': 'access_denied',
                            'action': 'ec2:' + operation}]
        return self.run_step(world, 'export-fn')[1]

    # A denied paginated read must be reported, not taken for an empty VPC.
    def test_vpc_reports_a_denied_network_read_and_judges_the_rest(self):
        findings = self.denied('DescribeVpcEndpoints')
        errors = [f for f in findings if f['severity'] == 'error']
        self.assertEqual(len(errors), 1, json.dumps(findings, indent=1))
        self.assertIn('ec2:DescribeVpcEndpoints', json.dumps(errors[0]))
        self.assertIn('allow no outbound HTTPS', self.the_fail(findings)['title'])

    def test_vpc_without_its_subnets_reports_the_denied_read_only(self):
        findings = self.denied('DescribeSubnets')
        self.assertEqual([f['severity'] for f in findings], ['error'],
                         json.dumps(findings, indent=1))
        self.assertIn('ec2:DescribeSubnets', json.dumps(findings[0]))

    def test_vpc_does_not_apply_without_a_vpc_and_reads_no_ec2(self):
        for world, function in (('basic', 'my-fn'), ('healthy', 'orders-api')):
            with self.subTest(function=function):
                with fake_aws(world) as fake:
                    r, findings = self.triage(fake, function)
                    services = {q.get('service') for q in fake.requests()}
                self.assertEqual(r.code, 0, repr(r))
                self.assertEqual([(f['severity'], f['title']) for f in findings],
                                 [('skip', 'not attached to a VPC')])
                self.assertNotIn('ec2', services, 'a function without a VPC needs no EC2 read')


if __name__ == '__main__':
    unittest.main()
