"""Serialize handler output (botocore-style Python dicts) onto the wire per protocol.

Exists so handlers and worlds can be written once, in the names boto3 returns
("FunctionName", "NetworkInterfaces"), while each client sees what AWS really sends:
rest-json headers/status/payload and locationName keys, json 1.1 bodies, query XML
with <OpResult> wrappers and <member> lists, ec2 XML with lowerCamel names and <item>
lists, and each protocol's timestamp format. This is the inverse of botocore's
response parsers, which the tests use to prove it.
"""

import base64
import datetime
import json
from xml.sax.saxutils import escape

import awstime


def _timestamp(shape, value, default):
    try:
        dt = awstime.parse(value)
    except ValueError:
        return value
    fmt = shape.serialization.get('timestampFormat', default).lower()
    if fmt == 'iso8601':
        return awstime.iso8601(dt)
    if fmt == 'rfc822':
        return awstime.http_date(dt)
    return awstime.epoch_seconds(dt)


def _scalar(shape, value, service_name):
    """Coerce world values (datetimes, JSON documents) to the member's type."""
    kind = shape.type_name
    if kind == 'string':
        if isinstance(value, datetime.datetime):
            if service_name == 'lambda':
                return awstime.lambda_string(value)
            return awstime.iso8601(value)
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return value
    if kind in ('integer', 'long'):
        if isinstance(value, datetime.datetime):
            return awstime.epoch_millis(value)
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
            else value
    if kind in ('float', 'double') and isinstance(value, (int, float)):
        return float(value)
    if kind == 'blob':
        raw = value.encode() if isinstance(value, str) else value
        return base64.b64encode(raw).decode()
    return value


class JsonWriter:
    """Python value -> JSON-ready value for json and rest-json bodies."""

    def __init__(self, service_name, ts_default):
        self.service_name = service_name
        self.ts_default = ts_default

    def value(self, shape, value):
        kind = shape.type_name
        if kind == 'structure':
            if shape.is_document_type or not isinstance(value, dict):
                return value
            return self.structure(shape, value)
        if kind == 'list':
            return [self.value(shape.member, v) for v in value]
        if kind == 'map':
            return {k: self.value(shape.value, v) for k, v in value.items()}
        if kind == 'timestamp':
            return _timestamp(shape, value, self.ts_default)
        return _scalar(shape, value, self.service_name)

    def structure(self, shape, value, skip_located=False):
        out = {}
        for name, member in shape.members.items():
            if name not in value or value[name] is None:
                continue
            if skip_located and member.serialization.get('location'):
                continue
            out[member.serialization.get('name', name)] = self.value(member, value[name])
        return out


def rest_json(service, op, output):
    """Return (status, headers, body) for a rest-json operation."""
    status = op.http.get('responseCode', 200)
    headers = {'Content-Type': 'application/json'}
    shape = op.output_shape
    writer = JsonWriter(service.name, 'unixTimestamp')
    if shape is None:
        return status, headers, b'' if status == 204 else b'{}'
    for name, member in shape.members.items():
        loc = member.serialization.get('location')
        value = output.get(name)
        if value is None or loc is None:
            continue
        wire = member.serialization.get('name', name)
        if loc == 'statusCode':
            status = int(value)
        elif loc == 'header':
            if member.type_name == 'timestamp':
                headers[wire] = _timestamp(member, value, 'rfc822')
            elif member.serialization.get('jsonvalue'):
                headers[wire] = base64.b64encode(json.dumps(value).encode()).decode()
            else:
                headers[wire] = str(_scalar(member, value, service.name))
        elif loc == 'headers':
            for key, item in value.items():
                headers[wire + key] = str(item)
    payload = shape.serialization.get('payload')
    if payload:
        member, value = shape.members[payload], output.get(payload)
        if member.type_name in ('blob', 'string'):
            headers['Content-Type'] = 'application/octet-stream'
            raw = value if isinstance(value, bytes) else (value or '').encode()
            return status, headers, raw
        return status, headers, json.dumps(writer.value(member, value or {})).encode()
    if status == 204:
        return status, headers, b''
    body = writer.structure(shape, output, skip_located=True)
    return status, headers, json.dumps(body).encode()


