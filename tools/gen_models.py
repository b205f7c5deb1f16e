#!/usr/bin/python3
"""gen_models.py - compact the official AWS service models into core/models/<service>.json.

Re-run (from the repository root) after upgrading python3-botocore or the copies in
tools/models-src/:

    /usr/bin/python3 tools/gen_models.py            # writes core/models/*.json
    /usr/bin/python3 tools/gen_models.py --check    # exits 1 if the committed files differ

It reads botocore's service-2.json and paginators-1.json (latest API version of each
service) or, for the services in tools/sdk_models.py's SDK_SOURCES (lambda, xray,
cloudtrail), the newer committed aws-sdk copies in tools/models-src/ expanded back into
that format by tools/sdk_models.py (botocore 1.29 predates Lambda's LoggingConfig), and
keeps only what the C protocol layer needs to serialize requests, parse
responses, validate parameters and classify operations: no documentation, enums,
patterns, min/max or error shapes. Output is minified with sorted keys, so the same
botocore always produces byte-identical files.

Compact format (read by core/model.c):
  {"metadata":   {apiVersion, endpointPrefix, globalEndpoint?, jsonVersion?, protocol,
                  serviceId, signingName, targetPrefix?},
   "operations": {Name: {"method", "uri", "input"?, "output"?, "resultWrapper"?,
                         "write": bool, "paginator"?: {input_token, output_token,
                         limit_key?, result_key?, more_results?}}},
   "shapes":     {Name: {"type", "members"?: {Member: REF}, "required"?: [...],
                         "payload"?, "member"?: REF, "key"?: REF, "value"?: REF,
                         "document"?, "sensitive"?, "timestampFormat"?}}}
  REF = {"shape": Name, plus the serialization traits that apply to this use:
         location, locationName, queryName, flattened, jsonvalue, timestampFormat}.
Traits declared on a target shape (locationName, flattened, timestampFormat) are merged
into every REF that points at it, with the REF's own traits winning, exactly as
botocore's ShapeResolver does, so the C side only ever looks at the REF.

Read/write classification (the core refuses write calls outside an approved fix) is
decided by classify() below; see READ_PREFIXES, READ_EXTRA and WRITE_EXTRA.
"""
import json
import os
import re
import sys

import sdk_models

BOTOCORE_DATA = '/usr/lib/python3/dist-packages/botocore/data'

# our service name -> botocore directory name
SERVICES = {
    'lambda': 'lambda',
    'iam': 'iam',
    'sts': 'sts',
    'logs': 'logs',
    'monitoring': 'cloudwatch',
    'ec2': 'ec2',
    'apigateway': 'apigateway',
    'apigatewayv2': 'apigatewayv2',
    # Remediation reads queue attributes (event source mappings) and account quotas
    # (concurrency); the endpoint prefix of service-quotas is "servicequotas".
    'sqs': 'sqs',
    'service-quotas': 'service-quotas',
    # Deeper diagnosis reads traces (GetTraceSummaries, BatchGetTraces) and what
    # changed (LookupEvents); both are regional like lambda.
    'xray': 'xray',
    'cloudtrail': 'cloudtrail',
}

# An operation whose name starts with one of these only reads state.
READ_PREFIXES = (
    'Get', 'List', 'Describe', 'Head', 'Search', 'Lookup', 'Filter', 'Query',
    'Test', 'Simulate', 'Validate', 'Estimate', 'Preview', 'BatchGet',
)

# Pure reads whose names do not say so.
READ_EXTRA = {
    # STS calls mint temporary credentials or decode a message; no AWS state changes.
    'sts': {'AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity',
            'DecodeAuthorizationMessage'},
    # Logs Insights queries only read log data; stopping one ends our own query.
    'logs': {'StartQuery', 'StopQuery'},
    # IAM report generation only prepares a report for later Get* calls (part of the
    # AWS managed ReadOnlyAccess policy as iam:Generate*).
    'iam': {'GenerateCredentialReport', 'GenerateServiceLastAccessedDetails',
            'GenerateOrganizationsAccessReport'},
    # Returns a definition or a configuration file; nothing is created.
    'apigatewayv2': {'ExportApi'},
    'ec2': {'ExportClientVpnClientConfiguration',
            'ExportClientVpnClientCertificateRevocationList',
            'ConfirmProductInstance'},
}

# Names that look like reads but run customer code (like lambda Invoke, a write).
WRITE_EXTRA = {
    'apigateway': {'TestInvokeMethod', 'TestInvokeAuthorizer'},
    # Reports the caller's sampling statistics to X-Ray to be given a sampling quota.
    'xray': {'GetSamplingTargets'},
}

REF_TRAITS = ('location', 'locationName', 'queryName', 'flattened', 'jsonvalue',
              'timestampFormat')
SHAPE_REF_TRAITS = ('locationName', 'flattened', 'timestampFormat')


