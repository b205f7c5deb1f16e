"""The plugin sandbox, through the real binary: what plugin and runbook code may not do
(processes, file writes, C modules, binary chunks, the debug functions that reach past the
sandbox, reads outside the built-ins, trusted plugin directories and command-line paths),
that the core's own embedded Lua keeps its capabilities, and that a secret of a
credential set in use never reaches stdout or stderr through Lua."""

import json
import os
import unittest

from clitest import CliTestCase, base_env, fake_aws, run

REFUSED = ['os.execute', 'os.remove', 'os.rename', 'os.tmpname', 'io.popen', 'io.tmpfile',
           'package.loadlib', 'string.dump', 'debug.sethook', 'debug.getregistry',
           'debug.setupvalue', 'debug.getupvalue', 'debug.setmetatable',
           'debug.upvaluejoin', 'debug.setlocal', 'debug.getlocal', 'debug.setuservalue',
           'debug.debug']

# A step that tries to start a process on its line 4, then would report.
POPEN_STEP = '''
return { id = "popen_step", title = "Tries a process",
  run = function(ctx)
    local p = io.popen("id")
    ctx:finding{ severity = "info", title = "got past io.popen: " .. tostring(p) }
  end }
'''


class SandboxTestCase(CliTestCase):

    def env(self, **extra):
        env = base_env()
        env['HOME'] = os.path.join(self.dir, 'home')
        env.update(extra)
        return env

    def lua(self, text, *args, **extra):
        script = self.write('s.lua', text)
        return run([script] + list(args), self.env(**extra))


class RefusedTest(SandboxTestCase):

    def test_each_refused_function_names_itself_at_the_callers_line(self):
        for name in REFUSED:
            with self.subTest(name):
                lib, fn = name.split('.')
                r = self.lua('local f = %s.%s\nf("x")\n' % (lib, fn))
                self.assertEqual(r.code, 3, repr(r))
                first = r.err.splitlines()[0]
                self.assertIn('s.lua:2: %s: plugins may not use it (runbook sandbox' % name,
                              first)

    def test_getinfo_and_traceback_stay(self):
        r = self.lua('print(debug.getinfo(1, "S").short_src:match("s%.lua$"))\n'
                     'print(debug.traceback("tb"):match("^tb\\nstack traceback:") ~= nil)\n')
        self.assertOk(r)
        self.assertEqual(r.out.split(), ['s.lua', 'true'])

    def test_os_exit_still_ends_a_runbook_with_its_code(self):
        r = self.lua('os.exit(4)\n')
        self.assertEqual(r.code, 4, repr(r))

    def test_no_file_is_written(self):
        target = os.path.join(self.dir, 'written.txt')
        for code in ['io.open(%r, "w")', 'io.open(%r, "a")', 'io.open(%r, "r+")',
                     'io.output(%r)']:
            with self.subTest(code):
                r = self.lua(code % target + '\n')
                self.assertEqual(r.code, 3, repr(r))
                self.assertIn('plugins may not open files for writing', r.err)
                self.assertFalse(os.path.exists(target))

    def test_only_text_chunks_load(self):
        # A binary chunk made with the whole library (--no-sandbox), then loaded without it.
        plugins = os.path.join(self.dir, 'plugins')
        os.makedirs(plugins)
        maker = self.write('make.lua', '''
            local f = assert(io.open(arg[1] .. "/bin_mod.lua", "wb"))
            f:write(string.dump(function() return "binary ran" end))
            f:close()
        ''')
        self.assertOk(run(['--no-sandbox', maker, plugins], self.env()))
        r = run(['--plugins', plugins, self.write('s.lua', '''
            local ok, err = pcall(require, "bin_mod")
            print(ok, (tostring(err):gsub("\\n", " ")))
            print(pcall(load, "\\27Lua", "x", "b"))
            local f = assert(io.open(arg[1] .. "/bin_mod.lua", "rb"))
            print(load(f:read("a")))
            print(pcall(loadfile, arg[1] .. "/bin_mod.lua", "b"))
            print(loadfile(arg[1] .. "/bin_mod.lua"))
            local once = f:seek("set") and f:read("a")
            print(load(function() local p = once; once = nil; return p end, "=r", "bt"))
            -- a reader is called from the sandbox's own load, never from the real one
            local seen
            load(function() seen = debug.getinfo(2, "f").func; return nil end)
            print(seen == load)
        '''), plugins], self.env())
        self.assertOk(r)
        self.assertNotIn('binary ran', r.out)
        lines = r.out.splitlines()
        self.assertIn('attempt to load a binary chunk', lines[0])
        self.assertIn('load: plugins may not load binary chunks', lines[1])
        self.assertIn('attempt to load a binary chunk', lines[2])
        self.assertIn('loadfile: plugins may not load binary chunks', lines[3])
        self.assertIn('attempt to load a binary chunk', lines[4])
        self.assertIn('attempt to load a binary chunk', lines[5])
        self.assertEqual(lines[6], 'true')

    def test_no_c_modules(self):
        r = self.lua('print(package.cpath == "", #package.searchers)\n'
                     'package.cpath = "/usr/lib/x86_64-linux-gnu/lua/5.4/?.so"\n'
                     'print(pcall(require, "lpeg"))\n')
        self.assertOk(r)
        lines = r.out.splitlines()
        self.assertEqual(lines[0], 'true\t2')
        self.assertTrue(lines[1].startswith('false'), lines[1])

    def test_the_secret_variables_are_hidden_from_os_getenv(self):
        r = self.lua('print(os.getenv("AWS_SECRET_ACCESS_KEY"), os.getenv("AWS_SESSION_TOKEN"),'
                     ' os.getenv("AWS_ACCESS_KEY_ID"))\n',
                     AWS_SECRET_ACCESS_KEY='s3cr3tKeyValueEXAMPLE', AWS_SESSION_TOKEN='tok3nVALUE',
                     AWS_ACCESS_KEY_ID='AKIDEXAMPLE')
        self.assertOk(r)
        self.assertEqual(r.out.split(), ['nil', 'nil', 'AKIDEXAMPLE'])


