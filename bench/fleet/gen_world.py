#!/usr/bin/python3
"""A deterministic fake AWS world of N Lambda functions for fleet triage runs.

Exists so the fleet triage (`runbook triage.lua --all`) can be measured and checked at
scale against tests/fake_aws: N functions spread over the given accounts and Regions
(one world per account and Region, the fake's "worlds" format, docs/worlds.md), a share
of them broken, each in ONE known way the triage detects, the kinds taken in turn:

    timeout, forbidden, access_denied, throttle, errors, event_source, async_drop,
    update_failed, vpc                     (with traffic in the window)
    idle_forbidden, idle_failed, idle_disabled_mapping
                                           (no invocations: visible from configuration)

A broken function with traffic is transplanted from the project's scenario world of its
kind (tests/worlds/*.json: its function, role, logs, metrics, APIs, queues, mappings,
VPC), renamed and moved to its account and Region, so each fault keeps the shape the step
tests already prove the triage detects. Healthy functions get ordinary traffic metrics.
--expect writes {FUNCTION_ARN: {"kind", "steps": [step ids that must fail], "idle",
"status": the least those steps must report, "fail" or "warn"}} for every broken
function. The same arguments always give the same files.

    gen_world.py --functions N --regions us-east-1,us-west-2 [--accounts A,B]
        [--broken-share 0.1] [--seed S] [--role-name fleet-ro] [--external-id ID]
        --out WORLD.json [--expect EXPECTED.json]

With several accounts, every account has the role --role-name (trusted by the first
account, whose credentials the harness exports; requiring --external-id when given), for
`runbook triage.lua --all --accounts A,B --role-name NAME [--external-id ID]`.
"""

import argparse
import copy
import hashlib
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WORLDS = os.path.normpath(os.path.join(HERE, '..', '..', 'tests', 'worlds'))
SRC_ACCOUNT, SRC_REGION = '123456789012', 'us-east-1'
BASIC_POLICY = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'
UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')

# kind -> (source world, its function, steps that must fail, idle); a disabled mapping
# alone is a warning (event_sources), every other kind a failure
WARN_ONLY = ('idle_disabled_mapping',)
KINDS = {
    'timeout': ('timeout', 'report-builder', ['timeout'], False),
    'forbidden': ('forbidden', 'checkout-fn', ['forbidden'], False),
    'access_denied': ('access_denied', 'payments-fn', ['access_denied'], False),
    'throttle': ('throttle', 'checkout-fn', ['throttle'], False),
    'errors': ('errors', 'checkout-handler', ['errors'], False),
    'event_source': ('sqs_visibility', 'orders-consumer', ['event_sources'], False),
    'async_drop': ('async_drop', 'order-events', ['async'], False),
    'update_failed': (None, None, ['config'], False),
    'vpc': ('vpc', 'ingest-fn', ['vpc'], False),
    'idle_forbidden': (None, None, ['forbidden'], True),
    'idle_failed': (None, None, ['config'], True),
    'idle_disabled_mapping': (None, None, ['event_sources'], True),
}
ORDER = list(KINDS)
# kinds whose scenario world has no metrics: (invocations, errors) per 5 minutes
SYMPTOMS = {'access_denied': (10, 2)}


def fail(message):
    print('gen_world: %s' % message, file=sys.stderr)
    sys.exit(2)


def digest(*parts, length=10, alphabet='abcdefghijklmnopqrstuvwxyz0123456789'):
    raw = hashlib.sha256('/'.join(parts).encode()).digest()
    return ''.join(alphabet[b % len(alphabet)] for b in raw[:length])


def fake_uuid(*parts):
    h = hashlib.sha256('/'.join(parts).encode()).hexdigest()
    return '%s-%s-4%s-8%s-%s' % (h[:8], h[8:12], h[13:16], h[17:20], h[20:32])


def arn(account, region, name):
    return 'arn:aws:lambda:%s:%s:function:%s' % (region, account, name)


_SOURCES = {}


def source(name):
    if name not in _SOURCES:
        with open(os.path.join(WORLDS, name + '.json'), encoding='utf-8') as fh:
            _SOURCES[name] = json.load(fh)
    return _SOURCES[name]


