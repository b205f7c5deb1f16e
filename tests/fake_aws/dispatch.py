"""The request pipeline: route, inject faults, authenticate, validate, handle, answer.

Exists to keep the order of checks in one readable place, the same order AWS applies
them: find the service from the SigV4 scope and the operation from the protocol;
apply delay/skew faults; verify the signature and token against the server's clock;
parse and validate the parameters against the model; apply a terminal fault
(throttle, 5xx, reset...); run the handler under the world lock (an operation with no
handler gets the service's unknown-operation error naming it, never an empty 200);
serialize; record the exchange in the request log. Sleeping never happens while a lock
is held.
"""

import time
import traceback
import urllib.parse
import uuid

import awstime
import credential_endpoints
import errors
import handlers
import parse
import quotas
import serialize
import sigv4
import validation
from models import RouteError

UNSIGNED_ACTIONS = ('AssumeRoleWithWebIdentity', 'AssumeRoleWithSAML')
IAM_PREFIX = {'cloudwatch': 'cloudwatch', 'apigatewayv2': 'apigateway'}


class Request:
    """What the HTTP layer received."""

    def __init__(self, method, target, headers, body):
        self.method = method
        path, _, query = target.partition('?')
        self.raw_path = path
        self.raw_query = query
        self.headers = headers
        self.body = body or b''
        self.query_pairs = [(urllib.parse.unquote(k), urllib.parse.unquote(v))
                            for k, _, v in (p.partition('=') for p in query.split('&') if p)]


class Response:
    """What to send back; action is None, 'reset', 'close' or 'truncate'."""

    def __init__(self, status, headers, body, action=None):
        self.status = status
        self.headers = headers
        self.body = body
        self.action = action


class Call:
    """Per-request facts collected along the pipeline (they go to the request log)."""

    def __init__(self, request):
        self.request = request
        self.request_id = str(uuid.uuid4())
        self.started = awstime.now()
        self.service = None
        self.protocol = None
        self.op = None
        self.operation = None
        self.params = None
        self.sig = None
        self.signature_ok = None
        self.error_code = None
        self.canonical_request = None
        self.applied = None
        self.server_now = self.started
        self.caller = None
        self.auth_problem = None
        self.fake_bug = False
        self.world = None  # the (account, Region) world the request reaches
        self.quota = None  # the quota entry that throttled it, if any
        self.labels = {}
        self.template_keys = set()


def _form_pairs(request):
    ctype = (request.headers.get('Content-Type') or '').lower()
    if request.method == 'POST' and ctype.startswith('application/x-www-form-urlencoded'):
        try:
            return urllib.parse.parse_qsl(request.body.decode('utf-8'), keep_blank_values=True)
        except UnicodeDecodeError:
            return []
    return [p for p in request.query_pairs if not p[0].startswith('X-Amz-')]


def _route(app, call, form):
    """Set call.service/protocol/op; returns a RouteError or None."""
    svc = call.service
    call.protocol = svc.protocol
    req = call.request
    try:
        if svc.protocol == 'rest-json':
            pairs = [p for p in req.query_pairs if not p[0].startswith('X-Amz-')]
            call.op, call.labels, call.template_keys = svc.route_rest(req.method, req.raw_path,
                                                                      pairs)
        elif svc.protocol == 'json':
            call.op = svc.route_json(req.headers.get('X-Amz-Target'))
        else:
            form_dict = dict(form)
            call.op = svc.route_query(form_dict.get('Action'), form_dict.get('Version'))
    except RouteError as exc:
        return exc
    call.operation = call.op.name
    return None


def _route_error(call, exc, form):
    form_dict = dict(form)
    message = None
    if call.protocol == 'query':
        message = 'Could not find operation %s for version %s' % (
            form_dict.get('Action'), form_dict.get('Version', 'NONE'))
    elif call.protocol == 'ec2':
        message = 'The action %s is not valid for this web service.' % form_dict.get('Action')
    return errors.standard('unknown_operation', call.service.name, call.protocol, message)


def _authenticate(app, call):
    """Raise sigv4.AuthProblem unless the request is correctly signed."""
    req, sig = call.request, call.sig
    cred = app.universe.credential(sig.access_key_id)
    if cred is None:
        raise sigv4.AuthProblem('unknown_key')
    call.world = app.universe.world_for(cred, sig.region, call.service.name)
    sigv4.check_time(sig, call.server_now)
    sigv4.check_token(sig, cred, call.server_now)
    call.caller = cred
    try:
        call.canonical_request = sigv4.verify_signature(sig, cred, req.method, req.raw_path,
                                                        req.raw_query, req.headers, req.body)
    except sigv4.AuthProblem as problem:
        call.canonical_request = problem.canonical_request
        raise


