"""Shared setup for the fake server's own tests: one server per test class, real
botocore clients, and a raw signed-request helper for what a client would not send.

Exists so the tests prove protocol fidelity with AWS's own reference client: if
botocore parses what the fake serializes (and the fake verifies what botocore signs),
the fake speaks the real protocols. The test process is isolated from any real AWS
configuration (no AWS_* variables, no config files, no proxies).
"""

import atexit
import datetime
import http.client
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

for _name in list(os.environ):
    if _name.startswith('AWS_'):
        del os.environ[_name]
os.environ['AWS_CONFIG_FILE'] = os.devnull
os.environ['AWS_SHARED_CREDENTIALS_FILE'] = os.devnull
os.environ['NO_PROXY'] = os.environ['no_proxy'] = '127.0.0.1,localhost'

import botocore.config  # noqa: E402
import botocore.session  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from harness import FakeAws  # noqa: E402

KEY = 'AKIAIOSFODNN7EXAMPLE'
SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
ACCOUNT = '123456789012'


class FixedTimeSigV4(SigV4Auth):
    """botocore's signer, but at a chosen time (for clock-skew tests)."""

    def __init__(self, credentials, service, region, when):
        super().__init__(credentials, service, region)
        self._when = when

    def add_auth(self, request):
        request.context['timestamp'] = self._when.strftime('%Y%m%dT%H%M%SZ')
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        signature = self.signature(self.string_to_sign(request, canonical), request)
        self._inject_signature_to_request(request, signature)


class RawResponse:
    def __init__(self, resp):
        self.status = resp.status
        self.headers = resp.headers
        self.body = resp.read()

    def json(self):
        return json.loads(self.body.decode())

    @property
    def text(self):
        return self.body.decode('utf-8', 'replace')


_SHARED = {}
_SESSION = botocore.session.get_session()


def _stop_shared():
    for fake in _SHARED.values():
        fake.stop()


atexit.register(_stop_shared)


class FakeTestCase(unittest.TestCase):
    """A fake server for the class. Classes that neither mutate the world nor set
    faults keep shared = True and reuse one server per world for the whole run."""

    world = 'basic'
    faults = None
    shared = True

    @classmethod
    def setUpClass(cls):
        if cls.shared and cls.faults is None and isinstance(cls.world, str):
            if cls.world not in _SHARED:
                _SHARED[cls.world] = FakeAws(cls.world).start()
            cls.fake = _SHARED[cls.world]
        else:
            cls.fake = FakeAws(cls.world, cls.faults).start()
        cls.session = _SESSION
        cls._clients = {}

    @classmethod
    def tearDownClass(cls):
        for client in cls._clients.values():
            client.close()
        if cls.fake not in _SHARED.values():
            cls.fake.stop()

    def client(self, service, key=KEY, secret=SECRET, token=None, attempts=1, **config):
        """A botocore client for the fake (cached per class; no retries by default)."""
        cache_key = (service, key, secret, token, attempts, tuple(sorted(config.items())))
        if cache_key not in self._clients:
            cfg = botocore.config.Config(
                retries={'mode': 'standard', 'total_max_attempts': attempts},
                connect_timeout=5, read_timeout=10, **config)
            self._clients[cache_key] = self.session.create_client(
                service, endpoint_url=self.fake.url, region_name='us-east-1',
                aws_access_key_id=key, aws_secret_access_key=secret,
                aws_session_token=token, config=cfg)
        return self._clients[cache_key]

    def raw(self, method, path, body=b'', headers=None, sign=None, sent_body=None):
        """Send one request as-is. sign = dict(service=, key=, secret=, token=, when=);
        sent_body, when given, replaces body after signing (a tampered request)."""
        headers = dict(headers or {})
        if sign is not None:
            request = AWSRequest(method=method, url=self.fake.url + path, data=body,
                                 headers=headers)
            creds = Credentials(sign.get('key', KEY), sign.get('secret', SECRET),
                                sign.get('token'))
            when = sign.get('when') or datetime.datetime.utcnow()
            FixedTimeSigV4(creds, sign['service'], 'us-east-1', when).add_auth(request)
            headers = dict(request.headers.items())
        conn = http.client.HTTPConnection('127.0.0.1', self.fake.port, timeout=10)
        try:
            conn.request(method, path, body=body if sent_body is None else sent_body,
                         headers=headers)
            return RawResponse(conn.getresponse())
        finally:
            conn.close()

    def assertAwsError(self, call, code, status=None, message=None):
        """Run call(); it must raise ClientError with this code (and status/message)."""
        with self.assertRaises(ClientError) as caught:
            call()
        err = caught.exception.response
        self.assertEqual(err['Error']['Code'], code, err)
        if status is not None:
            self.assertEqual(err['ResponseMetadata']['HTTPStatusCode'], status, err)
        if message is not None:
            self.assertRegex(err['Error'].get('Message', ''), message)
        return err

    def last_request(self):
        return self.fake.requests()[-1]
