"""The official AWS service models (Debian's botocore) and request routing by them.

Exists so the fake accepts exactly what AWS accepts: the service comes from the SigV4
signing name, the operation from the protocol's own routing rule (rest-json: method +
requestUri template; json: X-Amz-Target; query/ec2: Action + Version), never from a
hand-written table that could drift from the real API.

Lambda, X-Ray and CloudTrail come from the newer committed aws-sdk copies in
tools/models-src/ (expanded by tools/sdk_models.py, the same dicts tools/gen_models.py
compacts into core/models/), so the fake knows what the core knows (Lambda's
LoggingConfig is newer than Debian's botocore 1.29).
"""

import os
import re
import sys
import threading
import urllib.parse

import botocore.loaders
import botocore.model

# Installed (share/runbook/fake_aws), sdk_models.py and models-src/ sit beside this file;
# in the source tree they are in tools/.
_HERE = os.path.dirname(os.path.abspath(__file__))
if not os.path.exists(os.path.join(_HERE, 'sdk_models.py')):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(_HERE)), 'tools'))
import sdk_models  # noqa: E402  (tools/ is not a package)

SERVICES = ('lambda', 'iam', 'sts', 'logs', 'cloudwatch', 'ec2', 'apigateway',
            'apigatewayv2', 'sqs', 'xray', 'cloudtrail')

# SigV4 signing name -> botocore model name (apigateway is split by path later).
SIGNING_NAMES = {'lambda': 'lambda', 'iam': 'iam', 'sts': 'sts', 'logs': 'logs',
                 'monitoring': 'cloudwatch', 'ec2': 'ec2', 'apigateway': 'apigateway',
                 'sqs': 'sqs', 'xray': 'xray', 'cloudtrail': 'cloudtrail'}

# The signing name each model's requests must carry.
SIGNING_NAME_OF = {v: k for k, v in SIGNING_NAMES.items()}
SIGNING_NAME_OF['apigatewayv2'] = 'apigateway'