def _auth_error(call, problem):
    err = errors.standard(problem.kind, call.service.name if call.service else '',
                          call.protocol, problem.message)
    fam = errors.family(call.service.name if call.service else '', call.protocol)
    if problem.kind == 'signature_mismatch' and fam in ('lambda', 'rest', 'json') \
            and problem.canonical_request:
        err.message += ("\n\nThe Canonical String for this request should have been\n'%s'"
                        "\n\nThe String-to-Sign should have been\n'%s'\n"
                        % (problem.canonical_request, problem.string_to_sign))
    return err


def _parse_params(call, form):
    req, op = call.request, call.op
    if call.protocol == 'rest-json':
        pairs = [p for p in req.query_pairs if not p[0].startswith('X-Amz-')]
        return parse.parse_rest_json(op, call.labels, pairs, call.template_keys, req.headers,
                                     req.body)
    if call.protocol == 'json':
        return parse.parse_json(op, req.body)
    return parse.parse_query(op, form, call.protocol == 'ec2')


def _resource_for(app, call):
    params, world = call.params or {}, call.world or app.world
    if call.service.name == 'lambda' and params.get('FunctionName'):
        name = params['FunctionName']
        if name.startswith('arn:'):
            return name
        return 'arn:aws:lambda:%s:%s:function:%s' % (world.region, world.account_id, name)
    if call.service.name == 'logs' and params.get('logGroupName'):
        return 'arn:aws:logs:%s:%s:log-group:%s:*' % (world.region, world.account_id,
                                                      params['logGroupName'])
    if call.service.name == 'iam' and params.get('RoleName'):
        return 'arn:aws:iam::%s:role/%s' % (world.account_id, params['RoleName'])
    if call.service.name.startswith('apigateway'):
        return 'arn:aws:apigateway:%s::%s' % (world.region, call.request.raw_path)
    return '*'


def _access_denied(app, call, rule):
    name = call.service.name
    if name.startswith('apigateway'):
        action = 'apigateway:' + call.request.method
    else:
        action = '%s:%s' % (IAM_PREFIX.get(name, name), call.operation)
    action = rule.get('action', action)
    arn = call.caller.arn if call.caller else 'anonymous'
    resource = rule.get('resource') or _resource_for(app, call)
    if call.protocol == 'ec2':
        message = ('You are not authorized to perform this operation. User: %s is not '
                   'authorized to perform: %s because no identity-based policy allows the '
                   '%s action' % (arn, action, action))
    else:
        message = ('User: %s is not authorized to perform: %s on resource: %s because no '
                   'identity-based policy allows the %s action' % (arn, action, resource,
                                                                   action))
    return errors.standard('access_denied', name, call.protocol, rule.get('message', message))


def _terminal_fault(app, call):
    """Return a Response/AwsError for the call's terminal fault, or None."""
    rule = call.applied.terminal
    if rule is None or rule.kind == 'truncated':
        return None
    raw, name = rule.raw, call.service.name
    if rule.kind in ('reset', 'close'):
        return Response(0, {}, b'', action=rule.kind)
    if rule.kind == 'malformed':
        ctype, body = serialize.malformed_body(call.service)
        return Response(200, {'Content-Type': ctype}, body)
    if rule.kind == 'access_denied':
        return _access_denied(app, call, raw)
    if rule.kind == 'error':
        return errors.AwsError(raw['code'], raw.get('message', raw['code']),
                               raw.get('status'), fields=raw.get('fields'))
    return errors.standard(rule.kind, name, call.protocol, raw.get('message'),
                           retry_after=raw.get('retry_after', 1))


def not_implemented(service_name, protocol, operation):
    """The answer to an operation the model has but the fake has no handler for:
    the service's own unknown-operation error (so a client treats it as AWS would)
    with a message naming the operation, never an empty 200 a test could pass on."""
    message = ('the fake AWS server does not implement %s:%s (it is valid in the botocore '
               'model); add a handler in tests/fake_aws/handlers/ or answer it with an '
               '"error" fault rule' % (service_name, operation))
    return errors.standard('unknown_operation', service_name, protocol, message)


def _run_handler(app, call):
    handler = handlers.lookup(call.service.name, call.operation)
    if handler is None:
        raise not_implemented(call.service.name, call.protocol, call.operation)
    world = call.world or app.world
    ctx = handlers.Ctx(world, call.service.name, call.operation,
                       call.caller, call.request_id, call.server_now,
                       call.sig.region if call.sig else None, call.op)
    with world.lock:
        output = handler(ctx, call.params)
        return serialize.serialize(call.service, call.op, output, call.request_id)


