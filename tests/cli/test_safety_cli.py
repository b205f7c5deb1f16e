"""Safety through the real binary: writes refused, secrets never shown, runs replayable."""

import json
import os
import unittest

from clitest import CliTestCase, fake_aws, run, base_env

# A distinctive key pair and token: none of these strings may appear in any output.
SECRET = 'r0leS3cretKeyForTheReadOnlyRoleEXAMPLE01'
TOKEN = 'IQoJb3JpZ2luX2VjEReadOnlyRoleSessionTokenEXAMPLE01'

SCRIPT = '''
local cfg = assert(aws.lambda.GetFunctionConfiguration{FunctionName = "my-fn"})
local role = cfg.Role:match("role/(.+)$")
local results = runbook.all {
  function() return aws.iam.ListAttachedRolePolicies{RoleName = role} end,
  function() return aws.lambda.GetPolicy{FunctionName = "my-fn"} end,
  function() return aws.ec2.DescribeSubnets{} end,
  function() return aws.logs.FilterLogEvents{logGroupName = "/aws/lambda/my-fn",
                                             startTime = (runbook.now() - 3600) * 1000} end,
  function() return aws.lambda.GetFunctionConfiguration{FunctionName = "no-such-fn"} end,
}
print("function", cfg.FunctionName, cfg.Timeout, cfg.MemorySize)
print("policies", #results[1][2].AttachedPolicies)
print("policy", results[2][2] and #results[2][2].Policy > 0)
print("subnets", #results[3][2].Subnets)
print("events", #results[4][2].events)
print("missing", results[5][3].code, results[5][3].status)
'''


class WriteSafetyTest(CliTestCase):

    def test_write_from_a_script_is_refused_and_nothing_is_sent(self):
        script = self.write('w.lua', '''
            local r, err = aws.lambda.UpdateFunctionConfiguration{FunctionName = "my-fn",
                                                                  Timeout = 30}
            print(r, err.code, err.kind)
            print(err.message)
            local r2, err2 = aws.call("lambda", "Invoke", {FunctionName = "my-fn"})
            print(r2, err2.code)
            local r3, err3 = aws.iam.PutRolePolicy{RoleName = "my-fn-role", PolicyName = "p",
                                                    PolicyDocument = "{}"}
            print(r3, err3.code)
        ''')
        with fake_aws('basic') as fake:
            r = self.rb(fake, script)
            self.assertOk(r)
            lines = r.out.splitlines()
            self.assertEqual(lines[0], 'nil\tWriteRefused\tsafety')
            self.assertIn('UpdateFunctionConfiguration', lines[1])
            self.assertIn('no fix was approved', lines[1])
            self.assertEqual(lines[2], 'nil\tWriteRefused')
            self.assertEqual(lines[3], 'nil\tWriteRefused')
            self.assertEqual(fake.requests(), [])
            state = fake.world_state()['lambda']['functions']['my-fn']['configuration']
            self.assertEqual(state['Timeout'], 30)  # unchanged from tests/worlds/basic.json

    def test_write_through_call_is_refused(self):
        with fake_aws('basic') as fake:
            r = self.rb(fake, 'call', 'lambda', 'PutFunctionConcurrency',
                        '{"FunctionName":"my-fn","ReservedConcurrentExecutions":0}')
            self.assertEqual(r.code, 1, repr(r))
            self.assertIn('WriteRefused', r.err.split('\n')[0])
            self.assertEqual(fake.requests(), [])


