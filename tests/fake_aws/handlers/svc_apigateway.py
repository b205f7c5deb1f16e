"""API Gateway REST APIs (v1) and HTTP APIs (v2) in front of Lambda functions.

Exists for the 502/403 diagnoses: which APIs integrate with a function, with what
integration type, timeout and payload format, and through which stages and routes.
v1 objects are written in v1's lowerCamel member names, v2 objects in botocore's
PascalCase names (the serializer turns them into v2's lowerCamel wire names).
"""

import datetime

from errors import AwsError
from handlers.common import page


def prepare(world):
    created = world.loaded_at - datetime.timedelta(days=90)
    for api_id, entry in world.section('apigateway').setdefault('rest_apis', {}).items():
        api = entry.setdefault('api', {})
        api.setdefault('id', api_id)
        api.setdefault('name', api_id)
        api.setdefault('createdDate', created)
        api.setdefault('apiKeySource', 'HEADER')
        api.setdefault('endpointConfiguration', {'types': ['REGIONAL']})
        api.setdefault('disableExecuteApiEndpoint', False)
        for res_id, res in entry.setdefault('resources', {}).items():
            res.setdefault('id', res_id)
            res.setdefault('path', '/')
            for verb, method in res.setdefault('methods', {}).items():
                body = method.setdefault('method', {})
                body.setdefault('httpMethod', verb)
                body.setdefault('authorizationType', 'NONE')
                body.setdefault('apiKeyRequired', False)
                if 'integration' in method:
                    integ = method['integration']
                    integ.setdefault('passthroughBehavior', 'WHEN_NO_MATCH')
                    integ.setdefault('timeoutInMillis', 29000)
                    integ.setdefault('cacheNamespace', res_id)
                    integ.setdefault('cacheKeyParameters', [])
        for name, stage in entry.setdefault('stages', {}).items():
            stage.setdefault('stageName', name)
            stage.setdefault('createdDate', created)
            stage.setdefault('lastUpdatedDate', created)
    for api_id, entry in world.section('apigatewayv2').setdefault('apis', {}).items():
        api = entry.setdefault('api', {})
        api.setdefault('ApiId', api_id)
        api.setdefault('Name', api_id)
        api.setdefault('ProtocolType', 'HTTP')
        api.setdefault('ApiEndpoint', 'https://%s.execute-api.%s.amazonaws.com'
                       % (api_id, world.region))
        api.setdefault('RouteSelectionExpression', '$request.method $request.path')
        api.setdefault('CreatedDate', created)
        api.setdefault('DisableExecuteApiEndpoint', False)
        for key, id_field in (('integrations', 'IntegrationId'), ('routes', 'RouteId'),
                              ('stages', 'StageName')):
            for item_id, item in entry.setdefault(key, {}).items():
                item.setdefault(id_field, item_id)
        for integ in entry['integrations'].values():
            integ.setdefault('ConnectionType', 'INTERNET')
            integ.setdefault('IntegrationMethod', 'POST')
            integ.setdefault('PayloadFormatVersion', '2.0')
            integ.setdefault('TimeoutInMillis', 30000)
        for route in entry['routes'].values():
            route.setdefault('AuthorizationType', 'NONE')
            route.setdefault('ApiKeyRequired', False)
        for stage in entry['stages'].values():
            stage.setdefault('CreatedDate', created)
            stage.setdefault('LastUpdatedDate', created)
            stage.setdefault('DefaultRouteSettings', {'DetailedMetricsEnabled': False})


def _not_found(what, ident=''):
    return AwsError('NotFoundException', 'Invalid %s identifier specified %s'
                    % (what, ident), 404)


def _rest_api(ctx, params):
    entry = ctx.world.section('apigateway')['rest_apis'].get(params['restApiId'])
    if entry is None:
        raise _not_found('API', '%s:%s' % (ctx.account_id, params['restApiId']))
    return entry


def _v1_page(items, params):
    chosen, position = page(items, params.get('position'), params.get('limit'), 25,
                            'BadRequestException')
    return dict({'items': chosen}, **({'position': position} if position else {}))


def get_rest_apis(ctx, params):
    apis = [e['api'] for _, e in sorted(ctx.world.section('apigateway')['rest_apis'].items())]
    return _v1_page(apis, params)


def get_rest_api(ctx, params):
    return _rest_api(ctx, params)['api']


def _method_output(method, embed_integration=True):
    out = dict(method['method'])
    if embed_integration and 'integration' in method:
        out['methodIntegration'] = method['integration']
    return out


def _resource_output(res, embed):
    out = {k: v for k, v in res.items() if k != 'methods'}
    if res['methods']:
        out['resourceMethods'] = {verb: _method_output(m) if embed else {}
                                  for verb, m in res['methods'].items()}
    return out


def get_resources(ctx, params):
    entry = _rest_api(ctx, params)
    embed = 'methods' in (params.get('embed') or [])
    items = [_resource_output(r, embed) for r in sorted(entry['resources'].values(),
                                                        key=lambda r: r['path'])]
    return _v1_page(items, params)


def _resource(ctx, params):
    res = _rest_api(ctx, params)['resources'].get(params['resourceId'])
    if res is None:
        raise _not_found('Resource')
    return res


def get_resource(ctx, params):
    return _resource_output(_resource(ctx, params), 'methods' in (params.get('embed') or []))


def _method(ctx, params):
    method = _resource(ctx, params)['methods'].get(params['httpMethod'])
    if method is None:
        raise _not_found('Method')
    return method


def get_method(ctx, params):
    return _method_output(_method(ctx, params))


