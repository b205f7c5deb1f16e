"""EC2 networking reads: VPCs, subnets, routes, gateways, security groups, ENIs, endpoints.

Exists for the VPC diagnosis (no NAT route, subnet out of IPs, ENI limits, missing
endpoints). All Describe* calls share one engine: ids, EC2 filters (names resolved
against the botocore shape, so an unknown filter fails with EC2's error; values with
'*'/'?' wildcards; tag:KEY and tag-key) and MaxResults/NextToken pagination.
"""

from errors import AwsError
from handlers.common import page, wildcard

# operation -> (world key, output member, ids param, id field, not-found code, message)
RESOURCES = {
    'DescribeVpcs': ('vpcs', 'Vpcs', 'VpcIds', 'VpcId', 'InvalidVpcID.NotFound',
                     "The vpc ID '%s' does not exist"),
    'DescribeSubnets': ('subnets', 'Subnets', 'SubnetIds', 'SubnetId',
                        'InvalidSubnetID.NotFound', "The subnet ID '%s' does not exist"),
    'DescribeRouteTables': ('route_tables', 'RouteTables', 'RouteTableIds', 'RouteTableId',
                            'InvalidRouteTableID.NotFound',
                            "The routeTable ID '%s' does not exist"),
    'DescribeNatGateways': ('nat_gateways', 'NatGateways', 'NatGatewayIds', 'NatGatewayId',
                            'NatGatewayNotFound', 'The Nat Gateway %s was not found'),
    'DescribeInternetGateways': ('internet_gateways', 'InternetGateways',
                                 'InternetGatewayIds', 'InternetGatewayId',
                                 'InvalidInternetGatewayID.NotFound',
                                 "The internetGateway ID '%s' does not exist"),
    'DescribeSecurityGroups': ('security_groups', 'SecurityGroups', 'GroupIds', 'GroupId',
                               'InvalidGroup.NotFound', "The security group '%s' does not "
                               'exist'),
    'DescribeNetworkInterfaces': ('network_interfaces', 'NetworkInterfaces',
                                  'NetworkInterfaceIds', 'NetworkInterfaceId',
                                  'InvalidNetworkInterfaceID.NotFound',
                                  "The networkInterface ID '%s' does not exist"),
    'DescribeVpcEndpoints': ('vpc_endpoints', 'VpcEndpoints', 'VpcEndpointIds',
                             'VpcEndpointId', 'InvalidVpcEndpointId.NotFound',
                             "The VpcEndpoint Id '%s' does not exist"),
    'DescribeNetworkAcls': ('network_acls', 'NetworkAcls', 'NetworkAclIds', 'NetworkAclId',
                            'InvalidNetworkAclID.NotFound',
                            "The networkAcl ID '%s' does not exist"),
}

# EC2 filter names whose member path is not the plain kebab->Pascal spelling.
ALIASES = {
    'group-id': 'Groups.GroupId', 'group-name': 'Groups.GroupName',
    'addresses.private-ip-address': 'PrivateIpAddresses.PrivateIpAddress',
    'association.subnet-id': 'Associations.SubnetId',
    'association.main': 'Associations.Main',
    'association.route-table-association-id': 'Associations.RouteTableAssociationId',
    'association.network-acl-id': 'Associations.NetworkAclId',
    'route.nat-gateway-id': 'Routes.NatGatewayId', 'route.gateway-id': 'Routes.GatewayId',
    'route.destination-cidr-block': 'Routes.DestinationCidrBlock',
    'route.state': 'Routes.State', 'vpc-endpoint-state': 'State',
    'is-default': 'IsDefault', 'default': 'IsDefault', 'cidr': 'CidrBlock',
    'default-for-az': 'DefaultForAz', 'vpc-endpoint-type': 'VpcEndpointType',
}
PER_RESOURCE_ALIASES = {
    'internet_gateways': {'attachment.vpc-id': 'Attachments.VpcId',
                          'attachment.state': 'Attachments.State'},
    'nat_gateways': {'state': 'State'},
    'security_groups': {'group-id': 'GroupId', 'group-name': 'GroupName'},
}
DEFAULT_STATE = {'vpcs': 'available', 'subnets': 'available', 'nat_gateways': 'available',
                 'vpc_endpoints': 'available'}