def _mentions(value, names):
    text = json.dumps(value)
    return any(n in text for n in names)


def _pick(world, fn):
    """The parts of a scenario world that belong to its function fn."""
    lam = world['lambda']
    entry = lam['functions'][fn]
    role = entry['configuration'].get('Role', '').rsplit('/', 1)[-1]
    mappings = [m for m in lam.get('event_source_mappings', []) if fn in json.dumps(m)]
    queues = [q for q in world.get('sqs', {}).get('queues', {})
              if _mentions([entry, mappings], [q])]
    names = [fn] + queues
    out = {'lambda': {'functions': {fn: entry}, 'event_source_mappings': mappings}}
    roles = world.get('iam', {}).get('roles', {})
    out['iam'] = {'roles': {role: roles[role]} if role in roles else {},
                  'policies': world.get('iam', {}).get('policies', {})}
    out['logs'] = {'log_groups': {g: v for g, v in world.get('logs', {}).get(
        'log_groups', {}).items() if fn in g}}
    out['cloudwatch'] = {'metrics': [m for m in world.get('cloudwatch', {}).get('metrics', [])
                                     if _mentions(m.get('Dimensions'), names)]}
    out['sqs'] = {'queues': {q: world['sqs']['queues'][q] for q in queues}}
    out['apigateway'] = {'rest_apis': {k: v for k, v in world.get('apigateway', {}).get(
        'rest_apis', {}).items() if fn in json.dumps(v)}}
    out['apigatewayv2'] = {'apis': {k: v for k, v in world.get('apigatewayv2', {}).get(
        'apis', {}).items() if fn in json.dumps(v)}}
    if 'ec2' in world:
        out['ec2'] = world['ec2']
    return out, queues


def transplant(kind, name, account, region):
    """A broken function of this kind, from its scenario world, as `name`."""
    world_name, fn, _, _ = KINDS[kind]
    world = source(world_name)
    picked, queues = _pick(world, fn)
    text = json.dumps(picked)
    ids = list(world.get('apigateway', {}).get('rest_apis', {})) + \
        list(world.get('apigatewayv2', {}).get('apis', {}))
    for api_id in ids:
        text = text.replace(api_id, digest(name, api_id))
    for queue in sorted(queues, key=len, reverse=True):
        text = re.sub(r'(?<![\w-])%s(?![\w-])' % re.escape(queue), '%s-%s' % (name, queue),
                      text)
    text = re.sub(r'(?<![\w-])%s' % re.escape(fn), name, text)
    text = UUID.sub(lambda m: fake_uuid(name, m.group(0)), text)
    text = text.replace(SRC_ACCOUNT, account).replace(SRC_REGION, region)
    part = json.loads(text)
    if kind in SYMPTOMS:
        part['cloudwatch']['metrics'] += symptom_metrics(name, *SYMPTOMS[kind])
    if part['lambda']['functions'][name].get('url_configs'):
        # a function URL that answers 403 is counted by Lambda as Url4xxCount when called
        part.setdefault('cloudwatch', {}).setdefault('metrics', []).append(
            {'Namespace': 'AWS/Lambda', 'MetricName': 'Url4xxCount',
             'Dimensions': {'FunctionName': name}, 'Unit': 'Count',
             'series': _series([3] * 12)})
    return part


def merge(into, part):
    for key, value in part.items():
        if isinstance(value, dict):
            merge(into.setdefault(key, {}), value)
        elif isinstance(value, list):
            into.setdefault(key, []).extend(value)
        else:
            into[key] = value


def _series(values, every='5m'):
    return {'start': '-%dm' % (5 * len(values)), 'every': every, 'values': values}


def symptom_metrics(name, calls, errors):
    """Invocations and Errors over the last hour, for a scenario whose world shows its
    failures in logs only (a fleet triage picks functions by their metrics)."""
    dims = {'FunctionName': name}
    return [{'Namespace': 'AWS/Lambda', 'MetricName': 'Invocations', 'Dimensions': dims,
             'Unit': 'Count', 'series': _series([calls] * 12)},
            {'Namespace': 'AWS/Lambda', 'MetricName': 'Errors', 'Dimensions': dims,
             'Unit': 'Count', 'series': _series([errors] * 12)}]