def json_protocol(service, op, output):
    version = service.model.metadata.get('jsonVersion', '1.1')
    headers = {'Content-Type': 'application/x-amz-json-%s' % version}
    shape = op.output_shape
    if shape is None:
        return 200, headers, b'{}'
    body = JsonWriter(service.name, 'unixTimestamp').structure(shape, output)
    return 200, headers, json.dumps(body).encode()


class XmlWriter:
    """Python value -> XML elements, mirroring botocore's BaseXMLResponseParser."""

    def __init__(self, service_name, ec2):
        self.service_name = service_name
        self.default_item = 'item' if ec2 else 'member'
        self.parts = []

    def element(self, shape, value, tag):
        kind = shape.type_name
        if kind == 'list' and shape.serialization.get('flattened'):
            for item in value:
                self.element(shape.member, item, tag)
            return
        if kind == 'map' and shape.serialization.get('flattened'):
            for key, item in value.items():  # SQS Attributes: <Attribute><Name/><Value/>
                self.parts.append('<%s>' % tag)
                self.element(shape.key, key, shape.key.serialization.get('name', 'key'))
                self.element(shape.value, item, shape.value.serialization.get('name', 'value'))
                self.parts.append('</%s>' % tag)
            return
        self.parts.append('<%s>' % tag)
        if kind == 'structure':
            self.members(shape, value)
        elif kind == 'list':
            item_tag = shape.member.serialization.get('name', self.default_item)
            for item in value:
                self.element(shape.member, item, item_tag)
        elif kind == 'map':
            self.map_entries(shape, value)
        else:
            self.parts.append(escape(self.text(shape, value)))
        self.parts.append('</%s>' % tag)

    def map_entries(self, shape, value):
        key_tag = shape.key.serialization.get('name', 'key')
        value_tag = shape.value.serialization.get('name', 'value')
        for key, item in value.items():
            self.parts.append('<entry>')
            self.element(shape.key, key, key_tag)
            self.element(shape.value, item, value_tag)
            self.parts.append('</entry>')

    def members(self, shape, value):
        if not isinstance(value, dict):
            return
        for name, member in shape.members.items():
            if value.get(name) is None or member.serialization.get('xmlAttribute'):
                continue
            tag = member.serialization.get('name', name)
            if member.type_name == 'list' and member.serialization.get('flattened'):
                tag = member.member.serialization.get('name', tag)
            self.element(member, value[name], tag)

    def text(self, shape, value):
        kind = shape.type_name
        if kind == 'boolean':
            return 'true' if value else 'false'
        if kind == 'timestamp':
            try:
                return awstime.iso8601(awstime.parse(value))
            except ValueError:
                return str(value)
        return str(_scalar(shape, value, self.service_name))

    def result(self):
        return ''.join(self.parts)


def query(service, op, output, request_id):
    shape = op.output_shape
    writer = XmlWriter(service.name, ec2=False)
    inner = ''
    if shape is not None:
        writer.members(shape, output)
        wrapper = shape.serialization.get('resultWrapper', op.name + 'Result')
        inner = '<%s>%s</%s>' % (wrapper, writer.result(), wrapper)
    xml = ('<%sResponse xmlns="%s">%s<ResponseMetadata><RequestId>%s</RequestId>'
           '</ResponseMetadata></%sResponse>\n'
           % (op.name, service.xml_namespace, inner, request_id, op.name))
    return 200, {'Content-Type': 'text/xml'}, xml.encode()


def ec2(service, op, output, request_id):
    writer = XmlWriter(service.name, ec2=True)
    if op.output_shape is not None:
        writer.members(op.output_shape, output)
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s/">'
           '<requestId>%s</requestId>%s</%sResponse>'
           % (op.name, service.xml_namespace, request_id, writer.result(), op.name))
    return 200, {'Content-Type': 'text/xml;charset=UTF-8'}, xml.encode()


def serialize(service, op, output, request_id):
    """Dispatch on the service's protocol; returns (status, headers, body bytes)."""
    output = output or {}
    if service.protocol == 'rest-json':
        return rest_json(service, op, output)
    if service.protocol == 'json':
        return json_protocol(service, op, output)
    if service.protocol == 'query':
        return query(service, op, output, request_id)
    return ec2(service, op, output, request_id)


def malformed_body(service):
    """A 200 body that is cut off mid-document, for the 'malformed' fault."""
    if service is not None and service.protocol in ('query', 'ec2'):
        return 'text/xml', b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Result><Ite'
    return 'application/json', b'{"Configuration": {"FunctionName": "my-fn", "Timeout": '
