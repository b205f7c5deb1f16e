"""Lambda writes that publish and route: PublishVersion, UpdateFunctionCode,
Create/Update/DeleteAlias and UpdateEventSourceMapping.

Exists so remediation (a rollback that points an alias back at an earlier version,
re-enabling an event source mapping, a code fix published as a version) can be played
against the fake with Lambda's own rules: versions are immutable snapshots of $LATEST
numbered max+1 (and not published again when nothing changed), an alias has its own
RevisionId that every UpdateAlias changes, a stale RevisionId is 412
PreconditionFailedException, weighted routing obeys Lambda's limits. Reads of what
these write live in svc_lambda.py / svc_lambda_more.py.
"""

import base64
import copy
import hashlib
import re
import uuid

from errors import AwsError
from handlers import lambda_updates
from handlers.svc_lambda import (_check_revision as check_function_revision,
                                 _touch as touch, function_arn, get_function, not_found,
                                 resolved_config, split_name)

# What makes two configurations "the same function" for PublishVersion.
VOLATILE = ('FunctionArn', 'Version', 'RevisionId', 'LastModified', 'Description', 'State',
            'StateReason', 'StateReasonCode', 'LastUpdateStatus', 'LastUpdateStatusReason',
            'LastUpdateStatusReasonCode', 'MasterArn')
ALIAS_NAME = r'(?!^[0-9]+$)([a-zA-Z0-9-_]+)'
ESM_FIELDS = ('BatchSize', 'FilterCriteria', 'MaximumBatchingWindowInSeconds',
              'DestinationConfig', 'MaximumRecordAgeInSeconds', 'BisectBatchOnFunctionError',
              'MaximumRetryAttempts', 'ParallelizationFactor', 'SourceAccessConfigurations',
              'TumblingWindowInSeconds', 'FunctionResponseTypes')
PRECONDITION = ('The Revision Id provided does not match the latest Revision Id. Call the '
                'GetFunction/GetAlias API to retrieve the latest Revision Id')


def _snapshot(world, name, config, number, overrides):
    """An immutable version: $LATEST's configuration as it was, plus overrides."""
    version = copy.deepcopy(config)
    for key in lambda_updates.REASON_KEYS:
        version.pop(key, None)
    version.update({'Version': number, 'FunctionArn': function_arn(world, name, number),
                    'State': 'Active', 'LastUpdateStatus': 'Successful',
                    'RevisionId': str(uuid.uuid5(uuid.NAMESPACE_URL, name + ':' + number))})
    version.update(overrides)
    return version


def prepare(world):
    """Freeze the world's versions: each is $LATEST at load plus its own overrides, so
    later writes to $LATEST do not change what a published version holds."""
    for name, fn in world.section('lambda').get('functions', {}).items():
        config = fn['configuration']
        for number, overrides in list(fn.get('versions', {}).items()):
            fn['versions'][number] = _snapshot(world, name, config, number, overrides or {})


def _comparable(config):
    return {k: v for k, v in config.items() if k not in VOLATILE}


def publish(ctx, name, entry, description=None):
    """Publish $LATEST as version max+1, or return the newest version unchanged when
    neither code nor configuration changed since it was published (as Lambda does)."""
    config = entry['configuration']
    versions = entry.setdefault('versions', {})
    newest = max(versions, key=int) if versions else None
    if newest is not None and _comparable(versions[newest]) == _comparable(config):
        return resolved_config(ctx, name, entry, newest)
    number = str(int(newest) + 1 if newest is not None else 1)
    versions[number] = _snapshot(ctx.world, name, config, number, {
        'Description': config.get('Description', '') if description is None else description,
        'RevisionId': str(uuid.uuid4()), 'LastModified': ctx.now})
    return resolved_config(ctx, name, entry, number)


def publish_version(ctx, params):
    name, entry, _ = get_function(ctx, params, allow_qualifier=False)
    config = entry['configuration']
    lambda_updates.refuse_if_updating(ctx, name, config)
    check_function_revision(entry, params)
    wanted = params.get('CodeSha256')
    if wanted and wanted != config.get('CodeSha256'):
        raise AwsError('InvalidParameterValueException', 'CodeSHA256 (%s) is different from '
                       'current CodeSHA256 in $LATEST (%s). Please try again with the '
                       'CodeSHA256 in $LATEST.' % (wanted, config.get('CodeSha256')))
    return publish(ctx, name, entry, params.get('Description'))