def get_integration(ctx, params):
    method = _method(ctx, params)
    if 'integration' not in method:
        raise _not_found('Integration')
    return method['integration']


def get_stages(ctx, params):
    stages = list(_rest_api(ctx, params)['stages'].values())
    if params.get('deploymentId'):
        stages = [s for s in stages if s.get('deploymentId') == params['deploymentId']]
    return {'item': stages}


def get_stage(ctx, params):
    stage = _rest_api(ctx, params)['stages'].get(params['stageName'])
    if stage is None:
        raise _not_found('Stage')
    return stage


# UpdateStage patch paths of a method setting (/{resource}/{method}/...) -> its member.
_METHOD_SETTINGS = {'logging/loglevel': ('loggingLevel', str),
                    'logging/dataTrace': ('dataTraceEnabled', 'bool'),
                    'metrics/enabled': ('metricsEnabled', 'bool'),
                    'throttling/burstLimit': ('throttlingBurstLimit', int),
                    'throttling/rateLimit': ('throttlingRateLimit', float)}
_STAGE_MEMBERS = {'description': str, 'tracingEnabled': 'bool', 'cacheClusterEnabled': 'bool',
                  'deploymentId': str}


def _patch_value(kind, value):
    if kind == 'bool':
        return str(value).lower() == 'true'
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise AwsError('BadRequestException', 'Invalid patch value %r' % value, 400)


def _apply_stage_patch(stage, op):
    path, value = op.get('path', ''), op.get('value')
    if op.get('op') not in ('replace', 'add'):
        raise AwsError('BadRequestException', "the fake applies only 'replace' and 'add' "
                       'to a stage, not %r' % op.get('op'), 400)
    parts = path.lstrip('/').split('/')
    if len(parts) == 4 and '/'.join(parts[2:]) in _METHOD_SETTINGS:
        member, kind = _METHOD_SETTINGS['/'.join(parts[2:])]
        key = '%s/%s' % (parts[0].replace('~1', '/'), parts[1])
        stage.setdefault('methodSettings', {}).setdefault(key, {})[member] = \
            _patch_value(kind, value)
    elif len(parts) == 2 and parts[0] == 'variables':
        stage.setdefault('variables', {})[parts[1]] = value
    elif len(parts) == 1 and parts[0] in _STAGE_MEMBERS:
        stage[parts[0]] = _patch_value(_STAGE_MEMBERS[parts[0]], value)
    else:
        raise AwsError('BadRequestException', 'Invalid patch path %s' % path, 400)


def update_stage(ctx, params):
    """Applies the patch operations a fix plan sends (method settings, variables, a few
    stage members); an unknown API or stage is API Gateway's NotFoundException."""
    stage = get_stage(ctx, params)
    for op in params.get('patchOperations') or []:
        _apply_stage_patch(stage, op)
    stage['lastUpdatedDate'] = ctx.now
    return stage


def _http_api(ctx, params):
    entry = ctx.world.section('apigatewayv2')['apis'].get(params['ApiId'])
    if entry is None:
        raise AwsError('NotFoundException', 'Invalid API identifier specified %s:%s'
                       % (ctx.account_id, params['ApiId']), 404,
                       fields={'resourceType': 'Api'})
    return entry


def _v2_page(items, params):
    limit = int(params['MaxResults']) if str(params.get('MaxResults', '')).isdigit() else None
    chosen, token = page(items, params.get('NextToken'), limit, 100, 'BadRequestException')
    return dict({'Items': chosen}, **({'NextToken': token} if token else {}))


def get_apis(ctx, params):
    apis = [e['api'] for _, e in sorted(ctx.world.section('apigatewayv2')['apis'].items())]
    return _v2_page(apis, params)


def get_api(ctx, params):
    return _http_api(ctx, params)['api']


def _v2_collection(key):
    def handle(ctx, params):
        return _v2_page([v for _, v in sorted(_http_api(ctx, params)[key].items())], params)
    return handle


def _v2_item(key, param, resource_type):
    def handle(ctx, params):
        item = _http_api(ctx, params)[key].get(params[param])
        if item is None:
            raise AwsError('NotFoundException', 'Invalid %s identifier specified %s'
                           % (resource_type, params[param]), 404,
                           fields={'resourceType': resource_type})
        return item
    return handle


HANDLERS = {
    ('apigateway', 'GetRestApis'): get_rest_apis,
    ('apigateway', 'GetRestApi'): get_rest_api,
    ('apigateway', 'GetResources'): get_resources,
    ('apigateway', 'GetResource'): get_resource,
    ('apigateway', 'GetMethod'): get_method,
    ('apigateway', 'GetIntegration'): get_integration,
    ('apigateway', 'GetStages'): get_stages,
    ('apigateway', 'GetStage'): get_stage,
    ('apigateway', 'UpdateStage'): update_stage,
    ('apigatewayv2', 'GetApis'): get_apis,
    ('apigatewayv2', 'GetApi'): get_api,
    ('apigatewayv2', 'GetIntegrations'): _v2_collection('integrations'),
    ('apigatewayv2', 'GetIntegration'): _v2_item('integrations', 'IntegrationId',
                                                 'Integration'),
    ('apigatewayv2', 'GetRoutes'): _v2_collection('routes'),
    ('apigatewayv2', 'GetRoute'): _v2_item('routes', 'RouteId', 'Route'),
    ('apigatewayv2', 'GetStages'): _v2_collection('stages'),
    ('apigatewayv2', 'GetStage'): _v2_item('stages', 'StageName', 'Stage'),
}
