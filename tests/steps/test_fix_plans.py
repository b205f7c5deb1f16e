"""Every built-in fix, checked against the official models: the full triage of every
function of every test world (and the demo), each plan validated by fix.plan.validate, the
shown commands equal to the plan rendered again, and no write left as a hand-written line
where the models can express it (tests/cli/scripts/check_fix_plans.lua).
"""

import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import BIN, ROOT, CliTestCase, fake_aws  # noqa: E402

WORLDS = os.path.join(ROOT, 'tests', 'worlds')
CHECK = os.path.join(ROOT, 'tests', 'cli', 'scripts', 'check_fix_plans.lua')


def worlds():
    paths = sorted(os.path.join(WORLDS, f) for f in os.listdir(WORLDS) if f.endswith('.json'))
    return paths + [os.path.join(ROOT, 'examples', 'demo', 'world.json')]


def functions(path):
    with open(path) as fh:
        fns = json.load(fh).get('lambda', {}).get('functions', {})
    if isinstance(fns, dict):
        return sorted(fns)
    return [f.get('FunctionName') or f.get('name') for f in fns]


class BuiltInPlansTest(CliTestCase):

    def test_every_built_in_plan_is_valid_and_shown_as_rendered(self):
        total = 0
        for path in worlds():
            with fake_aws(path) as fake:
                for fn in functions(path):
                    with self.subTest(world=os.path.basename(path), function=fn):
                        r = self.rb(fake, 'triage.lua', fn, '--format', 'json', timeout=120)
                        self.assertIn(r.code, (0, 1), repr(r))
                        report = self.write('report.json', r.out)
                        check = subprocess.run([BIN, CHECK, report], capture_output=True,
                                               text=True, stdin=subprocess.DEVNULL)
                        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
                        total += int(check.stdout.strip().rsplit('plans=', 1)[1].split()[0])
        # The worlds exist to show every failure: most of them come with a plan.
        self.assertGreaterEqual(total, 30)


if __name__ == '__main__':
    unittest.main()
