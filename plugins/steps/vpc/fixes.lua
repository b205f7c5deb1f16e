--- steps.vpc.fixes: the vpc step's fixes as plans (fix.plan), one builder a remedy.
--
-- The field guide's VPC remedies: move the function to subnets with room and a NAT route,
-- create a subnet in a free range, add a 0.0.0.0/0 route through a NAT gateway (or create
-- one), add VPC endpoints, open HTTPS egress, turn on an endpoint's private DNS, give the
-- role the ENI permissions, raise the ENI quota. Each builder returns { plan, verify,
-- explain, changes, manual } for a finding's `fix`; the `aws` commands are rendered from the
-- plan. VPC problems are explained with commands and never applied (M.MANUAL): a route, a
-- NAT gateway or a security-group rule changes every workload of the network, not only
-- this function.
-- An id created by one call and used by the next (a new subnet, an Elastic IP, a NAT
-- gateway) is a plan.ref, rendered as a shell variable. `s` is the step's picture of the
-- network (steps/vpc.lua): ctx, cfg, net (ev.network), a (args), mine, used, paths.
local actions = require("fix.actions")
local arn = require("lib.arn")
local cidr = require("lib.cidr")
local json = require("runbook.json")
local plan = require("fix.plan")
local topology = require("lib.topology")

local M = {}

local VPC_POLICY = "service-role/AWSLambdaVPCAccessExecutionRole"
-- Service Quotas code of EC2's "Network interfaces per Region", and the value to ask for.
local ENI_QUOTA, ENI_QUOTA_WANTED = "L-DF5E4CA3", 10000
-- A range for a secondary VPC CIDR block when the VPC is full (RFC 6598 shared space).
local SECONDARY_CIDR = "100.64.0.0/16"
local ANYWHERE = "0.0.0.0/0"

local function list(t) return table.concat(t, ", ") end

local function call(service, operation, params)
  return { service = service, operation = operation, params = params }
end

-- Appends a plan step; `extra(i)` gives its undo/read knowing its own index.
local function add(p, service, operation, params, extra)
  local i = #p + 1
  p[i] = plan.call(service, operation, params, extra and extra(i))
  return i
end

--- Why a VPC fix is shown but never applied (the fix's `manual`, docs/fix-plans.md).
M.MANUAL = "network changes are explained, never applied: check the route tables, endpoints "
  .. "and security groups first"

-- A fix marked as never applied automatically (every fix this module builds).
local function manual(fix)
  fix.manual = M.MANUAL
  return fix
end

-- The re-run of this step that must come out clean once the plan is applied.
local function rerun(what)
  return { what = what, step = "vpc" }
end

-- UpdateFunctionConfiguration VpcConfig: the function moves to `subnet_ids` (strings or
-- plan.refs), keeping its security groups. Appends to plan `p`.
local function add_move(s, p, subnet_ids)
  p[#p + 1] = actions.update_configuration(s.ctx.function_name, s.cfg, {
    VpcConfig = { SubnetIds = subnet_ids, SecurityGroupIds = s.net.group_ids } })
end

--- Move the function to `subnet_ids`: { plan, verify, changes }.
function M.move(s, subnet_ids)
  local p = {}
  add_move(s, p, subnet_ids)
  local verify = {}
  for _, id in ipairs(subnet_ids) do
    verify[#verify + 1] = actions.verify_field(s.ctx.function_name, "VpcConfig.SubnetIds",
      "contains", id)
  end
  return manual{ plan = p, verify = verify,
           changes = ("SubnetIds %s -> %s"):format(list(s.net.subnet_ids), list(subnet_ids)) }
end