def classify(service, op_name):
    """Returns True when the operation writes (changes state or runs code)."""
    if op_name in WRITE_EXTRA.get(service, ()):
        return True
    if op_name in READ_EXTRA.get(service, ()):
        return False
    return not op_name.startswith(READ_PREFIXES)


def latest_version_dir(botocore_name):
    base = os.path.join(BOTOCORE_DATA, botocore_name)
    versions = sorted(v for v in os.listdir(base)
                      if os.path.exists(os.path.join(base, v, 'service-2.json')))
    if not versions:
        raise SystemExit(f'gen_models: no service-2.json under {base}')
    return os.path.join(base, versions[-1])


def compact_ref(ref, shapes):
    out = {'shape': ref['shape']}
    target = shapes[ref['shape']]
    for trait in SHAPE_REF_TRAITS:
        if trait in target:
            out[trait] = target[trait]
    for trait in REF_TRAITS:
        if trait in ref:
            out[trait] = ref[trait]
    return out


def compact_shape(shape, shapes):
    out = {'type': shape['type']}
    if 'members' in shape:
        out['members'] = {name: compact_ref(ref, shapes)
                          for name, ref in shape['members'].items()}
    for key in ('member', 'key', 'value'):
        if key in shape:
            out[key] = compact_ref(shape[key], shapes)
    for key in ('required', 'payload', 'timestampFormat'):
        if key in shape:
            out[key] = shape[key]
    for flag in ('document', 'sensitive'):
        if shape.get(flag):
            out[flag] = True
    return out


def reachable_shapes(model):
    """Shapes reachable from operation inputs and outputs (error shapes are dropped)."""
    shapes = model['shapes']
    seen = set()
    stack = []
    for op in model['operations'].values():
        for key in ('input', 'output'):
            if key in op:
                stack.append(op[key]['shape'])
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        shape = shapes[name]
        refs = list(shape.get('members', {}).values())
        refs += [shape[k] for k in ('member', 'key', 'value') if k in shape]
        stack.extend(ref['shape'] for ref in refs)
    return seen


def compact_paginator(pag):
    keys = ('input_token', 'output_token', 'limit_key', 'result_key', 'more_results')
    return {k: pag[k] for k in keys if k in pag}


def compact_operation(service, name, op, paginators):
    http = op['http']
    out = {'method': http.get('method', 'POST'), 'uri': http.get('requestUri', '/'),
           'write': classify(service, name)}
    if 'input' in op:
        out['input'] = op['input']['shape']
    if 'output' in op:
        out['output'] = op['output']['shape']
        if 'resultWrapper' in op['output']:
            out['resultWrapper'] = op['output']['resultWrapper']
    if name in paginators:
        out['paginator'] = compact_paginator(paginators[name])
    return out


def compact_metadata(meta):
    out = {'protocol': meta['protocol'], 'apiVersion': meta['apiVersion'],
           'endpointPrefix': meta['endpointPrefix'], 'serviceId': meta['serviceId'],
           'signingName': meta.get('signingName', meta['endpointPrefix'])}
    for key in ('targetPrefix', 'jsonVersion', 'globalEndpoint'):
        if key in meta:
            out[key] = meta[key]
    return out


def load_source(botocore_name):
    """(service-2 dict, paginators dict) from models-src or from botocore."""
    if botocore_name in sdk_models.SDK_SOURCES:
        return sdk_models.load(botocore_name)
    vdir = latest_version_dir(botocore_name)
    with open(os.path.join(vdir, 'service-2.json'), encoding='utf-8') as f:
        model = json.load(f)
    paginators = {}
    pag_path = os.path.join(vdir, 'paginators-1.json')
    if os.path.exists(pag_path):
        with open(pag_path, encoding='utf-8') as f:
            paginators = json.load(f).get('pagination', {})
    return model, paginators


def compact_service(service, botocore_name):
    model, paginators = load_source(botocore_name)
    shapes = model['shapes']
    return {
        'metadata': compact_metadata(model['metadata']),
        'operations': {name: compact_operation(service, name, op, paginators)
                       for name, op in model['operations'].items()},
        'shapes': {name: compact_shape(shapes[name], shapes)
                   for name in reachable_shapes(model)},
    }


def render(service):
    data = compact_service(service, SERVICES[service])
    return json.dumps(data, sort_keys=True, separators=(',', ':')) + '\n'


def main(argv):
    check = '--check' in argv
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    outdir = os.path.join(root, 'core', 'models')
    stale = []
    for service in sorted(SERVICES):
        text = render(service)
        path = os.path.join(outdir, service + '.json')
        if check:
            try:
                with open(path, encoding='utf-8') as f:
                    if f.read() != text:
                        stale.append(path)
            except FileNotFoundError:
                stale.append(path)
            continue
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        print(f'{path}: {len(text)} bytes')
    if stale:
        print('gen_models: out of date: ' + ' '.join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
