"""Lambda: function configuration, code, policy, concurrency, account settings.

Exists to answer the calls a Lambda diagnosis makes (GetFunctionConfiguration,
GetPolicy, GetFunctionConcurrency, GetAccountSettings...) and the repairs it may
apply (UpdateFunctionConfiguration, PutFunctionConcurrency, DeleteFunctionConcurrency,
AddPermission), with Lambda's own error codes and messages. Aliases, versions,
provisioned concurrency, URLs and event source mappings live in svc_lambda_more.py.
"""

import base64
import copy
import datetime
import hashlib
import json
import re
import uuid

from errors import AwsError
from handlers import lambda_updates
from handlers.common import page

ACCOUNT_LIMITS = {'TotalCodeSize': 80530636800, 'CodeSizeUnzipped': 262144000,
                  'CodeSizeZipped': 52428800, 'ConcurrentExecutions': 1000}
MIN_UNRESERVED = 100
POLICY_LIMIT = 20480  # bytes of a function's resource-based policy
UPDATABLE = ('Role', 'Handler', 'Description', 'Timeout', 'MemorySize', 'Runtime',
             'KMSKeyArn', 'TracingConfig', 'DeadLetterConfig', 'EphemeralStorage',
             'FileSystemConfigs', 'SnapStart', 'Environment')


def _revision(seed):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed))


def function_arn(world, name, qualifier=None):
    arn = 'arn:aws:lambda:%s:%s:function:%s' % (world.region, world.account_id, name)
    return arn + ':' + qualifier if qualifier else arn


def _default_config(world, name):
    sha = base64.b64encode(hashlib.sha256(name.encode()).digest()).decode()
    return {'FunctionName': name, 'FunctionArn': function_arn(world, name),
            'Runtime': 'python3.12', 'Role': 'arn:aws:iam::%s:role/%s-role'
            % (world.account_id, name), 'Handler': 'lambda_function.lambda_handler',
            'CodeSize': 1024, 'Description': '', 'Timeout': 3, 'MemorySize': 128,
            'LastModified': world.loaded_at - datetime.timedelta(days=1),
            'CodeSha256': sha, 'Version': '$LATEST',
            'TracingConfig': {'Mode': 'PassThrough'}, 'RevisionId': _revision(name),
            'State': 'Active', 'LastUpdateStatus': 'Successful', 'PackageType': 'Zip',
            'Architectures': ['x86_64'], 'EphemeralStorage': {'Size': 512},
            'SnapStart': {'ApplyOn': 'None', 'OptimizationStatus': 'Off'}}


def vpc_config(world, subnet_ids, group_ids):
    """Lambda's VpcConfigResponse: the VPC comes from the world's EC2 subnets."""
    vpc_id = ''
    for subnet in world.section('ec2').get('subnets', []):
        if subnet.get('SubnetId') in subnet_ids:
            vpc_id = subnet.get('VpcId', '')
    return {'SubnetIds': list(subnet_ids), 'SecurityGroupIds': list(group_ids),
            'VpcId': vpc_id}


def _layers(raw):
    return [{'Arn': item, 'CodeSize': 0} if isinstance(item, str) else item
            for item in raw or []]


def prepare(world):
    section = world.section('lambda')
    for name, fn in section.setdefault('functions', {}).items():
        config = _default_config(world, name)
        config.update(fn.get('configuration', {}))
        vpc = config.get('VpcConfig')
        if vpc and 'VpcId' not in vpc:
            config['VpcConfig'] = vpc_config(world, vpc.get('SubnetIds', []),
                                             vpc.get('SecurityGroupIds', []))
        if 'Layers' in config:
            config['Layers'] = _layers(config['Layers'])
        fn['configuration'] = config
    for mapping in section.setdefault('event_source_mappings', []):
        if 'FunctionArn' not in mapping and 'FunctionName' in mapping:
            mapping['FunctionArn'] = function_arn(world, mapping.pop('FunctionName'))
        mapping.setdefault('UUID', str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                  mapping.get('EventSourceArn', ''))))
        mapping.setdefault('State', 'Enabled')
        mapping.setdefault('LastModified', world.loaded_at - datetime.timedelta(days=1))


