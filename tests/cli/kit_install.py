#!/usr/bin/python3
"""`runbook test` from an installed runbook, without the source tree (a ctest).

Installs the build into a scratch prefix (cmake --install), copies the installed example
test (share/runbook/examples/testing) into a scratch directory outside the source tree,
and runs the installed `runbook test` there with a PATH and environment that name nothing
of the source tree. It must find the installed fake AWS server (share/runbook/fake_aws),
pass every case, and fail (exit 1, with the diff) once an expectation is broken.

    kit_install.py CMAKE BUILD_DIR
"""

import os
import shutil
import subprocess
import sys
import tempfile

SOURCE = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))


def main(cmake, build_dir):
    with tempfile.TemporaryDirectory(prefix='runbook-install.') as tmp:
        prefix, work = os.path.join(tmp, 'prefix'), os.path.join(tmp, 'work')
        subprocess.run([cmake, '--install', build_dir, '--prefix', prefix], check=True,
                       stdout=subprocess.DEVNULL)
        share = os.path.join(prefix, 'share', 'runbook')
        shutil.copytree(os.path.join(share, 'examples'), work)  # testing/ needs ../steps
        env = {'PATH': '/usr/bin:/bin', 'HOME': tmp, 'LANG': 'C.UTF-8'}
        if os.environ.get('RB_PYTHON'):
            env['RB_PYTHON'] = os.environ['RB_PYTHON']
        runbook = os.path.join(prefix, 'bin', 'runbook')
        test = [runbook, 'test', 'testing']
        proc = subprocess.run(test, cwd=work, env=env, capture_output=True, text=True,
                              timeout=300)
        print(proc.stdout, proc.stderr, sep='')
        if proc.returncode != 0 or ' 0 failed' not in proc.stdout:
            return 'the installed runbook test failed (exit %d)' % proc.returncode
        verbose = subprocess.run(test + ['--verbose'], cwd=work, env=env,
                                 capture_output=True, text=True, timeout=300).stdout
        if os.path.join(share, 'fake_aws', 'run_with_fake.py') not in verbose:
            return 'the installed runbook did not use the installed fake server:\n' + verbose
        if SOURCE in verbose:
            return 'the installed runbook test used the source tree:\n' + verbose
        path = os.path.join(work, 'testing', 'billing_test.lua')
        with open(path, encoding='utf-8') as fh:
            text = fh.read()
        with open(path, 'w', encoding='utf-8') as fh:
            fh.write(text.replace('severity = "warn"', 'severity = "info"', 1))
        proc = subprocess.run([runbook, 'test', path], cwd=work, env=env, capture_output=True,
                              text=True, timeout=300)
        print(proc.stdout, proc.stderr, sep='')
        if proc.returncode != 1 or '  - config info ' not in proc.stdout \
                or '2 passed, 1 failed' not in proc.stdout:
            return 'a broken expectation did not fail the installed runbook test'
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:3]))
