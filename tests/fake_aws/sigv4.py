"""SigV4 verification of received requests, done with botocore's own signer.

Exists so a client's signing bugs (canonical path/query encoding, signed headers,
payload hash, scope, session token, clock) fail here exactly as they would at AWS.
We recompute the signature with botocore.auth.SigV4Auth over the request as received:
the path is used as sent (botocore applies the double-encoding non-S3 services use),
the query is decoded and re-encoded canonically (so a client that encodes differently
from AWS fails), and only the headers the client listed in SignedHeaders are signed.
Never logs or returns a secret; only the canonical request is kept for debugging.
"""

import datetime
import hashlib
import hmac
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders

import awstime

ALGORITHM = 'AWS4-HMAC-SHA256'
MAX_SKEW = datetime.timedelta(minutes=5)
UNSIGNED = ('UNSIGNED-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER')


class AuthProblem(Exception):
    """Authentication failed; kind names the entry in errors._TABLE."""

    def __init__(self, kind, message=None):
        super().__init__(message or kind)
        self.kind = kind
        self.message = message
        self.canonical_request = None  # set for signature mismatches (debugging aid)
        self.string_to_sign = None


class SigInfo:
    """What the client claims: key id, scope, signed headers, signature, time."""

    def __init__(self):
        self.access_key_id = None
        self.scope_date = None
        self.region = None
        self.signing_name = None
        self.signed_headers = []
        self.signature = None
        self.amz_date = None
        self.token = None
        self.presigned = False
        self.expires = None


def _parse_header(value):
    algorithm, _, rest = value.strip().partition(' ')
    if algorithm != ALGORITHM:
        raise AuthProblem('incomplete_signature',
                          "Unsupported AWS 'algorithm': '%s'" % algorithm)
    fields = {}
    for part in rest.split(','):
        key, _, val = part.strip().partition('=')
        fields[key] = val
    missing = [k for k in ('Credential', 'SignedHeaders', 'Signature') if not fields.get(k)]
    if missing:
        raise AuthProblem('incomplete_signature', ' '.join(
            "Authorization header requires '%s' parameter." % k for k in missing)
            + ' Authorization=' + value)
    return fields['Credential'], fields['SignedHeaders'], fields['Signature']


def _parse_scope(info, credential):
    parts = credential.split('/')
    if len(parts) != 5:
        raise AuthProblem('incomplete_signature',
                          "Credential should have 5 parts separated by '/', got '%s'"
                          % credential.partition('/')[2])
    info.access_key_id, info.scope_date, info.region, info.signing_name, term = parts
    if term != 'aws4_request':
        raise AuthProblem('incomplete_signature',
                          "Credential should be scoped with a valid terminator: "
                          "'aws4_request', not '%s'." % term)


def extract(headers, query_pairs):
    """Read the client's signature claims; None when the request is not signed."""
    info = SigInfo()
    query = dict(query_pairs)
    auth = headers.get('Authorization')
    if auth and auth.startswith('AWS4-'):
        credential, signed, info.signature = _parse_header(auth)
        info.amz_date = headers.get('X-Amz-Date')
        info.token = headers.get('X-Amz-Security-Token')
        if not info.amz_date and headers.get('Date'):
            try:
                info.amz_date = awstime.amz_date(awstime.parse(headers['Date']))
            except ValueError:
                info.amz_date = None
    elif 'X-Amz-Credential' in query:
        info.presigned = True
        credential = query['X-Amz-Credential']
        signed = query.get('X-Amz-SignedHeaders', '')
        info.signature = query.get('X-Amz-Signature')
        info.amz_date = query.get('X-Amz-Date')
        info.token = query.get('X-Amz-Security-Token')
        try:
            info.expires = int(query.get('X-Amz-Expires', '900'))
        except ValueError:
            raise AuthProblem('incomplete_signature', 'X-Amz-Expires must be a number')
        if not info.signature or not signed:
            raise AuthProblem('incomplete_signature', "AWS query-string parameters must "
                              "include 'X-Amz-Signature' and 'X-Amz-SignedHeaders'.")
    elif auth:
        raise AuthProblem('incomplete_signature', "Unsupported AWS 'algorithm'")
    else:
        return None
    _parse_scope(info, credential)
    info.signed_headers = [h for h in signed.lower().split(';') if h]
    if not info.amz_date:
        raise AuthProblem('incomplete_signature', "Authorization header requires existence "
                          "of either a 'X-Amz-Date' or a 'Date' header.")
    return info


