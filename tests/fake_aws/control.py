"""The fake's own state (world, faults, request log) and its /__fake control API.

Exists so tests can look inside and steer a running server: GET /__fake/health,
GET /__fake/requests (every AWS request received, with service, operation, params,
key id, signature verdict, status, faults), POST /__fake/requests/clear, GET/POST
/__fake/faults (replace), POST /__fake/faults/add, GET /__fake/world (current state,
secrets dropped), POST /__fake/traffic (synthetic invocations: metrics and log lines
at the current time, see traffic.py), GET /__fake/quotas (throttles per operation when
quotas are enforced) and POST /__fake/shutdown. The request log never
holds a secret.
"""

import base64
import datetime
import json
import sys
import threading

import awstime
import faults as faults_mod
import traffic
from dispatch import Response


def json_safe(value):
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime.datetime):
        return awstime.iso8601(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class App:
    """Everything a request thread shares."""

    def __init__(self, world, models, faults, log_path=None, quotas=None, latency_ms=0):
        self.universe = world
        self.world = world.primary  # the first world: traffic, credential endpoints
        self.quotas = quotas  # quotas.Quotas or None (no request-rate limits)
        self.latency_ms = latency_ms
        self.models = models
        self.faults = faults
        self.port = None
        self.stop = threading.Event()
        self._log_lock = threading.Lock()
        self._requests = []
        self._seq = 0
        self._log = open(log_path, 'a', encoding='utf-8') if log_path else None

    @staticmethod
    def new_applied():
        return faults_mod.Applied()

    @staticmethod
    def skew(seconds):
        return datetime.timedelta(seconds=seconds)

    def log_text(self, text):
        with self._log_lock:
            out = self._log or sys.stderr
            out.write(text.rstrip('\n') + '\n')
            out.flush()

    def record(self, call, service_name, response):
        finished = awstime.now()
        sig = call.sig
        entry = {
            'time': awstime.iso8601(call.started),
            'method': call.request.method, 'path': call.request.raw_path,
            'service': service_name, 'operation': call.operation,
            'params': json_safe(call.params) if call.params is not None else None,
            'access_key_id': sig.access_key_id if sig else None,
            'region': sig.region if sig else None,
            'signature_ok': call.signature_ok,
            'auth_error': call.auth_problem,
            'status': response.status if response.action not in ('reset', 'close') else None,
            'error_code': call.error_code,
            'faults': list(call.applied.kinds) if call.applied else [],
            'request_id': call.request_id,
            'duration_ms': round((finished - call.started).total_seconds() * 1000, 1),
        }
        if call.quota:
            entry['quota'] = call.quota  # throttled by this quota entry's bucket
        if call.world is not None and not self.universe.single:
            entry['account'] = call.world.account_id
        if call.fake_bug:
            entry['fake_bug'] = True  # the fake itself failed; see its --log / stderr
        if call.signature_ok is False and call.canonical_request:
            entry['expected_canonical_request'] = call.canonical_request
        with self._log_lock:
            self._seq += 1
            entry['seq'] = self._seq
            self._requests.append(entry)
            if self._log:
                self._log.write('%s %s.%s %s %s %s\n' % (
                    entry['time'], service_name, call.operation, entry['status'],
                    entry['error_code'] or '-', ','.join(entry['faults']) or '-'))
                self._log.flush()

    def requests(self):
        with self._log_lock:
            return list(self._requests)

    def clear_requests(self):
        with self._log_lock:
            count = len(self._requests)
            self._requests = []
            return count

    def close(self):
        if self._log:
            self._log.close()
            self._log = None


def _json(status, value):
    return Response(status, {'Content-Type': 'application/json'},
                    json.dumps(value, indent=1).encode())


def _load(body):
    try:
        return json.loads(body.decode('utf-8') or 'null')
    except (ValueError, UnicodeDecodeError) as exc:
        raise faults_mod.FaultError('body is not JSON: %s' % exc) from None


def _traffic_world(app, data):
    """The world a traffic body is for: its "account_id" and "region" (popped from it)
    in a file of several worlds, else the first world."""
    if not isinstance(data, dict):
        return app.world
    account = str(data.pop('account_id', app.world.account_id))
    region = data.pop('region', app.world.region)
    world = app.universe.place(account, region)
    if world is None:
        raise traffic.TrafficError('traffic for account %s in %s: the server has no such '
                                   'world' % (account, region))
    return world


def handle(app, method, path, body):
    """Answer a /__fake/ request."""
    route = (method, path.rstrip('/'))
    try:
        if route == ('GET', '/__fake/health'):
            return _json(200, {'ok': True, 'port': app.port,
                               'requests': len(app.requests())})
        if route == ('GET', '/__fake/requests'):
            return _json(200, app.requests())
        if route == ('POST', '/__fake/requests/clear'):
            return _json(200, {'cleared': app.clear_requests()})
        if route == ('GET', '/__fake/faults'):
            return _json(200, app.faults.snapshot())
        if route == ('POST', '/__fake/faults'):
            app.faults.replace(_load(body) or [])
            return _json(200, app.faults.snapshot())
        if route == ('POST', '/__fake/faults/add'):
            app.faults.add(_load(body))
            return _json(200, app.faults.snapshot())
        if route == ('GET', '/__fake/world'):
            return _json(200, json_safe(app.universe.to_json()))
        if route == ('GET', '/__fake/quotas'):
            return _json(200, app.quotas.snapshot() if app.quotas else None)
        if route == ('POST', '/__fake/traffic'):
            data = _load(body)
            world = _traffic_world(app, data)
            with world.lock:
                return _json(200, traffic.add(world, data))
        if route == ('POST', '/__fake/shutdown'):
            return Response(200, {'Content-Type': 'application/json'}, b'{"ok": true}\n',
                            action='shutdown')
    except (faults_mod.FaultError, traffic.TrafficError) as exc:
        return _json(400, {'error': str(exc)})
    return _json(404, {'error': 'no control endpoint %s %s' % (method, path)})
