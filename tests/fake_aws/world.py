"""The scenario a fake server serves: one AWS account's resources, held in memory.

Exists so every handler reads and mutates the same state under one lock, and so a
world file can use relative times ("-10m") that are resolved once, when it is loaded.
The format is documented in docs/worlds.md; each service's handler module
fills in its own defaults through a prepare(world) hook.
"""

import base64
import copy
import datetime
import hashlib
import json
import threading

import awstime

DEFAULT_ACCOUNT = '123456789012'
DEFAULT_REGION = 'us-east-1'


class WorldError(Exception):
    """The world file is unusable (bad JSON, dangling credential reference...)."""


def _resolve_times(node, base):
    if isinstance(node, dict):
        return {k: _resolve_times(v, base) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_times(v, base) for v in node]
    rel = awstime.relative(node, base)
    return rel if rel is not None else node


def _fake_id(prefix, seed, length=16):
    digest = hashlib.sha256(seed.encode()).digest()
    text = base64.b32encode(digest).decode().replace('=', '')
    return prefix + text[:length]


class Credential:
    """One signing identity the server accepts."""

    def __init__(self, raw, account_id):
        try:
            self.access_key_id = raw['access_key_id']
            self.secret_access_key = raw['secret_access_key']
        except KeyError as exc:
            raise WorldError('credential entry lacks %s' % exc) from None
        self.session_token = raw.get('session_token')
        self.account_id = account_id
        self.arn_explicit = 'arn' in raw
        self.arn = raw.get('arn') or 'arn:aws:iam::%s:user/runbook-tester' % account_id
        self.user_id = raw.get('user_id') or _fake_id('AIDA', self.arn)
        expires = raw.get('expires')
        if expires is None and self.session_token:
            expires = datetime.timedelta(hours=6)
        if isinstance(expires, datetime.timedelta):
            expires = awstime.now() + expires
        self.expires = awstime.parse(expires) if expires is not None else None

    def expired(self, at):
        return self.expires is not None and at >= self.expires

    def public(self):
        """What the request log and /__fake/world may show: never the secret."""
        return {'access_key_id': self.access_key_id, 'arn': self.arn,
                'has_session_token': bool(self.session_token),
                'expires': awstime.iso8601(self.expires) if self.expires else None}


class World:
    """Loaded world: .data is the JSON tree (times resolved), .lock guards it."""

    def __init__(self, data, loaded_at=None, lock=None, need_credentials=True):
        if not isinstance(data, dict):
            raise WorldError('a world must be a JSON object')
        self.loaded_at = loaded_at or awstime.now()
        self.data = _resolve_times(copy.deepcopy(data), self.loaded_at)
        self.account_id = str(self.data.get('account_id', DEFAULT_ACCOUNT))
        self.region = self.data.get('region', DEFAULT_REGION)
        self.lock = lock or threading.RLock()
        self.universe = None  # set by universe.Universe (accounts, regions, routing)
        self.credentials = {}
        for raw in self.data.get('credentials', []):
            cred = Credential(raw, self.account_id)
            self.credentials[cred.access_key_id] = cred
        if not self.credentials and need_credentials:
            raise WorldError('a world needs at least one entry in "credentials"')
        self.first_credential = next(iter(self.credentials.values()), None)
        self.state = {}  # per-service scratch state (IMDS tokens, rotation indexes)

    @classmethod
    def from_file(cls, path):
        try:
            with open(path, encoding='utf-8') as fh:
                data = json.load(fh)
        except (OSError, ValueError) as exc:
            raise WorldError('cannot load world %r: %s' % (path, exc)) from None
        return cls(data)

    def section(self, name):
        """The service section (created empty when the world has none)."""
        return self.data.setdefault(name, {})

    def credential(self, access_key_id):
        return self.credentials.get(access_key_id)

    def credential_ref(self, ref, where):
        """Resolve a reference (access key id) to a Credential or raise WorldError."""
        cred = self.credentials.get(ref)
        if cred is None:
            raise WorldError('%s refers to unknown credentials %r' % (where, ref))
        return cred

    def to_json(self):
        """A JSON-safe snapshot (datetimes as ISO 8601, secrets dropped)."""
        def conv(node):
            if isinstance(node, dict):
                return {k: conv(v) for k, v in node.items()
                        if k not in ('secret_access_key', 'session_token')}
            if isinstance(node, list):
                return [conv(v) for v in node]
            if isinstance(node, datetime.datetime):
                return awstime.iso8601(node)
            if isinstance(node, bytes):
                return base64.b64encode(node).decode()
            return node
        with self.lock:
            return conv(self.data)