def _code_source(params):
    """(CodeSha256, CodeSize or None, code fields) for UpdateFunctionCode's source."""
    sources = [k for k in ('ZipFile', 'S3Bucket', 'ImageUri') if params.get(k)]
    if len(sources) != 1 or (params.get('S3Bucket') and not params.get('S3Key')):
        raise AwsError('InvalidParameterValueException', 'Please provide a source for '
                       'function code: exactly one of ZipFile, S3Bucket with S3Key, or '
                       'ImageUri.')
    if params.get('ZipFile'):
        blob = params['ZipFile']
        blob = blob.encode() if isinstance(blob, str) else bytes(blob)
        return base64.b64encode(hashlib.sha256(blob).digest()).decode(), len(blob), None
    if params.get('S3Bucket'):
        seed = '%s/%s@%s' % (params['S3Bucket'], params['S3Key'],
                             params.get('S3ObjectVersion', ''))
        return base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode(), None, None
    digest = hashlib.sha256(params['ImageUri'].encode()).hexdigest()
    return digest, None, {'RepositoryType': 'ECR', 'ImageUri': params['ImageUri'],
                          'ResolvedImageUri': params['ImageUri'].split(':')[0]
                          + '@sha256:' + digest}


def update_function_code(ctx, params):
    name, entry, _ = get_function(ctx, params, allow_qualifier=False)
    config = entry['configuration']
    lambda_updates.refuse_if_updating(ctx, name, config)
    check_function_revision(entry, params)
    sha, size, code = _code_source(params)
    if code is not None and config.get('PackageType') != 'Image':
        raise AwsError('InvalidParameterValueException', 'Please provide ImageUri only for '
                       'functions with PackageType Image.')
    if code is None and config.get('PackageType') == 'Image':
        raise AwsError('InvalidParameterValueException', 'Please provide ImageUri when '
                       'updating a function with packageType Image.')
    if params.get('DryRun'):
        return dict(copy.deepcopy(config), CodeSha256=sha)
    config['CodeSha256'] = sha
    if size is not None:
        config['CodeSize'] = size
    if params.get('Architectures'):
        config['Architectures'] = list(params['Architectures'])
    if code is not None:
        entry['code'] = code
    touch(ctx, entry)
    response = lambda_updates.begin(ctx, name, entry)
    if params.get('Publish'):
        return publish(ctx, name, entry)
    return response


def _alias(ctx, name, entry, alias_name):
    alias = entry.setdefault('aliases', {}).get(alias_name)
    if alias is None:
        raise AwsError('ResourceNotFoundException', 'Cannot find alias arn: %s'
                       % function_arn(ctx.world, name, alias_name))
    return alias


def _check_version(ctx, name, entry, version):
    if version != '$LATEST' and version not in entry.get('versions', {}):
        raise not_found(ctx.world, name, version)


def _routing(ctx, name, entry, primary, routing, has_pcc):
    """Validated AdditionalVersionWeights ({} when none)."""
    weights = dict((routing or {}).get('AdditionalVersionWeights') or {})
    if not weights:
        return {}
    if len(weights) > 1:
        raise AwsError('InvalidParameterValueException', 'Number of additional versions in '
                       'routing config cannot exceed 1.')
    if primary == '$LATEST':
        raise AwsError('InvalidParameterValueException', '$LATEST is not supported for an '
                       'alias pointing to more than 1 version')
    for version, weight in weights.items():
        if version == primary:
            raise AwsError('InvalidParameterValueException', 'Primary version %s cannot be '
                           'an additional version in the routing config.' % version)
        if not 0.0 <= float(weight) <= 1.0:
            raise AwsError('InvalidParameterValueException', 'Invalid weight %s for version '
                           '%s: it must be between 0.0 and 1.0.' % (weight, version))
        _check_version(ctx, name, entry, version)
    if has_pcc:
        raise AwsError('InvalidParameterValueException', 'Alias with weights can not be used '
                       'with Provisioned Concurrency')
    return weights


