"""AWS error responses: the one exception handlers raise and its wire shape per protocol.

Exists so every failure (signature, throttle, missing function...) reaches the client
in the exact shape the real service uses: rest-json body + x-amzn-ErrorType header
(Lambda's {"Type","Message"} variant), json 1.1 "__type", query <ErrorResponse>, ec2
<Response><Errors>. Codes, statuses and wording of the common errors are kept in one
table here so tests and worlds can rely on them.
"""

import json
from xml.sax.saxutils import escape

CORAL = 'com.amazon.coral.service#'
APIGW_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazonaws.backplane.controlplane/'


class AwsError(Exception):
    """An AWS error. layer='auth' marks errors raised by the front door (signature,
    token, throttling), which some services render differently from their own."""

    def __init__(self, code, message, status=None, fields=None, headers=None,
                 sender=True, layer='service'):
        super().__init__('%s: %s' % (code, message))
        self.code = code
        self.message = message
        self.status = status
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})
        self.sender = sender
        self.layer = layer


def family(service_name, protocol):
    """Error family: lambda, rest (API Gateway v1/v2), json, query or ec2."""
    if service_name == 'lambda':
        return 'lambda'
    return {'rest-json': 'rest', 'json': 'json', 'query': 'query', 'ec2': 'ec2'}[protocol]


_REST = ('lambda', 'rest')
_TOKEN_INVALID = 'The security token included in the request is invalid.'
_TOKEN_EXPIRED = 'The security token included in the request is expired'
_EC2_AUTH = 'AWS was not able to validate the provided access credentials'

# kind -> list of (families, code, status, default message)
_TABLE = {
    'missing_auth': [
        (_REST + ('json',), 'MissingAuthenticationTokenException', 403,
         'Missing Authentication Token'),
        (('query', 'ec2'), 'MissingAuthenticationToken', 403,
         'Request is missing Authentication Token')],
    'incomplete_signature': [
        (_REST + ('json',), 'IncompleteSignatureException', 403, ''),
        (('query', 'ec2'), 'IncompleteSignature', 403, '')],
    'signature_mismatch': [
        (_REST + ('json',), 'InvalidSignatureException', 403, ''),
        (('query', 'ec2'), 'SignatureDoesNotMatch', 403, '')],
    'unknown_key': [
        (_REST + ('json',), 'UnrecognizedClientException', 403, _TOKEN_INVALID),
        (('query',), 'InvalidClientTokenId', 403, _TOKEN_INVALID),
        (('ec2',), 'AuthFailure', 401, _EC2_AUTH)],
    'expired_token': [
        (_REST + ('json',), 'ExpiredTokenException', 403, _TOKEN_EXPIRED),
        (('query', 'ec2'), 'ExpiredToken', 400, _TOKEN_EXPIRED)],
    'skew': [
        (_REST + ('json',), 'InvalidSignatureException', 403, ''),
        (('query',), 'SignatureDoesNotMatch', 403, ''),
        (('ec2',), 'RequestExpired', 400, 'Request has expired.')],
    'throttle': [
        (('lambda',), 'TooManyRequestsException', 429, 'Rate exceeded'),
        (('rest',), 'TooManyRequestsException', 429, 'Too Many Requests'),
        (('json',), 'ThrottlingException', 400, 'Rate exceeded'),
        (('query',), 'Throttling', 400, 'Rate exceeded'),
        (('ec2',), 'RequestLimitExceeded', 503, 'Request limit exceeded.')],
    'unavailable': [
        (_REST + ('json',), 'ServiceUnavailableException', 503, 'Service Unavailable'),
        (('query',), 'ServiceUnavailable', 503,
         'Service is unavailable. Please try again later.'),
        (('ec2',), 'Unavailable', 503, "The server is overloaded and can't handle the request.")],
    'internal': [
        (('lambda',), 'ServiceException', 500, 'An internal error occurred.'),
        (('rest', 'json', 'query'), 'InternalFailure', 500,
         'The request processing has failed because of an unknown error, exception or failure.'),
        (('ec2',), 'InternalError', 500, 'An internal error has occurred')],
    'access_denied': [
        (_REST, 'AccessDeniedException', 403, ''),
        (('json',), 'AccessDeniedException', 400, ''),
        (('query',), 'AccessDenied', 403, ''),
        (('ec2',), 'UnauthorizedOperation', 403, '')],
    'unknown_operation': [
        (_REST, 'UnknownOperationException', 404, 'Unknown operation'),
        (('json',), 'UnknownOperationException', 400, 'Unknown operation'),
        (('query', 'ec2'), 'InvalidAction', 400, '')],
    'serialization': [
        (('lambda',), 'InvalidRequestContentException', 400,
         'Could not parse request body into json'),
        (('rest',), 'BadRequestException', 400, 'Could not parse request body into json'),
        (('json',), 'SerializationException', 400, ''),
        (('query', 'ec2'), 'MalformedQueryString', 400, '')],
}

