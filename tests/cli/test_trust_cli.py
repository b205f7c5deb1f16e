"""Discovery with trust, through the real binary: ./.runbook/ and a runbook named bare in
the current directory run only once `runbook trust` recorded them (by real path and the
hash of their Lua files); --plugins and RUNBOOK_PATH are trusted by being named; the
search order; and the XDG directories."""

import os
import stat
import unittest

from clitest import CliTestCase, base_env, fake_aws, run

# A script run by explicit path: says where `require "team_mod"` came from.
PROBE = '''
local ok, v = pcall(require, "team_mod")
print(ok and v or "absent")
'''

# A team's own timeout step: replaces the built-in when its directory is used.
TEAM_TIMEOUT = '''
return {
  id = "timeout",
  title = "Timeouts (team .runbook)",
  run = function(ctx)
    ctx:finding{ severity = "info", title = "the team step in .runbook ran" }
  end,
}
'''

NOTE = ("runbook: ignoring ./.runbook (not trusted; run 'runbook trust .runbook' after "
        "reading it)")


class TrustTestCase(CliTestCase):

    def setUp(self):
        super().setUp()
        self.home = os.path.join(self.dir, 'home')
        self.work = os.path.join(self.dir, 'work')
        os.makedirs(self.home)
        os.makedirs(self.work)
        self.probe = self.write('probe.lua', PROBE)

    def env(self, **extra):
        env = base_env()
        for k in ('XDG_STATE_HOME', 'XDG_CONFIG_HOME'):
            env.pop(k, None)
        env['HOME'] = self.home
        env.update(extra)
        return env

    def rb(self, *args, env=None, cwd=None):
        return run(list(args), env or self.env(), cwd=cwd or self.work)

    def local(self, rel, text):
        path = os.path.join(self.work, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as fh:
            fh.write(text)
        return path

    def store(self):
        return os.path.join(self.home, '.local', 'state', 'runbook', 'trust')


class LocalDirTest(TrustTestCase):

    def test_an_untrusted_dot_runbook_is_skipped_with_a_note(self):
        self.local('.runbook/team_mod.lua', 'return "from .runbook"\n')
        r = self.rb(self.probe)
        self.assertOk(r)
        self.assertEqual(r.out.strip(), 'absent')
        self.assertIn(NOTE, r.err)
        self.assertEqual(r.err.count('\n'), 1, r.err)

    def test_a_dot_runbook_of_data_only_is_no_code_and_gets_no_note(self):
        self.local('.runbook/suppressions.json', '[]\n')
        self.local('.runbook/notes/README', 'accepted findings\n')
        r = self.rb(self.probe)
        self.assertOk(r)
        self.assertEqual(r.err, '')
        self.local('.runbook/steps/deep/mine.lua', 'return {}\n')  # code, three levels down
        r = self.rb(self.probe)
        self.assertIn(NOTE, r.err)

    def test_a_trusted_dot_runbook_is_used(self):
        self.local('.runbook/team_mod.lua', 'return "from .runbook"\n')
        t = self.rb('trust', '.runbook')
        self.assertOk(t)
        real = os.path.realpath(os.path.join(self.work, '.runbook'))
        self.assertEqual(t.out.strip(), 'trusted ' + real)
        r = self.rb(self.probe)
        self.assertOk(r)
        self.assertEqual(r.out.strip(), 'from .runbook')
        self.assertEqual(r.err, '')

    def test_trust_without_a_path_trusts_dot_runbook(self):
        self.local('.runbook/team_mod.lua', 'return "from .runbook"\n')
        self.assertOk(self.rb('trust'))
        self.assertEqual(self.rb(self.probe).out.strip(), 'from .runbook')

    def test_a_changed_file_makes_it_untrusted_again(self):
        self.local('.runbook/team_mod.lua', 'return "from .runbook"\n')
        self.assertOk(self.rb('trust', '.runbook'))
        self.local('.runbook/team_mod.lua', 'return "changed behind our back"\n')
        r = self.rb(self.probe)
        self.assertEqual(r.out.strip(), 'absent')
        self.assertIn("runbook: ignoring ./.runbook (changed since it was trusted; run "
                      "'runbook trust .runbook' after reading it)", r.err)

    def test_a_new_lua_file_makes_it_untrusted_again(self):
        self.local('.runbook/team_mod.lua', 'return "from .runbook"\n')
        self.assertOk(self.rb('trust', '.runbook'))
        self.local('.runbook/steps/sneaky.lua', 'return {}\n')
        r = self.rb(self.probe)
        self.assertEqual(r.out.strip(), 'absent')
        self.assertIn('changed since it was trusted', r.err)

    def test_trust_is_by_real_path_not_by_name(self):
        self.local('.runbook/team_mod.lua', 'return "from .runbook"\n')
        self.assertOk(self.rb('trust', '.runbook'))
        other = os.path.join(self.dir, 'other')
        os.makedirs(os.path.join(other, '.runbook'))
        with open(os.path.join(other, '.runbook', 'team_mod.lua'), 'w') as fh:
            fh.write('return "from .runbook"\n')  # the same content, another directory
        r = self.rb(self.probe, cwd=other)
        self.assertEqual(r.out.strip(), 'absent')
        self.assertIn(NOTE, r.err)

    def test_a_trusted_dot_runbook_step_overrides_the_builtin_in_a_triage(self):
        self.local('.runbook/steps/timeout.lua', TEAM_TIMEOUT)
        with fake_aws('healthy') as fake:
            env = self.env_for(fake, HOME=self.home)
            before = run(['triage.lua', 'orders-api', '--steps', 'timeout', '--format',
                          'json'], env, cwd=self.work, timeout=120)
            self.assertIn(before.code, (0, 1), repr(before))
            self.assertIn(NOTE, before.err)
            self.assertEqual(before.json()['steps'][0]['title'], 'Timeouts')
            self.assertOk(run(['trust', '.runbook'], env, cwd=self.work))
            after = run(['triage.lua', 'orders-api', '--steps', 'timeout', '--format',
                         'json'], env, cwd=self.work, timeout=120)
        self.assertIn(after.code, (0, 1), repr(after))
        self.assertNotIn('ignoring', after.err)
        step = after.json()['steps'][0]
        self.assertEqual(step['title'], 'Timeouts (team .runbook)')
        self.assertEqual(step['findings'][0]['title'], 'the team step in .runbook ran')


class LocalRunbookTest(TrustTestCase):

    def test_a_bare_runbook_in_the_current_directory_is_not_preferred_until_trusted(self):
        self.local('triage.lua', 'print("the team triage in cwd")\n')
        r = self.rb('triage.lua', '--help')
        self.assertOk(r)
        self.assertIn('usage: runbook triage.lua FUNCTION', r.out)  # the built-in
        self.assertNotIn('the team triage in cwd', r.out)
        self.assertIn("runbook: ignoring ./triage.lua in the current directory (not trusted; "
                      "run 'runbook trust triage.lua' after reading it, or give its path: "
                      "./triage.lua)", r.err)
        self.assertOk(self.rb('trust', 'triage.lua'))
        r = self.rb('triage.lua', '--help')
        self.assertOk(r)
        self.assertEqual(r.out.strip(), 'the team triage in cwd')
        self.assertEqual(r.err, '')

    def test_an_edited_bare_runbook_falls_back_to_the_builtin(self):
        self.local('triage.lua', 'print("the team triage in cwd")\n')
        self.assertOk(self.rb('trust', 'triage.lua'))
        self.local('triage.lua', 'print("edited")\n')
        r = self.rb('triage.lua', '--help')
        self.assertIn('usage: runbook triage.lua FUNCTION', r.out)
        self.assertIn('changed since it was trusted', r.err)

    def test_an_explicit_path_is_trusted_by_being_typed(self):
        self.local('triage.lua', 'print("the team triage in cwd")\n')
        r = self.rb('./triage.lua')
        self.assertOk(r)
        self.assertEqual(r.out.strip(), 'the team triage in cwd')
        self.assertEqual(r.err, '')

    def test_an_untrusted_bare_runbook_without_a_builtin_is_not_found(self):
        self.local('mine.lua', 'print("mine")\n')
        r = self.rb('mine.lua')
        self.assertEqual(r.code, 2, repr(r))
        self.assertIn("ignoring ./mine.lua in the current directory (not trusted", r.err)
        self.assertIn("cannot find the script", r.err)
        self.assertNotIn('mine\n', r.out)


class NamedDirsTest(TrustTestCase):

    def team_dir(self, name, text):
        d = os.path.join(self.dir, name)
        os.makedirs(d)
        with open(os.path.join(d, 'team_mod.lua'), 'w') as fh:
            fh.write(text)
        return d

    def test_plugins_dirs_are_trusted_without_a_record(self):
        d = self.team_dir('plugins', 'return "from --plugins"\n')
        r = self.rb('--plugins', d, self.probe)
        self.assertOk(r)
        self.assertEqual(r.out.strip(), 'from --plugins')
        self.assertEqual(r.err, '')
        self.assertFalse(os.path.exists(self.store()))

    def test_runbook_path_dirs_are_trusted_without_a_record(self):
        d = self.team_dir('rp', 'return "from RUNBOOK_PATH"\n')
        r = self.rb(self.probe, env=self.env(RUNBOOK_PATH=d))
        self.assertOk(r)
        self.assertEqual(r.out.strip(), 'from RUNBOOK_PATH')
        self.assertEqual(r.err, '')

    def test_a_runbook_named_bare_is_found_in_a_plugins_dir(self):
        d = os.path.join(self.dir, 'kit')
        os.makedirs(os.path.join(d, 'runbooks'))
        with open(os.path.join(d, 'runbooks', 'team-triage.lua'), 'w') as fh:
            fh.write('print("team runbook from --plugins")\n')
        r = self.rb('--plugins', d, 'team-triage.lua')
        self.assertOk(r)
        self.assertEqual(r.out.strip(), 'team runbook from --plugins')

    def test_search_order(self):
        self.local('.runbook/team_mod.lua', 'return ".runbook"\n')
        self.assertOk(self.rb('trust', '.runbook'))
        cfg = os.path.join(self.dir, 'cfg')
        os.makedirs(os.path.join(cfg, 'runbook'))
        p = self.team_dir('p', 'return "--plugins"\n')
        rp = self.team_dir('rp', 'return "RUNBOOK_PATH"\n')
        script = self.write('scriptdir/s.lua', '''
            for _, d in ipairs(require("runbook.discovery").dirs) do print(d.origin) end
            print((require("team_mod")))
        ''')
        r = self.rb('--plugins', p, script, env=self.env(RUNBOOK_PATH=rp, XDG_CONFIG_HOME=cfg))
        self.assertOk(r)
        self.assertEqual(r.out.split(), ['--plugins', 'RUNBOOK_PATH', 'script', '.runbook',
                                         'config', 'builtin', '--plugins'])
        r = self.rb(script, env=self.env(XDG_CONFIG_HOME=cfg))
        self.assertEqual(r.out.split()[-1], '.runbook')


class XdgTest(TrustTestCase):

    def test_the_store_is_private_and_under_home_by_default(self):
        self.local('.runbook/team_mod.lua', 'return "x"\n')
        self.assertOk(self.rb('trust', '.runbook'))
        mode = stat.S_IMODE(os.stat(self.store()).st_mode)
        self.assertEqual(mode, 0o600)
        with open(self.store()) as fh:
            text = fh.read()
        self.assertIn(os.path.realpath(os.path.join(self.work, '.runbook')), text)

    def test_xdg_state_home_holds_the_store(self):
        state = os.path.join(self.dir, 'state')
        env = self.env(XDG_STATE_HOME=state)
        self.local('.runbook/team_mod.lua', 'return "from .runbook"\n')
        self.assertOk(self.rb('trust', '.runbook', env=env))
        self.assertTrue(os.path.exists(os.path.join(state, 'runbook', 'trust')))
        self.assertFalse(os.path.exists(self.store()))
        self.assertEqual(self.rb(self.probe, env=env).out.strip(), 'from .runbook')
        # the same directory is not trusted under another store
        self.assertEqual(self.rb(self.probe).out.strip(), 'absent')

    def test_xdg_config_home_is_searched(self):
        cfg = os.path.join(self.dir, 'cfg')
        os.makedirs(os.path.join(cfg, 'runbook'))
        with open(os.path.join(cfg, 'runbook', 'team_mod.lua'), 'w') as fh:
            fh.write('return "from XDG_CONFIG_HOME"\n')
        r = self.rb(self.probe, env=self.env(XDG_CONFIG_HOME=cfg))
        self.assertOk(r)
        self.assertEqual(r.out.strip(), 'from XDG_CONFIG_HOME')

    def test_home_config_is_searched_by_default(self):
        d = os.path.join(self.home, '.config', 'runbook')
        os.makedirs(d)
        with open(os.path.join(d, 'team_mod.lua'), 'w') as fh:
            fh.write('return "from ~/.config/runbook"\n')
        self.assertEqual(self.rb(self.probe).out.strip(), 'from ~/.config/runbook')


class TrustCommandTest(TrustTestCase):

    def test_list_shows_each_entry_and_whether_it_changed(self):
        self.local('.runbook/team_mod.lua', 'return "x"\n')
        self.local('triage.lua', 'print(1)\n')
        self.assertOk(self.rb('trust', '.runbook'))
        self.assertOk(self.rb('trust', 'triage.lua'))
        self.local('triage.lua', 'print(2)\n')
        r = self.rb('trust', '--list')
        self.assertOk(r)
        real = os.path.realpath(self.work)
        self.assertEqual(r.out.splitlines(), ['trusted\t%s/.runbook' % real,
                                              'changed\t%s/triage.lua' % real])

    def test_untrust_removes_the_entry(self):
        self.local('.runbook/team_mod.lua', 'return "from .runbook"\n')
        self.assertOk(self.rb('trust', '.runbook'))
        r = self.rb('untrust', '.runbook')
        self.assertOk(r)
        self.assertEqual(self.rb('trust', '--list').out, '')
        r = self.rb(self.probe)
        self.assertEqual(r.out.strip(), 'absent')
        self.assertIn(NOTE, r.err)
        r = self.rb('untrust', '.runbook')
        self.assertEqual(r.code, 2)
        self.assertIn('is not trusted', r.err)

    def test_bad_input_is_one_line(self):
        r = self.rb('trust')
        self.assertEqual(r.code, 2)
        self.assertEqual(r.err, "runbook: nothing to trust: no ./.runbook here; name a "
                         "directory or a runbook file\n")
        r = self.rb('trust', 'no-such-dir')
        self.assertEqual(r.code, 2)
        self.assertEqual(r.err.count('\n'), 1, r.err)
        self.assertIn("cannot trust 'no-such-dir'", r.err)
        r = self.rb('trust', '--bogus')
        self.assertEqual(r.code, 2)
        self.assertIn('usage: runbook trust', r.err)

    def test_help(self):
        for cmd in ('trust', 'untrust'):
            r = self.rb(cmd, '--help')
            self.assertOk(r)
            self.assertIn('usage: runbook trust [DIR|RUNBOOK.lua]', r.out)

    def test_a_store_that_cannot_be_found_is_named(self):
        env = self.env()
        del env['HOME']
        self.local('.runbook/team_mod.lua', 'return "x"\n')
        r = self.rb('trust', '.runbook', env=env)
        self.assertEqual(r.code, 3)
        self.assertIn('set XDG_STATE_HOME or HOME', r.err)


if __name__ == '__main__':
    unittest.main()
