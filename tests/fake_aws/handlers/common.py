"""What every service handler shares: the call context, pagination and id helpers.

Exists so handlers stay short and consistent: they receive (ctx, params) with params
already validated against the model, read/mutate ctx.world.data under the world lock
(held by the dispatcher for the whole call) and return a botocore-style output dict.
"""

import base64
import binascii
import fnmatch
import hashlib
import json
import uuid

from errors import AwsError


class Ctx:
    """One call: world, service/operation, the calling identity and the clock."""

    def __init__(self, world, service, operation, caller, request_id, now, region,
                 op_model=None):
        self.world = world
        self.service = service
        self.operation = operation
        self.op_model = op_model
        self.caller = caller
        self.request_id = request_id
        self.now = now
        self.region = region or world.region
        self.account_id = world.account_id

    @property
    def caller_arn(self):
        if self.caller is None:
            return 'arn:aws:sts::%s:assumed-role/anonymous/anonymous' % self.account_id
        return self.caller.arn


def encode_token(offset, salt=''):
    raw = json.dumps({'o': offset, 's': salt}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_token(token, code, salt=''):
    """Offset from a token made by encode_token; raise code (e.g. InvalidToken)."""
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data.get('s', '') != salt:
            raise ValueError(token)
        return int(data['o'])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise AwsError(code, 'The specified token is not valid: %s' % token) from None


def page(items, token, limit, default_limit, code='InvalidParameterValueException', salt=''):
    """Slice items for one page; returns (page_items, next_token or None)."""
    start = decode_token(token, code, salt)
    size = limit or default_limit
    chunk = items[start:start + size]
    nxt = encode_token(start + size, salt) if start + size < len(items) else None
    return chunk, nxt


def fake_id(prefix, seed, length=17, alphabet='0123456789abcdef'):
    """Stable pseudo-random id (e.g. eni-0a1b...) derived from seed."""
    digest = hashlib.sha256(seed.encode()).hexdigest()
    if alphabet == '0123456789abcdef':
        return prefix + digest[:length]
    return prefix + ''.join(alphabet[int(c, 16) % len(alphabet)] for c in digest[:length])


def new_uuid():
    return str(uuid.uuid4())


def wildcard(pattern, value):
    """EC2-style filter value match: '*' and '?' wildcards, case-sensitive."""
    return fnmatch.fnmatchcase(str(value), str(pattern))
