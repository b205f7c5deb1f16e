--- vpc: can a VPC-attached function get an IP address, and a way out to what it calls?
--
-- The field guide's "Check VPC configuration" and its "ENI creation timeout (VPC)" row:
-- Lambda puts a network interface (ENI) in each configured subnet, so the subnets need
-- free addresses; the interface never gets a public IP, so reaching an AWS API takes a
-- NAT gateway route or a VPC endpoint, and the security group must let HTTPS out. This
-- step walks that path for every subnet (free IPs, route table, NAT state, endpoints,
-- security-group egress, AZ spread), owns the VPC state reason codes (lib.reasons:
-- SubnetOutOfIPAddresses, InsufficientRolePermissions, EniLimitExceeded, InvalidSubnet,
-- InvalidSecurityGroup) and correlates connect timeouts in the logs. This file decides;
-- steps/vpc/findings.lua explains and steps/vpc/fixes.lua builds the plans.
local F = require("steps.vpc.findings")
local fixes = require("steps.vpc.fixes")
local reasons = require("lib.reasons")
local services = require("lib.services")
local evidence = require("triage.evidence")
local step = require("triage.step")
local text = require("lib.text")
local topology = require("lib.topology")

-- The named checks, in the field guide's order (defined below the manifest).
local checks = {}

local M = step.define{
  id = "vpc",
  checks = checks, -- the named checks below: `extends` may replace one
  title = "VPC networking",
  description = "Subnet IPs, NAT / internet routes, VPC endpoints, security-group egress, ENIs "
    .. "and AZ spread of a VPC-attached function",
  tags = { "default", "network", "vpc", "config" },
  fixes = {
    "lambda UpdateFunctionConfiguration", "iam AttachRolePolicy", "ec2 CreateSubnet",
    "ec2 AssociateVpcCidrBlock", "ec2 AssociateRouteTable", "ec2 CreateRoute",
    "ec2 AllocateAddress", "ec2 CreateNatGateway", "ec2 CreateVpcEndpoint",
    "ec2 ModifyVpcEndpoint", "ec2 AuthorizeSecurityGroupEgress",
    "service-quotas RequestServiceQuotaIncrease"
  },
  args = {
    low_ips = { default = 20, help = "fewer free addresses than this in a subnet is a warning" },
    min_azs = { default = 2, help = "subnets should span at least this many Availability Zones" },
    new_subnet_prefix = { default = 22,
      help = "prefix length of a subnet to propose when none has room (/22 = 1,019 addresses)" },
    max_examples = { default = 3, help = "log lines quoted per finding" },
  },
  needs = { "config", "network", "?events", "?role" },
  applies = function(_, ev)
    if ev.network.absent then return false, ev.network.absent end
    return true
  end,
  run = function(ctx, ev)
    local s = checks.picture(ctx, ev)
    for _, e in ipairs(s.net.errors) do ctx:error_from(e.err, "ec2 " .. e.what) end
    checks.reason_codes(s)
    checks.missing_subnets(s)
    checks.ips(s)
    checks.routes(s)
    checks.unverified(s)
    checks.groups(s)
    checks.private_dns(s)
    checks.azs(s)
    if s.problems == 0 then F.all_clear(s) end
  end,
}

-- Lines that say a connection out of the VPC went nowhere.
local CONNECT_FAILURES = { "Connect timeout on endpoint URL", "ConnectTimeoutError",
                           "ETIMEDOUT", "connect timed out", "i/o timeout",
                           "Connection timed out", "Task timed out after",
                           "Unable to execute HTTP request: Connect to" }

