"""Lambda: aliases, versions, provisioned concurrency, function URLs, event sources,
asynchronous invocation configs.

Exists beside svc_lambda.py (which owns functions and their policy/concurrency) so
each file stays small; these are the calls the throttle, cold-start and 403 steps
make about how a function is published and invoked.
"""

import copy
import datetime

from errors import AwsError
from handlers.common import fake_id, page
from handlers.svc_lambda import function_arn, get_function, resolved_config, split_name


def prepare(world):
    for name, fn in world.section('lambda').get('functions', {}).items():
        for alias_name, alias in fn.setdefault('aliases', {}).items():
            alias.setdefault('Name', alias_name)
            alias.setdefault('AliasArn', function_arn(world, name, alias_name))
            alias.setdefault('FunctionVersion', '$LATEST')
            alias.setdefault('Description', '')
            alias.setdefault('RevisionId', fake_id('', name + alias_name, 32))
        for qualifier, pcc in fn.setdefault('provisioned_concurrency', {}).items():
            requested = pcc.get('RequestedProvisionedConcurrentExecutions', 1)
            pcc.setdefault('RequestedProvisionedConcurrentExecutions', requested)
            pcc.setdefault('AvailableProvisionedConcurrentExecutions', requested)
            pcc.setdefault('AllocatedProvisionedConcurrentExecutions', requested)
            pcc.setdefault('Status', 'READY')
            pcc.setdefault('LastModified', world.loaded_at - datetime.timedelta(hours=2))
        for qualifier, url in fn.setdefault('url_configs', {}).items():
            url.setdefault('FunctionUrl', 'https://%s.lambda-url.%s.on.aws/'
                           % (fake_id('', name + qualifier, 32, 'abcdefghijklmnopqrstuvwxyz234567'),
                              world.region))
            url.setdefault('FunctionArn', function_arn(world, name, qualifier or None))
            url.setdefault('AuthType', 'NONE')
            url.setdefault('CreationTime', world.loaded_at - datetime.timedelta(days=3))
            url.setdefault('LastModifiedTime', world.loaded_at - datetime.timedelta(days=3))
        for qualifier, eic in fn.setdefault('event_invoke_configs', {}).items():
            eic.setdefault('FunctionArn', function_arn(world, name, qualifier or '$LATEST'))
            eic.setdefault('LastModified', world.loaded_at - datetime.timedelta(days=3))


def list_versions(ctx, params):
    name, entry, _ = get_function(ctx, params, allow_qualifier=False)
    versions = [resolved_config(ctx, name, entry, None)]
    for version in sorted(entry.get('versions', {}), key=lambda v: int(v)):
        versions.append(resolved_config(ctx, name, entry, version))
    items, marker = page(versions, params.get('Marker'), params.get('MaxItems'), 50)
    return dict({'Versions': items}, **({'NextMarker': marker} if marker else {}))


def list_aliases(ctx, params):
    _, entry, _ = get_function(ctx, params, allow_qualifier=False)
    aliases = [a for _, a in sorted(entry['aliases'].items())
               if params.get('FunctionVersion') in (None, a['FunctionVersion'])]
    items, marker = page(aliases, params.get('Marker'), params.get('MaxItems'), 50)
    return dict({'Aliases': items}, **({'NextMarker': marker} if marker else {}))


def get_alias(ctx, params):
    name, entry, _ = get_function(ctx, params, allow_qualifier=False)
    alias = entry['aliases'].get(params['Name'])
    if alias is None:
        raise AwsError('ResourceNotFoundException', 'Cannot find alias arn: %s'
                       % function_arn(ctx.world, name, params['Name']))
    return alias


def _pcc_entry(ctx, params):
    name, entry, qualifier = get_function(ctx, params)
    config = entry['provisioned_concurrency'].get(qualifier)
    if config is None:
        raise AwsError('ProvisionedConcurrencyConfigNotFoundException',
                       'No Provisioned Concurrency Config found for this function')
    return name, entry, qualifier, config


def get_pcc(ctx, params):
    return _pcc_entry(ctx, params)[3]


def list_pcc(ctx, params):
    name, entry, _ = get_function(ctx, params, allow_qualifier=False)
    configs = [dict(c, FunctionArn=function_arn(ctx.world, name, q))
               for q, c in sorted(entry['provisioned_concurrency'].items())]
    items, marker = page(configs, params.get('Marker'), params.get('MaxItems'), 50)
    return dict({'ProvisionedConcurrencyConfigs': items},
                **({'NextMarker': marker} if marker else {}))