_VALIDATION_CODE = {'lambda': 'ValidationException', 'apigateway': 'BadRequestException',
                    'apigatewayv2': 'BadRequestException', 'logs': 'InvalidParameterException',
                    'iam': 'ValidationError', 'sts': 'ValidationError',
                    'cloudwatch': 'InvalidParameterValue', 'ec2': 'InvalidParameterValue',
                    'sqs': 'InvalidParameterValue',
                    # X-Ray models InvalidRequestException for a request that fails
                    # validation; CloudTrail answers the framework's ValidationException.
                    'xray': 'InvalidRequestException', 'cloudtrail': 'ValidationException'}

_AUTH_KINDS = ('missing_auth', 'incomplete_signature', 'signature_mismatch', 'unknown_key',
               'expired_token', 'skew', 'throttle', 'unavailable', 'access_denied',
               'unknown_operation', 'serialization')


def standard(kind, service_name, protocol, message=None, **extra):
    """Build the AwsError real AWS returns for a common failure kind."""
    fam = family(service_name, protocol)
    for families, code, status, default in _TABLE[kind]:
        if fam in families:
            break
    else:  # pragma: no cover - the table covers every family
        raise KeyError(kind)
    err = AwsError(code, message if message is not None else default, status,
                   layer='auth' if kind in _AUTH_KINDS else 'service',
                   sender=kind not in ('internal', 'unavailable'))
    if kind == 'throttle' and fam in _REST:
        err.headers['Retry-After'] = str(extra.get('retry_after', 1))
        if fam == 'lambda':
            err.fields.update({'Reason': 'CallerRateLimitExceeded', 'Type': 'User'})
            err.layer = 'service'
    if kind == 'internal' and fam == 'lambda':
        err.fields['Type'] = 'Service'
    return err


def validation(service_name, message, missing=False, unknown=False):
    """The error a service returns for a parameter that fails its model."""
    code = _VALIDATION_CODE[service_name]
    if service_name in ('ec2', 'cloudwatch') and missing:
        code = 'MissingParameter'
    elif service_name == 'ec2' and unknown:
        code = 'UnknownParameter'
    return AwsError(code, message, 400)


def _status(err, service):
    if err.status:
        return err.status
    shape = service.error_shape(err.code) if service is not None else None
    if shape is not None:
        return shape.metadata.get('error', {}).get('httpStatusCode', 400)
    return 400


def _lambda_body(err, service):
    if err.layer == 'auth':
        return dict(err.fields, message=err.message)
    shape = service.error_shape(err.code) if service is not None else None
    key = 'Message' if shape is not None and 'Message' in shape.members else 'message'
    body = {'Type': 'User' if err.sender else 'Service'}
    body.update(err.fields)
    body[key] = err.message
    return body


def render(err, service, protocol, request_id):
    """Return (status, headers dict, body bytes) for an AwsError."""
    status = _status(err, service)
    name = service.name if service is not None else ''
    fam = family(name, protocol)
    headers = dict(err.headers)
    if fam in _REST:
        headers['Content-Type'] = 'application/json'
        if fam == 'lambda':
            headers['x-amzn-ErrorType'] = err.code
            body = _lambda_body(err, service)
        else:
            headers['x-amzn-ErrorType'] = err.code + APIGW_TYPE_SUFFIX
            body = dict(err.fields, message=err.message)
        return status, headers, json.dumps(body).encode()
    if fam == 'json':
        version = service.model.metadata.get('jsonVersion', '1.1') if service else '1.1'
        headers['Content-Type'] = 'application/x-amz-json-%s' % version
        prefix = CORAL if err.layer == 'auth' else ''
        body = dict(err.fields, __type=prefix + err.code, message=err.message)
        return status, headers, json.dumps(body).encode()
    headers['Content-Type'] = 'text/xml'
    if fam == 'ec2':
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
               '<Code>%s</Code><Message>%s</Message></Error></Errors>'
               '<RequestID>%s</RequestID></Response>'
               % (escape(err.code), escape(err.message), request_id))
        return status, headers, xml.encode()
    namespace = service.xml_namespace if service is not None else ''
    xml = ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>\n'
           '    <Code>%s</Code>\n    <Message>%s</Message>\n  </Error>\n'
           '  <RequestId>%s</RequestId>\n</ErrorResponse>\n'
           % (namespace, 'Sender' if err.sender else 'Receiver', escape(err.code),
              escape(err.message), request_id))
    return status, headers, xml.encode()
