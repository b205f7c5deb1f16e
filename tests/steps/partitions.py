"""A fake world moved to another AWS partition, for step tests that build or match ARNs.

The fake server takes any region; its defaults write "arn:aws:" ARNs, so the move also
spells out the ARNs it would otherwise make up (functions, roles). The AWS managed
policies the fake holds exist only in "aws": attachments of them are dropped.
"""

import json

MANAGED = ':iam::aws:policy/'


def moved(world, region='cn-north-1', partition='aws-cn'):
    """A copy of `world` in `region` with every ARN in `partition`."""
    old_region = world.get('region', 'us-east-1')
    text = json.dumps(world).replace('arn:aws:', 'arn:%s:' % partition)
    out = json.loads(text.replace(old_region, region))
    out['region'] = region
    account = out.get('account_id', '123456789012')
    for name, fn in out.get('lambda', {}).get('functions', {}).items():
        fn.setdefault('configuration', {})['FunctionArn'] = \
            'arn:%s:lambda:%s:%s:function:%s' % (partition, region, account, name)
    for name, role in out.get('iam', {}).get('roles', {}).items():
        role.setdefault('role', {})['Arn'] = 'arn:%s:iam::%s:role/%s' % (partition, account, name)
        role['attached_policies'] = [a for a in role.get('attached_policies', [])
                                     if MANAGED not in a]
    return out
