"""sdk_models.py - newer AWS service models from the committed aws-sdk (JavaScript v2)
copies in tools/models-src/, expanded back into botocore's service-2.json format.

Why: Debian's botocore 1.29 predates fields a triage needs (Lambda's LoggingConfig,
2023). The npm package aws-sdk@2 ships every service model, but minified
(<service>-<version>.min.json, made by its scripts/lib/translator.js): documentation,
errors, min/max, patterns and enums are dropped, a shape used once is inlined into its
reference, a shape holding only a scalar type becomes that type on the reference
("string" by default, so then no type at all), and the shapes still shared are renamed
S1, S2, ... Botocore (and so tools/gen_models.py and the fake AWS server) needs named
shapes, so expand() gives every inlined shape a name again:

- the name botocore's own (older) model uses at the same place (operation input/output,
  member, list member, map key/value), when that shape has the same type; its min and
  max are copied too, so the fake server validates lengths and ranges as before;
- otherwise a name made from the place: <Operation>Request / <Operation>Response, the
  member name, <Parent>Member / <Parent>Key / <Parent>Value;
- two different shapes wanting one name get a numeric suffix; identical ones share it.

Operation errors and error shapes (dropped by the minifier) come from botocore's model
when it has the operation, so the fake server's error bodies keep their modelled shape.
The result is deterministic: the same inputs always give the same dict.

Used by tools/gen_models.py (core/models/*.json) and tests/fake_aws/models.py, so the
core and the fake always read the same model.
"""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.join(HERE, 'models-src')
BOTOCORE_DATA = '/usr/lib/python3/dist-packages/botocore/data'

# botocore service name -> file stem of the committed aws-sdk copy.
SDK_SOURCES = {
    'lambda': 'lambda-2015-03-31',
    'xray': 'xray-2016-04-12',
    'cloudtrail': 'cloudtrail-2013-11-01',
}

# Traits the minifier merges into a reference that belong to the reference in botocore
# (botocore merges reference traits over the target shape's, so either place reads the
# same; keeping them on the reference lets identical shapes share one name).
REF_TRAITS = ('location', 'locationName', 'queryName', 'flattened', 'xmlNamespace',
              'xmlAttribute', 'jsonvalue', 'hostLabel', 'idempotencyToken',
              'timestampFormat', 'resultWrapper', 'deprecated', 'deprecatedMessage',
              'contextParam')
COPIED_CONSTRAINTS = ('min', 'max')


def _load(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def sdk_paths(name):
    stem = SDK_SOURCES[name]
    return (os.path.join(SOURCE_DIR, stem + '.min.json'),
            os.path.join(SOURCE_DIR, stem + '.paginators.json'))


def botocore_model(name):
    """Botocore's own model of the same API version, or None when it has none."""
    version = _load(sdk_paths(name)[0])['metadata']['apiVersion']
    path = os.path.join(BOTOCORE_DATA, name, version, 'service-2.json')
    return _load(path) if os.path.exists(path) else None


class _Expander:
    def __init__(self, minified, base):
        self.src = minified['shapes']
        self.base = base
        self.base_shapes = base['shapes'] if base else {}
        self.out = {}
        self.shared = {}  # minified S-name -> expanded name

    def _base_shape(self, base_ref):
        if not base_ref:
            return None, None
        name = base_ref['shape']
        return name, self.base_shapes.get(name)

    def _free_name(self, wanted, body):
        """wanted, or wanted2, wanted3... : the first free name or one holding body."""
        name, n = wanted, 2
        while name in self.out and self.out[name] != body:
            name, n = '%s%d' % (wanted, n), n + 1
        return name

    def ref(self, mref, base_ref, hint):
        traits = {k: v for k, v in mref.items() if k in REF_TRAITS}
        if 'shape' in mref:
            name = self._shared(mref['shape'], base_ref, hint)
        else:
            body = {k: v for k, v in mref.items() if k not in REF_TRAITS}
            name = self._define(body, base_ref, hint)
        out = {'shape': name}
        out.update(traits)
        return out

    def _shared(self, sname, base_ref, hint):
        if sname in self.shared:
            return self.shared[sname]
        base_name, base_shape = self._base_shape(base_ref)
        body = dict(self.src[sname])
        body.setdefault('type', 'string')
        if base_shape is None or base_shape.get('type') != body['type']:
            base_name, base_shape = None, None
        name = self._free_name(base_name or hint, None)
        self.out[name] = None  # reserved while its members expand (recursive shapes)
        self.shared[sname] = name
        self.out[name] = self._expand_body(body, base_shape, name)
        return name

    def _define(self, body, base_ref, hint):
        body = dict(body)
        body.setdefault('type', 'string')
        base_name, base_shape = self._base_shape(base_ref)
        if base_shape is None or base_shape.get('type') != body['type']:
            base_name, base_shape = None, None
        wanted = base_name or hint
        expanded = self._expand_body(body, base_shape, wanted)
        name = self._free_name(wanted, expanded)
        self.out[name] = expanded
        return name

    def _expand_body(self, body, base_shape, name):
        out = dict(body)
        base_shape = base_shape or {}
        if 'members' in body:
            base_members = base_shape.get('members', {})
            out['members'] = {m: self.ref(r, base_members.get(m), m)
                              for m, r in body['members'].items()}
        for key, suffix in (('member', 'Member'), ('key', 'Key'), ('value', 'Value')):
            if key in body:
                out[key] = self.ref(body[key], base_shape.get(key), name + suffix)
        for key in COPIED_CONSTRAINTS:
            if key in base_shape and key not in out:
                out[key] = base_shape[key]
        return out

    def copy_base_shape(self, name):
        """A botocore shape (an error) and what it references, unless already named."""
        if name in self.out or name not in self.base_shapes:
            return
        shape = copy.deepcopy(self.base_shapes[name])
        shape.pop('documentation', None)
        for ref in shape.get('members', {}).values():
            ref.pop('documentation', None)
        self.out[name] = shape
        refs = list(shape.get('members', {}).values())
        refs += [shape[k] for k in ('member', 'key', 'value') if k in shape]
        for ref in refs:
            self.copy_base_shape(ref['shape'])


def expand(minified, base=None):
    """The botocore service-2.json form of an aws-sdk min.json model (see the top)."""
    ex = _Expander(minified, base)
    base_ops = base['operations'] if base else {}
    operations = {}
    for op_name in sorted(minified['operations']):
        mop = minified['operations'][op_name]
        bop = base_ops.get(op_name, {})
        op = {k: v for k, v in mop.items() if k not in ('http', 'input', 'output')}
        op['name'] = op_name
        http = dict(mop.get('http', {}))
        http.setdefault('method', 'POST')
        http.setdefault('requestUri', '/')
        op['http'] = http
        for key, suffix in (('input', 'Request'), ('output', 'Response')):
            if key in mop:
                op[key] = ex.ref(mop[key], bop.get(key), op_name + suffix)
        if bop.get('errors'):
            op['errors'] = [{'shape': e['shape']} for e in bop['errors']]
            for err in bop['errors']:
                ex.copy_base_shape(err['shape'])
        operations[op_name] = op
    metadata = dict(minified['metadata'])
    return {'version': minified.get('version', '2.0'), 'metadata': metadata,
            'operations': operations, 'shapes': ex.out}


def load(name):
    """(service-2 dict, paginators dict) of a service taken from models-src."""
    min_path, pag_path = sdk_paths(name)
    model = expand(_load(min_path), botocore_model(name))
    paginators = _load(pag_path).get('pagination', {}) if os.path.exists(pag_path) else {}
    return model, paginators
