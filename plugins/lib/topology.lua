--- lib.topology: the path a packet from a VPC-attached function takes, from the tables EC2
--- returns: subnet -> route table -> NAT gateway / internet gateway / VPC endpoint, and
--- what the security groups let out.
--
-- The field guide's "Check VPC configuration": a Lambda ENI never has a public IP, so a
-- function reaches AWS APIs only through a NAT gateway route or a VPC endpoint, and its
-- security group must allow HTTPS out. Pure functions over DescribeSubnets,
-- DescribeRouteTables, DescribeNatGateways, DescribeVpcEndpoints and
-- DescribeSecurityGroups replies (no AWS calls), so each rule is tested on its own
-- (tests/lua/test_topology.lua).
--
--   local topology = require("lib.topology")
--   local rt = topology.route_table_for(subnet_id, vpc_id, route_tables)
--   local route = topology.default_route(rt)          -- {kind = "nat", target = "nat-..."}
--   local paths = topology.egress_paths(subnets, vpc_id, route_tables, nats_by_id)
local M = {}

--- The ids of a list of subnets, in order.
function M.ids(subnets)
  local out = {}
  for i, s in ipairs(subnets) do out[i] = s.SubnetId end
  return out
end

--- The Availability Zones of a list of subnets in first-seen order, and the set of them.
function M.zones(subnets)
  local seen, out = {}, {}
  for _, s in ipairs(subnets) do
    if s.AvailabilityZone and not seen[s.AvailabilityZone] then
      seen[s.AvailabilityZone] = true
      out[#out + 1] = s.AvailabilityZone
    end
  end
  return out, seen
end

--- The value of a Name tag, or nil.
function M.name_tag(obj)
  for _, t in ipairs(obj.Tags or {}) do
    if t.Key == "Name" then return t.Value end
  end
  return nil
end

--- "subnet-0a1b (orders-private-a, us-east-1a, 10.0.1.0/24)"
function M.subnet_label(s)
  local tag = M.name_tag(s)
  return ("%s (%s%s, %s)"):format(s.SubnetId, tag and (tag .. ", ") or "",
    s.AvailabilityZone or "?", s.CidrBlock or "?")
end

-- routing ----------------------------------------------------------------------------------

--- The route table that governs a subnet: its explicit association, else the VPC's main
--- table. Returns the table and "explicit" | "main", or nil.
function M.route_table_for(subnet_id, vpc_id, route_tables)
  local main
  for _, rt in ipairs(route_tables or {}) do
    for _, a in ipairs(rt.Associations or {}) do
      if a.SubnetId == subnet_id then return rt, "explicit" end
      if a.Main and (vpc_id == nil or rt.VpcId == vpc_id) then main = rt end
    end
  end
  if main then return main, "main" end
  return nil
end

--- The route a subnet's traffic to the internet takes: {kind, target, state, route} where
--- kind is "nat" (NatGatewayId), "igw" (an internet gateway), "instance" (a NAT
--- instance's ENI), "tgw", "peering", "other", or "none" when 0.0.0.0/0 is absent.
function M.default_route(route_table)
  for _, r in ipairs(route_table and route_table.Routes or {}) do
    if r.DestinationCidrBlock == "0.0.0.0/0" then
      local kind, target = "other"
      if r.NatGatewayId then
        kind, target = "nat", r.NatGatewayId
      elseif r.GatewayId and r.GatewayId:find("^igw%-") then
        kind, target = "igw", r.GatewayId
      elseif r.TransitGatewayId then
        kind, target = "tgw", r.TransitGatewayId
      elseif r.VpcPeeringConnectionId then
        kind, target = "peering", r.VpcPeeringConnectionId
      elseif r.NetworkInterfaceId or r.InstanceId then
        kind, target = "instance", r.NetworkInterfaceId or r.InstanceId
      else
        target = r.GatewayId or r.CarrierGatewayId or r.LocalGatewayId
      end
      return { kind = kind, target = target, state = r.State or "active", route = r }
    end
  end
  return { kind = "none" }
end

-- Whether the NAT gateway itself reaches the internet: "" when it does, else the problem.
local function nat_problem(nat, target, vpc_id, route_tables)
  if not nat or nat.State ~= "available" then
    return ("NAT gateway %s is %s"):format(target, nat and nat.State or "missing")
  elseif nat.ConnectivityType == "private" then
    return ("NAT gateway %s is a private NAT gateway: it cannot reach the internet")
      :format(nat.NatGatewayId)
  elseif M.default_route(M.route_table_for(nat.SubnetId, vpc_id, route_tables)).kind ~= "igw" then
    return ("NAT gateway %s sits in %s, which has no internet gateway route")
      :format(nat.NatGatewayId, nat.SubnetId)
  end
  return ""
end

--- Where each subnet sends 0.0.0.0/0 and whether that reaches the internet: a map
--- subnet id -> {subnet, table, how ("explicit"|"main"), route, nat, internet (bool),
--- unverified (a path this account cannot see past), problem (text) }.
function M.egress_paths(subnets, vpc_id, route_tables, nats_by_id)
  local paths = {}
  for _, s in ipairs(subnets) do
    local rt, how = M.route_table_for(s.SubnetId, vpc_id, route_tables)
    local route = M.default_route(rt)
    local p = { subnet = s, table = rt, how = how, route = route, internet = false }
    if route.state == "blackhole" then
      p.problem = ("the 0.0.0.0/0 route of %s points at %s, which no longer exists (blackhole)")
        :format(rt.RouteTableId, route.target or "?")
    elseif route.kind == "nat" then
      p.nat = nats_by_id[route.target]
      local problem = nat_problem(p.nat, route.target, vpc_id, route_tables)
      if problem == "" then p.internet = true else p.problem = problem end
    elseif route.kind ~= "igw" and route.kind ~= "none" then
      p.internet, p.unverified = true, true
    end
    paths[s.SubnetId] = p
  end
  return paths
end

--- Subnets a function could move to: internet through a working NAT gateway, at least
--- `min_free` addresses, not in `used`; the most free first.
function M.private_candidates(subnets, used, paths, min_free)
  local out = {}
  for _, s in ipairs(subnets) do
    local p = paths[s.SubnetId]
    if not used[s.SubnetId] and p and p.internet and not p.unverified
        and p.route.kind == "nat" and (s.AvailableIpAddressCount or 0) >= min_free then
      out[#out + 1] = s
    end
  end
  table.sort(out, function(x, y)
    local fx, fy = x.AvailableIpAddressCount or 0, y.AvailableIpAddressCount or 0
    if fx ~= fy then return fx > fy end
    return x.SubnetId < y.SubnetId
  end)
  return out
end

--- A NAT gateway of the VPC that works (available, public), or nil.
function M.working_nat(nats)
  for _, n in ipairs(nats or {}) do
    if n.State == "available" and n.ConnectivityType ~= "private" then return n end
  end
  return nil
end

-- VPC endpoints ----------------------------------------------------------------------------

-- Gateway endpoints exist only for these; everything else is an interface endpoint.
local GATEWAY = { s3 = true, dynamodb = true }

--- "com.amazonaws.us-east-1.dynamodb" and whether it is a Gateway or Interface endpoint.
function M.endpoint_service(region, service)
  return ("com.amazonaws.%s.%s"):format(region, service),
    GATEWAY[service] and "Gateway" or "Interface"
end

--- The service id of a VPC endpoint's ServiceName ("com.amazonaws.us-east-1.sqs" -> "sqs";
--- the China regions' "cn.com.amazonaws.cn-north-1.sqs" too).
function M.endpoint_service_id(service_name)
  return (service_name or ""):match("^[%w.]-com%.amazonaws%.[%w%-]+%.([%w%-%.]+)$")
end

--- Whether a gateway endpoint is attached to a route table.
function M.endpoint_serves_table(endpoint, route_table_id)
  for _, id in ipairs(endpoint.RouteTableIds or {}) do
    if id == route_table_id then return true end
  end
  return false
end

local DEAD_ENDPOINT = { deleted = true, failed = true, rejected = true }

--- The VPC endpoint that serves `service` for a subnet with this route table (a gateway
--- endpoint must be attached to the table; an interface endpoint serves the whole VPC).
function M.endpoint_for(service, endpoints, route_table_id)
  for _, ep in ipairs(endpoints or {}) do
    if M.endpoint_service_id(ep.ServiceName) == service and not DEAD_ENDPOINT[ep.State] then
      if ep.VpcEndpointType ~= "Gateway" or M.endpoint_serves_table(ep, route_table_id) then
        return ep
      end
    end
  end
  return nil
end

-- security groups --------------------------------------------------------------------------

local function covers_port(rule, port)
  local proto = tostring(rule.IpProtocol or "")
  if proto == "-1" or proto == "all" then return true end
  if proto ~= "tcp" and proto ~= "6" then return false end
  local from, to = tonumber(rule.FromPort), tonumber(rule.ToPort)
  if from == nil or to == nil then return true end
  return from <= port and port <= to
end

--- What a security group's egress rules allow on a TCP port: "anywhere" (0.0.0.0/0 or
--- ::/0), "restricted" (only some CIDRs, prefix lists or groups; `dests` lists them) or
--- "none".
function M.egress_on(group, port)
  local dests, anywhere = {}, false
  for _, rule in ipairs(group.IpPermissionsEgress or {}) do
    if covers_port(rule, port) then
      for _, r in ipairs(rule.IpRanges or {}) do
        if r.CidrIp == "0.0.0.0/0" then anywhere = true end
        dests[#dests + 1] = r.CidrIp
      end
      for _, r in ipairs(rule.Ipv6Ranges or {}) do
        if r.CidrIpv6 == "::/0" then anywhere = true end
        dests[#dests + 1] = r.CidrIpv6
      end
      for _, p in ipairs(rule.PrefixListIds or {}) do dests[#dests + 1] = p.PrefixListId end
      for _, g in ipairs(rule.UserIdGroupPairs or {}) do dests[#dests + 1] = g.GroupId end
    end
  end
  if anywhere then return "anywhere", dests end
  if #dests > 0 then return "restricted", dests end
  return "none", dests
end

return M