class ReadsTest(SandboxTestCase):

    def test_reads_outside_the_roots_are_refused(self):
        # the script lives in its own directory (a plugin directory, readable)
        self.lua = lambda text: run([self.write('scripts/s.lua', text)], self.env())
        home = os.path.join(self.dir, 'home')
        os.makedirs(os.path.join(home, '.aws'))
        with open(os.path.join(home, '.aws', 'credentials'), 'w') as fh:
            fh.write('[default]\naws_secret_access_key = nope\n')
        for path in ['/etc/passwd', os.path.join(home, '.aws', 'credentials'),
                     '/proc/self/environ']:
            for call in ['io.open(%r)', 'io.lines(%r)', 'loadfile(%r)', 'dofile(%r)',
                         'io.input(%r)']:
                with self.subTest(call % path):
                    r = self.lua('local f = %s\n' % (call % path))
                    self.assertEqual(r.code, 3, repr(r))
                    self.assertIn("plugins may not read '%s'" % path, r.err)

    def test_aws_credential_files_are_refused_even_inside_a_plugin_dir(self):
        # A runbook kept in the home directory makes the home a plugin directory.
        home = os.path.join(self.dir, 'home')
        os.makedirs(os.path.join(home, '.aws'))
        for name in ('credentials', 'config'):
            with open(os.path.join(home, '.aws', name), 'w') as fh:
                fh.write('[default]\naws_secret_access_key = nope\n')
        token = self.write('home/token', 'web-identity-token')
        script = self.write('home/s.lua', 'print(pcall(io.open, arg[1]))\n')
        for path in [os.path.join(home, '.aws', 'credentials'),
                     os.path.join(home, '.aws', 'config'), token]:
            with self.subTest(path):
                r = run([script, path], self.env(AWS_WEB_IDENTITY_TOKEN_FILE=token))
                self.assertOk(r)
                self.assertIn("false\tio.open: plugins may not read '%s'" % path, r.out)
        r = run([script, token], self.env())  # not a credential file without the variable
        self.assertTrue(r.out.startswith('true\tfile ('), r.out)

    def test_a_symlink_out_of_a_plugin_dir_is_refused(self):
        plugins = os.path.join(self.dir, 'plugins')
        os.makedirs(plugins)
        os.symlink('/etc/passwd', os.path.join(plugins, 'passwd'))
        os.symlink('/etc', os.path.join(plugins, 'etc'))
        r = run(['--plugins', plugins, self.write('s.lua', '''
            print(pcall(io.open, arg[1] .. "/passwd"))
            print(pcall(io.open, arg[1] .. "/etc/hostname"))
        '''), plugins], self.env())
        self.assertOk(r)
        for line in r.out.splitlines():
            self.assertTrue(line.startswith('false\t'), line)
            self.assertIn('plugins may not read', line)

    def test_reads_under_the_roots_and_of_named_files_work(self):
        plugins = os.path.join(self.dir, 'plugins')
        os.makedirs(plugins)
        with open(os.path.join(plugins, 'data.txt'), 'w') as fh:
            fh.write('plugin data\n')
        named = self.write('named.json', '{"named": true}\n')
        r = run(['--plugins', plugins, self.write('s.lua', '''
            print(io.open(arg[1] .. "/data.txt"):read("l"))
            print(io.open(arg[2]):read("l"))
            for l in io.lines(arg[0]) do print(l ~= nil) break end
            local builtin = package.searchpath("steps.timeout", package.path)
            print(io.open(builtin) ~= nil)
            print(io.open(arg[1] .. "/missing.txt"))
        '''), plugins, named], self.env())
        self.assertOk(r)
        lines = r.out.splitlines()
        self.assertEqual(lines[:4], ['plugin data', '{"named": true}', 'true', 'true'])
        self.assertIn('No such file or directory', lines[4])

    def test_the_current_directory_is_not_on_the_module_path(self):
        cwd = os.path.join(self.dir, 'cwd')
        os.makedirs(cwd)
        with open(os.path.join(cwd, 'cwd_mod.lua'), 'w') as fh:
            fh.write('return "from cwd"\n')
        script = self.write('elsewhere/s.lua', 'print((pcall(require, "cwd_mod")))\n'
                            'print(package.path:find("./?.lua", 1, true))\n')
        r = run([script], self.env(), cwd=cwd)
        self.assertOk(r)
        self.assertEqual(r.out.split(), ['false', 'nil'])