def split_name(world, raw, qualifier=None):
    """Function name, partial ARN or ARN (optionally qualified) -> (name, qualifier)."""
    name, derived = raw, None
    m = re.match(r'^arn:aws[\w-]*:lambda:[\w-]+:(\d{12}):function:([^:]+)(?::(.+))?$', raw)
    p = re.match(r'^(\d{12}):function:([^:]+)(?::(.+))?$', raw)
    if m or p:
        name, derived = (m or p).group(2), (m or p).group(3)
    elif ':' in raw:
        name, _, derived = raw.partition(':')
    if derived and qualifier and derived != qualifier:
        raise AwsError('InvalidParameterValueException', 'The derived qualifier from the '
                       'function name does not match the specified qualifier.')
    return name, qualifier or derived


def not_found(world, name, qualifier=None):
    return AwsError('ResourceNotFoundException', 'Function not found: %s'
                    % function_arn(world, name, qualifier))


def get_function(ctx, params, allow_qualifier=True):
    """The world entry for FunctionName (+Qualifier): (name, entry, qualifier)."""
    name, qualifier = split_name(ctx.world, params['FunctionName'], params.get('Qualifier'))
    entry = ctx.world.section('lambda')['functions'].get(name)
    if entry is None:
        raise not_found(ctx.world, name, qualifier)
    if qualifier and not allow_qualifier:
        raise AwsError('InvalidParameterValueException', 'Qualifier is not supported')
    if qualifier and qualifier != '$LATEST' and qualifier not in entry.get('aliases', {}) \
            and qualifier not in entry.get('versions', {}):
        raise not_found(ctx.world, name, qualifier)
    return name, entry, qualifier


def resolved_config(ctx, name, entry, qualifier):
    """Configuration for $LATEST, a published version or an alias."""
    config = copy.deepcopy(entry['configuration'])
    version = qualifier
    alias = entry.get('aliases', {}).get(qualifier)
    if alias is not None:
        version = alias.get('FunctionVersion', '$LATEST')
    if version and version != '$LATEST':
        config.update(entry.get('versions', {}).get(version, {}))
        config['Version'] = version
    if qualifier:
        config['FunctionArn'] = function_arn(ctx.world, name, qualifier)
    return config


def get_function_configuration(ctx, params):
    name, entry, qualifier = get_function(ctx, params)
    lambda_updates.observe(ctx, name, entry)
    return resolved_config(ctx, name, entry, qualifier)


def get_function_op(ctx, params):
    name, entry, qualifier = get_function(ctx, params)
    lambda_updates.observe(ctx, name, entry)
    out = {'Configuration': resolved_config(ctx, name, entry, qualifier),
           'Code': entry.get('code') or {
               'RepositoryType': 'S3',
               'Location': 'https://awslambda-%s-tasks.s3.%s.amazonaws.com/snapshots/%s/%s-%s'
                           % (ctx.world.region, ctx.world.region, ctx.account_id, name,
                              _revision('code-' + name))}}
    if entry.get('tags'):
        out['Tags'] = entry['tags']
    if entry.get('reserved_concurrency') is not None:
        out['Concurrency'] = {'ReservedConcurrentExecutions': entry['reserved_concurrency']}
    return out


def list_functions(ctx, params):
    functions = ctx.world.section('lambda')['functions']
    configs = [functions[n]['configuration'] for n in sorted(functions)]
    items, marker = page(configs, params.get('Marker'), params.get('MaxItems'), 50)
    out = {'Functions': items}
    if marker:
        out['NextMarker'] = marker
    return out


def _policy_holder(entry, qualifier):
    if qualifier and qualifier != '$LATEST':
        return entry.setdefault('qualified_policies', {}), qualifier
    return entry, 'policy'


def get_policy(ctx, params):
    _, entry, qualifier = get_function(ctx, params)
    holder, key = _policy_holder(entry, qualifier)
    policy = holder.get(key)
    if not policy:
        raise AwsError('ResourceNotFoundException', 'The resource you requested does not '
                       'exist.')
    text = policy if isinstance(policy, str) else json.dumps(policy, separators=(',', ':'))
    return {'Policy': text, 'RevisionId': entry['configuration']['RevisionId']}


