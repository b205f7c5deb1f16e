"""IAM: roles, their managed and inline policies, and a small policy simulator.

Exists for the access-denied diagnosis: what execution role a function has, which
policies grant what, and whether an action is allowed (SimulatePrincipalPolicy).
Documents are returned URL-encoded as IAM really does. The common AWS managed Lambda
policies are built in so worlds only need to name them.
"""

import datetime
import fnmatch
import json
import re
import urllib.parse

from errors import AwsError
from handlers.common import fake_id, page

MANAGED_PER_ROLE = 10  # IAM's default quota of managed policies attached to one role
INLINE_BYTES_PER_ROLE = 10240  # all inline policies of a role together, whitespace excluded

BUILTIN_POLICIES = {
    'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
        'Statement': [{'Effect': 'Allow', 'Resource': '*', 'Action': [
            'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']}]},
    'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole': {
        'Statement': [{'Sid': 'AWSLambdaVPCAccessExecutionPermissions', 'Effect': 'Allow',
                       'Resource': '*', 'Action': [
                           'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents',
                           'ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces',
                           'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface',
                           'ec2:AssignPrivateIpAddresses',
                           'ec2:UnassignPrivateIpAddresses']}]},
    'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess': {
        'Statement': [{'Effect': 'Allow', 'Resource': '*', 'Action': [
            'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules',
            'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries']}]},
}


def _encode(doc):
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=4)
    return urllib.parse.quote(text, safe='')


def _lambda_trust():
    return {'Version': '2012-10-17', 'Statement': [{
        'Effect': 'Allow', 'Principal': {'Service': 'lambda.amazonaws.com'},
        'Action': 'sts:AssumeRole'}]}


