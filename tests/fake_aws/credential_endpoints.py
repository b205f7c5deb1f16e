"""The unsigned credential sources: EC2 instance metadata (IMDSv2) and container creds.

Exists so the client's IMDS and container credential providers can be tested on
127.0.0.1 (tests never reach 169.254.169.254 or 169.254.170.2). Credentials served
come from the world's "credentials" list, so requests signed with them verify; a list
of references rotates on each fetch (staying on the last) to test refresh.
"""

import datetime
import json
import secrets

import awstime

IMDS_PREFIX = '/latest/'
CONTAINER_PATHS = ('/container/credentials',)
RELATIVE_PREFIX = '/v2/credentials/'
MAX_TTL = 21600


def route(method, path):
    """(service, operation) for a credential path, or None for AWS API paths."""
    if path.startswith(IMDS_PREFIX):
        if path == '/latest/api/token':
            return 'imds', 'GetToken'
        if path.startswith('/latest/meta-data/iam/security-credentials/'):
            rest = path[len('/latest/meta-data/iam/security-credentials/'):]
            return 'imds', 'GetCredentials' if rest else 'GetRoleName'
        return 'imds', 'GetMetadata'
    if path in CONTAINER_PATHS or path.startswith(RELATIVE_PREFIX):
        return 'container', 'GetCredentials'
    return None


def _text(status, text, content_type='text/plain'):
    return status, {'Content-Type': content_type}, text.encode()


def _next_credential(world, kind, refs):
    if isinstance(refs, str):
        refs = [refs]
    index = world.state.get(('rotate', kind), 0)
    world.state[('rotate', kind)] = min(index + 1, len(refs) - 1)
    return world.credential_ref(refs[min(index, len(refs) - 1)], kind)


def _expiration(cred, now):
    return awstime.iso8601_seconds(cred.expires or now + datetime.timedelta(hours=6))


def _imds_token_ok(world, headers, now):
    token = headers.get('X-aws-ec2-metadata-token')
    tokens = world.state.setdefault('imds_tokens', {})
    expiry = tokens.get(token)
    return expiry is not None and now < expiry


def _imds(world, operation, method, path, headers, now):
    config = world.data.get('imds')
    if config is None:
        return _text(404, 'Not Found')
    if operation == 'GetToken':
        if method != 'PUT':
            return _text(405, 'Method Not Allowed')
        if headers.get('X-Forwarded-For'):
            return _text(403, 'Forbidden')
        ttl = headers.get('X-aws-ec2-metadata-token-ttl-seconds', '')
        if not ttl.isdigit() or not 1 <= int(ttl) <= MAX_TTL:
            return _text(400, 'Bad Request')
        token = 'AQAEA' + secrets.token_urlsafe(40)
        world.state.setdefault('imds_tokens', {})[token] = now + datetime.timedelta(
            seconds=int(ttl))
        return 200, {'Content-Type': 'text/plain',
                     'X-aws-ec2-metadata-token-ttl-seconds': ttl}, token.encode()
    if method != 'GET':
        return _text(405, 'Method Not Allowed')
    if not config.get('allow_v1') and not _imds_token_ok(world, headers, now):
        return _text(401, 'Unauthorized')
    role = config.get('role_name', 'runbook-instance-role')
    if operation == 'GetRoleName':
        return _text(200, role)
    if operation == 'GetCredentials':
        if path.rstrip('/').rsplit('/', 1)[-1] != role:
            return _text(404, 'Not Found')
        cred = _next_credential(world, 'imds', config['credentials'])
        body = {'Code': 'Success', 'LastUpdated': awstime.iso8601_seconds(now),
                'Type': 'AWS-HMAC', 'AccessKeyId': cred.access_key_id,
                'SecretAccessKey': cred.secret_access_key, 'Token': cred.session_token or '',
                'Expiration': _expiration(cred, now)}
        return _text(200, json.dumps(body, indent=2), 'application/json')
    if path == '/latest/meta-data/placement/region':
        return _text(200, world.region)
    if path == '/latest/dynamic/instance-identity/document':
        doc = {'accountId': world.account_id, 'region': world.region,
               'availabilityZone': world.region + 'a',
               'instanceId': config.get('instance_id', 'i-0123456789abcdef0'),
               'instanceType': 't3.micro', 'architecture': 'x86_64'}
        return _text(200, json.dumps(doc, indent=2), 'application/json')
    return _text(404, 'Not Found')


def _container(world, method, path, headers, now):
    config = world.data.get('container')
    if config is None:
        return _text(404, 'Not Found')
    if method != 'GET':
        return _text(405, 'Method Not Allowed')
    expected = config.get('authorization_token')
    if expected is not None and headers.get('Authorization') != expected:
        body = {'code': 'AccessDeniedException',
                'message': 'Authorization token is missing or invalid'}
        return _text(401, json.dumps(body), 'application/json')
    if path.startswith(RELATIVE_PREFIX):
        allowed = config.get('relative_ids')
        if allowed is not None and path[len(RELATIVE_PREFIX):] not in allowed:
            return _text(404, 'Not Found')
    cred = _next_credential(world, 'container', config['credentials'])
    body = {'AccessKeyId': cred.access_key_id, 'SecretAccessKey': cred.secret_access_key,
            'Token': cred.session_token or '', 'Expiration': _expiration(cred, now),
            'RoleArn': config.get('role_arn', 'arn:aws:iam::%s:role/runbook-task-role'
                                  % world.account_id)}
    return _text(200, json.dumps(body), 'application/json')


def handle(world, service, operation, method, path, headers, now):
    """Answer a credential endpoint request: (status, headers, body)."""
    with world.lock:
        if service == 'imds':
            return _imds(world, operation, method, path, headers, now)
        return _container(world, method, path, headers, now)