def _principal(value):
    if value == '*':
        return '*'
    if re.match(r'^\d{12}$', value):
        return {'AWS': 'arn:aws:iam::%s:root' % value}
    if value.endswith('.amazonaws.com') or value.endswith('.amazonaws.com.cn'):
        return {'Service': value}
    return {'AWS': value}


def _statement(ctx, name, qualifier, params):
    statement = {'Sid': params['StatementId'], 'Effect': 'Allow',
                 'Principal': _principal(params['Principal']), 'Action': params['Action'],
                 'Resource': function_arn(ctx.world, name, qualifier if qualifier != '$LATEST'
                                          else None)}
    condition = {}
    if params.get('SourceArn'):
        condition.setdefault('ArnLike', {})['AWS:SourceArn'] = params['SourceArn']
    if params.get('SourceAccount'):
        condition.setdefault('StringEquals', {})['AWS:SourceAccount'] = params['SourceAccount']
    if params.get('PrincipalOrgID'):
        condition.setdefault('StringEquals', {})['aws:PrincipalOrgID'] = \
            params['PrincipalOrgID']
    if params.get('FunctionUrlAuthType'):
        condition.setdefault('StringEquals', {})['lambda:FunctionUrlAuthType'] = \
            params['FunctionUrlAuthType']
    if condition:
        statement['Condition'] = condition
    return statement


def _check_revision(entry, params):
    expected = params.get('RevisionId')
    if expected and expected != entry['configuration']['RevisionId']:
        raise AwsError('PreconditionFailedException', 'The Revision Id provided does not '
                       'match the latest Revision Id. Call the GetFunction/GetAlias API to '
                       'retrieve the latest Revision Id')


def _touch(ctx, entry):
    entry['configuration']['RevisionId'] = str(uuid.uuid4())
    entry['configuration']['LastModified'] = ctx.now


def add_permission(ctx, params):
    name, entry, qualifier = get_function(ctx, params)
    _check_revision(entry, params)
    holder, key = _policy_holder(entry, qualifier)
    policy = holder.get(key) or {'Version': '2012-10-17', 'Id': 'default', 'Statement': []}
    if isinstance(policy, str):
        policy = json.loads(policy)
    if any(s.get('Sid') == params['StatementId'] for s in policy['Statement']):
        raise AwsError('ResourceConflictException', 'The statement id (%s) provided already '
                       'exists. Please provide a new statement id, or remove the existing '
                       'statement.' % params['StatementId'])
    statement = _statement(ctx, name, qualifier, params)
    size = len(json.dumps(dict(policy, Statement=policy['Statement'] + [statement]),
                          separators=(',', ':')))
    if size > POLICY_LIMIT:
        raise AwsError('PolicyLengthExceededException', 'The final policy size (%d) is bigger '
                       'than the limit (%d).' % (size, POLICY_LIMIT))
    policy['Statement'].append(statement)
    holder[key] = policy
    _touch(ctx, entry)
    return {'Statement': json.dumps(statement, separators=(',', ':'))}


def remove_permission(ctx, params):
    _, entry, qualifier = get_function(ctx, params)
    _check_revision(entry, params)
    holder, key = _policy_holder(entry, qualifier)
    policy = holder.get(key)
    if isinstance(policy, str):
        policy = json.loads(policy)
    statements = (policy or {}).get('Statement', [])
    kept = [s for s in statements if s.get('Sid') != params['StatementId']]
    if len(kept) == len(statements):
        raise AwsError('ResourceNotFoundException', 'Statement %s is not found in resource '
                       'policy.' % params['StatementId'])
    holder[key] = dict(policy, Statement=kept) if kept else None
    _touch(ctx, entry)
    return {}