class SecretsTest(CliTestCase):

    def secret_env(self, fake):
        return dict(AWS_ACCESS_KEY_ID='ASIAQ3EGRBQXROLE0001', AWS_SECRET_ACCESS_KEY=SECRET,
                    AWS_SESSION_TOKEN=TOKEN)

    def assertNoSecret(self, text, where):
        self.assertNotIn(SECRET, text, where)
        self.assertNotIn(TOKEN, text, where)
        self.assertNotIn('Signature=', text, where)

    def test_no_secret_in_stdout_stderr_debug_or_recording(self):
        script = self.write('s.lua', SCRIPT)
        rec = os.path.join(self.dir, 'rec.json')
        with fake_aws('basic') as fake:
            r = self.rb(fake, '--debug', '--record', rec, script, **self.secret_env(fake))
            self.assertOk(r)
            self.assertIn('> lambda GetFunctionConfiguration', r.err)  # the trace is there
            self.assertIn('Authorization: [redacted]', r.err)
            self.assertIn('X-Amz-Security-Token: [redacted]', r.err)
            for text, where in ((r.out, 'stdout'), (r.err, 'stderr')):
                self.assertNoSecret(text, where)
            with open(rec, encoding='utf-8') as fh:
                self.assertNoSecret(fh.read(), 'recording')
            # an AWS error and a failed call print no secret either
            r = self.rb(fake, '--debug', 'call', 'lambda', 'GetFunctionConfiguration',
                        '{"FunctionName":"nope"}', **self.secret_env(fake))
            self.assertEqual(r.code, 1)
            self.assertNoSecret(r.out + r.err, 'error output')

    def test_assumed_role_secrets_stay_out_of_debug_output(self):
        with fake_aws('basic') as fake:
            base = fake.credentials(0)
            cfg = self.write('cfg', '[profile base]\naws_access_key_id = %s\n'
                             'aws_secret_access_key = %s\n\n[profile ro]\nrole_arn = '
                             'arn:aws:iam::123456789012:role/runbook-readonly\n'
                             'source_profile = base\n'
                             % (base['access_key_id'], base['secret_access_key']))
            r = self.rb(fake, '--debug', '--profile', 'ro', 'call', 'sts', 'GetCallerIdentity',
                        creds=False, AWS_CONFIG_FILE=cfg)
            self.assertOk(r)
            self.assertNoSecret(r.out + r.err, 'assume-role run')
            self.assertNotIn(base['secret_access_key'], r.out + r.err)


class RecordReplayTest(CliTestCase):

    def test_replay_with_the_fake_stopped_gives_identical_output(self):
        script = self.write('s.lua', SCRIPT)
        rec = os.path.join(self.dir, 'rec.json')
        faults = [{'service': 'iam', 'kind': 'throttle', 'count': 1}]
        with fake_aws('basic', faults=faults) as fake:
            recorded = self.rb(fake, '--record', rec, script)
            self.assertOk(recorded)
            dead_url = fake.url
        with open(rec, encoding='utf-8') as fh:
            doc = json.load(fh)
        self.assertEqual(doc['format'], 'runbook-recording')
        self.assertEqual(doc['version'], 1)
        ops = [(x['service'], x['operation'], x['attempt']) for x in doc['exchanges']]
        self.assertIn(('iam', 'ListAttachedRolePolicies', 2), ops)  # the retry is recorded
        self.assertEqual(ops, sorted(ops, key=lambda o: (o[0], o[1])) or ops)
        # no credentials, no server: the replay must not need either
        env = dict(base_env(), AWS_ENDPOINT_URL=dead_url, HOME=self.dir,
                   AWS_EC2_METADATA_DISABLED='true')
        replayed = run(['--replay', rec, script], env)
        self.assertOk(replayed)
        self.assertEqual(replayed.out, recorded.out)

    def test_recording_the_same_run_twice_gives_the_same_file(self):
        script = self.write('s.lua', SCRIPT)
        texts = []
        for i in range(2):
            rec = os.path.join(self.dir, 'rec%d.json' % i)
            with fake_aws('basic') as fake:
                self.assertOk(self.rb(fake, '--record', rec, script))
            with open(rec, encoding='utf-8') as fh:
                doc = json.load(fh)
            for x in doc['exchanges']:  # per-run values: the clock, ids
                x['params'].pop('startTime', None)
                x.get('response', {}).pop('headers', None)
                body = x.get('response', {}).get('body', '')
                x.get('response', {})['body'] = len(body)
            doc.pop('run_time')
            texts.append(json.dumps(doc, sort_keys=True))
        self.assertEqual(texts[0], texts[1])

    def test_replay_of_an_unrecorded_call_fails_clearly(self):
        script = self.write('s.lua', SCRIPT)
        other = self.write('o.lua', '''
            local r, err = aws.lambda.GetFunctionConfiguration{FunctionName = "vpc-fn"}
            print(err.code)
            print(err.message)
        ''')
        rec = os.path.join(self.dir, 'rec.json')
        with fake_aws('basic') as fake:
            self.assertOk(self.rb(fake, '--record', rec, script))
        r = run(['--replay', rec, other], dict(base_env(), HOME=self.dir))
        self.assertOk(r)
        code, message = r.out.splitlines()
        self.assertEqual(code, 'ReplayMiss')
        self.assertIn('GetFunctionConfiguration', message)

    def test_replay_of_a_file_that_is_not_a_recording_is_one_line(self):
        bad = self.write('bad.json', '{"hello": 1}')
        script = self.write('x.lua', 'print(aws.lambda.ListFunctions{})')
        r = run(['--replay', bad, script], dict(base_env(), HOME=self.dir))
        self.assertEqual(r.code, 3, repr(r))
        self.assertIn('not a runbook recording', r.err)
        self.assertEqual(len(r.err.strip().splitlines()), 1, repr(r))


if __name__ == '__main__':
    unittest.main()
