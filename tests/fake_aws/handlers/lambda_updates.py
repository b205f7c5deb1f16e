"""Lambda's update lifecycle: LastUpdateStatus after a configuration or code change.

Exists because a write to a function does not take effect at once in Lambda: the write
answers "InProgress", later reads show "InProgress" until the update settles to
"Successful" (or "Failed" with a reason), and a second update meanwhile is refused
with ResourceConflictException. Remediation code must wait for that, so the world
chooses how long it lasts, counted in reads (not seconds, so tests stay fast and exact):

    "lambda": {"update_in_progress_reads": 2,   # InProgress for the next 2 reads
               "update_settles": false,         # or: InProgress forever
               "update_failure": {"LastUpdateStatusReasonCode": "SubnetOutOfIPAddresses",
                                  "LastUpdateStatusReason": "...", "count": 1}}

A "read" is a GetFunctionConfiguration or GetFunction call on the function. The
pending state lives in world.state (not in the world's JSON); the configuration itself
shows the status, so GET /__fake/world reflects it. Not a handler module (no HANDLERS):
svc_lambda.py and svc_lambda_publish.py call it.
"""

import copy

from errors import AwsError

STATE_KEY = 'lambda_updates'
REASON_KEYS = ('LastUpdateStatusReason', 'LastUpdateStatusReasonCode')
IN_PROGRESS = {'LastUpdateStatus': 'InProgress',
               'LastUpdateStatusReason': 'The function is being created.',
               'LastUpdateStatusReasonCode': 'Creating'}
DEFAULT_FAILURE = {'LastUpdateStatusReasonCode': 'InternalError',
                   'LastUpdateStatusReason': 'An internal error occurred while updating the '
                                             'function.'}


def _arn(ctx, name):
    return 'arn:aws:lambda:%s:%s:function:%s' % (ctx.world.region, ctx.account_id, name)


def refuse_if_updating(ctx, name, config):
    """Lambda refuses a write while the previous update is still in progress."""
    if config.get('LastUpdateStatus') == 'InProgress':
        raise AwsError('ResourceConflictException', 'The operation cannot be performed at '
                       'this time. An update is in progress for resource: %s'
                       % _arn(ctx, name))


def _take_failure(section):
    """The outcome fields if this update is to fail (consuming one of its "count")."""
    rule = section.get('update_failure')
    if not rule:
        return None
    if isinstance(rule, dict) and 'count' in rule:
        if int(rule['count']) <= 0:
            return None
        rule['count'] = int(rule['count']) - 1
    fields = dict(DEFAULT_FAILURE)
    if isinstance(rule, dict):
        fields.update({k: rule[k] for k in REASON_KEYS if k in rule})
    return dict(fields, LastUpdateStatus='Failed')


def _settle(config, outcome):
    for key in REASON_KEYS:
        config.pop(key, None)
    config.update(outcome)


def begin(ctx, name, entry):
    """Start an update of $LATEST (already applied to the configuration); returns the
    write's response: the new configuration with LastUpdateStatus InProgress."""
    section = ctx.world.section('lambda')
    config = entry['configuration']
    response = copy.deepcopy(config)
    response.update(IN_PROGRESS)
    pending = ctx.world.state.setdefault(STATE_KEY, {})
    pending.pop(name, None)
    if not section.get('update_settles', True):
        config.update(IN_PROGRESS)
        return response
    outcome = _take_failure(section) or {'LastUpdateStatus': 'Successful'}
    reads = int(section.get('update_in_progress_reads', 0))
    if reads > 0:
        config.update(IN_PROGRESS)
        pending[name] = {'reads': reads, 'outcome': outcome}
    else:
        _settle(config, outcome)
    return response


def observe(ctx, name, entry):
    """One read of the function: counts down a pending update, settling it when due."""
    pending = ctx.world.state.get(STATE_KEY, {})
    item = pending.get(name)
    if item is None:
        return
    if item['reads'] > 0:
        item['reads'] -= 1
        return
    _settle(entry['configuration'], item['outcome'])
    del pending[name]
