"""Validate parsed parameters against the operation's input shape, AWS-style.

Exists so a client that omits a required parameter, sends the wrong type or a value
out of range gets the error the real service sends. The checking itself is botocore's
ParamValidator (required members, types, minimums, unknown keys) plus the maximums
botocore leaves out; the messages are rewritten in each service's wording
(Coral "1 validation error detected: Value null at 'functionName' failed to satisfy
constraint: Member must not be null", EC2 "MissingParameter", CloudWatch ...).
Enums and patterns are not checked: the packaged models are older than the service.
"""

import re

from botocore.validate import ParamValidator

import errors


def _coral_path(name):
    """'.Filters[0].Name' -> 'filters.1.member.name' (Coral's spelling)."""
    parts = []
    for piece in re.findall(r'[^.\[\]]+|\[\d+\]', name or ''):
        if piece.startswith('['):
            parts.append('%d.member' % (int(piece[1:-1]) + 1))
        else:
            parts.append(piece[:1].lower() + piece[1:])
    return '.'.join(parts)


def _plain_path(name):
    """'.Filters[0].Name' -> 'Filters.1.Name' (query/EC2 spelling)."""
    return re.sub(r'\[(\d+)\]', lambda m: '.%d' % (int(m.group(1)) + 1),
                  (name or '').lstrip('.'))


def _join(prefix, member):
    return '%s.%s' % (prefix, member) if prefix else member


def _max_errors(value, shape, name, out):
    """The maximum length/value constraints botocore's validator does not check."""
    kind = shape.type_name
    limit = shape.metadata.get('max')
    if kind == 'structure' and isinstance(value, dict):
        for key, item in value.items():
            if key in shape.members:
                _max_errors(item, shape.members[key], '%s.%s' % (name, key), out)
    elif kind == 'list' and isinstance(value, list):
        if limit is not None and len(value) > limit:
            out.append(('max length', name, {'max': limit, 'param': value}))
        for i, item in enumerate(value):
            _max_errors(item, shape.member, '%s[%d]' % (name, i), out)
    elif kind == 'map' and isinstance(value, dict):
        for key, item in value.items():
            _max_errors(item, shape.value, '%s.%s' % (name, key), out)
    elif kind == 'string' and isinstance(value, str) and limit is not None \
            and len(value) > limit:
        out.append(('max length', name, {'max': limit, 'param': value}))
    elif kind in ('integer', 'long') and isinstance(value, int) and limit is not None \
            and value > limit:
        out.append(('max range', name, {'max': limit, 'param': value}))


def _coral_message(reason, name, info):
    if reason == 'missing required field':
        path = _coral_path(_join(name, info['required_name']))
        return "Value null at '%s' failed to satisfy constraint: Member must not be null" % path
    path = _coral_path(name)
    value = info.get('param')
    shown = "'%s'" % value if value is not None else 'null'
    constraint = {
        'invalid range': 'Member must have value greater than or equal to %s',
        'invalid length': 'Member must have length greater than or equal to %s',
        'max range': 'Member must have value less than or equal to %s',
        'max length': 'Member must have length less than or equal to %s',
    }.get(reason)
    if constraint:
        bound = info.get('min_allowed', info.get('max'))
        return "Value %s at '%s' failed to satisfy constraint: %s" % (shown, path,
                                                                     constraint % bound)
    if reason == 'unknown field':
        return "Unknown parameter '%s' at '%s'" % (info['unknown_param'], path or 'input')
    if reason == 'invalid type':
        return "Value %s at '%s' failed to satisfy constraint: Member must be of type %s" % (
            shown, path, '/'.join(str(t) for t in info.get('valid_types', [])))
    return "Value %s at '%s' is not valid: %s" % (shown, path, reason)


def _ec2_error(service_name, reason, name, info):
    if reason == 'missing required field':
        field = _plain_path(_join(name, info['required_name']))
        if service_name == 'ec2':
            return errors.validation('ec2', 'The request must contain the parameter %s'
                                     % field, missing=True)
        return errors.validation(service_name, 'The parameter %s is required.' % field,
                                 missing=True)
    if reason == 'unknown field':
        field = _plain_path(_join(name, info['unknown_param']))
        return errors.validation(service_name, 'The parameter %s is not recognized' % field,
                                 unknown=True)
    return errors.validation(service_name, 'Value (%s) for parameter %s is invalid. %s'
                             % (info.get('param'), _plain_path(name),
                                _coral_message(reason, name, info)))


def check(service_name, shape, params):
    """Return None when params are valid, else the AwsError the service would send."""
    if shape is None:
        return None
    report = ParamValidator().validate(params, shape)
    found = list(report._errors)  # (reason, name, details) tuples
    _max_errors(params, shape, '', found)
    if not found:
        return None
    if service_name in ('ec2', 'cloudwatch'):
        return _ec2_error(service_name, *found[0])
    messages = [_coral_message(*e) for e in found]
    plural = 's' if len(messages) > 1 else ''
    return errors.validation(service_name, '%d validation error%s detected: %s'
                             % (len(messages), plural, '; '.join(messages)))


def unknown_parameter(service_name, key):
    """The error for a request key the model does not know (from the parser)."""
    if service_name in ('ec2', 'cloudwatch'):
        return errors.validation(service_name, 'The parameter %s is not recognized' % key,
                                 unknown=True)
    return errors.validation(service_name, "1 validation error detected: Unknown parameter "
                             "'%s'" % key)