class RouteError(Exception):
    """No operation matches; .kind is 'unknown_operation' or 'bad_version'."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


class _Template:
    """A rest-json requestUri such as /2015-03-31/functions/{FunctionName}/policy."""

    def __init__(self, op_name, method, uri):
        self.op_name = op_name
        self.method = method
        path, _, query = uri.partition('?')
        self.segments = [s for s in path.split('/') if s != '']
        self.query = urllib.parse.parse_qsl(query, keep_blank_values=True)
        literals = sum(1 for s in self.segments if not s.startswith('{'))
        self.score = (literals, len(self.query), -len(self.segments))

    def match(self, raw_segments, query_pairs):
        labels = {}
        for i, seg in enumerate(self.segments):
            if seg.startswith('{') and seg.endswith('+}'):
                rest = raw_segments[i:]
                if not rest:
                    return None
                labels[seg[1:-2]] = urllib.parse.unquote('/'.join(rest))
                return labels if self._query_ok(query_pairs) else None
            if i >= len(raw_segments):
                return None
            if seg.startswith('{'):
                labels[seg[1:-1]] = urllib.parse.unquote(raw_segments[i])
            elif urllib.parse.unquote(raw_segments[i]) != seg:
                return None
        if len(raw_segments) != len(self.segments):
            return None
        return labels if self._query_ok(query_pairs) else None

    def _query_ok(self, query_pairs):
        present = dict(query_pairs)
        for key, value in self.query:
            if key not in present or (value and present[key] != value):
                return False
        return True


class Service:
    """One service model plus its routing tables."""

    def __init__(self, name, model):
        self.name = name
        self.model = model
        self.protocol = model.metadata['protocol']
        self.api_version = model.metadata['apiVersion']
        self.target_prefix = model.metadata.get('targetPrefix')
        self.xml_namespace = model.metadata.get('xmlNamespace')
        self._templates = {}
        if self.protocol == 'rest-json':
            for op_name in model.operation_names:
                http = model.operation_model(op_name).http
                tpl = _Template(op_name, http['method'], http['requestUri'])
                self._templates.setdefault(tpl.method, []).append(tpl)
        self._errors = {}
        for shape in model.error_shapes:
            code = shape.metadata.get('error', {}).get('code', shape.name)
            self._errors[code] = shape
            self._errors.setdefault(shape.name, shape)

    def operation(self, name):
        return self.model.operation_model(name)

    def error_shape(self, code):
        """The modelled error shape for an error code, or None."""
        return self._errors.get(code)

    def route_rest(self, method, raw_path, query_pairs):
        """Return (operation_model, labels, template_query_keys) for a rest-json call."""
        raw_segments = [s for s in raw_path.split('/') if s != '']
        best = None
        for tpl in self._templates.get(method, []):
            labels = tpl.match(raw_segments, query_pairs)
            if labels is not None and (best is None or tpl.score > best[0].score):
                best = (tpl, labels)
        if best is None:
            raise RouteError('unknown_operation', 'no %s operation matches %s %s'
                             % (self.name, method, raw_path))
        tpl, labels = best
        return self.operation(tpl.op_name), labels, {k for k, _ in tpl.query}

    def route_json(self, target):
        # rpartition: a target prefix may hold dots (com.amazonaws.cloudtrail.v20131101...)
        prefix, _, op_name = (target or '').rpartition('.')
        if prefix != self.target_prefix or op_name not in self.model.operation_names:
            raise RouteError('unknown_operation', target or '(no X-Amz-Target)')
        return self.operation(op_name)

    def route_query(self, action, version):
        if not action or action not in self.model.operation_names:
            raise RouteError('unknown_operation', action or '')
        if version != self.api_version:
            raise RouteError('bad_version', action)
        return self.operation(action)


class Models:
    """All services the fake serves. Models load on first use (or from warm_up(), which
    the server runs in the background once it listens), so start-up stays fast."""

    def __init__(self):
        self._loader = botocore.loaders.create_loader()
        self._services = {}
        self._lock = threading.Lock()

    def __getitem__(self, name):
        service = self._services.get(name)
        if service is None:
            with self._lock:
                service = self._services.get(name)
                if service is None:
                    if name in sdk_models.SDK_SOURCES:
                        data = sdk_models.load(name)[0]
                    else:
                        data = self._loader.load_service_model(name, 'service-2')
                    service = Service(name, botocore.model.ServiceModel(data, name))
                    self._services[name] = service
        return service

    def warm_up(self):
        for name in SERVICES:
            self[name]

    def service_for(self, signing_name, raw_path):
        """The model name for a SigV4 signing name (and path, for API Gateway v1/v2)."""
        name = SIGNING_NAMES.get(signing_name)
        if name == 'apigateway' and re.match(r'^/v2(/|$)', raw_path):
            name = 'apigatewayv2'
        return name

    def guess_service(self, method, raw_path, query_pairs, headers, form):
        """Best guess of the service an unsigned request was meant for (or None), so
        its error can take that service's shape."""
        form = dict(form)
        target = headers.get('X-Amz-Target') or ''
        for name in SERVICES:
            service = self[name]
            if service.protocol == 'json' and target.startswith(service.target_prefix + '.'):
                return name
            if service.protocol in ('query', 'ec2') and form.get('Action') \
                    and form.get('Version') == service.api_version:
                return name
        if target or form.get('Action'):
            return None
        for name in ('apigatewayv2', 'lambda', 'apigateway'):
            try:
                self[name].route_rest(method, raw_path, query_pairs)
                return name
            except RouteError:
                continue
        return None

    @staticmethod
    def guess_protocol(headers, form_action):
        """Protocol family for answering an unsigned or unroutable request."""
        if form_action:
            return 'query'
        if headers.get('X-Amz-Target'):
            return 'json'
        return 'rest-json'