def healthy_metrics(name, rng):
    dims = {'FunctionName': name}
    calls = [rng.randint(20, 60) for _ in range(12)]
    out = [{'Namespace': 'AWS/Lambda', 'MetricName': 'Invocations', 'Dimensions': dims,
            'Unit': 'Count', 'series': _series(calls)},
           {'Namespace': 'AWS/Lambda', 'MetricName': 'Errors', 'Dimensions': dims,
            'Unit': 'Count', 'series': _series([0] * 12)},
           {'Namespace': 'AWS/Lambda', 'MetricName': 'Throttles', 'Dimensions': dims,
            'Unit': 'Count', 'series': _series([0] * 12)},
           {'Namespace': 'AWS/Lambda', 'MetricName': 'Duration', 'Dimensions': dims,
            'Unit': 'Milliseconds',
            'series': _series([round(rng.uniform(40, 400), 1) for _ in range(12)])}]
    return out


def plain_function(name, account, region, rng, **config):
    role = '%s-role' % name
    conf = {'Runtime': rng.choice(['python3.12', 'nodejs22.x', 'python3.13']),
            'Role': 'arn:aws:iam::%s:role/%s' % (account, role), 'Handler': 'app.handler',
            'Timeout': rng.choice([10, 15, 30]), 'MemorySize': rng.choice([128, 256, 512]),
            'LastModified': '-%dd' % rng.randint(2, 90)}
    conf.update(config)
    return {'lambda': {'functions': {name: {'configuration': conf}}},
            'iam': {'roles': {role: {'role': {'Description': 'Execution role for ' + name},
                                     'attached_policies': [BASIC_POLICY]}}}}


def synthetic(kind, name, account, region, rng):
    if kind == 'update_failed':
        part = plain_function(name, account, region, rng, LastUpdateStatus='Failed',
                              LastUpdateStatusReasonCode='EniLimitExceeded',
                              LastUpdateStatusReason='Lambda was not able to create an ENI '
                              'in the VPC of the Lambda function because the limit for '
                              'Network Interfaces has been reached.')
        part['cloudwatch'] = {'metrics': healthy_metrics(name, rng)}
        return part
    if kind == 'idle_failed':
        return plain_function(name, account, region, rng, State='Failed',
                              StateReasonCode='InvalidSubnet',
                              StateReason='The subnet subnet-0bad does not exist')
    if kind == 'idle_forbidden':
        part = plain_function(name, account, region, rng)
        api = digest(name, 'api')
        uri = ('arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations'
               % (region, arn(account, region, name)))
        part['apigateway'] = {'rest_apis': {api: {
            'api': {'name': '%s-api' % name, 'createdDate': '-2d'},
            'resources': {
                'root' + api[:6]: {'path': '/'},
                'res' + api[:6]: {'parentId': 'root' + api[:6], 'pathPart': 'items',
                                  'path': '/items', 'methods': {'GET': {
                                      'method': {'authorizationType': 'NONE',
                                                 'apiKeyRequired': False},
                                      'integration': {'type': 'AWS_PROXY', 'httpMethod': 'POST',
                                                      'uri': uri}}}}},
            'stages': {'prod': {'deploymentId': digest(name, 'dep', length=6)}}}}}
        return part
    if kind == 'idle_disabled_mapping':
        part = plain_function(name, account, region, rng, Timeout=30)
        queue = '%s-queue' % name
        part['sqs'] = {'queues': {queue: {'VisibilityTimeout': '180'}}}
        part['lambda']['event_source_mappings'] = [{
            'UUID': fake_uuid(name, 'mapping'), 'FunctionName': name, 'State': 'Disabled',
            'EventSourceArn': 'arn:aws:sqs:%s:%s:%s' % (region, account, queue),
            'BatchSize': 10, 'StateTransitionReason': 'USER_INITIATED'}]
        return part
    raise AssertionError(kind)


