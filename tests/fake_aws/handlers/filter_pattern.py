"""CloudWatch Logs filter patterns, the subset a Lambda diagnosis uses.

Exists so FilterLogEvents answers like the real service for: plain terms (all must
appear), quoted phrases, "?A ?B" (any may appear), "-term" exclusions, and simple JSON
selectors "{ $.level = "ERROR" }" (=, !=, <, >, <=, >=; "*" wildcards in strings).
Matching is case-sensitive, as in CloudWatch Logs. Anything else (space-delimited
"[...]" patterns, && / ||) is rejected so a test never silently matches everything.
"""

import fnmatch
import json
import re

_JSON_RE = re.compile(r'^\{\s*\$\.([\w.\[\]]+)\s*(=|!=|>=|<=|>|<)\s*(.+?)\s*\}$')


class PatternError(ValueError):
    """The pattern is not valid or not supported."""


def _tokens(pattern):
    tokens, i, n = [], 0, len(pattern)
    while i < n:
        if pattern[i].isspace():
            i += 1
            continue
        prefix = ''
        while i < n and pattern[i] in '?-' and not prefix:
            prefix = pattern[i]
            i += 1
        if i < n and pattern[i] == '"':
            end = pattern.find('"', i + 1)
            if end < 0:
                raise PatternError('Invalid filter pattern: unbalanced quotes')
            tokens.append((prefix, pattern[i + 1:end]))
            i = end + 1
        else:
            start = i
            while i < n and not pattern[i].isspace():
                i += 1
            word = pattern[start:i]
            if any(c in word for c in '{}[]"'):
                raise PatternError('Invalid character(s) in term \'%s\'' % word)
            tokens.append((prefix, word))
    return tokens


def _json_value(text):
    text = text.strip()
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        return text[1:-1]
    try:
        return float(text)
    except ValueError:
        return text


def _select(doc, path):
    for part in re.findall(r'[^.\[\]]+|\[\d+\]', path):
        if part.startswith('['):
            index = int(part[1:-1])
            if not isinstance(doc, list) or index >= len(doc):
                return None
            doc = doc[index]
        elif isinstance(doc, dict) and part in doc:
            doc = doc[part]
        else:
            return None
    return doc


def _json_matcher(path, op, expected):
    def match(message):
        try:
            doc = json.loads(message)
        except ValueError:
            return False
        value = _select(doc, path)
        if value is None or isinstance(value, (dict, list)):
            return False
        if isinstance(expected, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return False
            return {'=': value == expected, '!=': value != expected, '<': value < expected,
                    '>': value > expected, '<=': value <= expected,
                    '>=': value >= expected}[op]
        if op not in ('=', '!='):
            raise PatternError('Invalid filter pattern: %s needs a number' % op)
        hit = fnmatch.fnmatchcase(str(value).lower() if isinstance(value, bool) else str(value),
                                  expected)
        return hit if op == '=' else not hit
    return match


def compile_pattern(pattern):
    """Return a predicate message -> bool; raise PatternError when unsupported."""
    pattern = (pattern or '').strip()
    if not pattern:
        return lambda message: True
    if pattern.startswith('{'):
        m = _JSON_RE.match(pattern)
        if not m or '&&' in pattern or '||' in pattern:
            raise PatternError('Invalid filter pattern: %s' % pattern)
        return _json_matcher(m.group(1), m.group(2), _json_value(m.group(3)))
    if pattern.startswith('['):
        raise PatternError('Invalid filter pattern: space-delimited patterns are not '
                           'supported by the fake')
    tokens = _tokens(pattern)
    any_of = [t for p, t in tokens if p == '?']
    all_of = [t for p, t in tokens if p == '']
    none_of = [t for p, t in tokens if p == '-']

    def match(message):
        if any_of and not any(t in message for t in any_of):
            return False
        if not all(t in message for t in all_of):
            return False
        return not any(t in message for t in none_of)
    return match
