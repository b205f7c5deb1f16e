"""Runs a command with a new pseudo-terminal (Python's pty) as its controlling terminal and
answers its prompts there: the one driver the terminal tests share (test_confirm_cli,
test_undo_cli, test_remediation_runbooks and fixtest's FixTestCase).

The process starts in a new session whose controlling terminal is the pty's slave side; its
stdin is /dev/null and its stdout and stderr are separate pipes, so a test sees apart what
went to the report (stdout), to the operator (stderr) and to the terminal (the prompts, read
from the master side). All three are read as they come, so no pipe fills up and blocks the
process while it waits at a prompt.

Each answer is typed after the next occurrence of its prompt (after the previous answered
one). An answer is one of:
  - bytes: typed as is (b'y\\n');
  - a callable: called with `context` at that moment (the prompt waiting), returns the
    bytes to type;
  - Interrupt: no answer, SIGINT to the process instead (Ctrl-C at the prompt);
  - a tuple (prompt, answer[, action]): waits for that prompt text instead of the default
    one, calls action() (no arguments) while the prompt waits, then types answer (itself
    bytes, a callable or Interrupt).
"""

import collections
import fcntl
import os
import pty
import select
import signal
import subprocess
import termios
import time

PROMPT = b'Apply? [y/N/a/q] '

# code: exit status; out, err: stdout and stderr (str); shown: everything the terminal showed
# (bytes); prompts: how many times the default prompt appeared; answered: how many answers
# were used (fewer than given when not every prompt appeared).
TtyRun = collections.namedtuple('TtyRun', 'code out err shown prompts answered')


class Interrupt:
    """An answer that is no answer: SIGINT to the process at the prompt (Ctrl-C)."""


def run_on_tty(cmd, env, answers, prompt=PROMPT, timeout=90, typed_ahead=b'', context=None):
    """Runs cmd (an argv list) with env on a new controlling pty and answers its prompts
    (see the module comment); typed_ahead is typed before the process starts. Gives up
    (killing the process) after timeout seconds. -> TtyRun."""
    master, slave = pty.openpty()
    name = os.ttyname(slave)
    if typed_ahead:
        os.write(master, typed_ahead)

    def take_terminal():
        os.setsid()
        fd = os.open(name, os.O_RDWR)
        fcntl.ioctl(fd, termios.TIOCSCTTY, 0)
        os.close(fd)

    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=take_terminal)
    out_chunks, err_chunks = [], []
    streams = {proc.stdout.fileno(): out_chunks, proc.stderr.fileno(): err_chunks}
    shown, at, sent = b'', 0, 0
    deadline = time.time() + timeout
    try:
        while time.time() < deadline and (streams or proc.poll() is None):
            ready, _, _ = select.select([master] + list(streams), [], [], 0.1)
            for fd in ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # EIO on the master once the slave side is gone
                    data = b''
                if fd == master:
                    shown += data
                elif data:
                    streams[fd].append(data)
                else:
                    del streams[fd]
            if sent < len(answers):
                answer, wait_for, action = answers[sent], prompt, None
                if isinstance(answer, tuple):
                    wait_for, answer, action = (answer + (None,))[:3]
                found = shown.find(wait_for, at)
                if found >= 0:
                    at = found + len(wait_for)
                    sent += 1
                    if action:
                        action()  # something to do while the prompt waits
                    if answer is Interrupt:
                        os.kill(proc.pid, signal.SIGINT)
                    else:
                        os.write(master, answer(context) if callable(answer) else answer)
            if not ready and proc.poll() is not None and not streams:
                break
        proc.wait(timeout=max(1, deadline - time.time()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        os.close(master)
        os.close(slave)
    return TtyRun(proc.returncode, b''.join(out_chunks).decode('utf-8', 'replace'),
                  b''.join(err_chunks).decode('utf-8', 'replace'), shown,
                  shown.count(prompt), sent)