def _identify(app, call, form):
    """Find the service from the signature (or the request's shape when unsigned);
    returns an AwsError when the request cannot go further."""
    req = call.request
    form_action = dict(form).get('Action')
    call.protocol = app.models.guess_protocol(req.headers, form_action)
    try:
        call.sig = sigv4.extract(req.headers, req.query_pairs)
    except sigv4.AuthProblem as problem:
        call.signature_ok, call.auth_problem = False, problem.kind
        return _auth_error(call, problem)
    if call.sig is None and form_action in UNSIGNED_ACTIONS:
        signing = 'sts'
    elif call.sig is None:
        guess = app.models.guess_service(req.method, req.raw_path, req.query_pairs,
                                         req.headers, form)
        if guess is not None:
            call.service = app.models[guess]
            call.protocol = call.service.protocol
        return errors.standard('missing_auth', guess or '', call.protocol)
    else:
        signing = call.sig.signing_name
    name = app.models.service_for(signing, req.raw_path)
    if name is None:
        return errors.standard('unknown_operation', '', call.protocol,
                               "The fake does not serve signing name '%s'" % signing)
    call.service = app.models[name]
    return None


def _api(app, call):
    """The AWS API path of the pipeline; returns a Response or an AwsError."""
    if app.latency_ms:
        time.sleep(app.latency_ms / 1000.0)  # no lock held: requests overlap
    form = _form_pairs(call.request)
    problem = _identify(app, call, form)
    if problem is not None:
        return problem
    name = call.service.name
    route_problem = _route(app, call, form)
    call.applied = app.faults.modifiers(name, call.operation, app.new_applied())
    if call.applied.delay_ms:
        time.sleep(call.applied.delay_ms / 1000.0)
    call.server_now = awstime.now() + app.skew(call.applied.skew_seconds)
    if call.sig is not None:
        try:
            _authenticate(app, call)
            call.signature_ok = True
        except sigv4.AuthProblem as auth_problem:
            call.signature_ok, call.auth_problem = False, auth_problem.kind
            return _auth_error(call, auth_problem)
    if route_problem is not None:
        return _route_error(call, route_problem, form)
    if app.quotas is not None and call.world is not None:
        call.quota = app.quotas.take(call.world.account_id, call.sig.region, name,
                                     call.operation)
        if call.quota is not None:
            return quotas.throttle_error(name, call.protocol)
    try:
        call.params = _parse_params(call, form)
    except parse.ParseError as exc:
        if exc.kind == 'unknown':
            return validation.unknown_parameter(name, str(exc))
        return errors.standard('serialization', name, call.protocol, str(exc))
    problem = validation.check(name, call.op.input_shape, call.params)
    if problem is not None:
        return problem
    app.faults.terminal(name, call.operation, call.applied)
    fault = _terminal_fault(app, call)
    if fault is not None:
        return fault
    try:
        status, headers, body = _run_handler(app, call)
    except errors.AwsError as err:
        return err
    return Response(status, headers, body)


def _credentials(app, call, service, operation):
    call.applied = app.faults.modifiers(service, operation, app.new_applied())
    if call.applied.delay_ms:
        time.sleep(call.applied.delay_ms / 1000.0)
    app.faults.terminal(service, operation, call.applied)
    rule = call.applied.terminal
    req = call.request
    if rule is not None and rule.kind in ('reset', 'close'):
        return Response(0, {}, b'', action=rule.kind)
    if rule is not None and rule.kind != 'truncated':
        status = {'throttle': 429, 'unavailable': 503}.get(rule.kind, 500)
        return Response(rule.raw.get('status', status), {'Content-Type': 'text/plain'},
                        rule.raw.get('message', 'fault injected').encode())
    status, headers, body = credential_endpoints.handle(
        app.world, service, operation, req.method, req.raw_path, req.headers,
        awstime.now() + app.skew(call.applied.skew_seconds))
    return Response(status, headers, body)


def _protocol(call):
    known = ('rest-json', 'json', 'query', 'ec2')
    return call.protocol if call.protocol in known else 'rest-json'


def handle(app, request):
    """Answer one request (never raises); also appends to the request log."""
    call = Call(request)
    cred_route = credential_endpoints.route(request.method, request.raw_path)
    try:
        if cred_route is not None:
            call.protocol = 'credentials'
            call.service, call.operation = None, cred_route[1]
            result = _credentials(app, call, *cred_route)
            service_name = cred_route[0]
        else:
            result = _api(app, call)
            service_name = call.service.name if call.service else None
    except Exception:  # a bug in the fake must still answer, and be visible
        app.log_text('internal error in %s %s\n%s' % (request.method, request.raw_path,
                                                      traceback.format_exc()))
        service_name = call.service.name if call.service else None
        call.fake_bug = True
        result = errors.standard('internal', service_name or '', _protocol(call),
                                 'fake server error (see its --log)')
    if isinstance(result, errors.AwsError):
        call.error_code = result.code
        status, headers, body = errors.render(result, call.service, _protocol(call),
                                              call.request_id)
        result = Response(status, headers, body)
    terminal = call.applied.terminal if call.applied else None
    if terminal is not None and terminal.kind == 'truncated' and result.action is None:
        result.action = 'truncate'
    result.headers.setdefault('x-amzn-RequestId', call.request_id)
    result.server_now = call.server_now
    app.record(call, service_name, result)
    return result