def put_pcc(ctx, params):
    name, qualifier = split_name(ctx.world, params['FunctionName'], params['Qualifier'])
    if qualifier == '$LATEST':
        raise AwsError('InvalidParameterValueException', 'Provisioned Concurrency Configs '
                       'cannot be applied to unpublished function versions.')
    _, entry, qualifier = get_function(ctx, {'FunctionName': name, 'Qualifier': qualifier})
    if entry['aliases'].get(qualifier, {}).get('RoutingConfig', {}).get(
            'AdditionalVersionWeights'):
        raise AwsError('InvalidParameterValueException', 'Alias with weights can not be used '
                       'with Provisioned Concurrency')
    wanted = params['ProvisionedConcurrentExecutions']
    reserved = entry.get('reserved_concurrency')
    if reserved is not None and wanted > reserved:
        raise AwsError('InvalidParameterValueException', 'Requested Provisioned Concurrency '
                       'should not be greater than the reservedConcurrentExecution for '
                       'function')
    stored = {'RequestedProvisionedConcurrentExecutions': wanted,
              'AvailableProvisionedConcurrentExecutions': wanted,
              'AllocatedProvisionedConcurrentExecutions': wanted,
              'Status': 'READY', 'LastModified': ctx.now}
    response = dict(stored, AvailableProvisionedConcurrentExecutions=0,
                    AllocatedProvisionedConcurrentExecutions=0, Status='IN_PROGRESS')
    if ctx.world.section('lambda').get('update_settles', True):
        entry['provisioned_concurrency'][qualifier] = stored
    else:
        entry['provisioned_concurrency'][qualifier] = copy.deepcopy(response)
    return response


def delete_pcc(ctx, params):
    _, entry, qualifier, _ = _pcc_entry(ctx, params)
    del entry['provisioned_concurrency'][qualifier]
    return {}


def get_url_config(ctx, params):
    _, entry, qualifier = get_function(ctx, params)
    config = entry['url_configs'].get(qualifier or '')
    if config is None:
        raise AwsError('ResourceNotFoundException', 'The resource you requested does not '
                       'exist.')
    return config


def list_url_configs(ctx, params):
    _, entry, _ = get_function(ctx, params, allow_qualifier=False)
    configs = [c for _, c in sorted(entry['url_configs'].items())]
    items, marker = page(configs, params.get('Marker'), params.get('MaxItems'), 50)
    return dict({'FunctionUrlConfigs': items}, **({'NextMarker': marker} if marker else {}))


def get_event_invoke_config(ctx, params):
    name, entry, qualifier = get_function(ctx, params)
    config = entry['event_invoke_configs'].get('' if qualifier in (None, '$LATEST') else qualifier)
    if config is None:
        raise AwsError('ResourceNotFoundException', "The function %s doesn't have an "
                       "EventInvokeConfig" % function_arn(ctx.world, name, qualifier or '$LATEST'))
    return config


def list_esm(ctx, params):
    mappings = ctx.world.section('lambda').get('event_source_mappings', [])
    wanted_fn = None
    if params.get('FunctionName'):
        name, qualifier = split_name(ctx.world, params['FunctionName'])
        wanted_fn = function_arn(ctx.world, name, qualifier)
    selected = [m for m in mappings
                if (wanted_fn is None or m.get('FunctionArn') == wanted_fn)
                and params.get('EventSourceArn') in (None, m.get('EventSourceArn'))]
    items, marker = page(selected, params.get('Marker'), params.get('MaxItems'), 100)
    return dict({'EventSourceMappings': items}, **({'NextMarker': marker} if marker else {}))


def get_esm(ctx, params):
    for mapping in ctx.world.section('lambda').get('event_source_mappings', []):
        if mapping['UUID'] == params['UUID']:
            return mapping
    raise AwsError('ResourceNotFoundException', 'The resource you requested does not exist.')


HANDLERS = {
    ('lambda', 'ListVersionsByFunction'): list_versions,
    ('lambda', 'ListAliases'): list_aliases,
    ('lambda', 'GetAlias'): get_alias,
    ('lambda', 'GetProvisionedConcurrencyConfig'): get_pcc,
    ('lambda', 'ListProvisionedConcurrencyConfigs'): list_pcc,
    ('lambda', 'PutProvisionedConcurrencyConfig'): put_pcc,
    ('lambda', 'DeleteProvisionedConcurrencyConfig'): delete_pcc,
    ('lambda', 'GetFunctionUrlConfig'): get_url_config,
    ('lambda', 'ListFunctionUrlConfigs'): list_url_configs,
    ('lambda', 'GetFunctionEventInvokeConfig'): get_event_invoke_config,
    ('lambda', 'ListEventSourceMappings'): list_esm,
    ('lambda', 'GetEventSourceMapping'): get_esm,
}
