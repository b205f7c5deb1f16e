"""Plugin directories: any number of --plugins and RUNBOOK_PATH entries are searched, in
order; none is dropped (there used to be a silent limit of 15)."""

import os
import unittest

from clitest import CliTestCase, base_env, run


class PluginDirsTest(CliTestCase):

    def dirs(self, n, prefix):
        out = []
        for i in range(1, n + 1):
            d = os.path.join(self.dir, '%s%02d' % (prefix, i))
            os.makedirs(d)
            out.append(d)
        with open(os.path.join(out[-1], 'last_dir_module.lua'), 'w', encoding='utf-8') as fh:
            fh.write('return "from %s"\n' % os.path.basename(out[-1]))
        return out

    def script(self):
        return self.write('s.lua', 'print((require("last_dir_module")))\n')

    def test_the_twentieth_plugins_option_is_searched(self):
        dirs = self.dirs(20, 'p')
        args = []
        for d in dirs:
            args += ['--plugins', d]
        r = run(args + [self.script()], base_env())
        self.assertOk(r)
        self.assertEqual(r.out.strip(), 'from p20')

    def test_the_twentieth_runbook_path_entry_is_searched(self):
        dirs = self.dirs(20, 'r')
        env = dict(base_env(), RUNBOOK_PATH=':'.join(dirs))
        r = run([self.script()], env)
        self.assertOk(r)
        self.assertEqual(r.out.strip(), 'from r20')


if __name__ == '__main__':
    unittest.main()
