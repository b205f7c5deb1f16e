"""Turn a received request back into the parameter dict botocore would have sent.

Exists because validating against the model (and handing handlers clean input) needs
the protocol's serialization undone exactly: rest-json URI labels, query string,
headers and JSON body; json 1.1 bodies; query and ec2 form fields with their
member/entry/locationName/queryName/flattened naming. Keys the model does not know
are reported, not dropped, so a misspelt parameter fails like it does at AWS.
"""

import base64
import binascii
import json

import awstime

_MISSING = object()


class ParseError(Exception):
    """kind: 'serialization' (body is not valid JSON) or 'unknown' (unknown key)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def _from_string(shape, text):
    """Convert a string from a URI, query string, header or form field."""
    kind = shape.type_name
    try:
        if kind in ('integer', 'long'):
            return int(text)
        if kind in ('float', 'double'):
            return float(text)
        if kind == 'boolean':
            return {'true': True, 'false': False}.get(text, text)
        if kind == 'timestamp':
            return awstime.parse(text)
        if kind == 'blob':
            return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        return text
    return text


def _from_json(shape, value):
    """Convert a decoded JSON value to botocore's Python form for that shape."""
    kind = shape.type_name
    if value is None:
        return None
    if kind == 'structure' and isinstance(value, dict) and not shape.is_document_type:
        wire = {m.serialization.get('name', n): n for n, m in shape.members.items()}
        out = {}
        for key, item in value.items():
            name = wire.get(key)
            out[name or key] = _from_json(shape.members[name], item) if name else item
        return out
    if kind == 'list' and isinstance(value, list):
        return [_from_json(shape.member, v) for v in value]
    if kind == 'map' and isinstance(value, dict):
        return {k: _from_json(shape.value, v) for k, v in value.items()}
    if kind == 'timestamp' and isinstance(value, (int, float, str)):
        try:
            return awstime.parse(value)
        except ValueError:
            return value
    if kind == 'blob' and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            return value
    return value


def _load_json(body):
    if not body or not body.strip():
        return {}
    try:
        return json.loads(body.decode('utf-8'))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError('serialization', 'Could not parse request body into json: %s'
                         % exc) from None


def parse_json(op, body):
    """json 1.0/1.1: the body is the input structure."""
    data = _load_json(body)
    if not isinstance(data, dict):
        raise ParseError('serialization', 'Start of structure or map found where not '
                         'expected')
    return _from_json(op.input_shape, data) if op.input_shape is not None else data


def _header_value(shape, text):
    if shape.serialization.get('jsonvalue'):
        try:
            return json.loads(base64.b64decode(text))
        except (ValueError, binascii.Error):
            return text
    return _from_string(shape, text)


def parse_rest_json(op, labels, query_pairs, template_keys, headers, body):
    """rest-json: URI labels, query string, headers, then payload or JSON body."""
    shape = op.input_shape
    if shape is None:
        return {}
    params, body_members, used = {}, {}, set(template_keys)
    query_multi = {}
    for key, value in query_pairs:
        query_multi.setdefault(key, []).append(value)
    query_map_member = None
    for name, member in shape.members.items():
        loc = member.serialization.get('location')
        wire = member.serialization.get('name', name)
        if loc == 'uri' and wire in labels:
            params[name] = _from_string(member, labels[wire])
        elif loc == 'querystring' and member.type_name == 'map':
            query_map_member = name
        elif loc == 'querystring' and wire in query_multi:
            used.add(wire)
            values = query_multi[wire]
            if member.type_name == 'list':
                params[name] = [_from_string(member.member, v) for v in values]
            else:
                params[name] = _from_string(member, values[-1])
        elif loc == 'header' and headers.get(wire) is not None:
            params[name] = _header_value(member, headers.get(wire))
        elif loc == 'headers':
            prefix = wire.lower()
            found = {k[len(prefix):]: v for k, v in headers.items()
                     if k.lower().startswith(prefix)}
            if found:
                params[name] = found
        elif loc is None:
            body_members[name] = member
    leftover = [k for k in query_multi if k not in used]
    if query_map_member and leftover:
        params[query_map_member] = {k: query_multi[k][-1] for k in leftover}
    elif leftover:
        raise ParseError('unknown', 'Unknown query string parameter %r' % leftover[0])
    payload = shape.serialization.get('payload')
    if payload:
        member = shape.members[payload]
        if member.type_name in ('blob', 'string'):
            if body:
                params[payload] = body if member.type_name == 'blob' else body.decode()
        else:
            data = _load_json(body)
            if data:
                params[payload] = _from_json(member, data)
        return params
    data = _load_json(body)
    if not isinstance(data, dict):
        raise ParseError('serialization', 'Start of structure or map found where not '
                         'expected')
    wire_names = {m.serialization.get('name', n): n for n, m in body_members.items()}
    for key, value in data.items():
        name = wire_names.get(key)
        params[name or key] = _from_json(body_members[name], value) if name else value
    return params


