#!/usr/bin/python3
"""Run one command against a fresh fake AWS server (for ctest and shell use).

Exists so a CLI test is a single command line:

    run_with_fake.py --world basic [--faults F.json] [--requests-out R.json] \
        [--log L] [--quotas FILE|default] [--latency-ms MS] [--no-creds] [--timeout S] \
        -- runbook triage.lua my-fn

The command runs with AWS_ENDPOINT_URL and FAKE_AWS_URL = http://127.0.0.1:PORT; the
world's first credentials in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and
AWS_SESSION_TOKEN) unless the caller set AWS_ACCESS_KEY_ID or passed --no-creds;
AWS_REGION = the world's region unless set; AWS_EC2_METADATA_DISABLED=true unless
the caller set AWS_EC2_METADATA_SERVICE_ENDPOINT; HOME = a fresh empty directory;
inherited endpoint variables that point off loopback are dropped. The literal
argument text @FAKE_AWS_URL@ is replaced by the server URL. stdout/stderr pass
through; the exit status is the command's (125 if the server could not start, 124
on --timeout). The server is always stopped.
"""

import argparse
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import FakeAws  # noqa: E402

EXIT_NO_SERVER = 125
EXIT_TIMEOUT = 124


def parse_args(argv):
    parser = argparse.ArgumentParser(description='Run a command against a fake AWS server.')
    parser.add_argument('--world', required=True, help='world file or name in tests/worlds')
    parser.add_argument('--faults', help='JSON file with a list of fault rules')
    parser.add_argument('--requests-out', help='write the request log (JSON) here')
    parser.add_argument('--log', help='server log file')
    parser.add_argument('--quotas', metavar='FILE',
                        help='enforce a quota table\'s request rates ("default": core/quotas.txt)')
    parser.add_argument('--latency-ms', type=float, metavar='MS',
                        help='delay every AWS answer by MS milliseconds')
    parser.add_argument('--no-creds', action='store_true',
                        help='do not put the world credentials in the environment')
    parser.add_argument('--timeout', type=float, help='kill the command after S seconds')
    parser.add_argument('command', nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command and args.command[0] == '--':
        args.command = args.command[1:]
    if not args.command:
        parser.error('missing command after --')
    return args


def run(args):
    try:
        fake = FakeAws(args.world, args.faults, args.log, quotas=args.quotas,
                       latency_ms=args.latency_ms)
        fake.start()
    except (RuntimeError, OSError, ValueError) as exc:
        print('run_with_fake: %s' % exc, file=sys.stderr)
        return EXIT_NO_SERVER
    try:
        command = [a.replace('@FAKE_AWS_URL@', fake.url) for a in args.command]
        try:
            proc = subprocess.run(command, env=fake.env(creds=not args.no_creds),
                                  timeout=args.timeout)
            status = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
        except subprocess.TimeoutExpired:
            print('run_with_fake: command timed out after %gs' % args.timeout, file=sys.stderr)
            status = EXIT_TIMEOUT
        except OSError as exc:
            print('run_with_fake: cannot run %s: %s' % (command[0], exc), file=sys.stderr)
            status = 127
        if args.requests_out:
            with open(args.requests_out, 'w', encoding='utf-8') as fh:
                json.dump(fake.requests(), fh, indent=1)
        return status
    finally:
        fake.stop()


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through run(): command killed, server stopped


def main(argv=None):
    signal.signal(signal.SIGTERM, _terminate)
    return run(parse_args(sys.argv[1:] if argv is None else argv))


if __name__ == '__main__':
    sys.exit(main())
