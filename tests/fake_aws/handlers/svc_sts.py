"""STS: who am I, and the role assumptions a credential chain performs.

Exists so the client's credential providers (role_arn + source_profile, web identity)
and a fleet's cross-account reads can be tested end to end: AssumeRole /
AssumeRoleWithWebIdentity hand out credentials listed in the world (for a role of
another account, that account's: the next requests then reach its worlds), checking the
role's trust (allowed_callers, trusted_accounts) and external_id as AWS does, and the
server then accepts requests signed with them.
"""

import datetime

from errors import AwsError
from handlers.common import fake_id
from world import WorldError


def prepare(world):
    for role_arn, entry in world.section('sts').setdefault('roles', {}).items():
        if not isinstance(entry, dict):
            raise WorldError('sts role %s must be an object' % role_arn)
        if 'credentials' not in entry:
            raise WorldError('sts role %s needs "credentials" (an access key id)' % role_arn)
        world.credential_ref(entry['credentials'], 'sts role %s' % role_arn)


def get_caller_identity(ctx, params):
    caller = ctx.caller
    return {'UserId': caller.user_id, 'Account': ctx.account_id, 'Arn': caller.arn}


def _denied(ctx, action, role_arn):
    return AwsError('AccessDenied', 'User: %s is not authorized to perform: %s on '
                    'resource: %s' % (ctx.caller_arn, action, role_arn), 403)


def _role_entry(ctx, role_arn, action):
    """(entry, the world of the role's account): another account's role when the
    server holds several accounts (universe.py)."""
    parts = role_arn.split(':')
    home = ctx.world
    if ctx.world.universe is not None and len(parts) > 4:
        home = ctx.world.universe.account(parts[4]) or ctx.world
    entry = home.section('sts').get('roles', {}).get(role_arn)
    if entry is None:
        raise _denied(ctx, action, role_arn)
    return entry, home


def _trusts(entry, home, caller):
    """A role trusts its own account's callers; another account's only when listed in
    its trusted_accounts ("*" for any) or allowed_callers."""
    allowed = entry.get('allowed_callers')
    if allowed is not None and caller.arn in allowed:
        return True
    caller_account = getattr(caller, 'account_id', home.account_id)
    if caller_account != home.account_id:
        trusted = entry.get('trusted_accounts') or []
        return '*' in trusted or caller_account in trusted
    return allowed is None


def _issue(ctx, role_arn, entry, session_name, home=None):
    home = home or ctx.world
    cred = home.credential(entry['credentials'])
    role_name = role_arn.rsplit('/', 1)[-1]
    role_id = entry.get('role_id') or fake_id('AROA', role_arn, 17,
                                              'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')
    assumed_arn = 'arn:aws:sts::%s:assumed-role/%s/%s' % (home.account_id, role_name,
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
    entry, home = _role_entry(ctx, params['RoleArn'], 'sts:AssumeRole')
    if ctx.caller is not None and not _trusts(entry, home, ctx.caller):
        raise _denied(ctx, 'sts:AssumeRole', params['RoleArn'])
    # a wrong or missing ExternalId is refused with the same words as an untrusted caller
    if 'external_id' in entry and params.get('ExternalId') != entry['external_id']:
        raise _denied(ctx, 'sts:AssumeRole', params['RoleArn'])
    out = _issue(ctx, params['RoleArn'], entry, params['RoleSessionName'], home)
    out['PackedPolicySize'] = 0 if params.get('Policy') else None
    return out


def assume_role_with_web_identity(ctx, params):
    entry, home = _role_entry(ctx, params['RoleArn'], 'sts:AssumeRoleWithWebIdentity')
    tokens = entry.get('web_identity_tokens')
    if tokens is not None and params['WebIdentityToken'] not in tokens:
        raise AwsError('InvalidIdentityToken', "Couldn't retrieve verification key from your "
                       'identity provider,  please reference AssumeRoleWithWebIdentity '
                       'documentation for requirements', 400)
    out = _issue(ctx, params['RoleArn'], entry, params['RoleSessionName'], home)
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