def account_settings(world):
    section = world.section('lambda')
    settings = section.get('account_settings', {})
    limit = dict(ACCOUNT_LIMITS)
    limit.update(settings.get('AccountLimit', {}))
    functions = section['functions'].values()
    reserved = sum(f.get('reserved_concurrency') or 0 for f in functions)
    if 'UnreservedConcurrentExecutions' not in settings.get('AccountLimit', {}):
        limit['UnreservedConcurrentExecutions'] = limit['ConcurrentExecutions'] - reserved
    usage = {'TotalCodeSize': sum(f['configuration'].get('CodeSize', 0) for f in functions),
             'FunctionCount': len(section['functions'])}
    usage.update(settings.get('AccountUsage', {}))
    return {'AccountLimit': limit, 'AccountUsage': usage}


def get_account_settings(ctx, params):
    return account_settings(ctx.world)


def get_function_concurrency(ctx, params):
    _, entry, _ = get_function(ctx, params, allow_qualifier=False)
    value = entry.get('reserved_concurrency')
    return {} if value is None else {'ReservedConcurrentExecutions': value}


def put_function_concurrency(ctx, params):
    _, entry, _ = get_function(ctx, params, allow_qualifier=False)
    wanted = params['ReservedConcurrentExecutions']
    limits = account_settings(ctx.world)['AccountLimit']
    others = limits['ConcurrentExecutions'] - limits['UnreservedConcurrentExecutions'] \
        - (entry.get('reserved_concurrency') or 0)
    if limits['ConcurrentExecutions'] - others - wanted < MIN_UNRESERVED:
        raise AwsError('InvalidParameterValueException', "Specified "
                       "ReservedConcurrentExecutions for function decreases account's "
                       "UnreservedConcurrentExecution below its minimum value of [%d]."
                       % MIN_UNRESERVED)
    entry['reserved_concurrency'] = wanted
    _touch(ctx, entry)
    return {'ReservedConcurrentExecutions': wanted}


def delete_function_concurrency(ctx, params):
    _, entry, _ = get_function(ctx, params, allow_qualifier=False)
    entry['reserved_concurrency'] = None
    _touch(ctx, entry)
    return {}


def _apply_update(ctx, config, params):
    for field in UPDATABLE:
        if field in params:
            config[field] = params[field]
    if 'VpcConfig' in params:
        vpc = params['VpcConfig']
        config['VpcConfig'] = vpc_config(ctx.world, vpc.get('SubnetIds', []),
                                         vpc.get('SecurityGroupIds', []))
    if 'Layers' in params:
        config['Layers'] = _layers(params['Layers'])
    if 'ImageConfig' in params:
        config['ImageConfigResponse'] = {'ImageConfig': params['ImageConfig']}


def update_function_configuration(ctx, params):
    name, entry, _ = get_function(ctx, params, allow_qualifier=False)
    config = entry['configuration']
    lambda_updates.refuse_if_updating(ctx, name, config)
    _check_revision(entry, params)
    _apply_update(ctx, config, params)
    _touch(ctx, entry)
    return lambda_updates.begin(ctx, name, entry)


def list_tags(ctx, params):
    """ListTags: the function's tags (Lambda tags functions, not versions or aliases)."""
    name, qualifier = split_name(ctx.world, params['Resource'])
    entry = ctx.world.section('lambda')['functions'].get(name)
    if entry is None:
        raise not_found(ctx.world, name)
    if qualifier:
        raise AwsError('InvalidParameterValueException', 'Tags on function aliases and '
                       'versions are not supported. Please specify a function ARN.')
    return {'Tags': dict(entry.get('tags') or {})}


HANDLERS = {
    ('lambda', 'GetFunctionConfiguration'): get_function_configuration,
    ('lambda', 'GetFunction'): get_function_op,
    ('lambda', 'ListFunctions'): list_functions,
    ('lambda', 'GetPolicy'): get_policy,
    ('lambda', 'AddPermission'): add_permission,
    ('lambda', 'RemovePermission'): remove_permission,
    ('lambda', 'GetAccountSettings'): get_account_settings,
    ('lambda', 'GetFunctionConcurrency'): get_function_concurrency,
    ('lambda', 'PutFunctionConcurrency'): put_function_concurrency,
    ('lambda', 'DeleteFunctionConcurrency'): delete_function_concurrency,
    ('lambda', 'UpdateFunctionConfiguration'): update_function_configuration,
    ('lambda', 'ListTags'): list_tags,
}