--- The run's picture of the function's network, shared by the checks below.
function checks.picture(ctx, ev)
  local cfg, net = ev.config, ev.network
  local s = { ctx = ctx, a = ctx.args, cfg = cfg, net = net, role = ev.role, problems = 0,
              moved = false, used = {}, mine = {}, missing = {}, states = {} }
  local by_id, nats = {}, {}
  for _, sub in ipairs(net.subnets) do by_id[sub.SubnetId] = sub end
  for _, id in ipairs(net.subnet_ids) do
    s.used[id] = true
    if by_id[id] then s.mine[#s.mine + 1] = by_id[id] else s.missing[#s.missing + 1] = id end
  end
  for _, n in ipairs(net.nats) do nats[n.NatGatewayId] = n end
  s.paths = topology.egress_paths(net.subnets, net.vpc_id, net.tables, nats)
  for _, st in ipairs(reasons.owned(cfg, "vpc", true)) do s.states[st.code] = st end
  local events = evidence.list(ev.events)
  local env = cfg.Environment and cfg.Environment.Variables
  s.services = services.services_called(events, text.sorted_keys(env))
  s.timeouts = {}
  for _, e in ipairs(events) do
    -- in the JSON log format a timeout is its platform.report (status "timeout") alone
    if text.contains_any(e.message, CONNECT_FAILURES)
        or (e.record and e.message:find("^REPORT .*Status: timeout")) then
      s.timeouts[#s.timeouts + 1] = e
    end
  end
  return s
end

-- state reason codes ------------------------------------------------------------------------

function checks.reason_codes(s)
  local st = s.states.InsufficientRolePermissions
  if st then F.role_cannot_attach(s, st) end
  for _, code in ipairs({ "EniLimitExceeded", "InvalidSubnet", "InvalidSecurityGroup" }) do
    if s.states[code] then F.cannot_create_enis(s, s.states[code]) end
  end
end

function checks.missing_subnets(s)
  if #s.missing > 0 then F.missing_subnets(s) end
end

-- free addresses ----------------------------------------------------------------------------

function checks.ips(s)
  local a, state = s.a, s.states.SubnetOutOfIPAddresses
  local empty, low, roomy = {}, {}, {}
  for _, sub in ipairs(s.mine) do
    local free = sub.AvailableIpAddressCount or 0
    if free == 0 then empty[#empty + 1] = sub
    elseif free < a.low_ips then low[#low + 1] = sub
    else roomy[#roomy + 1] = sub end
  end
  if #empty == 0 and #low == 0 and not state then return end
  -- keep the subnets with room, add candidates until the zones are covered
  local keep = topology.ids(roomy)
  local new_ids, candidates, azs = topology.ids(roomy), {}, {}
  for _, sub in ipairs(roomy) do azs[sub.AvailabilityZone] = true end
  for _, sub in ipairs(topology.private_candidates(s.net.subnets, s.used, s.paths,
      a.low_ips * 10)) do
    if not azs[sub.AvailabilityZone] or #new_ids < a.min_azs then
      azs[sub.AvailabilityZone] = true
      new_ids[#new_ids + 1] = sub.SubnetId
      candidates[#candidates + 1] = sub
    end
  end
  local fix
  local first = empty[1] or low[1] or s.mine[1]
  if #new_ids > #keep then
    s.moved = true
    fix = fixes.move(s, new_ids)
    fix.explain = "move the function to private subnets of the same VPC that have room (same "
      .. "NAT route, several AZs); Lambda creates the new ENIs before it drops the old ones"
  elseif first then
    fix = fixes.new_subnet(s, first, keep)
  else
    fix = { explain = reasons.describe("SubnetOutOfIPAddresses").fix }
  end
  F.out_of_ips(s, { state = state, empty = empty, low = low, candidates = candidates,
                    fix = fix })
end

-- a way out of the VPC ----------------------------------------------------------------------

-- One finding for the subnets that share a route table without a way out.
local function check_route_group(s, path, subnets)
  local rt_id = path.table and path.table.RouteTableId
  local uncovered, covered = {}, {}
  for _, svc in ipairs(s.services) do
    local ep = topology.endpoint_for(svc.service, s.net.endpoints, rt_id)
    if ep then covered[#covered + 1] = ("%s via %s"):format(svc.service, ep.VpcEndpointId)
    else uncovered[#uncovered + 1] = svc end
  end
  local severity, confidence = "warn", "low"
  if #uncovered > 0 or path.problem then severity, confidence = "fail", "high"
  elseif #s.timeouts > 0 then severity, confidence = "fail", "medium"
  elseif #covered > 0 then severity, confidence = "info", "medium" end
  local names, rt_ids = {}, {}
  for _, svc in ipairs(uncovered) do names[#names + 1] = svc.service end
  for _, sub in ipairs(subnets) do
    local t = s.paths[sub.SubnetId].table
    if t then rt_ids[#rt_ids + 1] = t.RouteTableId end
  end
  local fix, moved = fixes.route(s, path, topology.ids(subnets), names, text.unique(rt_ids))
  s.moved = s.moved or moved or false
  F.no_way_out(s, { path = path, subnets = subnets, uncovered = uncovered, names = names,
                    covered = covered, severity = severity, confidence = confidence,
                    fix = fix })
end

function checks.routes(s)
  local groups, order = {}, {}
  for _, sub in ipairs(s.mine) do
    local p = s.paths[sub.SubnetId]
    if not p.internet or p.problem then
      local key = p.table and p.table.RouteTableId or "none"
      if not groups[key] then
        groups[key] = { path = p, subnets = {} }
        order[#order + 1] = key
      end
      table.insert(groups[key].subnets, sub)
    end
  end
  for _, key in ipairs(order) do check_route_group(s, groups[key].path, groups[key].subnets) end
end

-- egress this account cannot see past (transit gateway, peering, NAT instance)
function checks.unverified(s)
  local unverified = {}
  for _, sub in ipairs(s.mine) do
    if s.paths[sub.SubnetId].unverified then unverified[#unverified + 1] = sub.SubnetId end
  end
  if #unverified > 0 then F.unverified(s, unverified) end
end

-- security groups and endpoints -------------------------------------------------------------

function checks.groups(s)
  local groups = s.net.groups
  if #groups == 0 then return end
  local best, dests, rules = "none", {}, {}
  for _, g in ipairs(groups) do
    local how, d = topology.egress_on(g, 443)
    rules[#rules + 1] = { group = g, how = how, dests = d }
    if how == "anywhere" then best = "anywhere"
    elseif how == "restricted" and best == "none" then best = "restricted" end
    for _, x in ipairs(d) do dests[#dests + 1] = x end
  end
  if best == "anywhere" or (best == "restricted" and #s.services == 0 and #s.timeouts == 0) then
    return
  end
  F.no_https_egress(s, { best = best, dests = dests, rules = rules })
end

function checks.private_dns(s)
  for _, svc in ipairs(s.services) do
    local ep = topology.endpoint_for(svc.service, s.net.endpoints, nil)
    if ep and ep.VpcEndpointType == "Interface" and ep.PrivateDnsEnabled == false then
      F.private_dns_off(s, ep, svc.service)
    end
  end
end

-- availability zones ------------------------------------------------------------------------

function checks.azs(s)
  local zones, seen = topology.zones(s.mine)
  -- a move proposed above already picks subnets in several zones
  if #s.mine == 0 or #zones >= s.a.min_azs or s.moved then return end
  local add
  for _, sub in ipairs(topology.private_candidates(s.net.subnets, s.used, s.paths, s.a.low_ips)) do
    if not seen[sub.AvailabilityZone] then add = add or sub end
  end
  F.one_zone(s, zones[1], add)
end

return M