--- A subnet to create when no subnet of the VPC has room, next to `first` (same AZ and
--- route table), and the move to it (keeping the subnets in `keep`); or, when the VPC has
--- no free range, a secondary CIDR block. { plan, verify, explain }.
function M.new_subnet(s, first, keep)
  local net, a = s.net, s.a
  local ranges, taken = {}, {}
  for _, v in ipairs(net.vpcs) do
    for _, c in ipairs(v.CidrBlockAssociationSet or { { CidrBlock = v.CidrBlock } }) do
      ranges[#ranges + 1] = c.CidrBlock
    end
  end
  for _, sub in ipairs(net.subnets) do taken[#taken + 1] = sub.CidrBlock end
  local block = cidr.free_block(ranges, taken, a.new_subnet_prefix)
  local p = {}
  if not block then
    add(p, "ec2", "AssociateVpcCidrBlock", { VpcId = net.vpc_id, CidrBlock = SECONDARY_CIDR },
      function(i)
        return { undo = call("ec2", "DisassociateVpcCidrBlock",
                   { AssociationId = plan.ref(i, "CidrBlockAssociation.AssociationId") }),
                 read = call("ec2", "DescribeVpcs", { VpcIds = { net.vpc_id } }) }
      end)
    return manual{ plan = p, explain = ("%s has no free range left: add a secondary CIDR block, "
      .. "then create subnets in it"):format(net.vpc_id) }
  end
  local created = add(p, "ec2", "CreateSubnet", { VpcId = net.vpc_id, CidrBlock = block,
    AvailabilityZone = first.AvailabilityZone }, function(i)
      return { undo = call("ec2", "DeleteSubnet", { SubnetId = plan.ref(i, "Subnet.SubnetId") }) }
    end)
  local new_id = plan.ref(created, "Subnet.SubnetId")
  local rt = s.paths[first.SubnetId].table
  if rt then
    add(p, "ec2", "AssociateRouteTable", { RouteTableId = rt.RouteTableId, SubnetId = new_id },
      function(i)
        return { undo = call("ec2", "DisassociateRouteTable",
                   { AssociationId = plan.ref(i, "AssociationId") }),
                 read = call("ec2", "DescribeRouteTables", { RouteTableIds = { rt.RouteTableId } }) }
      end)
  end
  add_move(s, p, { new_id, table.unpack(keep) })
  return manual{ plan = p, verify = { rerun("the function's subnets have free addresses") },
           explain = ("no subnet of %s has room: create a /%d (%d addresses) in the free range "
             .. "%s, give it the same route table, and move the function to it"):format(
             net.vpc_id, a.new_subnet_prefix, cidr.usable_ips(a.new_subnet_prefix), block) }
end

-- 0.0.0.0/0 through a NAT gateway (an id, or a plan.ref to a new one) in route table rt_id.
local function add_nat_route(p, rt_id, nat_id)
  add(p, "ec2", "CreateRoute", { RouteTableId = rt_id, DestinationCidrBlock = ANYWHERE,
    NatGatewayId = nat_id }, function()
      return { before = { NatGatewayId = json.null }, after = { NatGatewayId = nat_id },
               undo = call("ec2", "DeleteRoute", { RouteTableId = rt_id,
                 DestinationCidrBlock = ANYWHERE }),
               read = call("ec2", "DescribeRouteTables", { RouteTableIds = { rt_id } }) }
    end)
end

-- What gives the subnets behind path `path` a way out: move off a public subnet, add a NAT
-- route, or create a NAT gateway. Appends to plan `p`, returns the explanation (or nil)
-- and whether it moved the function.
local function add_way_out(s, p, path)
  local rt_id = path.table and path.table.RouteTableId
  local nat = topology.working_nat(s.net.nats)
  if path.route.kind == "igw" then
    local new_ids = {}
    for _, sub in ipairs(s.mine) do
      if s.paths[sub.SubnetId].internet then new_ids[#new_ids + 1] = sub.SubnetId end
    end
    local private = topology.private_candidates(s.net.subnets, s.used, s.paths, s.a.low_ips)
    for i = 1, math.min(#private, math.max(0, s.a.min_azs - #new_ids)) do
      new_ids[#new_ids + 1] = private[i].SubnetId
    end
    if #new_ids == 0 then return nil end
    add_move(s, p, new_ids)
    return ("move the function out of the public subnet into private subnets that route "
      .. "through a NAT gateway (%s)"):format(list(new_ids)), true
  elseif rt_id and nat and not path.problem then
    add_nat_route(p, rt_id, nat.NatGatewayId)
    return ("add a default route through NAT gateway %s (%s)"):format(nat.NatGatewayId,
      nat.SubnetId)
  elseif rt_id and path.route.kind == "none" then
    local public
    for _, sub in ipairs(s.net.subnets) do
      if s.paths[sub.SubnetId].route.kind == "igw" then public = public or sub end
    end
    local eip = add(p, "ec2", "AllocateAddress", { Domain = "vpc" }, function(i)
      return { undo = call("ec2", "ReleaseAddress", { AllocationId = plan.ref(i, "AllocationId") }) }
    end)
    local created = add(p, "ec2", "CreateNatGateway", {
      SubnetId = public and public.SubnetId or "PUBLIC_SUBNET_ID",
      AllocationId = plan.ref(eip, "AllocationId") }, function(i)
        return { undo = call("ec2", "DeleteNatGateway",
                   { NatGatewayId = plan.ref(i, "NatGateway.NatGatewayId") }) }
      end)
    add_nat_route(p, rt_id, plan.ref(created, "NatGateway.NatGatewayId"))
    return "create a NAT gateway in a public subnet and route 0.0.0.0/0 to it"
  elseif path.problem then
    return "repair the path: " .. path.problem
  end
  return nil
end

-- CreateVpcEndpoint for `service`: a gateway endpoint on the route tables `rt_ids`, or an
-- interface endpoint in the function's subnets (one per Availability Zone) with its
-- security groups and private DNS. Appends to plan `p`.
local function add_endpoint(s, p, service, rt_ids)
  local net = s.net
  local name, kind = topology.endpoint_service(s.ctx.region, service)
  local params = { VpcId = net.vpc_id, VpcEndpointType = kind, ServiceName = name }
  if kind == "Gateway" then
    params.RouteTableIds = rt_ids
  else
    local seen, ids = {}, {}
    for _, sub in ipairs(s.mine) do
      if not seen[sub.AvailabilityZone] then
        seen[sub.AvailabilityZone] = true
        ids[#ids + 1] = sub.SubnetId
      end
    end
    params.SubnetIds, params.SecurityGroupIds = ids, net.group_ids
    params.PrivateDnsEnabled = true
  end
  add(p, "ec2", "CreateVpcEndpoint", params, function(i)
    return { undo = call("ec2", "DeleteVpcEndpoints",
      { VpcEndpointIds = { plan.ref(i, "VpcEndpoint.VpcEndpointId") } }) }
  end)
end

--- A way out for the subnets behind `path`, or else endpoints for the services they call
--- (alternatives: the plan holds one, the explanation names the other): { plan, verify,
--- explain, changes }, and true when it moves the function.
function M.route(s, path, subnet_ids, services, rt_ids)
  local p, explain = {}, {}
  local how, moved = add_way_out(s, p, path)
  explain[#explain + 1] = how
  if #services > 0 then
    local endpoints = ("VPC endpoints for %s (gateway endpoints for S3/DynamoDB are free; an "
      .. "interface endpoint's security group must accept HTTPS from the function's)")
      :format(list(services))
    if #p == 0 then
      for _, svc in ipairs(services) do add_endpoint(s, p, svc, rt_ids) end
      explain[#explain + 1] = "add " .. endpoints
    else
      explain[#explain + 1] = "or, without internet access, add " .. endpoints .. " instead"
    end
  end
  return manual{ plan = p, explain = list(explain),
           verify = #p > 0 and { rerun("every subnet of the function has a way out") } or nil,
           changes = #p > 0 and ("traffic from %s leaves the VPC"):format(list(subnet_ids)) or nil },
    moved
end

--- AuthorizeSecurityGroupEgress tcp/443 to anywhere on `group_id`.
function M.open_https(group_id)
  local rule = { { IpProtocol = "tcp", FromPort = 443, ToPort = 443,
                   IpRanges = { { CidrIp = ANYWHERE } } } }
  local params = { GroupId = group_id, IpPermissions = rule }
  return manual{
    explain = "allow HTTPS out (to 0.0.0.0/0, or to the endpoints' prefix lists)",
    plan = { plan.call("ec2", "AuthorizeSecurityGroupEgress", params, {
      before = { IpPermissions = json.null }, after = { IpPermissions = rule },
      undo = call("ec2", "RevokeSecurityGroupEgress", params),
      read = call("ec2", "DescribeSecurityGroups", { GroupIds = { group_id } }) }) },
    verify = { rerun(("%s allows HTTPS out"):format(group_id)) },
    changes = ("%s: egress tcp/443 to 0.0.0.0/0"):format(group_id),
  }
end

--- ModifyVpcEndpoint: private DNS on, so the SDK's public host name resolves to it.
function M.private_dns(endpoint_id)
  local function set(on) return { VpcEndpointId = endpoint_id, PrivateDnsEnabled = on } end
  return manual{ plan = { plan.call("ec2", "ModifyVpcEndpoint", set(true), {
             before = { PrivateDnsEnabled = false }, after = { PrivateDnsEnabled = true },
             undo = call("ec2", "ModifyVpcEndpoint", set(false)),
             read = call("ec2", "DescribeVpcEndpoints", { VpcEndpointIds = { endpoint_id } }) }) },
           verify = { rerun(("%s has private DNS on"):format(endpoint_id)) } }
end

--- AttachRolePolicy AWSLambdaVPCAccessExecutionRole (in the run's partition) to `role`.
function M.vpc_role_policy(ctx, role, explain)
  local policy_arn = arn.managed_policy(ctx.partition, VPC_POLICY)
  return manual{ explain = explain,
           plan = { actions.attach_role_policy(role, policy_arn) },
           verify = { rerun(("role %s may create network interfaces"):format(role)) },
           changes = ("role %s gains AWSLambdaVPCAccessExecutionRole"):format(role) }
end

--- RequestServiceQuotaIncrease of the ENI quota, and the look-up of unused interfaces.
function M.eni_quota(s, explain)
  return manual{ explain = explain,
           plan = { plan.call("service-quotas", "RequestServiceQuotaIncrease", {
             ServiceCode = "ec2", QuotaCode = ENI_QUOTA, DesiredValue = ENI_QUOTA_WANTED }, {
               after = { DesiredValue = ENI_QUOTA_WANTED },
               read = call("service-quotas", "GetServiceQuota",
                 { ServiceCode = "ec2", QuotaCode = ENI_QUOTA }) }) },
           -- a look-up, not a change: which interfaces are unused
           commands = { ("aws ec2 describe-network-interfaces --filters "
             .. "Name=status,Values=available Name=vpc-id,Values=%s"):format(s.net.vpc_id) } }
end

return M
