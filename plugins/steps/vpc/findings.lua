--- steps.vpc.findings: the vpc step's findings, written out: titles, evidence, why.
--
-- steps/vpc.lua decides (which subnets are full, which route table has no way out, which
-- security group blocks HTTPS) and hands the decision here with its fix (steps/vpc/fixes.lua);
-- these builders say it the way the field guide's "Check VPC configuration" would, with the
-- real ids, counts and log lines. `s` is the step's picture of the network.
local arn = require("lib.arn")
local cidr = require("lib.cidr")
local fixes = require("steps.vpc.fixes")
local reasons = require("lib.reasons")
local text = require("lib.text")
local topology = require("lib.topology")

local M = {}

local function list(t) return table.concat(t, ", ") end

-- "subnet subnet-1 has" / "subnets subnet-1, subnet-2 have"
local function subnets_phrase(ids, singular, plural)
  if #ids == 1 then return ("subnet %s %s"):format(ids[1], singular) end
  return ("subnets %s %s"):format(list(ids), plural)
end

-- A problem finding counts against the all-clear.
local function report(s, f)
  if f.severity == "fail" or f.severity == "warn" then s.problems = s.problems + 1 end
  return s.ctx:finding(f)
end

local function timeout_evidence(s, evidence)
  local t = s.timeouts
  if #t == 0 then return end
  -- worded for both log formats: in JSON a timed-out invocation is a platform.report record
  evidence[#evidence + 1] = ("%d connect timeouts / timed-out invocations in the logs, first "
    .. "at %s, last at %s"):format(#t, t[1].iso, t[#t].iso)
  for i = 1, math.min(s.a.max_examples, #t) do evidence[#evidence + 1] = text.quote(t[i]) end
end

local function reason_line(st)
  return ("%s, reason code %s: %s"):format(st.what, st.code, st.reason)
end

-- state reason codes ------------------------------------------------------------------------

--- InsufficientRolePermissions: the role may not create the function's ENIs.
function M.role_cannot_attach(s, st)
  local role_ev, role = s.role, arn.role_name(s.cfg.Role)
  local evidence = { reason_line(st) }
  if role and not role_ev.failed and not role_ev.absent then
    local names = {}
    for _, p in ipairs(role_ev.list or {}) do
      if p.kind == "managed" then names[#names + 1] = p.name end
    end
    evidence[#evidence + 1] = ("role %s has %s attached"):format(role,
      #names > 0 and list(names) or "no managed policies")
  end
  report(s, {
    severity = "fail",
    title = ("function cannot attach to its VPC: role %s may not create network interfaces")
      :format(role or tostring(s.cfg.Role)),
    evidence = evidence,
    why = "Lambda creates the function's ENIs with the execution role; without "
      .. "ec2:CreateNetworkInterface, ec2:DescribeNetworkInterfaces and "
      .. "ec2:DeleteNetworkInterface the function cannot run in the VPC",
    fix = role and fixes.vpc_role_policy(s.ctx, role, reasons.describe(st.code).fix)
      or { explain = reasons.describe(st.code).fix },
    confidence = "high",
    data = { reason_code = st.code, role = role },
  })
end

--- EniLimitExceeded, InvalidSubnet, InvalidSecurityGroup.
function M.cannot_create_enis(s, st)
  local entry = reasons.describe(st.code)
  report(s, {
    severity = "fail",
    title = ("function %s: %s (%s)"):format(st.what, st.code, entry.meaning),
    evidence = { reason_line(st) },
    why = "Lambda cannot create the function's network interfaces, so new execution "
      .. "environments cannot start",
    fix = st.code == "EniLimitExceeded" and fixes.eni_quota(s, entry.fix)
      or { explain = entry.fix },
    confidence = "high",
    data = { reason_code = st.code },
  })
end

function M.missing_subnets(s)
  report(s, {
    severity = "fail",
    title = ("configured %s"):format(subnets_phrase(s.missing, "no longer exists",
      "no longer exist")),
    evidence = { ("VpcConfig.SubnetIds %s; DescribeSubnets in %s does not return %s")
      :format(list(s.net.subnet_ids), s.net.vpc_id, list(s.missing)) },
    why = "Lambda cannot place the function's ENIs in a subnet that does not exist",
    confidence = "high",
  })
end

-- free addresses ----------------------------------------------------------------------------

--- "subnet-1 (name, us-east-1a, 10.0.1.0/24): 12 of 251 addresses free", one per subnet.
function M.ip_lines(s)
  local lines = {}
  for _, sub in ipairs(s.mine) do
    local _, len = cidr.parse(sub.CidrBlock)
    lines[#lines + 1] = ("%s: %d of %s addresses free"):format(topology.subnet_label(sub),
      sub.AvailableIpAddressCount or 0, len and tostring(cidr.usable_ips(len)) or "?")
  end
  return lines
end

--- d = { state, empty, low, candidates, fix }
function M.out_of_ips(s, d)
  local a, empty, low = s.a, d.empty, d.low
  local evidence = {}
  if d.state then evidence[1] = reason_line(d.state) end
  for _, l in ipairs(M.ip_lines(s)) do evidence[#evidence + 1] = l end
  for _, sub in ipairs(d.candidates) do
    evidence[#evidence + 1] = ("candidate %s: %d addresses free, routes through %s")
      :format(topology.subnet_label(sub), sub.AvailableIpAddressCount,
      s.paths[sub.SubnetId].route.target)
  end
  local worst, title = empty[1] or low[1]
  if #empty > 0 then
    title = ("subnet %s has 0 free IP addresses"):format(empty[1].SubnetId)
    if #empty + #low > 1 then
      title = title .. (" (%d of %d subnets at or below %d)"):format(#empty + #low, #s.mine,
        a.low_ips)
    end
  elseif worst then
    title = ("subnet %s has only %d free IP addresses (below %d)"):format(worst.SubnetId,
      worst.AvailableIpAddressCount, a.low_ips)
  else
    title = "function reports SubnetOutOfIPAddresses"
  end
  report(s, {
    severity = (#empty > 0 or d.state) and "fail" or "warn",
    title = title,
    evidence = evidence,
    why = "every execution environment needs an address in one of the subnets; when a subnet "
      .. "is full Lambda cannot create ENIs there, updates fail and invokes answer "
      .. "SubnetIPAddressLimitReachedException (the guide's 'ENI creation timeout')",
    fix = d.fix,
    confidence = "high",
    data = { subnets = #s.mine, empty = #empty, low = #low },
  })
end

-- a way out of the VPC ----------------------------------------------------------------------

--- d = { path, subnets, uncovered, names, covered, severity, confidence, fix }
function M.no_way_out(s, d)
  local p = d.path
  local key = p.table and p.table.RouteTableId or "none"
  local ids = topology.ids(d.subnets)
  local route_text = p.problem or (p.route.kind == "igw"
    and ("route table %s sends 0.0.0.0/0 to internet gateway %s, but a Lambda ENI never has "
      .. "a public IP, so that route does not reach the internet"):format(key, p.route.target)
    or ("route table %s (%s) has no 0.0.0.0/0 route: no NAT gateway, no internet")
      :format(key, p.how == "main" and "the VPC's main table" or "explicitly associated"))
  local evidence = { ("%s: %s"):format(subnets_phrase(ids, "", ""):gsub("%s+$", ""),
    route_text) }
  for _, svc in ipairs(d.uncovered) do
    evidence[#evidence + 1] = ("calls %s (%s), which has no VPC endpoint here"):format(
      svc.service, svc.why[1])
  end
  if #d.covered > 0 then
    evidence[#evidence + 1] = "covered by VPC endpoints: " .. list(d.covered)
  end
  timeout_evidence(s, evidence)
  local how = p.route.kind == "igw" and ("only an internet gateway route (%s)"):format(
    p.route.target) or p.problem and "a broken NAT path" or "no NAT gateway route"
  local title
  if #d.uncovered > 0 then
    title = ("no route out of the VPC for %s: %s %s"):format(list(d.names),
      subnets_phrase(ids, "has", "have"), how)
  elseif p.problem then
    title = ("no way out of the VPC: %s"):format(p.problem)
  else
    title = ("%s no internet access (%s)"):format(subnets_phrase(ids, "has", "have"),
      p.route.kind == "igw" and "internet gateway only" or "no NAT route")
  end
  report(s, {
    severity = d.severity,
    title = title,
    evidence = evidence,
    why = "a VPC-attached function reaches AWS APIs and the internet only through a NAT "
      .. "gateway or VPC endpoints; without either, SDK calls hang until the connect timeout "
      .. "or the function's own timeout ('Task timed out')",
    fix = d.fix,
    confidence = d.confidence,
    data = { route_table = p.table and p.table.RouteTableId, route = p.route.kind,
             services = d.names },
  })
end

function M.unverified(s, ids)
  local p = s.paths[ids[1]]
  s.ctx:finding{
    severity = "info",
    title = ("%s the VPC through %s %s: not verified from here"):format(
      subnets_phrase(ids, "leaves", "leave"), p.route.kind, p.route.target or "?"),
    evidence = { ("route table %s: 0.0.0.0/0 -> %s"):format(p.table.RouteTableId,
      p.route.target or "?") },
    why = "whether that path reaches the internet depends on the far side (inspection "
      .. "VPC, firewall, NAT instance), which this account's route tables do not show",
    confidence = "low",
  }
end

-- security groups and endpoints -------------------------------------------------------------

--- d = { best ("none" | "restricted"), dests, rules = {{group, how, dests}} }
function M.no_https_egress(s, d)
  local evidence = {}
  for _, r in ipairs(d.rules) do
    evidence[#evidence + 1] = ("%s (%s): egress on 443 %s%s"):format(r.group.GroupId,
      r.group.GroupName or "?", r.how, #r.dests > 0 and (" to " .. list(r.dests)) or "")
  end
  for _, svc in ipairs(s.services) do
    evidence[#evidence + 1] = ("calls %s (%s)"):format(svc.service, svc.why[1])
  end
  timeout_evidence(s, evidence)
  local sg_ids = s.net.group_ids
  report(s, {
    severity = d.best == "none" and "fail" or "warn",
    title = d.best == "none"
      and ("security groups %s allow no outbound HTTPS (443)"):format(list(sg_ids))
      or ("security groups %s allow HTTPS only to %s"):format(list(sg_ids), list(d.dests)),
    evidence = evidence,
    why = "security groups are stateful but egress must be allowed: every AWS API call is "
      .. "HTTPS on port 443, through a NAT gateway or an endpoint alike",
    fix = fixes.open_https(sg_ids[1]),
    confidence = d.best == "none" and "high" or "medium",
    data = { egress_443 = d.best },
  })
end

function M.private_dns_off(s, ep, service)
  report(s, {
    severity = "warn",
    title = ("interface endpoint %s for %s has private DNS off"):format(ep.VpcEndpointId, service),
    evidence = { ("%s %s: PrivateDnsEnabled false"):format(ep.VpcEndpointId, ep.ServiceName) },
    why = "the SDK resolves the public host name, which then goes through NAT (or nowhere) "
      .. "instead of the endpoint",
    fix = fixes.private_dns(ep.VpcEndpointId),
    confidence = "medium",
  })
end

-- availability zones ------------------------------------------------------------------------

--- All subnets in `zone`; `add` is a private subnet with room in another zone, or nil.
function M.one_zone(s, zone, add)
  local fix = { explain = "create a private subnet in another zone and add it" }
  if add then
    local ids = topology.ids(s.mine)
    ids[#ids + 1] = add.SubnetId
    fix = fixes.move(s, ids)
    fix.explain = ("add %s"):format(topology.subnet_label(add))
  end
  report(s, {
    severity = "warn",
    title = ("all %d subnets are in one Availability Zone (%s)"):format(#s.mine, zone),
    evidence = { ("VpcConfig.SubnetIds %s: all in %s"):format(list(s.net.subnet_ids), zone) },
    why = "an outage of that zone stops the function; Lambda spreads environments over the "
      .. "zones of its subnets",
    fix = fix,
    confidence = "high",
  })
end

-- all clear ---------------------------------------------------------------------------------

function M.all_clear(s)
  local evidence, routes, targets = M.ip_lines(s), {}, {}
  local min_free
  for _, sub in ipairs(s.mine) do
    local p = s.paths[sub.SubnetId]
    local r = p.route
    routes[#routes + 1] = ("%s -> %s %s"):format(sub.SubnetId, p.table and p.table.RouteTableId
      or "?", r.target and (r.target .. (p.nat and (" (" .. p.nat.State .. ")") or ""))
      or r.kind)
    targets[#targets + 1] = r.target or (r.kind == "none" and "VPC endpoints only") or r.kind
    local free = sub.AvailableIpAddressCount or 0
    if not min_free or free < min_free then min_free = free end
  end
  evidence[#evidence + 1] = "default routes: " .. list(routes)
  local enis, in_use = s.net.enis, 0
  for _, e in ipairs(enis) do
    if e.Status == "in-use" then in_use = in_use + 1 end
  end
  evidence[#evidence + 1] = ("%d Lambda ENIs (%d in use) in %s"):format(#enis, in_use,
    list(s.net.subnet_ids))
  local zones = topology.zones(s.mine)
  s.ctx:finding{
    severity = "ok",
    title = ("VPC networking ok: %d subnets in %d AZs (at least %d free IPs), out via %s, "
      .. "HTTPS egress open"):format(#s.mine, #zones, min_free or 0, list(text.unique(targets))),
    evidence = evidence,
    data = { subnets = #s.mine, azs = #zones, enis = #enis },
  }
end

return M
