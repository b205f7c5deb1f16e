"""Many regions and credential sets in one run: the same read in two regions and through
an assumed role (tests/cli/scripts/multi_region.lua), against the fake server.

The fake records, for every request, the key id it was signed with and the region of its
credential scope, and checks the signature; so these tests see exactly who signed what
for where. Secrets of every set must stay out of stdout, stderr, --debug and recordings.
"""

import json
import os
import unittest

from clitest import CliTestCase, fake_aws

ROLE_ARN = 'arn:aws:iam::123456789012:role/runbook-readonly'
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'scripts',
                      'multi_region.lua')
OTHER = 'eu-west-1'


class MultiRegionTest(CliTestCase):

    def run_script(self, fake, *extra, **env):
        r = self.rb(fake, *extra, SCRIPT, ROLE_ARN, OTHER, **env)
        self.assertOk(r)
        return r, json.loads(r.out.strip().splitlines()[-1])

    def secrets(self, fake):
        out = []
        for i in (0, 1):
            c = fake.credentials(i)
            out += [c['secret_access_key']] + ([c['session_token']] if c.get('session_token')
                                               else [])
        return out

    def test_same_read_in_two_regions_and_through_an_assumed_role(self):
        with fake_aws('basic') as fake:
            base, role = fake.credentials(0), fake.credentials(1)
            _, out = self.run_script(fake)
            self.assertEqual([out[str(i)] for i in range(1, 6)], ['ok'] * 5)
            self.assertEqual(out['caller'], 'arn:aws:sts::123456789012:assumed-role/'
                             'runbook-readonly/runbook-multi-region')
            self.assertEqual(out['stats']['shared'], 0, 'reads of different targets shared')
            self.assertAllSigned(fake)
            reqs = fake.requests()
            reads = sorted((q['region'], q['access_key_id']) for q in reqs
                           if q['operation'] == 'GetFunctionConfiguration')
            self.assertEqual(reads, sorted([('us-east-1', base['access_key_id']),
                                            (OTHER, base['access_key_id']),
                                            ('us-east-1', role['access_key_id'])]))
            listed = [q for q in reqs if q['operation'] == 'ListFunctions']
            self.assertEqual([(q['region'], q['access_key_id']) for q in listed],
                             [(OTHER, base['access_key_id'])])
            sts = [q for q in reqs if q['operation'] == 'AssumeRole']
            self.assertEqual(len(sts), 1, 'the role is assumed once for the run')
            self.assertEqual(sts[0]['access_key_id'], base['access_key_id'])
            self.assertEqual(sts[0]['params']['RoleArn'], ROLE_ARN)
            self.assertEqual(sts[0]['params']['RoleSessionName'], 'runbook-multi-region')
            who = [q for q in reqs if q['operation'] == 'GetCallerIdentity']
            self.assertEqual(who[0]['access_key_id'], role['access_key_id'])

    def test_role_assumed_from_a_named_profile(self):
        with fake_aws('basic') as fake:
            base, role = fake.credentials(0), fake.credentials(1)
            cfg = self.write('cfg', '[profile base]\naws_access_key_id = %s\n'
                             'aws_secret_access_key = %s\n'
                             % (base['access_key_id'], base['secret_access_key']))
            script = self.write('s.lua', (
                'local r, err = aws.call("sts", "GetCallerIdentity", {}, '
                '{ role_arn = %r, source_profile = "base", region = "eu-central-1" })\n'
                'assert(r, err and err.message)\nprint(r.Arn)\n') % ROLE_ARN)
            r = self.rb(fake, script, AWS_CONFIG_FILE=cfg, AWS_ACCESS_KEY_ID=None,
                        AWS_SECRET_ACCESS_KEY=None, AWS_SESSION_TOKEN=None)
            self.assertOk(r)
            self.assertIn('assumed-role/runbook-readonly/', r.out)
            reqs = fake.requests()
            sts = [q for q in reqs if q['operation'] == 'AssumeRole'][0]
            self.assertEqual((sts['access_key_id'], sts['region']),
                             (base['access_key_id'], 'eu-central-1'))
            who = [q for q in reqs if q['operation'] == 'GetCallerIdentity'][0]
            self.assertEqual((who['access_key_id'], who['region']),
                             (role['access_key_id'], 'eu-central-1'))

    def test_no_secret_in_output_debug_or_recording(self):
        with fake_aws('basic') as fake:
            rec = os.path.join(self.dir, 'run.json')
            r, _ = self.run_script(fake, '--debug', '--record', rec)
            self.assertIn('credentials role:%s' % ROLE_ARN, r.err)
            with open(rec, encoding='utf-8') as fh:
                recording = fh.read()
            for secret in self.secrets(fake):
                for where, text in (('stdout', r.out), ('stderr', r.err),
                                    ('recording', recording)):
                    self.assertNotIn(secret, text, 'a secret in %s' % where)

    def test_recording_keys_exchanges_by_region_and_credentials_and_replays(self):
        with fake_aws('basic') as fake:
            rec = os.path.join(self.dir, 'run.json')
            _, live = self.run_script(fake, '--record', rec)
            with open(rec, encoding='utf-8') as fh:
                doc = json.load(fh)
            where = sorted((x['operation'], x['region'], x['credentials'])
                           for x in doc['exchanges'])
            self.assertEqual(where, sorted([
                ('GetCallerIdentity', 'us-east-1', 'role:' + ROLE_ARN),
                ('GetFunctionConfiguration', 'us-east-1', 'default'),
                ('GetFunctionConfiguration', OTHER, 'default'),
                ('GetFunctionConfiguration', 'us-east-1', 'role:' + ROLE_ARN),
                ('ListFunctions', OTHER, 'default')]))
            self.assertFalse([x for x in doc['exchanges'] if x['service'] == 'sts'
                              and x['operation'] == 'AssumeRole'])
            fake.clear_requests()
            r = self.rb(fake, '--replay', rec, SCRIPT, ROLE_ARN, OTHER, creds=False)
            self.assertOk(r)
            self.assertEqual(json.loads(r.out.strip().splitlines()[-1]), live)
            self.assertEqual(fake.requests(), [], 'a replay reached the network')

    def test_recording_without_region_or_credentials_fields_still_replays(self):
        with fake_aws('basic') as fake:
            rec = os.path.join(self.dir, 'old.json')
            r = self.rb(fake, '--record', rec, 'call', 'lambda', 'GetFunctionConfiguration',
                        '{"FunctionName": "my-fn"}')
            self.assertOk(r)
            with open(rec, encoding='utf-8') as fh:
                doc = json.load(fh)
            for x in doc['exchanges']:  # as a recording made before these fields existed
                del x['region'], x['credentials']
            with open(rec, 'w', encoding='utf-8') as fh:
                json.dump(doc, fh)
            r2 = self.rb(fake, '--replay', rec, 'call', 'lambda', 'GetFunctionConfiguration',
                         '{"FunctionName": "my-fn"}', creds=False, AWS_REGION=None)
            self.assertOk(r2)
            self.assertEqual(json.loads(r2.out), json.loads(r.out))

    def test_misused_options_are_refused_before_any_request(self):
        with fake_aws('basic') as fake:
            script = self.write('bad.lua', '\n'.join([
                'local cases = {',
                '  { role_arn = "arn:aws:iam::123456789012:user/dev" },',
                '  { external_id = "x" },',
                '  { region = "not a region" },',
                '  { profile = "a", role_arn = "%s", source_profile = "b" },' % ROLE_ARN,
                '}',
                'for _, opts in ipairs(cases) do',
                '  local r, err = aws.call("lambda", "ListFunctions", {}, opts)',
                '  assert(not r)',
                '  print(err.kind .. " " .. err.code .. ": " .. err.message)',
                'end',
                'local ok, msg = pcall(aws.scope, { regoin = "eu-west-1" })',
                'print(ok, msg)',
                '']))
            r = self.rb(fake, script)
            self.assertOk(r)
            lines = r.out.splitlines()
            self.assertIn('is not an IAM role ARN', lines[0])
            self.assertIn('external_id is only used with role_arn', lines[1])
            self.assertTrue(lines[2].startswith('usage InvalidRegion'), lines[2])
            self.assertIn("profile 'a' and source_profile 'b' differ", lines[3])
            for line in lines[:4]:
                self.assertTrue(line.startswith('usage '), line)
            self.assertIn("unknown option 'regoin'", lines[4])
            self.assertEqual(fake.requests(), [])


if __name__ == '__main__':
    unittest.main()
