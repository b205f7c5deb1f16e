"""runbook as a user gets it: built from a copy of the source, installed, the copy gone.

InstalledFromACopyTest copies the working tree (its tracked and untracked files and its
.git, so the copy is the same checkout), configures, builds (Release, -j2) and installs it
into a temporary prefix, builds the .deb with `cpack -G DEB`, then REMOVES the source copy
and its build directory, so nothing can fall back to them, and runs what was installed:
--version names the revision, `runbook list` lists the built-in steps from the prefix,
runbook-demo triages the demo world through the installed fake AWS server, runbook(1)
renders, the bash and zsh completions complete, and the .deb (unpacked with dpkg-deb -x,
no root) holds the same and runs the demo too.

BuildTreeBinaryTest checks the other side with the tree's own binary (RUNBOOK_BIN): it
finds the source tree where it was built, and a copy of it elsewhere does not.

Environment (set by tests/cmake/install.cmake): RUNBOOK_BIN, RB_PYTHON, RB_CMAKE, RB_CPACK.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

SOURCE = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
CMAKE = os.environ.get('RB_CMAKE', 'cmake')
CPACK = os.environ.get('RB_CPACK', 'cpack')
PYTHON = os.environ.get('RB_PYTHON', '/usr/bin/python3')
BIN = os.environ.get('RUNBOOK_BIN', os.path.join(SOURCE, 'build', 'runbook'))
VERSION_LINE = re.compile(
    r'^runbook (\d+\.\d+\.\d+) \(git ([0-9a-f]{4,40}(?:-dirty)?|unknown)\)\n$')
# Debian 12 runtime packages the .deb must depend on besides what the binary links.
DEMO_DEPENDS = ('python3', 'python3-botocore')


def sh(args, timeout=900, **kw):
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    if proc.returncode != 0:
        raise AssertionError('%s failed (exit %d):\n%s\n%s' % (
            ' '.join(args), proc.returncode, proc.stdout[-4000:], proc.stderr[-4000:]))
    return proc.stdout


def copy_source(dest):
    """The working tree as a checkout: every tracked and untracked (not ignored) file, and
    .git. Outside git, the tree without build directories."""
    if not os.path.isdir(os.path.join(SOURCE, '.git')):
        shutil.copytree(SOURCE, dest, ignore=shutil.ignore_patterns('build*', '__pycache__'))
        return
    files = sh(['git', '-C', SOURCE, 'ls-files', '-z', '--cached', '--others',
                '--exclude-standard']).split('\0')
    for rel in filter(None, files):
        src = os.path.join(SOURCE, rel)
        if not os.path.lexists(src):
            continue  # deleted in the working tree, not yet committed
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, rel), follow_symlinks=False)
    shutil.copytree(os.path.join(SOURCE, '.git'), os.path.join(dest, '.git'), symlinks=True)


def user_env(home, bindir):
    """A user's environment: nothing of the source tree, no AWS settings of our own."""
    return {'PATH': '%s:/usr/bin:/bin' % bindir, 'HOME': home, 'LANG': 'C.UTF-8',
            'RB_PYTHON': PYTHON}


class InstalledFromACopyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='runbook-install-test.')
        src, build = os.path.join(cls.tmp, 'src'), os.path.join(cls.tmp, 'build')
        cls.prefix = os.path.join(cls.tmp, 'prefix')
        cls.home = os.path.join(cls.tmp, 'home')
        cls.work = os.path.join(cls.tmp, 'work')
        os.makedirs(cls.home)
        os.makedirs(cls.work)
        try:
            copy_source(src)
            cls.expected_revision = None
            if os.path.isdir(os.path.join(src, '.git')):
                cls.expected_revision = sh(['git', '-C', src, 'rev-parse', '--short',
                                            'HEAD']).strip()
            sh([CMAKE, '-S', src, '-B', build, '-DCMAKE_BUILD_TYPE=Release',
                '-DRB_PYTHON=' + PYTHON])
            sh([CMAKE, '--build', build, '-j2'], timeout=1500)
            sh([CMAKE, '--install', build, '--prefix', cls.prefix])
            sh([CPACK, '-G', 'DEB', '-B', os.path.join(cls.tmp, 'deb')], cwd=build)
            debs = [f for f in os.listdir(os.path.join(cls.tmp, 'deb')) if f.endswith('.deb')]
            if len(debs) != 1:
                raise AssertionError('cpack made %r, not one .deb' % debs)
            cls.deb = os.path.join(cls.tmp, 'deb', debs[0])
            # Only the installed files are left, and the package.
            shutil.rmtree(src)
            shutil.rmtree(build)
            cls.unpacked = os.path.join(cls.tmp, 'unpacked')
            sh(['dpkg-deb', '-x', cls.deb, cls.unpacked])
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_in(self, root, args, timeout=120):
        bindir = os.path.join(root, 'bin')
        return subprocess.run([os.path.join(bindir, args[0])] + list(args[1:]),
                              env=user_env(self.home, bindir), cwd=self.work,
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def assert_version(self, root):
        proc = self.run_in(root, ['runbook', '--version'])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        m = VERSION_LINE.match(proc.stdout)
        self.assertTrue(m, 'not a version line: %r' % proc.stdout)
        if self.expected_revision:
            self.assertTrue(m.group(2).startswith(self.expected_revision), proc.stdout)

    def assert_demo(self, root):
        proc = self.run_in(root, ['runbook-demo', 'fulfillment-fn', '--format', 'json'])
        self.assertEqual(proc.returncode, 1, 'exit %d\n%s' % (proc.returncode, proc.stderr))
        report = json.loads(proc.stdout)
        self.assertEqual(report['verdict']['status'], 'fail')
        self.assertGreaterEqual(report['verdict']['counts']['fail'], 1)
        failing = {s['id'] for s in report['steps'] if s['status'] == 'fail'}
        self.assertIn('timeout', failing)
        self.assertIn('access_denied', failing)

    def test_version_names_the_git_revision(self):
        self.assert_version(self.prefix)

    def test_list_shows_the_builtin_steps_from_the_prefix(self):
        proc = self.run_in(self.prefix, ['runbook', 'list'])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        steps = os.path.join(os.path.realpath(self.prefix), 'share', 'runbook', 'plugins',
                             'steps')
        for step in ('timeout', 'access_denied', 'throttle', 'vpc'):
            self.assertRegex(proc.stdout, r'(?m)^%s .* %s/%s\.lua$' % (step, re.escape(steps),
                                                                     step))
        self.assertRegex(proc.stdout, r'\n\d+ steps\n$')

    def test_the_installed_demo_triages_the_demo_world(self):
        self.assert_demo(self.prefix)
        proc = self.run_in(self.prefix, ['runbook-demo'])
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertRegex(proc.stdout, r'^fulfillment-fn \(us-east-1\): \d+ FAIL')
        self.assertNotIn('Traceback', proc.stderr)

    def test_the_man_page_renders(self):
        page = os.path.join(self.prefix, 'share', 'man', 'man1', 'runbook.1')
        proc = subprocess.run(['groff', '-man', '-Tutf8', '-ww', '-z', page],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual((proc.returncode, proc.stderr), (0, ''), 'groff warns')
        if shutil.which('man'):
            cmd = ['man', '-l', page]
        else:
            cmd = ['groff', '-man', '-Tutf8', page]
        env = dict(os.environ, MANPAGER='cat', PAGER='cat', MANWIDTH='100', LANG='C.UTF-8')
        text = subprocess.run(cmd, capture_output=True, text=True, env=env,
                              timeout=60).stdout
        text = re.sub('.\b', '', text)  # overstrike bold and underline
        self.assertIn('RUNBOOK(1)', text)
        self.assertIn('runbook - diagnose failing AWS Lambda functions', text)
        # the core's options and a command's options, as --help says them
        self.assertIn('--endpoint-url URL', text)
        self.assertIn('runbook triage.lua FUNCTION', text)
        self.assertIn('--fail-on fail', text)
        self.assertIn('EXIT STATUS', text)

    def bash_complete(self, root, words):
        script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _runbook; '
                  'printf "%s\\n" "${COMPREPLY[@]}"')
        completion = os.path.join(root, 'share', 'bash-completion', 'completions', 'runbook')
        proc = subprocess.run(['bash', '-c', script, 'bash', completion] + words,
                              env=user_env(self.home, os.path.join(root, 'bin')),
                              cwd=self.work, capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout.split()

    def test_bash_completes_options_commands_and_step_ids(self):
        self.assertEqual(self.bash_complete(self.prefix, ['runbook', 'triage.lua', '--fo']),
                         ['--format'])
        self.assertIn('sarif', self.bash_complete(
            self.prefix, ['runbook', '--region', 'us-east-1', 'triage.lua', 'fn', '--format', '']))
        self.assertEqual(self.bash_complete(self.prefix, ['runbook', 'jo']), ['journal'])
        self.assertEqual(self.bash_complete(self.prefix, ['runbook', '--end']),
                         ['--endpoint-url'])
        # step ids come from the installed `runbook list`
        self.assertEqual(self.bash_complete(self.prefix, ['runbook', 'show', 'acc']),
                         ['access_denied'])
        self.assertEqual(self.bash_complete(
            self.prefix, ['runbook', 'triage.lua', 'fn', '--steps', 'timeout,thr']),
            ['timeout,throttle'])

    @unittest.skipUnless(shutil.which('zsh'), 'zsh is not installed (scripts/test.sh installs it)')
    def test_zsh_completes_options_and_step_ids(self):
        fn_dir = os.path.join(self.prefix, 'share', 'zsh', 'site-functions')
        # compinit registers _runbook for runbook from its #compdef line
        proc = subprocess.run(
            ['zsh', '-f', '-c', 'fpath=("$1" $fpath); autoload -U compinit; '
             'compinit -u -d "$HOME/.zcompdump"; print -r -- "$_comps[runbook]"', 'zsh', fn_dir],
            env=user_env(self.home, os.path.join(self.prefix, 'bin')),
            capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.stdout.strip(), '_runbook', proc.stderr)
        # the completion's candidates, with zsh's completion builtins reduced to printing them
        script = r'''
_describe() { local a; for a in ${@[3,-1]}; do [[ $a == -- ]] || print -rl -- ${(P)a}; done }
compadd() { [[ $1 == -- ]] && shift; print -rl -- "$@" }
_files() { print -r -- _files }
compdef() { : }
source "$1"; shift
words=("$@"); CURRENT=$#; PREFIX=${words[CURRENT]}
_runbook
'''

        def candidates(*words):
            proc = subprocess.run(
                ['zsh', '-f', '-c', script, 'zsh', os.path.join(fn_dir, '_runbook')]
                + list(words), env=user_env(self.home, os.path.join(self.prefix, 'bin')),
                cwd=self.work, capture_output=True, text=True, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            return [c.split(':')[0] for c in proc.stdout.splitlines()
                    if c.startswith(words[-1])]

        self.assertEqual(candidates('runbook', 'triage.lua', '--fo'), ['--format'])
        self.assertIn('sarif', candidates('runbook', 'triage.lua', 'fn', '--format', ''))
        self.assertEqual(candidates('runbook', 'show', 'thr'), ['throttle'])

    def test_the_deb_holds_and_runs_the_same(self):
        info = sh(['dpkg-deb', '-f', self.deb, 'Package', 'Version', 'Depends'])
        self.assertIn('Package: runbook', info)
        depends = {d.strip().split(' ')[0] for d in
                   re.search(r'Depends: (.*)', info).group(1).split(',')}
        usr = os.path.join(self.unpacked, 'usr')
        binary = os.path.join(usr, 'bin', 'runbook')
        for path in (binary, os.path.join(usr, 'bin', 'runbook-demo'),
                     os.path.join(usr, 'share', 'man', 'man1', 'runbook.1'),
                     os.path.join(usr, 'share', 'bash-completion', 'completions', 'runbook'),
                     os.path.join(usr, 'share', 'zsh', 'site-functions', '_runbook'),
                     os.path.join(usr, 'share', 'zsh', 'vendor-completions', '_runbook'),
                     os.path.join(usr, 'share', 'runbook', 'fake_aws', 'run_with_fake.py'),
                     os.path.join(usr, 'share', 'runbook', 'examples', 'demo', 'world.json')):
            self.assertTrue(os.path.isfile(path), path + ' is not in the .deb')
        for package in needed_packages(binary) | set(DEMO_DEPENDS):
            self.assertIn(package, depends, 'the .deb does not depend on ' + package)
        self.assert_version(usr)
        self.assert_demo(usr)


def needed_packages(binary):
    """The Debian packages holding the libraries the binary links directly (DT_NEEDED)."""
    needed = re.findall(r'NEEDED\s+(\S+)', sh(['objdump', '-p', binary]))
    paths = dict(re.findall(r'^\s*(\S+) => (\S+)', sh(['ldd', binary]), re.M))
    packages = set()
    for soname in needed:
        real = os.path.realpath(paths[soname])
        owner = subprocess.run(['dpkg', '-S', real], capture_output=True, text=True)
        if owner.returncode != 0:  # usrmerge: the package names /lib, ldd /usr/lib
            owner = subprocess.run(['dpkg', '-S', real.replace('/usr/lib/', '/lib/', 1)],
                                   capture_output=True, text=True)
        packages.add(owner.stdout.split(':')[0])
    return packages


class BuildTreeBinaryTest(unittest.TestCase):
    """The tree's binary uses the source tree; the same binary elsewhere does not."""

    def test_a_copy_outside_the_build_tree_does_not_use_the_source_tree(self):
        with tempfile.TemporaryDirectory(prefix='runbook-lone.') as tmp:
            env = user_env(tmp, '/nonexistent')
            proc = subprocess.run([BIN, 'list'], env=env, cwd=tmp, capture_output=True,
                                  text=True, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn(os.path.join(SOURCE, 'plugins', 'steps', 'timeout.lua'), proc.stdout)
            os.makedirs(os.path.join(tmp, 'bin'))
            lone = os.path.join(tmp, 'bin', 'runbook')
            shutil.copy2(BIN, lone)
            proc = subprocess.run([lone, 'list'], env=env, cwd=tmp, capture_output=True,
                                  text=True, timeout=60)
            self.assertEqual(proc.returncode, 3, proc.stdout)
            self.assertEqual(proc.stderr, "runbook: cannot find 'list': no built-in runbooks "
                             "(share/runbook beside the binary); reinstall runbook or set "
                             "RUNBOOK_DATA_DIR\n")
            self.assertNotIn(SOURCE, proc.stdout)


if __name__ == '__main__':
    unittest.main()
