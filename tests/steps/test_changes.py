"""The changes step through the real binary: a deploy that started errors is named with
who, when, what and the numbers before and after, and its fix points the alias back;
CloudTrail is read one lookup attribute per call, 50 a page, the role's events in
us-east-1; an operator without cloudtrail:LookupEvents gets a finding naming it while
the rest of the triage runs; a function without changes gets no false alarm.

Worlds: tests/worlds/bad_deploy.json (checkout-api, eu-west-1), healthy.json.
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import ROOT, StepTestCase, fake_aws  # noqa: E402
import awstime  # noqa: E402  (tests/fake_aws, on the path clitest set)

WORLD = os.path.join(ROOT, 'tests', 'worlds', 'bad_deploy.json')
CI = 'arn:aws:sts::123456789012:assumed-role/deploy/ci'


def load_world():
    with open(WORLD, encoding='utf-8') as fh:
        return json.load(fh)


def lookups(fake):
    return [r for r in fake.requests() if r.get('operation') == 'LookupEvents']


class ChangesStepTest(StepTestCase):

    step = 'changes'

    def test_changes_names_the_deploy_that_started_the_errors(self):
        r, findings = self.run_world(WORLD, 'checkout-api')
        self.assertEqual(r.code, 1, repr(r))
        f = self.only(findings, 'fail', 'since deploy of version 42')
        self.assertRegex(f['title'], r'^since deploy of version 42 at \d\d:\d\dZ by deploy/ci: '
                         r'24 % errors$')
        ev = '\n'.join(f['evidence'])
        self.assertRegex(ev, r'errors went from 0\.1 % to 24 % .* after UpdateFunctionCode \+ '
                         r'PublishVersion \+ UpdateAlias by ' + CI + r' at \d\d:\d\dZ; '
                         r'CodeSha256 changed')
        for name in ('UpdateFunctionCode20150331v2', 'PublishVersion20150331',
                     'UpdateAlias20150331'):
            self.assertIn(name + ' by ' + CI, ev)
        self.assertIn('error rate 0.1 % before, 24 % after', ev)
        self.assertRegex(ev, r'p95 duration 1\d\d ms before, 2\.\d s after')
        self.assertIn('version 42 CodeSha256 n3wC0de', ev)
        self.assertEqual(f['data']['change']['who'], CI)
        self.assertEqual(f['data']['change']['previous_version'], '41')
        self.assertEqual(f['data']['onset']['kind'], 'errors')
        self.assertNotIn('alice', ev, 'earlier changes are not the cause')

    def test_changes_fix_points_the_alias_back_at_the_version_before(self):
        _, findings = self.run_world(WORLD, 'checkout-api')
        fix = self.only(findings, 'fail', 'since deploy')['fix']
        plan = fix['plan']
        self.assertEqual(len(plan), 1)
        self.assertEqual((plan[0]['service'], plan[0]['operation']), ('lambda', 'UpdateAlias'))
        self.assertEqual(plan[0]['params']['Name'], 'live')
        self.assertEqual(plan[0]['params']['FunctionVersion'], '41')
        commands = '\n'.join(fix['commands'])
        self.assertIn('aws lambda update-alias --function-name checkout-api --name live '
                      '--function-version 41', commands)
        self.assertIn('runbook rollback.lua checkout-api:live --to 41', commands)

    def test_changes_reads_cloudtrail_one_attribute_50_a_page_role_in_us_east_1(self):
        with fake_aws(WORLD) as fake:
            self.triage(fake, 'checkout-api')
            calls = lookups(fake)
        self.assertEqual(len(calls), 2, json.dumps(calls, indent=1, default=str))
        by_region = {c['region']: c['params'] for c in calls}
        self.assertEqual(set(by_region), {'eu-west-1', 'us-east-1'})
        for region, name in (('eu-west-1', 'checkout-api'), ('us-east-1', 'checkout-api-role')):
            p = by_region[region]
            self.assertEqual(p['LookupAttributes'],
                             [{'AttributeKey': 'ResourceName', 'AttributeValue': name}])
            self.assertEqual(p['MaxResults'], 50)

    def test_changes_pages_through_lookup_events(self):
        world = load_world()
        extra = [{'EventName': 'AddPermission', 'EventTime': '-%dm' % (300 + i),
                  'user_arn': 'arn:aws:iam::123456789012:user/alice',
                  'requestParameters': {'functionName': 'checkout-api',
                                        'statementId': 's%d' % i}} for i in range(110)]
        world['cloudtrail']['events'] = extra + world['cloudtrail']['events']
        path = self.write('world.json', json.dumps(world))
        with fake_aws(path) as fake:
            _, findings = self.triage(fake, 'checkout-api')
            calls = [c for c in lookups(fake) if c['region'] == 'eu-west-1']
        self.assertEqual(len(calls), 3)
        self.assertNotIn('NextToken', calls[0]['params'])
        self.assertIn('NextToken', calls[1]['params'])
        self.assertIn('NextToken', calls[2]['params'])
        self.only(findings, 'fail', 'since deploy of version 42')

    def test_lookup_events_keeps_to_two_requests_a_second_per_region(self):
        # 6 pages in one region: the core's rate limiter lets 2 go at once (the burst), then
        # one each half second, so the last goes at least 2 s after the first (checked with
        # slack: the fake stamps a request when it starts serving it, which a busy machine
        # delays); the role's lookup (us-east-1) is not held back by them.
        world = load_world()
        world['cloudtrail']['events'] += [
            {'EventName': 'AddPermission', 'EventTime': '-%dm' % (300 + i),
             'requestParameters': {'functionName': 'checkout-api'}} for i in range(250)]
        path = self.write('world.json', json.dumps(world))
        with fake_aws(path) as fake:
            self.triage(fake, 'checkout-api')
            calls = [c for c in lookups(fake) if c['region'] == 'eu-west-1']
        times = sorted(awstime.parse(c['time']).timestamp() for c in calls)
        self.assertEqual(len(times), 6)
        self.assertGreaterEqual(times[5] - times[0], 1.4, times)

    def test_changes_without_lookup_events_names_the_permission_and_the_triage_runs(self):
        faults = [{'service': 'cloudtrail', 'operation': 'LookupEvents',
                   'kind': 'access_denied'}]
        with fake_aws(WORLD, faults=faults) as fake:
            r = self.rb(fake, 'triage.lua', 'checkout-api', '--format', 'json', timeout=120)
        self.assertIn(r.code, (0, 1), repr(r))
        doc = r.json()
        steps = {s['id']: s for s in doc['steps']}
        errors = [f for f in steps['changes']['findings'] if f['severity'] == 'error']
        self.assertEqual(len(errors), 1, json.dumps(steps['changes'], indent=1))
        self.assertIn('cloudtrail:LookupEvents', json.dumps(errors[0]))
        warn = [f for f in steps['changes']['findings'] if f['severity'] == 'warn']
        self.assertEqual(len(warn), 1, json.dumps(steps['changes'], indent=1))
        self.assertRegex(warn[0]['title'], r'^version 42 was modified at \d\d:\d\dZ, just '
                         r'before errors began \(who and what: CloudTrail not read\)$')
        for other in ('config', 'timeout', 'throttle'):
            self.assertNotIn('error', [f['severity'] for f in steps[other]['findings']], other)
        self.assertIn('config', steps)

    def test_a_failed_role_lookup_is_said_and_the_function_s_events_still_count(self):
        faults = [{'service': 'cloudtrail', 'operation': 'LookupEvents', 'skip': 1,
                   'kind': 'access_denied'}]
        with fake_aws(WORLD, faults=faults) as fake:
            _, findings = self.triage(fake, 'checkout-api')
        f = self.only(findings, 'fail', 'since deploy of version 42')
        self.assertIn('CloudTrail events of role checkout-api-role in us-east-1 not read: '
                      'AccessDeniedException', '\n'.join(f['evidence']))

    def test_changes_on_a_function_without_changes_is_ok(self):
        world = load_world()
        world['cloudtrail'] = {'events': []}
        r, findings = self.run_world(world, 'checkout-api')
        f = self.only(findings, 'info', 'with no change to the function or its role')
        self.assertRegex(f['title'], r'^errors began at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ')
        world['cloudwatch']['metrics'] = []
        r, findings = self.run_world(world, 'checkout-api')
        self.assertEqual([(f['severity'], f['title']) for f in findings],
                         [('ok', 'no changes to the function or its role in the last 24h')])


class RollbackFromCloudTrailTest(StepTestCase):

    def test_rollback_finds_the_version_before_in_cloudtrail(self):
        journal = os.path.join(self.dir, 'journal.jsonl')
        with fake_aws(WORLD) as fake:
            r = self.rb(fake, '--journal', journal, 'rollback.lua', 'checkout-api:live', '--yes',
                        timeout=120)
            alias = [c for c in fake.requests() if c.get('operation') == 'UpdateAlias']
        self.assertEqual(r.code, 0, repr(r))
        self.assertIn('rolled back checkout-api:live: version 42 -> 41', r.out)
        self.assertIn('CloudTrail: UpdateAlias20150331', r.out + r.err)
        self.assertEqual([a['params']['FunctionVersion'] for a in alias], ['41'])


class ConfigurationChangeTest(StepTestCase):

    step = 'changes'

    def test_a_configuration_change_is_reverted_from_the_version_before_it(self):
        world = load_world()
        fn = world['lambda']['functions']['checkout-api']
        fn['configuration']['Timeout'] = 1
        fn['versions'] = {'41': {'Timeout': 10, 'LastModified': '-3d'}}
        del fn['aliases']
        world['cloudtrail']['events'] = [
            {'EventName': 'UpdateFunctionConfiguration', 'EventTime': '-34m',
             'user_arn': 'arn:aws:iam::123456789012:user/alice',
             'requestParameters': {'functionName': 'checkout-api', 'timeout': 1}}]
        _, findings = self.run_world(world, 'checkout-api')
        f = self.only(findings, 'fail', 'since change UpdateFunctionConfiguration')
        self.assertRegex(f['title'], r'by alice: 24 % errors$')
        self.assertIn('timeout changed', f['evidence'][0])
        plan = f['fix']['plan']
        self.assertEqual([(p['operation'], p['params']) for p in plan],
                         [('UpdateFunctionConfiguration',
                           {'FunctionName': 'checkout-api', 'Timeout': 10})])
        self.assertEqual(f['fix']['changes'], 'Timeout 1 -> 10')


class ChangesHeadlineTest(StepTestCase):

    step = 'changes'

    def test_triage_headline_leads_with_the_deploy(self):
        with fake_aws(WORLD) as fake:
            r = self.rb(fake, 'triage.lua', 'checkout-api', '--format', 'json', timeout=120)
        doc = r.json()
        self.assertRegex(doc['verdict']['headline'],
                         r'^since deploy of version 42 at \d\d:\d\dZ by deploy/ci: 24 % errors')
        self.assertNotRegex(doc['verdict']['summary'], r'^since deploy')


if __name__ == '__main__':
    unittest.main()
