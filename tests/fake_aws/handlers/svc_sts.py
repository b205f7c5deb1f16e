"""STS: who am I, and the role assumptions a credential chain performs.

Exists so the client's credential providers (role_arn + source_profile, web identity)
can be tested end to end: AssumeRole / AssumeRoleWithWebIdentity hand out credentials
listed in the world, and the server then accepts requests signed with them.
"""

import datetime

from errors import AwsError
from handlers.common import fake_id
from world import WorldError


def prepare(world):
    for role_arn, entry in world.section('sts').setdefault('roles', {}).items():
        if 'credentials' not in entry:
            raise WorldError('sts role %s needs "credentials" (an access key id)' % role_arn)
        world.credential_ref(entry['credentials'], 'sts role %s' % role_arn)


def get_caller_identity(ctx, params):
    caller = ctx.caller
    return {'UserId': caller.user_id, 'Account': ctx.account_id, 'Arn': caller.arn}


def _role_entry(ctx, role_arn, action):
    entry = ctx.world.section('sts')['roles'].get(role_arn)
    if entry is None:
        raise AwsError('AccessDenied', 'User: %s is not authorized to perform: %s on '
                       'resource: %s' % (ctx.caller_arn, action, role_arn), 403)
    return entry


def _issue(ctx, role_arn, entry, session_name):
    cred = ctx.world.credential(entry['credentials'])
    role_name = role_arn.rsplit('/', 1)[-1]
    role_id = entry.get('role_id') or fake_id('AROA', role_arn, 17,
                                              'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')
    assumed_arn = 'arn:aws:sts::%s:assumed-role/%s/%s' % (ctx.account_id, role_name,
                                                          session_name)
    if not cred.arn_explicit:
        cred.arn = assumed_arn
        cred.user_id = '%s:%s' % (role_id, session_name)
    expires = cred.expires or (ctx.now + datetime.timedelta(hours=1))
    return {'Credentials': {'AccessKeyId': cred.access_key_id,
                            'SecretAccessKey': cred.secret_access_key,
                            'SessionToken': cred.session_token or '',
                            'Expiration': expires},
            'AssumedRoleUser': {'AssumedRoleId': '%s:%s' % (role_id, session_name),
                                'Arn': assumed_arn}}


def assume_role(ctx, params):
    entry = _role_entry(ctx, params['RoleArn'], 'sts:AssumeRole')
    allowed = entry.get('allowed_callers')
    if allowed is not None and ctx.caller_arn not in allowed:
        raise AwsError('AccessDenied', 'User: %s is not authorized to perform: sts:AssumeRole '
                       'on resource: %s' % (ctx.caller_arn, params['RoleArn']), 403)
    out = _issue(ctx, params['RoleArn'], entry, params['RoleSessionName'])
    out['PackedPolicySize'] = 0 if params.get('Policy') else None
    return out


def assume_role_with_web_identity(ctx, params):
    entry = _role_entry(ctx, params['RoleArn'], 'sts:AssumeRoleWithWebIdentity')
    tokens = entry.get('web_identity_tokens')
    if tokens is not None and params['WebIdentityToken'] not in tokens:
        raise AwsError('InvalidIdentityToken', "Couldn't retrieve verification key from your "
                       'identity provider,  please reference AssumeRoleWithWebIdentity '
                       'documentation for requirements', 400)
    out = _issue(ctx, params['RoleArn'], entry, params['RoleSessionName'])
    out.update({'SubjectFromWebIdentityToken': entry.get('subject', 'system:serviceaccount:'
                                                         'default:runbook'),
                'Provider': entry.get('provider', 'arn:aws:iam::%s:oidc-provider/'
                                      'oidc.example.com' % ctx.account_id),
                'Audience': entry.get('audience', 'sts.amazonaws.com')})
    return out


HANDLERS = {
    ('sts', 'GetCallerIdentity'): get_caller_identity,
    ('sts', 'AssumeRole'): assume_role,
    ('sts', 'AssumeRoleWithWebIdentity'): assume_role_with_web_identity,
}