def check_time(info, server_now):
    """Raise AuthProblem('skew') when the request time is outside the window."""
    try:
        when = awstime.parse(info.amz_date)
    except ValueError:
        raise AuthProblem('incomplete_signature', "Date must be in ISO-8601 'basic format'."
                          " Got '%s'." % info.amz_date) from None
    if info.scope_date != info.amz_date[:8]:
        raise AuthProblem('signature_mismatch', "Date in Credential scope does not match "
                          "YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', "
                          "from '%s'." % (info.scope_date, info.amz_date[:8], info.amz_date))
    fmt = awstime.amz_date
    if info.presigned and server_now > when + datetime.timedelta(seconds=info.expires):
        raise AuthProblem('skew', 'Signature expired: %s is now earlier than %s (%s - %d sec.)'
                          % (fmt(when), fmt(server_now - datetime.timedelta(
                              seconds=info.expires)), fmt(server_now), info.expires))
    if not info.presigned and when < server_now - MAX_SKEW:
        raise AuthProblem('skew', 'Signature expired: %s is now earlier than %s (%s - 5 min.)'
                          % (fmt(when), fmt(server_now - MAX_SKEW), fmt(server_now)))
    if when > server_now + MAX_SKEW:
        raise AuthProblem('skew', 'Signature not yet current: %s is still later than %s '
                          '(%s + 5 min.)' % (fmt(when), fmt(server_now + MAX_SKEW),
                                             fmt(server_now)))


def check_token(info, cred, server_now):
    """Session token must match the credentials exactly; expired credentials fail."""
    if (cred.session_token or None) != (info.token or None):
        raise AuthProblem('unknown_key')
    if cred.expired(server_now):
        raise AuthProblem('expired_token')


class _Key:
    """The three attributes SigV4Auth reads from botocore's Credentials."""

    def __init__(self, access_key, secret_key, token):
        self.access_key = access_key
        self.secret_key = secret_key
        self.token = token


class _Verifier(SigV4Auth):
    """SigV4Auth that signs exactly the client's SignedHeaders and our query pairs."""

    def __init__(self, cred, info, received_headers, canonical_pairs):
        super().__init__(_Key(cred.access_key_id, cred.secret_access_key, cred.session_token),
                         info.signing_name, info.region)
        self._names = info.signed_headers
        self._received = received_headers
        self._pairs = canonical_pairs

    def headers_to_sign(self, request):
        selected = HTTPHeaders()
        for name in self._names:
            values = self._received.get_all(name) or ['']
            for value in values:
                selected[name] = value
        return selected

    def canonical_query_string(self, request):
        return self._canonical_query_string_params(self._pairs)


def canonical_pairs(raw_query, presigned):
    """Decode the received query; AWS re-encodes every key and value canonically."""
    pairs = []
    for piece in raw_query.split('&') if raw_query else []:
        key, _, value = piece.partition('=')
        key, value = urllib.parse.unquote(key), urllib.parse.unquote(value)
        if presigned and key == 'X-Amz-Signature':
            continue
        pairs.append((key, value))
    return pairs


def verify_signature(info, cred, method, raw_path, raw_query, headers, body):
    """Return the canonical request; raise AuthProblem when the signature differs."""
    if 'host' not in info.signed_headers:
        raise AuthProblem('incomplete_signature', "'Host' or ':authority' must be a "
                          "'SignedHeader' in the AWS Authorization.")
    declared = headers.get('X-Amz-Content-SHA256')
    if declared and declared not in UNSIGNED and declared != hashlib.sha256(body).hexdigest():
        raise AuthProblem('signature_mismatch', "The provided 'x-amz-content-sha256' header "
                          "does not match what was computed.")
    signer = _Verifier(cred, info, headers, canonical_pairs(raw_query, info.presigned))
    request = AWSRequest(method=method, url='http://%s%s' % (headers.get('Host', 'localhost'),
                                                             raw_path), data=body)
    if declared:
        request.headers['X-Amz-Content-SHA256'] = declared
    request.context['timestamp'] = info.amz_date
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    expected = signer.signature(string_to_sign, request)
    if not hmac.compare_digest(expected, info.signature or ''):
        message = ('The request signature we calculated does not match the signature you '
                   'provided. Check your AWS Secret Access Key and signing method. Consult '
                   'the service documentation for details.')
        problem = AuthProblem('signature_mismatch', message)
        problem.canonical_request = canonical
        problem.string_to_sign = string_to_sign
        raise problem
    return canonical
