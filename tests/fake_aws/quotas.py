"""Request-rate quotas: a token bucket per (account, Region, quota entry), as AWS meters.

Exists so a fleet run can be tested against the limits the real services enforce: the
table is core/quotas.txt (the same file the client paces itself by), one operation a
line, `SERVICE OPERATION PER_SECOND BURST SOURCE`; `*` is one bucket shared by every
other operation of the service; PER_SECOND `off` exempts an operation from it. A request
past its bucket gets the service's own throttling error (Lambda 429
TooManyRequestsException with Reason CallerRateLimitExceeded, CloudWatch Logs and
CloudTrail ThrottlingException, CloudWatch and IAM/STS Throttling, EC2
RequestLimitExceeded, X-Ray ThrottledException, API Gateway TooManyRequestsException).
IAM and STS are global: their buckets are per account. The clock is injected.
"""

import os
import threading
import time

import errors

HERE = os.path.dirname(os.path.abspath(__file__))
# core/quotas.txt in the source tree; share/runbook/quotas.txt beside an installed fake.
_TABLES = [os.path.normpath(os.path.join(HERE, *rel))
           for rel in (('..', '..', 'core', 'quotas.txt'), ('..', 'quotas.txt'))]
DEFAULT_TABLE = next((p for p in _TABLES if os.path.exists(p)), _TABLES[0])
# The table names services as the client does (core/models); the fake as botocore does.
SERVICE_NAMES = {'monitoring': 'cloudwatch'}
GLOBAL_SERVICES = ('iam', 'sts')


class QuotaError(ValueError):
    """The quota table is unusable."""


class Entry:
    """One line of the table; rate None means exempt (`off`)."""

    def __init__(self, service, operation, rate, burst, source):
        self.service = service
        self.operation = operation
        self.rate = rate
        self.burst = burst
        self.source = source

    @property
    def label(self):
        return '%s %s' % (self.service, self.operation)


def _number(text, what, where):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise QuotaError('%s: %s %r is not a positive number' % (where, what, text))
    return value


def parse(text, path='quotas'):
    """The entries of a quota table's text; raises QuotaError naming the line."""
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split(None, 4)
        if not fields or fields[0].startswith('#'):
            continue
        where = '%s:%d' % (path, number)
        if len(fields) < 4 or any(f.startswith('#') for f in fields[:4]):
            raise QuotaError('%s: expected SERVICE OPERATION PER_SECOND BURST SOURCE' % where)
        service = SERVICE_NAMES.get(fields[0], fields[0])
        source = fields[4] if len(fields) > 4 else ''
        if fields[2] == 'off':
            entries.append(Entry(service, fields[1], None, None, source))
            continue
        rate = _number(fields[2], 'PER_SECOND', where)
        burst = _number(fields[3], 'BURST', where)
        entries.append(Entry(service, fields[1], rate, burst, source))
    return entries


def load(path):
    try:
        with open(path, encoding='utf-8') as fh:
            return parse(fh.read(), path)
    except OSError as exc:
        raise QuotaError('cannot read quota table %s: %s' % (path, exc.strerror)) from None


class Quotas:
    """The live buckets; take() is called once per authenticated request."""

    def __init__(self, entries, clock=time.monotonic):
        self.clock = clock
        self._entries = {(e.service, e.operation): e for e in entries}
        self._lock = threading.Lock()
        self._buckets = {}  # (account, region, service, operation) -> [tokens, last]
        self.throttles = {}  # 'service operation' -> count of requests throttled

    def entry_for(self, service, operation):
        """The entry metering this operation, or None when it is not metered."""
        entry = self._entries.get((service, operation))
        if entry is None:
            entry = self._entries.get((service, '*'))
        return entry if entry is not None and entry.rate is not None else None

    def take(self, account, region, service, operation):
        """None when the request may go; else the throttled entry's label."""
        entry = self.entry_for(service, operation)
        if entry is None:
            return None
        scope = 'global' if service in GLOBAL_SERVICES else region
        key = (account, scope, entry.service, entry.operation)
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (entry.burst, now))
            tokens = min(entry.burst, tokens + (now - last) * entry.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            label = '%s %s' % (service, operation)
            self.throttles[label] = self.throttles.get(label, 0) + 1
            return entry.label

    def snapshot(self):
        with self._lock:
            return {'throttles': dict(self.throttles),
                    'entries': [{'service': e.service, 'operation': e.operation,
                                 'per_second': e.rate, 'burst': e.burst}
                                for e in self._entries.values()]}


def throttle_error(service_name, protocol):
    """The error the service answers a caller over its request rate with."""
    if service_name == 'xray':
        return errors.AwsError('ThrottledException', 'Rate exceeded', 429, layer='service')
    return errors.standard('throttle', service_name, protocol)