def prepare(world):
    section = world.section('iam')
    created = world.loaded_at - datetime.timedelta(days=30)
    policies = section.setdefault('policies', {})
    for arn, doc in BUILTIN_POLICIES.items():
        policies.setdefault(arn, {'versions': {'v1': dict(doc, Version='2012-10-17')},
                                  'default_version': 'v1'})
    for arn, entry in policies.items():
        versions = entry.setdefault('versions', {})
        entry.setdefault('default_version', sorted(versions)[-1] if versions else 'v1')
        policy = entry.setdefault('policy', {})
        policy.setdefault('PolicyName', arn.rsplit('/', 1)[-1])
        policy.setdefault('Arn', arn)
        policy.setdefault('PolicyId', fake_id('ANPA', arn, 17, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'))
        middle = arn.split(':', 5)[-1].split('/')[1:-1]
        policy.setdefault('Path', '/' + '/'.join(middle) + '/' if middle else '/')
        policy.setdefault('DefaultVersionId', entry['default_version'])
        policy.setdefault('AttachmentCount', 1)
        policy.setdefault('IsAttachable', True)
        policy.setdefault('CreateDate', created)
        policy.setdefault('UpdateDate', created)
    for name, entry in section.setdefault('roles', {}).items():
        role = entry.setdefault('role', {})
        role.setdefault('RoleName', name)
        role.setdefault('Path', '/')
        role.setdefault('Arn', 'arn:aws:iam::%s:role%s%s' % (world.account_id, role['Path'], name))
        role.setdefault('RoleId', fake_id('AROA', role['Arn'], 17,
                                          'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'))
        role.setdefault('CreateDate', created)
        role.setdefault('AssumeRolePolicyDocument', _lambda_trust())
        role.setdefault('MaxSessionDuration', 3600)
        entry.setdefault('attached_policies', [])
        entry.setdefault('inline_policies', {})


def _role(ctx, name):
    entry = ctx.world.section('iam')['roles'].get(name)
    if entry is None:
        raise AwsError('NoSuchEntity', 'The role with name %s cannot be found.' % name)
    return entry


def _role_output(entry):
    role = dict(entry['role'])
    role['AssumeRolePolicyDocument'] = _encode(role['AssumeRolePolicyDocument'])
    return role


def get_role(ctx, params):
    return {'Role': _role_output(_role(ctx, params['RoleName']))}


def list_roles(ctx, params):
    roles = [_role_output(e) for _, e in sorted(ctx.world.section('iam')['roles'].items())
             if e['role']['Path'].startswith(params.get('PathPrefix', '/'))]
    items, marker = page(roles, params.get('Marker'), params.get('MaxItems'), 100)
    return {'Roles': items, 'IsTruncated': bool(marker), **({'Marker': marker} if marker else {})}


def _policy(ctx, arn):
    entry = ctx.world.section('iam')['policies'].get(arn)
    if entry is None:
        raise AwsError('NoSuchEntity', 'Policy %s does not exist or is not attachable.' % arn)
    return entry


def list_attached(ctx, params):
    entry = _role(ctx, params['RoleName'])
    policies = ctx.world.section('iam')['policies']
    attached = [{'PolicyArn': arn, 'PolicyName': policies.get(arn, {}).get('policy', {}).get(
        'PolicyName', arn.rsplit('/', 1)[-1])} for arn in entry['attached_policies']]
    items, marker = page(attached, params.get('Marker'), params.get('MaxItems'), 100)
    return {'AttachedPolicies': items, 'IsTruncated': bool(marker),
            **({'Marker': marker} if marker else {})}


def _check_arn(arn):
    if not re.match(r'^arn:aws[\w-]*:iam::(\d{12}|aws):policy/', arn):
        raise AwsError('InvalidInput', 'ARN %s is not valid.' % arn)


def attach_role_policy(ctx, params):
    entry = _role(ctx, params['RoleName'])
    _check_arn(params['PolicyArn'])
    _policy(ctx, params['PolicyArn'])
    if params['PolicyArn'] not in entry['attached_policies']:
        if len(entry['attached_policies']) >= MANAGED_PER_ROLE:
            raise AwsError('LimitExceeded', 'Cannot exceed quota for PoliciesPerRole: %d'
                           % MANAGED_PER_ROLE)
        entry['attached_policies'].append(params['PolicyArn'])
    return {}


def detach_role_policy(ctx, params):
    entry = _role(ctx, params['RoleName'])
    _check_arn(params['PolicyArn'])
    if params['PolicyArn'] not in entry['attached_policies']:
        raise AwsError('NoSuchEntity', 'Policy %s was not found.' % params['PolicyArn'])
    entry['attached_policies'].remove(params['PolicyArn'])
    return {}


def list_role_policies(ctx, params):
    names = sorted(_role(ctx, params['RoleName'])['inline_policies'])
    items, marker = page(names, params.get('Marker'), params.get('MaxItems'), 100)
    return {'PolicyNames': items, 'IsTruncated': bool(marker),
            **({'Marker': marker} if marker else {})}


def get_role_policy(ctx, params):
    entry = _role(ctx, params['RoleName'])
    doc = entry['inline_policies'].get(params['PolicyName'])
    if doc is None:
        raise AwsError('NoSuchEntity', 'The role policy with name %s cannot be found.'
                       % params['PolicyName'])
    return {'RoleName': params['RoleName'], 'PolicyName': params['PolicyName'],
            'PolicyDocument': _encode(doc)}


def put_role_policy(ctx, params):
    entry = _role(ctx, params['RoleName'])
    try:
        doc = json.loads(params['PolicyDocument'])
        if not isinstance(doc, dict) or 'Statement' not in doc:
            raise ValueError('no Statement')
    except ValueError:
        raise AwsError('MalformedPolicyDocument', 'Syntax errors in policy.') from None
    others = {k: v for k, v in entry['inline_policies'].items() if k != params['PolicyName']}
    size = sum(len(_compact(d)) for d in others.values()) + len(_compact(doc))
    if size > INLINE_BYTES_PER_ROLE:
        raise AwsError('LimitExceeded', 'Maximum policy size of %d bytes exceeded for role %s'
                       % (INLINE_BYTES_PER_ROLE, params['RoleName']))
    entry['inline_policies'][params['PolicyName']] = doc
    return {}


def _compact(doc):
    """A document as IAM counts it against the quota: without whitespace."""
    if isinstance(doc, str):
        doc = json.loads(doc)
    return json.dumps(doc, separators=(',', ':'))


def delete_role_policy(ctx, params):
    entry = _role(ctx, params['RoleName'])
    if entry['inline_policies'].pop(params['PolicyName'], None) is None:
        raise AwsError('NoSuchEntity', 'The role policy with name %s cannot be found.'
                       % params['PolicyName'])
    return {}


def get_policy(ctx, params):
    return {'Policy': _policy(ctx, params['PolicyArn'])['policy']}


def _version(entry, version_id, when):
    return {'Document': _encode(entry['versions'][version_id]), 'VersionId': version_id,
            'IsDefaultVersion': version_id == entry['default_version'], 'CreateDate': when}


def get_policy_version(ctx, params):
    entry = _policy(ctx, params['PolicyArn'])
    if params['VersionId'] not in entry['versions']:
        raise AwsError('NoSuchEntity', 'Policy %s version %s does not exist or is not '
                       'attachable.' % (params['PolicyArn'], params['VersionId']))
    created = entry['policy']['CreateDate']
    return {'PolicyVersion': _version(entry, params['VersionId'], created)}


def list_policy_versions(ctx, params):
    entry = _policy(ctx, params['PolicyArn'])
    versions = [_version(entry, v, entry['policy']['CreateDate'])
                for v in sorted(entry['versions'], reverse=True)]
    for v in versions:
        del v['Document']
    return {'Versions': versions, 'IsTruncated': False}


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _statement_matches(statement, action, resource):
    actions = statement.get('Action')
    if actions is not None:
        hit = any(fnmatch.fnmatch(action.lower(), a.lower()) for a in _as_list(actions))
    else:
        hit = not any(fnmatch.fnmatch(action.lower(), a.lower())
                      for a in _as_list(statement.get('NotAction', [])))
    resources = _as_list(statement.get('Resource', '*'))
    return hit and any(fnmatch.fnmatchcase(resource, r) for r in resources)


def role_documents(ctx, entry):
    """(source id, document) for every policy attached to or inline in a role."""
    docs = []
    policies = ctx.world.section('iam')['policies']
    for arn in entry['attached_policies']:
        if arn in policies:
            p = policies[arn]
            docs.append((arn, p['versions'].get(p['default_version'], {})))
    for name, doc in entry['inline_policies'].items():
        docs.append((name, json.loads(doc) if isinstance(doc, str) else doc))
    return docs


def evaluate(docs, action, resource):
    decision, matched = 'implicitDeny', []
    for source, doc in docs:
        for statement in _as_list(doc.get('Statement', [])):
            if not _statement_matches(statement, action, resource):
                continue
            matched.append({'SourcePolicyId': source, 'SourcePolicyType': 'IAM Policy'})
            if statement.get('Effect') == 'Deny':
                return 'explicitDeny', matched
            decision = 'allowed'
    return decision, matched


def simulate_principal_policy(ctx, params):
    arn = params['PolicySourceArn']
    entry = None
    for candidate in ctx.world.section('iam')['roles'].values():
        if candidate['role']['Arn'] == arn:
            entry = candidate
    if entry is None:
        raise AwsError('NoSuchEntity', 'Role %s cannot be found.' % arn)
    docs = role_documents(ctx, entry)
    results = []
    for action in params['ActionNames']:
        for resource in params.get('ResourceArns') or ['*']:
            decision, matched = evaluate(docs, action, resource)
            results.append({'EvalActionName': action, 'EvalResourceName': resource,
                            'EvalDecision': decision, 'MatchedStatements': matched,
                            'MissingContextValues': []})
    return {'EvaluationResults': results, 'IsTruncated': False}


HANDLERS = {
    ('iam', 'GetRole'): get_role,
    ('iam', 'ListRoles'): list_roles,
    ('iam', 'ListAttachedRolePolicies'): list_attached,
    ('iam', 'AttachRolePolicy'): attach_role_policy,
    ('iam', 'ListRolePolicies'): list_role_policies,
    ('iam', 'GetRolePolicy'): get_role_policy,
    ('iam', 'PutRolePolicy'): put_role_policy,
    ('iam', 'DeleteRolePolicy'): delete_role_policy,
    ('iam', 'DetachRolePolicy'): detach_role_policy,
    ('iam', 'GetPolicy'): get_policy,
    ('iam', 'GetPolicyVersion'): get_policy_version,
    ('iam', 'ListPolicyVersions'): list_policy_versions,
    ('iam', 'SimulatePrincipalPolicy'): simulate_principal_policy,
}
