"""Fault injection rules: throttles, 5xx, resets, slow/malformed/truncated replies, skew.

Exists so retry, timeout, clock-skew and error-classification code in the client can
be tested deterministically. Rules come from --faults, the world's "faults" key or
POST /__fake/faults; each may be limited to a service/operation, to the first N
matching requests ("count") and may let the first M pass ("skip"), or apply to a share
of them ("probability", drawn from a generator seeded by "seed", so a run is
repeatable for a given seed and order of requests). Delay and skew
rules stack with one terminal rule (the first that matches). Counting is done under
a lock, but nothing here ever sleeps while holding it.
"""

import random
import threading

KINDS = ('throttle', 'unavailable', 'internal', 'reset', 'close', 'delay', 'malformed',
         'truncated', 'skew', 'access_denied', 'error')
MODIFIERS = ('delay', 'skew')
SERVICE_ALIASES = {'monitoring': 'cloudwatch'}
# Services that only match rules naming them explicitly.
SPECIAL_SERVICES = ('imds', 'container')


class FaultError(ValueError):
    """A rule is malformed."""


def _names(value, field):
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FaultError('fault %s must be a string or a list of strings' % field)
    return {SERVICE_ALIASES.get(v, v) for v in value}


class Rule:
    """One fault rule; see docs/worlds.md for the fields."""

    def __init__(self, raw):
        if not isinstance(raw, dict):
            raise FaultError('a fault rule must be an object')
        self.raw = dict(raw)
        self.kind = raw.get('kind')
        if self.kind not in KINDS:
            raise FaultError('unknown fault kind %r (one of %s)' % (self.kind, ', '.join(KINDS)))
        self.services = _names(raw.get('service'), 'service')
        self.operations = _names(raw.get('operation'), 'operation')
        self.count = raw.get('count')
        self.skip = int(raw.get('skip', 0))
        self.delay_ms = float(raw.get('delay_ms', 0))
        self.skew_seconds = float(raw.get('skew_seconds', 0))
        if self.kind == 'delay' and self.delay_ms <= 0:
            raise FaultError('a delay fault needs delay_ms > 0')
        if self.kind == 'skew' and not self.skew_seconds:
            raise FaultError('a skew fault needs skew_seconds')
        if self.kind == 'error' and not raw.get('code'):
            raise FaultError('an error fault needs code (and usually status, message)')
        self.probability = raw.get('probability')
        if self.probability is not None:
            if not isinstance(self.probability, (int, float)) or not 0 <= self.probability <= 1:
                raise FaultError('fault probability must be a number from 0 to 1')
        self.random = random.Random(raw.get('seed', 0))
        self.seen = 0
        self.applied = 0

    def matches(self, service, operation):
        if self.services is None:
            if service in SPECIAL_SERVICES:
                return False
        elif service not in self.services:
            return False
        return self.operations is None or operation in self.operations

    def consume(self):
        """Count one matching request; True when the fault applies to it."""
        self.seen += 1
        if self.seen <= self.skip:
            return False
        if self.count is not None and self.applied >= int(self.count):
            return False
        if self.probability is not None and self.random.random() >= self.probability:
            return False
        self.applied += 1
        return True

    def describe(self):
        out = dict(self.raw)
        out.update({'seen': self.seen, 'applied': self.applied})
        return out


class Applied:
    """The faults chosen for one request."""

    def __init__(self):
        self.delay_ms = 0.0
        self.skew_seconds = 0.0
        self.terminal = None
        self.kinds = []

    def params(self, key, default=None):
        return self.terminal.raw.get(key, default) if self.terminal else default


def parse_rules(raw):
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise FaultError('faults must be a JSON list of rules')
    return [Rule(r) for r in raw]


class Faults:
    """The live rule set, shared by all request threads."""

    def __init__(self, rules=None):
        self._lock = threading.Lock()
        self._rules = list(rules or [])

    def replace(self, raw):
        rules = parse_rules(raw)
        with self._lock:
            self._rules = rules

    def add(self, raw):
        rules = parse_rules(raw)
        with self._lock:
            self._rules.extend(rules)

    def snapshot(self):
        with self._lock:
            return [r.describe() for r in self._rules]

    def modifiers(self, service, operation, applied):
        """Phase 1 (before authentication): delay and clock skew rules."""
        with self._lock:
            for rule in self._rules:
                if rule.kind in MODIFIERS and rule.matches(service, operation) \
                        and rule.consume():
                    applied.delay_ms += rule.delay_ms
                    applied.skew_seconds += rule.skew_seconds
                    applied.kinds.append(rule.kind)
        return applied

    def terminal(self, service, operation, applied):
        """Phase 2 (after authentication): the first matching terminal rule."""
        with self._lock:
            for rule in self._rules:
                if rule.kind in MODIFIERS or not rule.matches(service, operation):
                    continue
                if rule.consume():
                    applied.terminal = rule
                    applied.kinds.append(rule.kind)
                    break
        return applied