class StepTest(SandboxTestCase):

    def test_a_step_that_tries_a_process_errors_at_its_line_and_the_run_goes_on(self):
        plugins = os.path.join(self.dir, 'plugins')
        os.makedirs(os.path.join(plugins, 'steps'))
        path = os.path.join(plugins, 'steps', 'popen_step.lua')
        with open(path, 'w') as fh:
            fh.write(POPEN_STEP)
        with fake_aws('healthy') as fake:
            r = self.rb(fake, '--plugins', plugins, 'triage.lua', 'orders-api', '--steps',
                        'popen_step,timeout', '--format', 'json', timeout=120)
        self.assertIn(r.code, (1, 3, 5), repr(r))
        steps = {s['id']: s for s in r.json()['steps']}
        finding = steps['popen_step']['findings'][0]
        self.assertEqual(finding['severity'], 'error')
        text = json.dumps(finding)
        self.assertIn('io.popen: plugins may not use it', text)
        self.assertIn('popen_step.lua:4', text)
        self.assertNotIn('got past', r.out)
        self.assertNotEqual(steps['timeout']['findings'][0]['severity'], 'error')

    def test_the_override_example_still_reads_the_builtin(self):
        examples = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), 'examples')
        with fake_aws('healthy') as fake:
            r = self.rb(fake, '--plugins', examples, 'triage.lua', 'orders-api', '--steps',
                        'timeout', '--format', 'json', timeout=120)
        self.assertIn(r.code, (0, 1), repr(r))
        self.assertEqual(r.json()['steps'][0]['title'], 'Timeouts (team policy)')


class CoreKeepsItsLibraryTest(SandboxTestCase):

    def test_check_response_reads_a_file_outside_the_roots(self):
        # The embedded command's io.open is the real one; the file here is outside every
        # plugin directory (it is named on the command line, but the core needs no leave).
        body = self.write('resp.json', '{"statusCode": 200, "body": "ok"}')
        r = run(['check-response', body], self.env())
        self.assertEqual(r.code, 0, repr(r))

    def test_no_sandbox_gives_the_whole_library(self):
        r = run(['--no-sandbox', self.write('s.lua', 'local p = io.popen("echo hi")\n'
                                             'print(p:read("l"))\np:close()\n')], self.env())
        self.assertOk(r)
        self.assertEqual(r.out.strip(), 'hi')


class RedactionTest(SandboxTestCase):

    SCRIPT = '''
        local leak = os.getenv("LEAK")
        print("print", leak)
        io.write("io.write ", leak, "\\n")
        io.stdout:write("stdout ", leak, "\\n")
        io.stderr:write("stderr ", leak, "\\n")
        warn("@on") warn("warn ", leak)
        error("error " .. leak)
    '''

    def check(self, r, secret):
        self.assertEqual(r.code, 3, repr(r))
        self.assertNotIn(secret, r.out + r.err)
        for what in ['print\t', 'io.write ', 'stdout ']:
            self.assertIn('%sx[redacted]y' % what, r.out)
        for what in ['stderr', 'Lua warning: warn', 'error']:
            self.assertIn('%s x[redacted]y' % what, r.err)

    def test_an_env_secret_printed_from_another_variable_is_redacted(self):
        with fake_aws('basic') as fake:
            secret = fake.credentials(0)['secret_access_key']
            r = run([self.write('s.lua', self.SCRIPT)],
                    self.env_for(fake, LEAK='x' + secret + 'y'))
        self.check(r, secret)

    def test_the_session_token_is_redacted(self):
        with fake_aws('basic') as fake:
            env = self.env_for(fake)
            token = env.get('AWS_SESSION_TOKEN') or 'IQoJb3JpZ2luX2VjEXAMPLETOKEN'
            env['AWS_SESSION_TOKEN'] = token
            env['LEAK'] = 'x' + token + 'y'
            r = run([self.write('s.lua', self.SCRIPT)], env)
        self.check(r, token)

    def test_a_profile_secret_is_redacted_once_its_set_is_in_use(self):
        # The secret comes from a credentials file, not the environment: the set is
        # resolved by the first call, and from then on the output path knows it.
        with fake_aws('basic') as fake:
            c = fake.credentials(0)
            creds = self.write('creds', '[dev]\naws_access_key_id = %s\n'
                               'aws_secret_access_key = %s\n'
                               % (c['access_key_id'], c['secret_access_key']))
            env = self.env_for(fake, creds=False, AWS_PROFILE='dev',
                               AWS_SHARED_CREDENTIALS_FILE=creds,
                               LEAK='x' + c['secret_access_key'] + 'y')
            script = self.write('s.lua', 'aws.lambda.ListFunctions{}\n' + self.SCRIPT)
            r = run([script], env)
        self.check(r, c['secret_access_key'])


if __name__ == '__main__':
    unittest.main()
