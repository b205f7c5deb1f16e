"""Start, steer and stop a fake AWS server from tests.

Exists so every integration test gets the same safe setup: a server on 127.0.0.1
started with /usr/bin/python3 (which has botocore), an environment that points the
client at it and at nothing else (AWS_ENDPOINT_URL, the world's first credentials,
IMDS disabled, a fresh empty HOME so no real ~/.aws is read), and a guaranteed stop.

    from harness import fake_aws
    with fake_aws('basic', faults=[{"kind": "throttle", "count": 1}]) as fake:
        subprocess.run(cmd, env=fake.env())
        assert fake.requests()[0]['operation'] == 'GetFunctionConfiguration'

Importable from any Python; it never imports botocore itself.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, 'server.py')
WORLDS_DIR = os.path.normpath(os.path.join(HERE, '..', 'worlds'))
LOOPBACK = ('127.0.0.1', 'localhost', '::1', '[::1]')
# Variables that could send a client somewhere other than the fake.
ENDPOINT_VARS = ('AWS_EC2_METADATA_SERVICE_ENDPOINT', 'AWS_CONTAINER_CREDENTIALS_FULL_URI')


def python():
    """The interpreter with Debian's botocore (never the pyenv one first on PATH)."""
    for candidate in (os.environ.get('RB_PYTHON'), '/usr/bin/python3'):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return sys.executable


def resolve_world(world):
    """A world file path from a path, a name in tests/worlds ('basic') or None."""
    if os.path.isfile(world):
        return os.path.abspath(world)
    for name in (world, world + '.json'):
        path = os.path.join(WORLDS_DIR, name)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError('no world %r (not a file, not in %s)' % (world, WORLDS_DIR))


def _off_loopback(value):
    host = urllib.parse.urlsplit(value).hostname if '://' in value else value
    return host not in LOOPBACK


