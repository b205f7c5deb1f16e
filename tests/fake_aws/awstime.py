"""Time parsing and the timestamp formats AWS puts on the wire.

Exists so that worlds can say "-10m" instead of a date that goes stale, and so that
every module formats a timestamp the same way the real service does (ISO 8601 in XML,
epoch seconds in JSON, Lambda's own "+0000" strings, HTTP dates in headers).
"""

import datetime
import email.utils
import re

UTC = datetime.timezone.utc

_RELATIVE = re.compile(r'^(?:now)?([+-])(\d+(?:\.\d+)?)(ms|s|m|h|d)$')
_UNITS = {'ms': 0.001, 's': 1, 'm': 60, 'h': 3600, 'd': 86400}


def now():
    return datetime.datetime.now(UTC)


def relative(text, base):
    """Return base shifted by a relative spec ("-10m", "+1h", "now"), or None."""
    if not isinstance(text, str):
        return None
    if text == 'now':
        return base
    m = _RELATIVE.match(text)
    if not m:
        return None
    seconds = float(m.group(2)) * _UNITS[m.group(3)]
    if m.group(1) == '-':
        seconds = -seconds
    return base + datetime.timedelta(seconds=seconds)


def parse(value, base=None):
    """Parse a world or wire time: datetime, epoch number, relative spec or ISO 8601.

    Epoch numbers above 1e11 are taken as milliseconds. Returns an aware datetime or
    raises ValueError.
    """
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bool):
        raise ValueError('not a time: %r' % (value,))
    if isinstance(value, (int, float)):
        if value > 1e11:
            value = value / 1000.0
        return datetime.datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str):
        raise ValueError('not a time: %r' % (value,))
    rel = relative(value, base or now())
    if rel is not None:
        return rel
    text = value.strip()
    if re.match(r'^\d+(\.\d+)?$', text):
        return parse(float(text))
    if re.match(r'^\d{8}T\d{6}Z$', text):
        return datetime.datetime.strptime(text, '%Y%m%dT%H%M%SZ').replace(tzinfo=UTC)
    if re.match(r'^[A-Za-z]{3}, ', text):
        return email.utils.parsedate_to_datetime(text).astimezone(UTC)
    iso = text.replace('Z', '+00:00')
    iso = re.sub(r'([+-]\d{2})(\d{2})$', r'\1:\2', iso)
    iso = re.sub(r'\.(\d{1,6})\d*', lambda m: '.' + m.group(1).ljust(6, '0'), iso)
    parsed = datetime.datetime.fromisoformat(iso)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso8601(dt):
    """2024-05-01T12:00:00.000Z, the form query/ec2 XML and IAM use."""
    dt = dt.astimezone(UTC)
    return dt.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (dt.microsecond // 1000)


def iso8601_seconds(dt):
    """2024-05-01T12:00:00Z, the form IMDS and container credentials use."""
    return dt.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


def lambda_string(dt):
    """2024-05-01T12:00:00.000+0000, Lambda's LastModified string."""
    dt = dt.astimezone(UTC)
    return dt.strftime('%Y-%m-%dT%H:%M:%S.') + '%03d+0000' % (dt.microsecond // 1000)


def epoch_seconds(dt):
    value = dt.timestamp()
    return int(value) if value == int(value) else round(value, 3)


def epoch_millis(dt):
    return int(round(dt.timestamp() * 1000))


def http_date(dt):
    return email.utils.format_datetime(dt.astimezone(UTC), usegmt=True)


def amz_date(dt):
    return dt.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')