class _FormReader:
    """Undo botocore's QuerySerializer / EC2Serializer on a flat form dict."""

    def __init__(self, pairs, ec2):
        self.flat = {}
        for key, value in pairs:
            self.flat[key] = value
        self.ec2 = ec2
        self.used = {'Action', 'Version'}
        # every dotted prefix of a key -> the segments that follow it, so that finding a
        # structure's or list's members does not scan every key (a GetMetricData call
        # has 500 queries: thousands of keys)
        self.children = {}
        for key in self.flat:
            parts = key.split('.')
            for i in range(1, len(parts)):
                self.children.setdefault('.'.join(parts[:i]), set()).add(parts[i])

    def name(self, shape, default):
        ser = shape.serialization
        if self.ec2:
            if 'queryName' in ser:
                return ser['queryName']
            if 'name' in ser:
                return ser['name'][0].upper() + ser['name'][1:]
            return default
        return ser.get('name', default)

    def _indices(self, prefix):
        return sorted(int(seg) for seg in self.children.get(prefix, ()) if seg.isdigit())

    def _has_prefix(self, prefix):
        return prefix in self.children

    def read(self, shape, key):
        kind = shape.type_name
        if kind == 'structure':
            if not self._has_prefix(key):
                return _MISSING
            return self.structure(shape, key)
        if kind == 'list':
            return self.list(shape, key)
        if kind == 'map':
            return self.map(shape, key)
        if key not in self.flat:
            return _MISSING
        self.used.add(key)
        return _from_string(shape, self.flat[key])

    def structure(self, shape, prefix):
        out = {}
        for name, member in shape.members.items():
            key = self.name(member, name)
            if prefix:
                key = prefix + '.' + key
            value = self.read(member, key)
            if value is not _MISSING:
                out[name] = value
        return out

    def list(self, shape, key):
        if self.flat.get(key) == '':
            self.used.add(key)
            return []
        if self.ec2:
            list_prefix = key
        elif shape.serialization.get('flattened'):
            list_prefix = key
            if shape.member.serialization.get('name'):
                list_prefix = '.'.join(key.split('.')[:-1] + [self.name(shape.member, '')])
        else:
            list_prefix = key + '.' + shape.member.serialization.get('name', 'member')
        indices = self._indices(list_prefix)
        if not indices:
            return _MISSING
        out = []
        for i in indices:
            value = self.read(shape.member, '%s.%d' % (list_prefix, i))
            out.append(None if value is _MISSING else value)
        return out

    def map(self, shape, key):
        full = key if shape.serialization.get('flattened') else key + '.entry'
        key_name = self.name(shape.key, 'key')
        value_name = self.name(shape.value, 'value')
        indices = self._indices(full)
        if not indices:
            return _MISSING
        out = {}
        for i in indices:
            k = self.read(shape.key, '%s.%d.%s' % (full, i, key_name))
            v = self.read(shape.value, '%s.%d.%s' % (full, i, value_name))
            if k is not _MISSING:
                out[k] = None if v is _MISSING else v
        return out


def parse_query(op, pairs, ec2):
    """query / ec2 protocol: form fields (POST body or GET query string)."""
    reader = _FormReader(pairs, ec2)
    params = reader.structure(op.input_shape, '') if op.input_shape is not None else {}
    unknown = sorted(k for k in reader.flat if k not in reader.used)
    if unknown:
        raise ParseError('unknown', unknown[0])
    return params