class FakeAws:
    """One running server; use fake_aws() or start()/stop()."""

    def __init__(self, world='basic', faults=None, log=None, startup_timeout=20.0,
                 quotas=None, latency_ms=None):
        world_path = None if isinstance(world, dict) else resolve_world(world)
        self._tmp = tempfile.mkdtemp(prefix='fake_aws.')
        self.home = os.path.join(self._tmp, 'home')
        os.mkdir(self.home)
        self.world_path = world_path or self._write('world.json', world)
        with open(self.world_path, encoding='utf-8') as fh:
            self.world = json.load(fh)
        # a file of several worlds (universe.py): the client starts as the first one
        self.primary = (self.world['worlds'][0] if isinstance(self.world.get('worlds'), list)
                        and self.world['worlds'] else self.world)
        self.quotas = quotas  # a quota table path, or 'default' (core/quotas.txt)
        self.latency_ms = latency_ms
        self.faults_path = None
        if isinstance(faults, (list, dict)):
            self.faults_path = self._write('faults.json', faults)
        elif faults:
            self.faults_path = faults
        self.log_path = log
        self.startup_timeout = startup_timeout
        self.proc = None
        self.port = None
        self.url = None
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _write(self, name, value):
        path = os.path.join(self._tmp, name)
        with open(path, 'w', encoding='utf-8') as fh:
            json.dump(value, fh)
        return path

    def start(self):
        port_file = os.path.join(self._tmp, 'port')
        self._stderr_path = os.path.join(self._tmp, 'server.stderr')
        cmd = [python(), SERVER, '--world', self.world_path, '--port-file', port_file]
        if self.faults_path:
            cmd += ['--faults', self.faults_path]
        if self.log_path:
            cmd += ['--log', self.log_path]
        if self.quotas:
            cmd += ['--quotas', self.quotas]
        if self.latency_ms:
            cmd += ['--latency-ms', str(self.latency_ms)]
        with open(self._stderr_path, 'wb') as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + self.startup_timeout
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                detail = self.stderr()  # read before stop() removes the file
                self.stop()
                raise RuntimeError('fake AWS server did not start: %s' % detail)
            time.sleep(0.02)
        with open(port_file, encoding='ascii') as fh:
            self.port = int(fh.read().strip())
        self.url = 'http://127.0.0.1:%d' % self.port
        return self

    def stderr(self):
        try:
            with open(self._stderr_path, encoding='utf-8', errors='replace') as fh:
                return fh.read().strip()
        except OSError:
            return ''

    def stop(self):
        """Stop the server; anything it wrote to stderr (a bug in the fake) is shown."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.port is not None and self.stderr():
            print('fake_aws server stderr:\n%s' % self.stderr(), file=sys.stderr)
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def control(self, method, path, body=None):
        """Call a /__fake/ endpoint; returns the decoded JSON answer."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        with self._opener.open(req, timeout=10) as resp:
            return json.loads(resp.read().decode() or 'null')

    def requests(self):
        return self.control('GET', '/__fake/requests')

    def clear_requests(self):
        return self.control('POST', '/__fake/requests/clear', {})

    def set_faults(self, rules):
        return self.control('POST', '/__fake/faults', rules)

    def add_faults(self, rules):
        return self.control('POST', '/__fake/faults/add', rules)

    def faults(self):
        return self.control('GET', '/__fake/faults')

    def quota_state(self):
        """{"throttles": {"SERVICE OPERATION": n}, "entries": [...]}, or None."""
        return self.control('GET', '/__fake/quotas')

    def world_state(self):
        return self.control('GET', '/__fake/world')

    def traffic(self, function, **fields):
        """Add invocations of `function` at the server's current time (metrics and
        log lines; fields as in traffic.py: invocations, errors, timeouts, throttles,
        duration_ms, log_lines...). Returns the summary (request_ids, log_stream...)."""
        try:
            return self.control('POST', '/__fake/traffic', dict(fields, function=function))
        except urllib.error.HTTPError as exc:
            detail = json.loads(exc.read().decode() or '{}').get('error', str(exc))
            raise ValueError('fake_aws: %s' % detail) from None

    def credentials(self, index=0):
        """The world's credentials entry (access_key_id, secret_access_key, ...)."""
        return self.primary['credentials'][index]

    def env(self, base=None, creds=True):
        """Environment for a client under test (see run_with_fake.py for the rules)."""
        env = dict(os.environ if base is None else base)
        for name in list(env):
            if (name.startswith('AWS_ENDPOINT_URL') or name in ENDPOINT_VARS) \
                    and _off_loopback(env[name]):
                print('fake_aws: dropping %s (not a loopback address)' % name,
                      file=sys.stderr)
                del env[name]
        env['AWS_ENDPOINT_URL'] = self.url
        env['FAKE_AWS_URL'] = self.url
        for name in ('NO_PROXY', 'no_proxy'):
            hosts = [h for h in env.get(name, '').split(',') if h]
            env[name] = ','.join(hosts + [h for h in ('127.0.0.1', 'localhost')
                                          if h not in hosts])
        if creds and 'AWS_ACCESS_KEY_ID' not in (base if base is not None else os.environ):
            cred = self.credentials()
            env['AWS_ACCESS_KEY_ID'] = cred['access_key_id']
            env['AWS_SECRET_ACCESS_KEY'] = cred['secret_access_key']
            if cred.get('session_token'):
                env['AWS_SESSION_TOKEN'] = cred['session_token']
            else:
                env.pop('AWS_SESSION_TOKEN', None)
        env.setdefault('AWS_REGION', self.primary.get('region', 'us-east-1'))
        if 'AWS_EC2_METADATA_SERVICE_ENDPOINT' not in env:
            env['AWS_EC2_METADATA_DISABLED'] = 'true'
        env['HOME'] = self.home
        return env


@contextlib.contextmanager
def fake_aws(world='basic', faults=None, log=None, quotas=None, latency_ms=None):
    """Run a fake server for the duration of a with-block; always stops it."""
    fake = FakeAws(world, faults, log, quotas=quotas, latency_ms=latency_ms)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
