"""`runbook triage.lua --all`: the fleet triage through the real binary against the fake AWS.

The world is the demo account (fulfillment-fn, broken four ways with traffic) plus
functions that are broken with no traffic at all (an API integration without invoke
permission, a function in state Failed) and a healthy idle one. A function with a
symptom in the metric sweep must get exactly the findings a single-function triage
gives it; an idle broken one must still be found by the configuration-only checks,
without any log, trace or CloudTrail read; the options are checked in one line each.
"""

import copy
import json
import os
import time
import unittest
import xml.etree.ElementTree as ET

import jsonschema

from clitest import BIN, CliTestCase, ROOT

from harness import fake_aws

ACCOUNT = '123456789012'
ARN = 'arn:aws:lambda:us-east-1:%s:function:' % ACCOUNT
LOG_READS = {'FilterLogEvents', 'GetLogEvents', 'StartQuery', 'GetTraceSummaries',
             'BatchGetTraces', 'LookupEvents'}


def _function(world, name, **config):
    base = copy.deepcopy(world['lambda']['functions']['fulfillment-fn'])
    base.pop('reserved_concurrency', None)
    base['policy'] = None
    base.pop('policy')
    base['configuration'].update(config)
    base['configuration']['Role'] = 'arn:aws:iam::%s:role/fulfillment-fn-role' % ACCOUNT
    world['lambda']['functions'][name] = base
    return base


def fleet_world():
    """The demo world plus idle functions: broken (403 route, state Failed) and healthy."""
    with open(os.path.join(ROOT, 'examples', 'demo', 'world.json'), encoding='utf-8') as fh:
        world = json.load(fh)
    _function(world, 'idle-api-fn', Runtime='nodejs20.x')
    _function(world, 'idle-failed-fn', State='Failed', StateReasonCode='InvalidSubnet',
              StateReason='The subnet subnet-0bad does not exist')
    _function(world, 'idle-ok-fn')
    world['apigateway']['rest_apis']['z9y8x7w6v5'] = {
        'api': {'name': 'reports-api', 'createdDate': '-2d'},
        'resources': {
            'rootz9': {'path': '/'},
            'rep0rt': {'parentId': 'rootz9', 'pathPart': 'reports', 'path': '/reports',
                       'methods': {'GET': {
                           'method': {'authorizationType': 'NONE', 'apiKeyRequired': False},
                           'integration': {
                               'type': 'AWS_PROXY', 'httpMethod': 'POST',
                               'uri': 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/'
                                      'functions/%sidle-api-fn/invocations' % ARN}}}}},
        'stages': {'prod': {'deploymentId': 'd1e2f3'}}}
    world['credentials'].append({
        'access_key_id': 'ASIAQ3EGRBQXFLEET001', 'expires': '+1h',
        'secret_access_key': 'fl33tRoleS3cretKeyForTheReadOnlyEXAMPLE01',
        'session_token': 'IQoJb3JpZ2luX2VjEFleetRoleSessionTokenEXAMPLE01'})
    world['sts'] = {'roles': {'arn:aws:iam::%s:role/fleet-ro' % ACCOUNT:
                              {'credentials': 'ASIAQ3EGRBQXFLEET001'}}}
    return world


def steps_key(doc):
    return [(s['id'], s['status'], [(f['severity'], f['title'], f['evidence'])
                                    for f in s['findings']]) for s in doc['steps']]


