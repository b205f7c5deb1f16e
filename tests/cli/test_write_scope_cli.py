"""Write scopes through the binary against the fake AWS: only the approved calls are sent.

runbook.fix_scope is a core-only module: plugins cannot require it. Its script
(tests/cli/scripts/write_scope.lua) therefore runs with runbook_testhooks, the same
command compiled with RB_TEST_HOOKS (tests/cmake/hooks.cmake), whose one extra option
--test-core-script runs a script as core Lua. The installed binary has no such option;
the tests below check that, and that plugin code cannot reach the module.
"""

import os
import subprocess
import unittest

from clitest import CliTestCase, Result, fake_aws, BIN, HERE

HOOKS_BIN = os.path.join(os.path.dirname(BIN), 'runbook_testhooks')
SCRIPT = os.path.join(HERE, 'scripts', 'write_scope.lua')


def writes(fake):
    return [(q['operation'], q.get('params')) for q in fake.requests()
            if q.get('operation') not in (None, 'GetFunctionConfiguration')]


class WriteScopeTest(CliTestCase):

    def hooks(self, fake, *args):
        proc = subprocess.run([HOOKS_BIN] + list(args), env=self.env_for(fake),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=60)
        return Result(proc)

    def test_only_the_approved_call_is_sent_once(self):
        with fake_aws('basic') as fake:
            r = self.hooks(fake, '--test-core-script', SCRIPT)
            self.assertOk(r)
            lines = dict(line.split('\t', 1) for line in r.out.splitlines())
            self.assertEqual(lines['approved'], 'ok\t')
            self.assertEqual(lines['revision'], 'ok\t')
            for label in ('unapproved', 'differs', 'no-revision'):
                self.assertTrue(lines[label].startswith('refused WriteRefused safety\t'), label)
                self.assertIn('not one of the calls approved', lines[label])
            self.assertIn('already made once', lines['again'])
            self.assertIn('no fix was approved', lines['after-close'])
            self.assertEqual(lines['closed'], 'true')
            self.assertEqual(lines['approve-read'], 'InvalidApproval')
            ops = [op for op, _ in writes(fake)]
            self.assertEqual(ops, ['UpdateFunctionConfiguration', 'UpdateFunctionConfiguration'])
            cfg = fake.world_state()['lambda']['functions']['my-fn']['configuration']
            self.assertEqual((cfg['Timeout'], cfg['MemorySize']), (45, 256))

    def test_dry_run_sends_nothing_even_when_approved(self):
        with fake_aws('basic') as fake:
            r = self.hooks(fake, '--dry-run', '--test-core-script', SCRIPT)
            self.assertOk(r)
            lines = dict(line.split('\t', 1) for line in r.out.splitlines())
            self.assertTrue(lines['approved'].startswith('refused WriteRefused safety'))
            self.assertIn('dry run', lines['approved'])
            self.assertIn('dry run', lines['revision'])
            self.assertEqual(writes(fake), [])

    def test_plugin_code_cannot_reach_the_scope(self):
        probe = self.write('probe.lua', '''
            local ok, e = pcall(require, "runbook.fix_scope")
            print("require", ok, (tostring(e):gsub("\\n", " ")))
            print("core", require("runbook.core").approve, require("runbook.core").close_scope)
            print("loaded", package.loaded["runbook.fix_scope"], package.preload["runbook.fix_scope"])
            print(aws.lambda.UpdateFunctionConfiguration{FunctionName = "my-fn", Timeout = 45})
        ''')
        with fake_aws('basic') as fake:
            for r in (self.rb(fake, probe), self.hooks(fake, probe)):
                self.assertOk(r)
                lines = r.out.splitlines()
                self.assertTrue(lines[0].startswith('require\tfalse\t'), r)
                self.assertIn("module 'runbook.fix_scope' not found", lines[0])
                self.assertEqual(lines[1], 'core\tnil\tnil')
                self.assertEqual(lines[2], 'loaded\tnil\tnil')
                self.assertTrue(lines[3].startswith('nil\t'), r)
            self.assertEqual(writes(fake), [])
            r = self.rb(fake, '--test-core-script', SCRIPT)
            self.assertEqual(r.code, 2, r)
            self.assertIn("unknown option '--test-core-script'", r.err)
            self.assertEqual(writes(fake), [])


if __name__ == '__main__':
    unittest.main()