def build(args):
    rng = random.Random(args.seed)
    places = [(a, r) for a in args.accounts for r in args.regions]
    worlds = {}
    for account, region in places:
        worlds[(account, region)] = {'account_id': account, 'region': region,
                                     'ec2': {'regions': args.regions}}
    first = args.accounts[0]
    for account in args.accounts:
        home = worlds[(account, args.regions[0])]
        key = 'AKIDFLEET%s' % account[-8:]
        home['credentials'] = [{'access_key_id': key, 'secret_access_key': digest(
            'secret', account, length=40), 'arn': 'arn:aws:iam::%s:user/runbook-tester'
            % account}]
        if len(args.accounts) > 1:
            role_key = 'ASIDFLEET%s' % account[-8:]
            home['credentials'].append({'access_key_id': role_key, 'expires': '+6h',
                                        'secret_access_key': digest('role', account, length=40),
                                        'session_token': digest('token', account, length=60)})
            role = {'credentials': role_key, 'trusted_accounts': [first]}
            if args.external_id:
                role['external_id'] = args.external_id
            home['sts'] = {'roles': {'arn:aws:iam::%s:role/%s' % (account, args.role_name):
                                     role}}
    broken_count = int(round(args.functions * args.broken_share))
    broken = sorted(rng.sample(range(args.functions), broken_count))
    kind_of = {index: ORDER[i % len(ORDER)] for i, index in enumerate(broken)}
    expect = {}
    for i in range(args.functions):
        account, region = places[i % len(places)]
        name = 'svc-%05d' % i
        kind = kind_of.get(i)
        if kind is None:
            part = plain_function(name, account, region, rng)
            part['cloudwatch'] = {'metrics': healthy_metrics(name, rng)}
        elif KINDS[kind][0] is None:
            part = synthetic(kind, name, account, region, rng)
        else:
            part = transplant(kind, name, account, region)
        merge(worlds[(account, region)], copy.deepcopy(part) if kind else part)
        if kind is not None:
            expect[arn(account, region, name)] = {
                'kind': kind, 'steps': KINDS[kind][2], 'idle': KINDS[kind][3],
                'status': 'warn' if kind in WARN_ONLY else 'fail'}
    ordered = [worlds[p] for p in places if 'credentials' in worlds[p]] + \
        [worlds[p] for p in places if 'credentials' not in worlds[p]]
    doc = {'description': 'fleet world: %d functions over %s in %s, %d broken (seed %s)'
           % (args.functions, ','.join(args.accounts), ','.join(args.regions),
              broken_count, args.seed), 'worlds': ordered}
    return doc, expect


def _list(text, what):
    items = [x.strip() for x in text.split(',') if x.strip()]
    if not items:
        fail('--%s needs a comma-separated list' % what)
    return items


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--functions', type=int, required=True)
    parser.add_argument('--regions', default='us-east-1')
    parser.add_argument('--accounts', default='111111111111')
    parser.add_argument('--broken-share', type=float, default=0.1)
    parser.add_argument('--seed', default='1')
    parser.add_argument('--role-name', default='fleet-ro')
    parser.add_argument('--external-id', help="the ExternalId each account's role requires")
    parser.add_argument('--out', required=True)
    parser.add_argument('--expect')
    args = parser.parse_args(argv)
    args.regions = _list(args.regions, 'regions')
    args.accounts = _list(args.accounts, 'accounts')
    for account in args.accounts:
        if not re.fullmatch(r'\d{12}', account):
            fail('account %r is not a 12-digit AWS account id' % account)
    if args.functions < 1:
        fail('--functions must be at least 1')
    if not 0 <= args.broken_share <= 1:
        fail('--broken-share must be between 0 and 1, not %g' % args.broken_share)
    return args


def write(path, value):
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as fh:
        json.dump(value, fh, separators=(',', ':'))
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    doc, expect = build(args)
    write(args.out, doc)
    if args.expect:
        write(args.expect, expect)
    return 0


if __name__ == '__main__':
    sys.exit(main())
