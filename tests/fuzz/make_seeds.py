#!/usr/bin/python3
"""Write the fuzz targets' seed corpora (tests/fuzz/corpus/<target>/) from realistic inputs.

Sources: the protocol, SigV4 and credential test vectors in tests/vectors/, objects from the
scenario worlds in tests/worlds/, and, with --runbook, real recordings: the runbook binary
makes calls against the fake AWS server (tests/fake_aws/run_with_fake.py) with --record,
some of them under faults (throttling, malformed bodies, clock skew, resets) so retries and
errors are in the recordings too. Recorded responses also seed the parsers.

The seed formats are the targets' input formats (see the comment at the top of each
fuzz_<name>.c); the operation and status tables are read from fuzz_ops.h and
fuzz_protocol_parse.c so the selector bytes stay in step with the C code.

Usage (Debian's python for the fake server's botocore):
    /usr/bin/python3 tests/fuzz/make_seeds.py [--runbook build/runbook]
Rewrites every corpus folder it owns; tests/fuzz/regressions/ is never touched.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VECTORS = os.path.join(ROOT, 'tests', 'vectors')
WORLDS = os.path.join(ROOT, 'tests', 'worlds')
MAX_SEED = 4096  # the ctest runs use -max_len=4096; bigger seeds would be cut


def c_ops():
    text = open(os.path.join(HERE, 'fuzz_ops.h')).read()
    return re.findall(r'\{"([a-z0-9]+)", "([A-Za-z0-9]+)"\}', text)


def c_statuses():
    text = open(os.path.join(HERE, 'fuzz_protocol_parse.c')).read()
    body = re.search(r'statuses\[\] = \{([^}]*)\}', text).group(1)
    return [int(x) for x in body.replace('\n', ' ').split(',')]


class Corpus:
    def __init__(self, target):
        self.dir = os.path.join(HERE, 'corpus', target)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.seen = set()

    def add(self, name, data):
        if isinstance(data, str):
            data = data.encode()
        if data in self.seen or len(data) > MAX_SEED:
            return
        self.seen.add(data)
        name = re.sub(r'[^A-Za-z0-9._-]+', '_', name)[:80]
        path = os.path.join(self.dir, name)
        n = 2
        while os.path.exists(path):
            path = os.path.join(self.dir, '%s.%d' % (name, n))
            n += 1
        with open(path, 'wb') as fh:
            fh.write(data)


def op_index(ops, service, operation):
    service = 'monitoring' if service == 'cloudwatch' else service
    for i, (s, o) in enumerate(ops):
        if (('monitoring' if s == 'cloudwatch' else s), o) == (service, operation):
            return i
    return None


# ---- responses: vectors and recordings ----

def vector_responses():
    for case in json.load(open(os.path.join(VECTORS, 'protocol', 'responses.json'))):
        yield case['service'], case['operation'], case['status'], case.get('headers', {}), \
            case.get('body', '')


def recorded_responses(recordings):
    for doc in recordings:
        for x in doc.get('exchanges', []):
            r = x.get('response')
            if r:
                yield x['service'], x['operation'], r['status'], r.get('headers', {}), \
                    r.get('body', '')


def response_seeds(responses, ops, statuses):
    parse, xml, json_c, dates = (Corpus('protocol_parse'), Corpus('xml'), Corpus('json'),
                                 Corpus('http_date'))
    for service, operation, status, headers, body in responses:
        name = '%s-%s-%d' % (service, operation, status)
        i = op_index(ops, service, operation)
        if i is not None and status in statuses:
            head = ''.join('%s: %s\n' % kv for kv in headers.items())
            parse.add(name, bytes([i, statuses.index(status)]) + (head + '\n' + body).encode())
        if body.lstrip().startswith('<'):
            xml.add(name + '.xml', body)
        elif body.lstrip()[:1] in ('{', '['):
            json_c.add(name + '.json', body)
        for k, v in headers.items():
            if k.lower() == 'date':
                dates.add('http-' + v, v)
    return json_c, dates


# ---- requests ----

def request_seeds(ops):
    build = Corpus('protocol_build')
    for case in json.load(open(os.path.join(VECTORS, 'protocol', 'requests.json'))):
        i = op_index(ops, case['service'], case['operation'])
        if i is not None:
            params = json.dumps(case['params'], indent=1, sort_keys=True)
            build.add('%s-%s' % (case['service'], case['operation']),
                      bytes([i]) + params.encode())
    build.add('lambda-GetFunctionConfiguration-none', bytes([0]))


# ---- SigV4 ----

OPT_NORMALIZE, OPT_DOUBLE, OPT_UNSIGNED, OPT_SHA, OPT_TOKEN = 1, 2, 4, 8, 16


def sigv4_seeds():
    sig = Corpus('sigv4')
    for suite in ('v4', 'extra'):
        base = os.path.join(VECTORS, 'sigv4', suite)
        for case in sorted(os.listdir(base)):
            path = os.path.join(base, case, 'request.txt')
            if not os.path.exists(path):
                continue
            ctx = json.load(open(os.path.join(base, case, 'context.json')))
            opt = OPT_DOUBLE
            if ctx.get('normalize', True):
                opt |= OPT_NORMALIZE
            if ctx.get('credentials', {}).get('token'):
                opt |= OPT_TOKEN
            if ctx.get('sign_body'):
                opt |= OPT_SHA
            sig.add(case, bytes([opt]) + open(path, 'rb').read())
    # requests the protocol builder makes (path, query, headers and body as sent)
    for case in json.load(open(os.path.join(VECTORS, 'protocol', 'requests.json'))):
        e = case['expect']
        target = e['path'] + ('?' + e['query'] if e['query'] else '')
        head = ''.join('%s:%s\n' % kv for kv in e['headers'].items())
        body = e['body'] if 'body' in e else json.dumps(e['body_json'])
        raw = '%s %s HTTP/1.1\nHost:%s.us-east-1.amazonaws.com\n%s\n%s' % (
            e['method'], target, case['service'], head, body)
        sig.add('built-%s-%s' % (case['service'], case['operation']),
                bytes([OPT_NORMALIZE | OPT_DOUBLE | OPT_TOKEN]) + raw.encode())


# ---- credentials ----

ENV_AWS_PROFILE, ENV_EXPLICIT, ENV_CONTAINER, ENV_IMDS, ENV_WEB, ENV_STATIC, \
    ENV_STS_FAILS, ENV_REGION = (1 << i for i in range(8))


def credential_seeds():
    cred = Corpus('credentials')
    d = os.path.join(VECTORS, 'credentials')
    config = open(os.path.join(d, 'config')).read()
    creds = open(os.path.join(d, 'credentials')).read()
    container = open(os.path.join(d, 'container_credentials.json')).read()
    imds = open(os.path.join(d, 'imds_security_credentials.json')).read()
    process = json.load(open(os.path.join(d, 'process_output.json')))
    sts = json.dumps({'Credentials': {
        'AccessKeyId': 'ASIASTSEXAMPLE000001', 'SecretAccessKey': process['SecretAccessKey'],
        'SessionToken': process['SessionToken'], 'Expiration': '2026-11-27T03:00:00Z'},
        'AssumedRoleUser': {'AssumedRoleId': 'AROAEXAMPLE:runbook',
                            'Arn': 'arn:aws:sts::210987654321:assumed-role/admin/runbook'}})
    wrapped = json.dumps({'AssumeRoleWithWebIdentityResult': json.loads(sts)})

    def seed(name, env, http, profile, doc, cfg=config, crd=creds, expiration=''):
        parts = [profile, cfg, crd, doc, expiration]
        cred.add(name, bytes([env, http]) + '\n---\n'.join(parts).encode())

    # the long session token of [dev] alone is past 4 KiB with the whole files: keep the
    # seeds small by giving each its own slice of the files
    short_creds = creds.split('\n[dev]')[0] + '\n[ci]' + creds.split('\n[ci]')[1]
    seed('default-profile-static', 0, 0, '', container, crd=short_creds)
    seed('dev-long-session-token', ENV_EXPLICIT, 0, 'dev', container, cfg='')
    seed('prod-admin-assume-role', ENV_AWS_PROFILE, 0, 'prod admin', sts,
         crd=short_creds.replace('[default]', '[dev]'))
    seed('ci-source-profile', ENV_AWS_PROFILE | ENV_REGION, 0, 'ci', sts, crd=short_creds)
    seed('assume-role-sts-denied', ENV_AWS_PROFILE | ENV_STS_FAILS, 0, 'ci', sts,
         crd=short_creds)
    seed('tools-credential-process', ENV_EXPLICIT, 0, 'tools', json.dumps(process),
         crd='')
    seed('container', ENV_CONTAINER, 0, 'nobody', container, cfg='', crd='')
    seed('imds-v2', ENV_IMDS, 0, 'nobody', imds, cfg='', crd='')
    seed('imds-v1-fallback', ENV_IMDS, 1, 'nobody', imds, cfg='', crd='')
    seed('imds-no-role', ENV_IMDS, 2 << 2, 'nobody', imds, cfg='', crd='')
    seed('web-identity-env', ENV_WEB, 0, '', wrapped, cfg='', crd='')
    seed('env-static-expiring', ENV_STATIC, 0, '', '', cfg='', crd='',
         expiration='2026-11-27T03:00:00Z')
    seed('credential-source-container', ENV_AWS_PROFILE | ENV_CONTAINER, 0, 'task',
         sts, cfg='[profile task]\nrole_arn = arn:aws:iam::123456789012:role/task\n'
         'credential_source = EcsContainer\nduration_seconds = 3600\n', crd='')
    seed('sso-profile', ENV_EXPLICIT, 0, 'sso',
         '', cfg='[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n'
         '[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n', crd='')


# ---- dates and times ----

def date_seeds(dates):
    for text in ('Fri, 27 Nov 2026 02:10:00 GMT', 'Friday, 27-Nov-26 02:10:00 GMT',
                 'Fri Nov 27 02:10:00 2026', 'Sun, 06 Nov 1994 08:49:37 GMT',
                 'Sunday, 06-Nov-94 08:49:37 GMT', 'Sun Nov  6 08:49:37 1994',
                 'Mon, 29 Feb 2028 23:59:59 GMT', '2026-11-27T03:00:00Z',
                 '2026-11-27T03:00:00.123456Z', '2026-11-27T05:30:00+02:30',
                 '2024-01-01T00:00:00.000+0000', '2026-11-27 03:00:00Z'):
        dates.add(text, text)


# ---- JSON: world objects ----

def json_seeds(json_c):
    for fname in sorted(os.listdir(WORLDS)):
        if not fname.endswith('.json'):
            continue
        world = json.load(open(os.path.join(WORLDS, fname)))
        base = fname[:-5]
        for fn, spec in sorted(world.get('lambda', {}).get('functions', {}).items())[:2]:
            json_c.add('%s-lambda-%s' % (base, fn), json.dumps(spec, indent=2))
        for key in ('faults', 'credentials'):
            if key in world:
                json_c.add('%s-%s' % (base, key), json.dumps(world[key]))
    for text in ('null', '0', '-0', '1e400', '9007199254740993', '"\\ud83d\\ude00"', '[]',
                 '{}', '[[], {}, null, true, false, 1.5, "x"]'):
        json_c.add('scalar-' + text, text)


# ---- endpoints ----

def endpoint_seeds():
    ep = Corpus('endpoint')
    lines = [
        ('us-east-1', '', '', 'http://127.0.0.1:4566', '', 'standard', '3'),
        ('eu-west-1', 'https://lambda.eu-west-1.amazonaws.com/', '', '', '', 'adaptive', '5'),
        ('cn-north-1', '', 'http://[::1]:8080/stage/', '', '', 'legacy', ''),
        ('us-gov-west-1', '', '', '', 'http://localhost:4566', '', ''),
        ('us-isob-east-1', '', '', '', '', '', '10'),
    ]
    for n, parts in enumerate(lines):
        for pick, bits in ((0, 0x07), (4, 0x43), (2, 0x35), (7, 0x0F)):
            ep.add('%s-%d' % (parts[0], pick), bytes([pick + n, bits]) + '\n'.join(parts).encode())


# ---- recordings ----

CALLS = [
    ('basic', None, 'lambda', 'GetFunctionConfiguration', {'FunctionName': 'my-fn'}),
    ('basic', None, 'lambda', 'GetFunctionConfiguration', {'FunctionName': 'missing'}),
    ('basic', None, 'lambda', 'GetPolicy', {'FunctionName': 'my-fn'}),
    ('basic', None, 'iam', 'ListAttachedRolePolicies', {'RoleName': 'my-fn-role'}),
    ('basic', None, 'ec2', 'DescribeSubnets', {}),
    ('basic', None, 'logs', 'DescribeLogGroups', {'logGroupNamePrefix': '/aws/lambda/'}),
    ('basic', None, 'sts', 'GetCallerIdentity', {}),
    ('basic', None, 'apigatewayv2', 'GetApis', {}),
    ('basic', None, 'monitoring', 'GetMetricStatistics', {
        'Namespace': 'AWS/Lambda', 'MetricName': 'Errors', 'Period': 300,
        'StartTime': '2026-11-27T00:00:00Z', 'EndTime': '2026-11-27T01:00:00Z',
        'Statistics': ['Sum'], 'Dimensions': [{'Name': 'FunctionName', 'Value': 'my-fn'}]}),
    ('basic', [{'service': 'lambda', 'kind': 'throttle', 'count': 1}],
     'lambda', 'GetFunctionConfiguration', {'FunctionName': 'my-fn'}),
    ('basic', [{'service': 'iam', 'kind': 'malformed', 'count': 1}],
     'iam', 'ListAttachedRolePolicies', {'RoleName': 'my-fn-role'}),
    ('basic', [{'service': 'ec2', 'kind': 'unavailable'}], 'ec2', 'DescribeSubnets', {}),
    ('basic', [{'service': 'logs', 'kind': 'reset', 'count': 1}],
     'logs', 'DescribeLogGroups', {'logGroupNamePrefix': '/aws/lambda/'}),
    ('basic', [{'service': 'lambda', 'kind': 'skew', 'skew_seconds': 900, 'count': 1}],
     'lambda', 'GetFunctionConfiguration', {'FunctionName': 'my-fn'}),
]


def record(runbook, world, faults, service, operation, params, tmp, n):
    rec = os.path.join(tmp, 'rec%d.json' % n)
    cmd = ['/usr/bin/python3', os.path.join(ROOT, 'tests', 'fake_aws', 'run_with_fake.py'),
           '--world', world, '--timeout', '60']
    if faults:
        fpath = os.path.join(tmp, 'faults%d.json' % n)
        json.dump(faults, open(fpath, 'w'))
        cmd += ['--faults', fpath]
    cmd += ['--', runbook, '--record', rec, 'call', service, operation, json.dumps(params)]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    if not os.path.exists(rec):
        print('make_seeds: no recording from %s %s' % (service, operation), file=sys.stderr)
        return None
    return json.load(open(rec))


def recording_seeds(runbook):
    replay = Corpus('replay')
    docs = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, (world, faults, service, operation, params) in enumerate(CALLS):
            doc = record(runbook, world, faults, service, operation, params, tmp, n)
            if not doc:
                continue
            docs.append(doc)
            kind = faults[0]['kind'] if faults else 'ok'
            replay.add('%s-%s-%s' % (service, operation, kind),
                       json.dumps(doc, indent=2, sort_keys=True))
    # one recording with several calls, and one whose run_time is far in the past
    if len(docs) >= 4:
        merged = dict(docs[0], exchanges=[])
        for d in sorted(docs, key=lambda d: len(json.dumps(d))):
            if len(json.dumps(merged)) + len(json.dumps(d['exchanges'])) < MAX_SEED:
                merged['exchanges'] += d['exchanges']
        replay.add('several-calls', json.dumps(merged, sort_keys=True))
        old = dict(docs[0], run_time=0)
        replay.add('run-time-zero', json.dumps(old, sort_keys=True))
    return docs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--runbook', help='runbook binary: also make recordings (replay seeds)')
    args = ap.parse_args()
    ops, statuses = c_ops(), c_statuses()
    recordings = recording_seeds(os.path.abspath(args.runbook)) if args.runbook else []
    responses = list(vector_responses()) + list(recorded_responses(recordings))
    json_c, dates = response_seeds(responses, ops, statuses)
    json_seeds(json_c)
    date_seeds(dates)
    request_seeds(ops)
    sigv4_seeds()
    credential_seeds()
    endpoint_seeds()
    for target in sorted(os.listdir(os.path.join(HERE, 'corpus'))):
        print('%-16s %3d seeds' % (target, len(os.listdir(os.path.join(HERE, 'corpus',
                                                                         target)))))


if __name__ == '__main__':
    main()