class FleetTest(CliTestCase):

    @classmethod
    def setUpClass(cls):
        cls.until = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() - 5))

    def fleet(self, fake, *args, **env):
        return self.rb(fake, 'triage.lua', '--all', '--until', self.until, *args, timeout=180,
                       **env)

    def test_symptom_function_equals_its_single_triage_and_idle_faults_are_found(self):
        with fake_aws(fleet_world()) as fake:
            r = self.fleet(fake, '--format', 'json')
            fleet_calls = fake.requests()
            fake.clear_requests()
            single = self.rb(fake, 'triage.lua', 'fulfillment-fn', '--until', self.until,
                             '--format', 'json', timeout=120)
        self.assertEqual(r.code, 1, repr(r))
        doc = r.json()
        self.assertEqual(doc['kind'], 'fleet')
        by_name = {d['function']['name']: d for d in doc['functions']}
        self.assertEqual(sorted(by_name), ['fulfillment-fn', 'idle-api-fn', 'idle-failed-fn',
                                           'idle-ok-fn'])
        full = by_name['fulfillment-fn']
        self.assertEqual(full['mode'], 'full')
        self.assertTrue(any('errors' in s for s in full['symptoms']), full['symptoms'])
        self.assertEqual(steps_key(full), steps_key(single.json()))
        # idle, broken: found from configuration alone
        api = by_name['idle-api-fn']
        self.assertEqual(api['mode'], 'config')
        steps = {s['id']: s for s in api['steps']}
        self.assertEqual(steps['forbidden']['status'], 'fail', steps['forbidden'])
        self.assertIn('reports-api', steps['forbidden']['findings'][0]['title'])
        self.assertEqual(steps['errors']['status'], 'skip')
        self.assertIn('not run in a fleet triage', steps['errors']['findings'][0]['title'])
        failed = {s['id']: s for s in by_name['idle-failed-fn']['steps']}
        self.assertEqual(failed['config']['status'], 'fail', failed['config'])
        self.assertEqual(by_name['idle-ok-fn']['verdict']['status'], 'ok')
        # worst first, healthy last
        order = [d['function']['name'] for d in doc['functions']]
        self.assertEqual(order[-1], 'idle-ok-fn')
        self.assertEqual(doc['verdict']['functions'], 4)
        self.assertEqual(doc['verdict']['failing'], 3)
        self.assertEqual(doc['targets'], [{'account': ACCOUNT, 'region': 'us-east-1',
                                           'status': 'ok', 'functions': 4}])
        # no log, trace or trail read for the idle functions; one ListFunctions listing,
        # no GetFunctionConfiguration (the list's configurations are reused)
        for c in fleet_calls:
            if c['operation'] in LOG_READS:
                self.assertNotIn('idle-', json.dumps(c.get('params')), c)
        ops = [c['operation'] for c in fleet_calls]
        self.assertGreaterEqual(ops.count('ListFunctions'), 1)
        self.assertEqual(ops.count('GetFunctionConfiguration'), 0)
        self.assertEqual(ops.count('GetFunction'), 4)
        self.assertEqual(ops.count('ListTags'), 0)
        self.assertLessEqual(ops.count('GetMetricData'), 1)
        self.assertEqual(ops.count('GetMetricStatistics'), 0)
        self.assertNotIn('UpdateFunctionConfiguration', ops)

    def test_deep_triages_every_function_fully(self):
        with fake_aws(fleet_world()) as fake:
            r = self.fleet(fake, '--deep', '--format', 'json', '--match', 'idle-*')
        self.assertEqual(r.code, 1, repr(r))
        doc = r.json()
        self.assertEqual({d['mode'] for d in doc['functions']}, {'full'})
        self.assertEqual(len(doc['functions']), 3)

    def test_match_runtime_and_tag_filters(self):
        with fake_aws(fleet_world()) as fake:
            by_runtime = self.fleet(fake, '--runtime', 'nodejs*', '--format', 'json')
            by_tag = self.fleet(fake, '--tag', 'service=ship*', '--match', 'idle-*',
                                '--format', 'json')
            none = self.fleet(fake, '--match', 'nothing-*', '--format', 'json')
        self.assertEqual([d['function']['name'] for d in by_runtime.json()['functions']],
                         ['idle-api-fn'])
        # the copies keep the demo function's tags (service=shipping)
        self.assertEqual(len(by_tag.json()['functions']), 3, repr(by_tag))
        self.assertEqual(none.code, 0, repr(none))
        self.assertEqual(none.json()['verdict']['functions'], 0)

    def test_text_table_then_failing_details(self):
        with fake_aws(fleet_world()) as fake:
            r = self.fleet(fake)
        self.assertEqual(r.code, 1, repr(r))
        lines = r.out.splitlines()
        self.assertTrue(lines[0].startswith('fleet: 4 functions in 1 targets'), lines[0])
        header = next(i for i, l in enumerate(lines) if l.startswith('ACCOUNT'))
        table = lines[header + 1:header + 5]
        self.assertEqual([l.split()[2] for l in table][-1], 'idle-ok-fn')
        self.assertIn('FAIL', table[0])
        self.assertIn('OK*', table[-1])
        self.assertIn('== ' + ARN + 'idle-api-fn', r.out)
        self.assertNotIn('== ' + ARN + 'idle-ok-fn', r.out)
        self.assertEqual(r.err, '')  # no progress line when stderr is not a terminal

    def test_junit_sarif_markdown_and_output_file(self):
        out = os.path.join(self.dir, 'fleet.xml')
        with fake_aws(fleet_world()) as fake:
            junit = self.fleet(fake, '--format', 'junit', '--output', out)
            sarif = self.fleet(fake, '--format', 'sarif')
            md = self.fleet(fake, '--format', 'markdown')
        self.assertEqual(junit.code, 1, repr(junit))
        self.assertEqual(junit.out, '')
        root = ET.parse(out).getroot()
        self.assertEqual(len(root.findall('testsuite')), 4)
        with open(os.path.join(ROOT, 'tests', 'schemas', 'sarif-schema-2.1.0.json'),
                  encoding='utf-8') as fh:
            jsonschema.validate(json.loads(sarif.out), json.load(fh))
        results = json.loads(sarif.out)['runs'][0]['results']
        self.assertTrue(any(ARN + 'idle-api-fn' in json.dumps(x['locations']) for x in results))
        self.assertIn('| account | region | function | verdict | finding |', md.out)

    def test_fail_on_is_over_the_whole_fleet(self):
        with fake_aws(fleet_world()) as fake:
            ok_only = self.fleet(fake, '--match', 'idle-ok-fn')
            errors_only = self.fleet(fake, '--fail-on', 'error')
        self.assertEqual(ok_only.code, 0, repr(ok_only))
        self.assertEqual(errors_only.code, 0, repr(errors_only))

    def test_shard_takes_a_share_of_the_targets(self):
        with fake_aws(fleet_world()) as fake:
            first = self.fleet(fake, '--shard', '1/2', '--format', 'json')
            second = self.fleet(fake, '--shard', '2/2', '--format', 'json')
        # one target (one account, one region): all of it in the first share, none in the second
        self.assertEqual(first.json()['verdict']['functions'], 4)
        self.assertEqual(second.json()['verdict']['functions'], 0)
        self.assertEqual(second.json()['shard'], {'index': 2, 'count': 2})

    def test_accounts_assume_the_role_and_an_unassumable_one_is_reported(self):
        accounts = self.write('accounts.txt', '# the fleet\n%s\n999999999999\n' % ACCOUNT)
        with fake_aws(fleet_world()) as fake:
            r = self.fleet(fake, '--accounts', accounts, '--role-name', 'fleet-ro',
                           '--external-id', 'xid-1', '--match', 'idle-*', '--format', 'json')
            calls = fake.requests()
        self.assertEqual(r.code, 5, repr(r))  # partial: one account could not be read
        doc = r.json()
        targets = sorted(doc['targets'], key=lambda t: t['status'])
        self.assertEqual(targets[0]['status'], 'error')
        self.assertIn('cannot assume arn:aws:iam::999999999999:role/fleet-ro', targets[0]['error'])
        self.assertIn('AccessDenied', targets[0]['error'])
        self.assertEqual(targets[1], {'account': ACCOUNT, 'region': 'us-east-1', 'status': 'ok',
                                      'functions': 3})
        self.assertEqual(doc['verdict']['functions'], 3)
        assumed = [c for c in calls if c['operation'] == 'AssumeRole']
        self.assertEqual({c['params']['RoleSessionName'] for c in assumed}, {'runbook'})
        self.assertEqual({c['params']['ExternalId'] for c in assumed}, {'xid-1'})
        listed = [c for c in calls if c['operation'] == 'ListFunctions']
        self.assertEqual({c['access_key_id'] for c in listed}, {'ASIAQ3EGRBQXFLEET001'})
        secret = fake.credentials(0)['secret_access_key']
        self.assertNotIn(secret, r.out + r.err)

    def test_profiles_are_targets_of_their_own(self):
        cred = fleet_world()['credentials'][0]
        home = os.path.join(self.dir, 'home')
        self.write('home/.aws/credentials', ''.join(
            '[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n'
            % (p, cred['access_key_id'], cred['secret_access_key']) for p in ('a', 'b')))
        with fake_aws(fleet_world()) as fake:
            r = self.rb(fake, 'triage.lua', '--profiles', 'a,b', '--match', 'idle-ok-fn',
                        '--until', self.until, '--format', 'json', HOME=home,
                        AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, timeout=120)
        self.assertEqual(r.code, 0, repr(r))
        doc = r.json()
        self.assertEqual(len(doc['targets']), 2)
        self.assertEqual(len(doc['functions']), 2)

    def test_merge_combines_shard_reports(self):
        a, b = os.path.join(self.dir, 'a.json'), os.path.join(self.dir, 'b.json')
        with fake_aws(fleet_world()) as fake:
            self.fleet(fake, '--match', 'idle-api-fn', '--format', 'json', '--output', a)
            self.fleet(fake, '--match', 'idle-ok-fn,fulfillment-fn', '--format', 'json',
                       '--output', b)
        merged = self.rb_plain('merge', '--format', 'json', a, b)
        self.assertEqual(merged.code, 1, repr(merged))
        doc = merged.json()
        self.assertEqual(doc['kind'], 'fleet')
        self.assertEqual(doc['merged'], 2)
        self.assertEqual([d['function']['name'] for d in doc['functions']][-1], 'idle-ok-fn')
        self.assertEqual(doc['verdict']['functions'], 3)
        ok = self.rb_plain('merge', '--fail-on', 'error', a, b)
        self.assertEqual(ok.code, 0, repr(ok))
        self.assertIn('fleet: 3 functions in 2 targets', ok.out)
        broken = self.write('broken.json', '{"schema_version": 1, "tool": "runbook", "kind": "fleet"')
        bad = self.rb_plain('merge', a, broken)
        self.assertEqual(bad.code, 2, repr(bad))
        self.assertIn("'%s' is not JSON" % broken, bad.err)
        self.assertEqual(len(bad.err.strip().splitlines()), 1)

    def rb_plain(self, *args):
        from clitest import run, base_env
        return run(list(args), base_env(), timeout=60)

    def test_all_regions_and_shards_split_whole_targets(self):
        world = fleet_world()
        world.setdefault('ec2', {})['regions'] = ['us-east-1', 'us-west-2']
        with fake_aws(world) as fake:
            every = self.fleet(fake, '--all-regions', '--match', 'idle-*', '--format', 'json')
            shares = [self.fleet(fake, '--all-regions', '--match', 'idle-*', '--shard',
                                 '%d/2' % k, '--format', 'json') for k in (1, 2)]
        self.assertEqual(sorted(t['region'] for t in every.json()['targets']),
                         ['us-east-1', 'us-west-2'])
        self.assertEqual(every.json()['verdict']['functions'], 6)
        regions = []
        for share in shares:
            doc = share.json()
            self.assertEqual(len(doc['targets']), 1, doc['targets'])
            self.assertEqual({d['function']['region'] for d in doc['functions']},
                             {doc['targets'][0]['region']})
            regions.append(doc['targets'][0]['region'])
        self.assertEqual(sorted(regions), ['us-east-1', 'us-west-2'])

    def test_progress_line_on_a_terminal_only(self):
        import pty
        import subprocess
        master, slave = pty.openpty()
        with fake_aws(fleet_world()) as fake:
            env = self.env_for(fake)
            proc = subprocess.Popen([BIN, 'triage.lua', '--all', '--format', 'json'], env=env,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=slave)
            os.close(slave)
            out, _ = proc.communicate(timeout=120)
        shown = b''
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        os.close(master)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(json.loads(out)['verdict']['functions'], 4)  # stdout: the report only
        self.assertRegex(shown.decode(), r'fleet: \d+/4 functions .* calls .* throttles absorbed')

    def test_no_usable_target_is_a_runtime_error(self):
        with fake_aws(fleet_world()) as fake:
            r = self.fleet(fake, '--accounts', '999999999999', '--role-name', 'fleet-ro')
            none = self.fleet(fake, creds=False, HOME=self.dir, AWS_EC2_METADATA_DISABLED='true')
        self.assertEqual(r.code, 3, repr(r))
        self.assertEqual(r.out, '')
        self.assertEqual(len(r.err.strip().splitlines()), 1, repr(r))
        self.assertIn('runbook: 999999999999 us-east-1: cannot assume '
                      'arn:aws:iam::999999999999:role/fleet-ro: AccessDenied', r.err)
        self.assertEqual(none.code, 3, repr(none))
        self.assertEqual(none.out, '')
        self.assertEqual(len(none.err.strip().splitlines()), 1, repr(none))
        self.assertIn('cannot use the current credentials: NoCredentials', none.err)

    def test_usage_errors_are_one_line_exit_2(self):
        cases = [
            (['--all', '--fix'], '--fix works on one function'),
            (['my-fn', '--all'], "unexpected function 'my-fn' with --all"),
            (['my-fn', '--regions', 'us-east-1'], '--regions selects functions of a fleet'),
            (['--all', '--shard', '3/2'], "invalid --shard '3/2'"),
            (['--all', '--accounts', '111111111111'], '--accounts needs --role-name'),
            (['--all', '--regions', 'Mars'], "invalid region 'Mars'"),
            (['--all', '--tag', 'oops'], None),  # a step tag: fine as an option
            (['--all', '--parallel', '0'], "invalid --parallel '0'"),
            (['--all', '--regions', 'us-east-1', '--all-regions'], '--regions and --all-regions'),
            (['--all', '--accounts', '/nonexistent/ids', '--role-name', 'r'],
             "invalid --accounts '/nonexistent/ids': not a list of 12-digit account ids"),
            (['--all', '--accounts', self.write('ids.txt', '# ids\n111111111111, 222222222222\n'
                                               '12345\n'),
              '--role-name', 'r'], "line 3: '12345' is not a 12-digit account id"),
        ]
        with fake_aws(fleet_world()) as fake:
            for args, message in cases:
                r = self.rb(fake, 'triage.lua', *args)
                if message is None:
                    continue
                self.assertEqual(r.code, 2, repr(r))
                self.assertEqual(len(r.err.strip().splitlines()), 1, repr(r))
                self.assertIn(message, r.err)
                self.assertEqual(r.out, '')


if __name__ == '__main__':
    unittest.main()