def prepare(world):
    section = world.section('ec2')
    for _, (key, *_rest) in RESOURCES.items():
        for item in section.setdefault(key, []):
            if key in DEFAULT_STATE:
                item.setdefault('State', DEFAULT_STATE[key])
            if key in ('vpcs', 'subnets', 'route_tables', 'internet_gateways',
                       'security_groups', 'network_interfaces', 'network_acls'):
                item.setdefault('OwnerId', world.account_id)
            if key == 'subnets':
                item.setdefault('SubnetArn', 'arn:aws:ec2:%s:%s:subnet/%s' % (
                    world.region, world.account_id, item.get('SubnetId', '')))
            if key == 'network_interfaces':
                item.setdefault('Status', 'in-use')
                item.setdefault('AvailabilityZone', _subnet_az(section, item.get('SubnetId')))


def _subnet_az(section, subnet_id):
    for subnet in section.get('subnets', []):
        if subnet.get('SubnetId') == subnet_id:
            return subnet.get('AvailabilityZone')
    return None


def _pascal(part):
    return ''.join(w[:1].upper() + w[1:] for w in part.split('-'))


def _member_path(shape, path):
    """Check path against the resource shape; return the list of member names or None."""
    names = []
    for part in path.split('.'):
        while shape.type_name == 'list':
            shape = shape.member
        if shape.type_name != 'structure' or part not in shape.members:
            return None
        names.append(part)
        shape = shape.members[part]
    return names


def _values(obj, names):
    """All scalar values at a member path, flattening lists on the way."""
    current = [obj]
    for name in names:
        nxt = []
        for item in current:
            if isinstance(item, list):
                item_values = [i.get(name) for i in item if isinstance(i, dict)]
            elif isinstance(item, dict):
                item_values = [item.get(name)]
            else:
                item_values = []
            for value in item_values:
                if isinstance(value, list):
                    nxt.extend(value)
                elif value is not None:
                    nxt.append(value)
        current = nxt
    return ['true' if v is True else 'false' if v is False else v for v in current]


def _tag_values(obj, key):
    return [t.get('Value', '') for t in obj.get('Tags', []) or [] if t.get('Key') == key]


def _compile_filter(world_key, shape, flt):
    name = flt.get('Name', '')
    wanted = flt.get('Values') or []
    if name.startswith('tag:'):
        key = name[4:]
        return lambda obj: any(wildcard(w, v) for v in _tag_values(obj, key) for w in wanted)
    if name == 'tag-key':
        return lambda obj: any(wildcard(w, t.get('Key', '')) for t in obj.get('Tags', []) or []
                               for w in wanted)
    alias = PER_RESOURCE_ALIASES.get(world_key, {}).get(name) or ALIASES.get(name)
    names = _member_path(shape, alias or '.'.join(_pascal(p) for p in name.split('.')))
    if names is None:
        raise AwsError('InvalidParameterValue', "The filter '%s' is invalid" % name)
    return lambda obj: any(wildcard(w, v) for v in _values(obj, names) for w in wanted)


def describe(ctx, params, op_name, model_op):
    world_key, out_key, ids_param, id_field, nf_code, nf_message = RESOURCES[op_name]
    items = ctx.world.section('ec2')[world_key]
    ids = params.get(ids_param)
    if ids:
        known = {i.get(id_field) for i in items}
        missing = [i for i in ids if i not in known]
        if missing:
            raise AwsError(nf_code, nf_message % missing[0])
        items = [i for i in items if i.get(id_field) in ids]
    if params.get('GroupNames') and world_key == 'security_groups':
        items = [i for i in items if i.get('GroupName') in params['GroupNames']]
    shape = model_op.output_shape.members[out_key].member
    filters = params.get('Filters', params.get('Filter')) or []
    predicates = [_compile_filter(world_key, shape, f) for f in filters]
    items = [i for i in items if all(p(i) for p in predicates)]
    chosen, token = page(items, params.get('NextToken'), params.get('MaxResults'), 1000,
                         'InvalidNextToken', op_name)
    out = {out_key: chosen}
    if token:
        out['NextToken'] = token
    return out


def _handler(op_name):
    def handle(ctx, params):
        return describe(ctx, params, op_name, ctx.op_model)
    handle.__name__ = op_name
    return handle


def describe_regions(ctx, params):
    """The regions enabled for the account: the world's `ec2.regions` list, else its own
    region (what a fleet triage's --all-regions walks)."""
    names = ctx.world.section('ec2').get('regions') or [ctx.world.region]
    wanted = params.get('RegionNames')
    return {'Regions': [{'RegionName': r, 'Endpoint': 'ec2.%s.amazonaws.com' % r,
                         'OptInStatus': 'opt-in-not-required'}
                        for r in names if not wanted or r in wanted]}


HANDLERS = {('ec2', op): _handler(op) for op in RESOURCES}
HANDLERS[('ec2', 'DescribeRegions')] = describe_regions
