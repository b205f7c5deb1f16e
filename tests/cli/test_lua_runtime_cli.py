"""The Lua runtime through the real binary: concurrency, sharing, pagination, exit codes."""

import json
import os
import unittest
from datetime import datetime

from clitest import CliTestCase, fake_aws, run, base_env


def max_overlap(requests):
    """The most requests the fake was serving at one moment (from its request log)."""
    spans = []
    for r in requests:
        start = datetime.fromisoformat(r['time'].replace('Z', '+00:00')).timestamp()
        spans.append((start, start + r['duration_ms'] / 1000.0))
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    best = cur = 0
    for _, delta in events:
        cur += delta
        best = max(best, cur)
    return best


class RuntimeTest(CliTestCase):

    def test_calls_from_different_tasks_are_in_flight_together(self):
        script = self.write('c.lua', '''
            local names = {}
            for i = 1, 20 do names[i] = "role-" .. i end
            local out = runbook.map(names, function(name)
              local r, err = aws.iam.GetRole{RoleName = name}
              return err and err.code or "found"
            end)
            print(#out, out[1], out[20])
        ''')
        faults = [{'service': 'iam', 'kind': 'delay', 'delay_ms': 300}]
        with fake_aws('basic', faults=faults) as fake:
            r = self.rb(fake, script)
            self.assertOk(r)
            self.assertEqual(r.out.split(), ['20', 'NoSuchEntity', 'NoSuchEntity'])
            reqs = [q for q in fake.requests() if q['operation'] == 'GetRole']
            self.assertEqual(len(reqs), 20)
            self.assertGreaterEqual(max_overlap(reqs), 10)

    def test_identical_reads_in_one_run_are_sent_once(self):
        script = self.write('s.lua', '''
            local core = require("runbook.core")
            local rs = runbook.all {
              function() return aws.lambda.GetFunctionConfiguration{FunctionName = "my-fn"} end,
              function() return aws.lambda.GetFunctionConfiguration{FunctionName = "my-fn"} end,
              function() return aws.call("lambda", "GetFunctionConfiguration",
                                         {FunctionName = "my-fn"}) end,
            }
            local again = aws.lambda.GetFunctionConfiguration{FunctionName = "my-fn"}
            local other = aws.lambda.GetFunctionConfiguration{FunctionName = "vpc-fn"}
            local st = core.stats()
            print(rs[1][2].FunctionName, rs[3][2].FunctionName, again.FunctionName,
                  other.FunctionName, st.calls, st.shared, st.attempts)
        ''')
        with fake_aws('basic') as fake:
            r = self.rb(fake, script)
            self.assertOk(r)
            self.assertEqual(r.out.split(), ['my-fn', 'my-fn', 'my-fn', 'vpc-fn', '5', '3', '2'])
            self.assertEqual(len(fake.requests()), 2)

    def test_collect_follows_every_page(self):
        script = self.write('p.lua', '''
            local core = require("runbook.core")
            local events = assert(aws.collect("logs", "FilterLogEvents",
              {logGroupName = "/aws/lambda/my-fn", limit = 2}))
            local pages = 0
            for page in aws.pages("logs", "FilterLogEvents",
                                  {logGroupName = "/aws/lambda/my-fn", limit = 2}) do
              pages = pages + 1
            end
            print(#events, pages, core.stats().attempts)
        ''')
        with fake_aws('basic') as fake:
            r = self.rb(fake, script)
            self.assertOk(r)
            events, pages, attempts = (int(x) for x in r.out.split())
            self.assertGreater(events, 4)
            self.assertEqual(pages, (events + 1) // 2)
            self.assertEqual(attempts, pages)  # the second walk is answered from the first
            tokens = [q['params'].get('nextToken') for q in fake.requests()]
            self.assertEqual(len(set(tokens)), pages)

    def test_join_timeout_and_task_errors(self):
        script = self.write('j.lua', '''
            local slow = runbook.spawn(function() runbook.sleep(2) return "late" end)
            print(runbook.join(slow, 0.1))
            local bad = runbook.spawn(function() error("boom") end)
            local ok, err, tb = runbook.join(bad)
            print(ok, err:match("boom") ~= nil, tb:match("stack traceback") ~= nil)
            print(runbook.join(slow))
        ''')
        r = run([script], base_env())
        self.assertOk(r)
        self.assertEqual(r.out.splitlines(), ['false\ttimeout', 'false\ttrue\ttrue', 'true\tlate'])

    def test_gather_returns_values_and_errors_by_name_and_reraises(self):
        script = self.write('g.lua', '''
            local got, errs = runbook.gather {
              a = function() return 1 end,
              b = function() return nil, "nope" end,
              c = function() runbook.sleep(0.05) return "late" end,
            }
            print(got.a, got.b, errs.b, got.c)
            print(pcall(runbook.gather, { x = function() error("boom", 0) end }))
        ''')
        r = run([script], base_env())
        self.assertOk(r)
        self.assertEqual(r.out.splitlines(), ['1\tnil\tnope\tlate', 'false\tboom'])

    def test_script_exit_codes_and_arguments(self):
        ret = self.write('r.lua', 'print(select("#", ...), arg[0] ~= nil, arg[1], ...)\nreturn 4')
        r = run([ret, 'a', '--flag', 'b'], base_env())
        self.assertEqual(r.code, 4, repr(r))
        self.assertEqual(r.out, '3\ttrue\ta\ta\t--flag\tb\n')
        ex = self.write('e.lua', 'os.exit(5)')
        self.assertEqual(run([ex], base_env()).code, 5)
        boom = self.write('b.lua', 'local x = nil\nprint(x.y)')
        r = run([boom], base_env())
        self.assertEqual(r.code, 3)
        self.assertIn('b.lua:2:', r.err)
        self.assertIn('stack traceback', r.err)

    def test_os_exit_still_writes_the_recording(self):
        script = self.write('x.lua', '''
            assert(aws.lambda.GetFunctionConfiguration{FunctionName = "my-fn"})
            os.exit(7)
        ''')
        rec = os.path.join(self.dir, 'rec.json')
        with fake_aws('basic') as fake:
            r = self.rb(fake, '--record', rec, script)
        self.assertEqual(r.code, 7, repr(r))
        with open(rec, encoding='utf-8') as fh:
            self.assertEqual(len(json.load(fh)['exchanges']), 1)

    def test_unknown_operation_name_in_a_script_raises_with_a_suggestion(self):
        script = self.write('u.lua', 'aws.lambda.ListFunction{}')
        r = run([script], base_env())
        self.assertEqual(r.code, 3)
        self.assertIn('ListFunctions', r.err)
        self.assertIn('u.lua:1', r.err)

    def test_calls_made_outside_any_task_still_work(self):
        script = self.write('o.lua', '''
            local co = coroutine.wrap(function()
              local r = aws.lambda.GetFunctionConfiguration{FunctionName = "my-fn"}
              coroutine.yield(r.FunctionName)
            end)
            print(co())
        ''')
        with fake_aws('basic') as fake:
            r = self.rb(fake, script)
            self.assertOk(r)
            self.assertEqual(r.out, 'my-fn\n')


if __name__ == '__main__':
    unittest.main()