def create_alias(ctx, params):
    name, entry, _ = get_function(ctx, params, allow_qualifier=False)
    alias_name = params['Name']
    if not re.fullmatch(ALIAS_NAME, alias_name):
        raise AwsError('ValidationException', "1 validation error detected: Value '%s' at "
                       "'name' failed to satisfy constraint: Member must satisfy regular "
                       "expression pattern: %s" % (alias_name, ALIAS_NAME))
    if alias_name in entry.setdefault('aliases', {}):
        raise AwsError('ResourceConflictException', 'Alias already exists: %s'
                       % function_arn(ctx.world, name, alias_name))
    _check_version(ctx, name, entry, params['FunctionVersion'])
    weights = _routing(ctx, name, entry, params['FunctionVersion'],
                       params.get('RoutingConfig'), False)
    alias = {'AliasArn': function_arn(ctx.world, name, alias_name), 'Name': alias_name,
             'FunctionVersion': params['FunctionVersion'],
             'Description': params.get('Description', ''), 'RevisionId': str(uuid.uuid4())}
    if weights:
        alias['RoutingConfig'] = {'AdditionalVersionWeights': weights}
    entry['aliases'][alias_name] = alias
    return alias


def update_alias(ctx, params):
    name, entry, _ = get_function(ctx, params, allow_qualifier=False)
    alias = _alias(ctx, name, entry, params['Name'])
    if params.get('RevisionId') and params['RevisionId'] != alias['RevisionId']:
        raise AwsError('PreconditionFailedException', PRECONDITION)
    primary = params.get('FunctionVersion', alias['FunctionVersion'])
    _check_version(ctx, name, entry, primary)
    routing = params['RoutingConfig'] if 'RoutingConfig' in params \
        else alias.get('RoutingConfig')
    has_pcc = params['Name'] in entry.get('provisioned_concurrency', {})
    weights = _routing(ctx, name, entry, primary, routing, has_pcc)
    alias['FunctionVersion'] = primary
    if 'Description' in params:
        alias['Description'] = params['Description']
    if weights:
        alias['RoutingConfig'] = {'AdditionalVersionWeights': weights}
    else:
        alias.pop('RoutingConfig', None)
    alias['RevisionId'] = str(uuid.uuid4())
    return alias


def delete_alias(ctx, params):
    """Deleting an alias that does not exist succeeds (Lambda answers 204 either way)."""
    _, entry, _ = get_function(ctx, params, allow_qualifier=False)
    alias_name = params['Name']
    if entry.setdefault('aliases', {}).pop(alias_name, None) is not None:
        for holder in ('provisioned_concurrency', 'url_configs', 'qualified_policies',
                       'event_invoke_configs'):
            (entry.get(holder) or {}).pop(alias_name, None)
    return {}


def _mapping(ctx, uuid_text):
    for mapping in ctx.world.section('lambda').get('event_source_mappings', []):
        if mapping['UUID'] == uuid_text:
            return mapping
    raise AwsError('ResourceNotFoundException', 'The resource you requested does not exist.')


def update_event_source_mapping(ctx, params):
    """Applies at once (the stored State is Enabled/Disabled); the answer shows the
    transition state Lambda answers with (Enabling, Disabling or Updating)."""
    mapping = _mapping(ctx, params['UUID'])
    if params.get('FunctionName'):
        name, qualifier = split_name(ctx.world, params['FunctionName'])
        if name not in ctx.world.section('lambda')['functions']:
            raise not_found(ctx.world, name, qualifier)
        mapping['FunctionArn'] = function_arn(ctx.world, name, qualifier)
    batch = params.get('BatchSize', mapping.get('BatchSize', 0)) or 0
    window = params.get('MaximumBatchingWindowInSeconds',
                        mapping.get('MaximumBatchingWindowInSeconds', 0)) or 0
    if ':sqs:' in mapping.get('EventSourceArn', '') and batch > 10 and window < 1:
        raise AwsError('InvalidParameterValueException', 'Maximum batch window in seconds '
                       'must be greater than 0 if maximum batch size is greater than 10')
    for field in ESM_FIELDS:
        if field in params:
            mapping[field] = params[field]
    transition = 'Updating'
    if 'Enabled' in params:
        wanted = 'Enabled' if params['Enabled'] else 'Disabled'
        if mapping.get('State') != wanted:
            transition = 'Enabling' if params['Enabled'] else 'Disabling'
        mapping['State'] = wanted
    mapping['StateTransitionReason'] = 'USER_INITIATED'
    mapping['LastModified'] = ctx.now
    return dict(copy.deepcopy(mapping), State=transition)


HANDLERS = {
    ('lambda', 'PublishVersion'): publish_version,
    ('lambda', 'UpdateFunctionCode'): update_function_code,
    ('lambda', 'CreateAlias'): create_alias,
    ('lambda', 'UpdateAlias'): update_alias,
    ('lambda', 'DeleteAlias'): delete_alias,
    ('lambda', 'UpdateEventSourceMapping'): update_event_source_mapping,
}
