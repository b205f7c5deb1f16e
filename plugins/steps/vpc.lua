--- vpc: can a VPC-attached function get an IP address, and a way out to what it calls?
--
-- The field guide's "Check VPC configuration" and its "ENI creation timeout (VPC)" row:
-- Lambda puts a network interface (ENI) in each configured subnet, so the subnets need
-- free addresses; the interface never gets a public IP, so reaching an AWS API takes a
-- NAT gateway route or a VPC endpoint, and the security group must let HTTPS out. This
-- step walks that path for every subnet (free IPs, route table, NAT state, endpoints,
-- security-group egress, the function's ENIs, AZ spread), reads the function's state
-- reason codes (SubnetOutOfIPAddresses, InsufficientRolePermissions, EniLimitExceeded)
-- and correlates connect timeouts in the logs, then names the exact change.
local runbook = require("runbook")
local logs = require("triage.logs")
local net = require("triage.vpc")

-- State / LastUpdateStatus reason codes that come from the VPC set-up.
local REASONS = {
  SubnetOutOfIPAddresses = "the subnets have no free IP addresses for the function's ENIs",
  InsufficientRolePermissions = "the execution role may not create network interfaces",
  EniLimitExceeded = "the account reached its network-interface quota in the region",
  InvalidSubnet = "a configured subnet does not exist (or is not usable)",
  InvalidSecurityGroup = "a configured security group does not exist",
}
-- Service Quotas code of EC2's "Network interfaces per Region".
local ENI_QUOTA = "L-DF5E4CA3"
local VPC_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"

-- Lines that say a connection out of the VPC went nowhere.
local CONNECT_FAILURES = { "Connect timeout on endpoint URL", "ConnectTimeoutError",
                           "ETIMEDOUT", "connect timed out", "i/o timeout",
                           "Connection timed out", "Task timed out after",
                           "Unable to execute HTTP request: Connect to" }

local function list(t) return table.concat(t, ", ") end

local function ids_of(subnets)
  local ids = {}
  for i, s in ipairs(subnets) do ids[i] = s.SubnetId end
  return ids
end

-- "subnet subnet-1 has" / "subnets subnet-1, subnet-2 have"
local function subnets_phrase(ids, singular, plural)
  if #ids == 1 then return ("subnet %s %s"):format(ids[1], singular) end
  return ("subnets %s %s"):format(list(ids), plural)
end

local function quote(e)
  local line = net.clip(e.message, 240)
  if line:find("^%d%d%d%d%-%d%d%-%d%d") or line:find("^%[%u+%]%s+%d%d%d%d%-") then return line end
  return e.iso .. " " .. line
end

-- gather -------------------------------------------------------------------------------

local function gather(ctx, vpc)
  local in_vpc = { { Name = "vpc-id", Values = { vpc.VpcId } } }
  local function collect(op, params)
    return function() return ctx.aws.collect("ec2", op, params) end
  end
  -- the guide's describe-network-interfaces, narrowed to the function's subnets and groups
  local eni_filters = { { Name = "description", Values = { "AWS Lambda VPC ENI*" } },
                        { Name = "subnet-id", Values = vpc.SubnetIds } }
  if #vpc.SecurityGroupIds > 0 then
    eni_filters[3] = { Name = "group-id", Values = vpc.SecurityGroupIds }
  end
  local calls = {
    subnets = collect("DescribeSubnets", { Filters = in_vpc }),
    tables = collect("DescribeRouteTables", { Filters = in_vpc }),
    nats = collect("DescribeNatGateways", { Filter = in_vpc }),
    endpoints = collect("DescribeVpcEndpoints", { Filters = in_vpc }),
    enis = collect("DescribeNetworkInterfaces", { Filters = eni_filters }),
    vpcs = collect("DescribeVpcs", { VpcIds = { vpc.VpcId } }),
    groups = #vpc.SecurityGroupIds > 0
      and collect("DescribeSecurityGroups", { GroupIds = vpc.SecurityGroupIds })
      or function() return {} end,
    events = function() return logs.events(ctx) end,
  }
  return runbook.gather(calls)
end

-- The run's picture of the function's network, shared by the checks below.
local function picture(ctx, cfg, got)
  local vpc = cfg.VpcConfig
  local s = { ctx = ctx, a = ctx.args, cfg = cfg, vpc = vpc, got = got, problems = 0,
              moved = false, used = {}, mine = {}, missing = {} }
  local by_id = {}
  for _, sub in ipairs(got.subnets) do by_id[sub.SubnetId] = sub end
  for _, id in ipairs(vpc.SubnetIds) do
    s.used[id] = true
    if by_id[id] then s.mine[#s.mine + 1] = by_id[id] else s.missing[#s.missing + 1] = id end
  end
  local nats = {}
  for _, n in ipairs(got.nats or {}) do nats[n.NatGatewayId] = n end
  s.paths = net.egress_paths(got.subnets, vpc.VpcId, got.tables, nats)
  local env_names = {}
  for k in pairs(cfg.Environment and cfg.Environment.Variables or {}) do
    env_names[#env_names + 1] = k
  end
  table.sort(env_names)
  s.services = net.services_called(got.events, env_names)
  s.timeouts = {}
  for _, e in ipairs(got.events or {}) do
    for _, w in ipairs(CONNECT_FAILURES) do
      if e.message:find(w, 1, true) then
        s.timeouts[#s.timeouts + 1] = e
        break
      end
    end
  end
  return s
end

local function finding(s, f)
  if f.severity == "fail" or f.severity == "warn" then s.problems = s.problems + 1 end
  return s.ctx:finding(f)
end

local function timeout_evidence(s, ev)
  local t = s.timeouts
  if #t == 0 then return end
  ev[#ev + 1] = ("%d connect-timeout / 'Task timed out' lines in the logs, first at %s, "
    .. "last at %s"):format(#t, t[1].iso, t[#t].iso)
  for i = 1, math.min(s.a.max_examples, #t) do ev[#ev + 1] = quote(t[i]) end
end

-- decide: state reason codes ------------------------------------------------------------

local function reason_codes(cfg)
  local seen = {}
  for _, c in ipairs({ { cfg.StateReasonCode, cfg.StateReason, "State " .. tostring(cfg.State) },
      { cfg.LastUpdateStatusReasonCode, cfg.LastUpdateStatusReason,
        "LastUpdateStatus " .. tostring(cfg.LastUpdateStatus) } }) do
    if c[1] and REASONS[c[1]] and not seen[c[1]] then
      seen[c[1]] = { code = c[1], reason = c[2] or "", what = c[3] }
    end
  end
  return seen
end

local function check_role(s, st)
  local ctx, cfg = s.ctx, s.cfg
  local role = (cfg.Role or ""):match("role/(.+)$")
  role = role and role:match("([^/]+)$")
  local evidence = { ("%s, reason code InsufficientRolePermissions: %s"):format(st.what,
    st.reason) }
  if role then
    local attached = ctx.aws.collect("iam", "ListAttachedRolePolicies", { RoleName = role })
    if attached then
      local names = {}
      for _, p in ipairs(attached) do names[#names + 1] = p.PolicyName end
      evidence[#evidence + 1] = ("role %s has %s attached"):format(role,
        #names > 0 and list(names) or "no managed policies")
    end
  end
  finding(s, {
    severity = "fail",
    title = ("function cannot attach to its VPC: role %s may not create network interfaces")
      :format(role or cfg.Role or "?"),
    evidence = evidence,
    why = "Lambda creates the function's ENIs with the execution role; without "
      .. "ec2:CreateNetworkInterface, ec2:DescribeNetworkInterfaces and "
      .. "ec2:DeleteNetworkInterface the function cannot run in the VPC",
    fix = {
      explain = "attach the AWS managed policy that grants exactly the ENI permissions",
      commands = { ("aws iam attach-role-policy --role-name %s --policy-arn %s")
        :format(role or "ROLE", VPC_POLICY) },
      changes = ("role %s gains AWSLambdaVPCAccessExecutionRole"):format(role or "?"),
    },
    confidence = "high",
    data = { reason_code = "InsufficientRolePermissions", role = role },
  })
end

local function check_state(s, states)
  if states.InsufficientRolePermissions then check_role(s, states.InsufficientRolePermissions) end
  for _, code in ipairs({ "EniLimitExceeded", "InvalidSubnet", "InvalidSecurityGroup" }) do
    local st = states[code]
    if st then
      local fix = { explain = "point the function at subnets and security groups that exist" }
      if code == "EniLimitExceeded" then
        fix = {
          explain = "ask for more network interfaces per region, or delete unused ones "
            .. "(interfaces in state 'available' are unused)",
          commands = { ("aws service-quotas request-service-quota-increase --service-code ec2 "
            .. "--quota-code %s --desired-value 10000"):format(ENI_QUOTA),
            ("aws ec2 describe-network-interfaces --filters Name=status,Values=available "
              .. "Name=vpc-id,Values=%s"):format(s.vpc.VpcId) },
        }
      end
      finding(s, {
        severity = "fail",
        title = ("function %s: %s (%s)"):format(st.what, code, REASONS[code]),
        evidence = { ("%s, reason code %s: %s"):format(st.what, code, st.reason) },
        why = "Lambda cannot create the function's network interfaces, so new execution "
          .. "environments cannot start",
        fix = fix,
        confidence = "high",
        data = { reason_code = code },
      })
    end
  end
  if #s.missing > 0 then
    finding(s, {
      severity = "fail",
      title = ("configured %s"):format(subnets_phrase(s.missing, "no longer exists",
        "no longer exist")),
      evidence = { ("VpcConfig.SubnetIds %s; DescribeSubnets in %s does not return %s")
        :format(list(s.vpc.SubnetIds), s.vpc.VpcId, list(s.missing)) },
      why = "Lambda cannot place the function's ENIs in a subnet that does not exist",
      confidence = "high",
    })
  end
end

-- decide: free addresses ------------------------------------------------------------------

local function check_ips(s, state)
  local a = s.a
  local empty, low, roomy, lines = {}, {}, {}, {}
  for _, sub in ipairs(s.mine) do
    local free = sub.AvailableIpAddressCount or 0
    local _, len = net.parse_cidr(sub.CidrBlock)
    lines[#lines + 1] = ("%s: %d of %s addresses free"):format(net.subnet_label(sub), free,
      len and tostring(net.usable_ips(len)) or "?")
    if free == 0 then empty[#empty + 1] = sub
    elseif free < a.low_ips then low[#low + 1] = sub
    else roomy[#roomy + 1] = sub end
  end
  s.ip_lines = lines
  if #empty == 0 and #low == 0 and not state then return end

  local evidence = {}
  if state then
    evidence[1] = ("%s, reason code SubnetOutOfIPAddresses: %s"):format(state.what, state.reason)
  end
  for _, l in ipairs(lines) do evidence[#evidence + 1] = l end
  local keep = ids_of(roomy)
  local new_ids, azs = ids_of(roomy), {}
  for _, sub in ipairs(roomy) do azs[sub.AvailabilityZone] = true end
  for _, sub in ipairs(net.private_candidates(s.got.subnets, s.used, s.paths, a.low_ips * 10)) do
    if not azs[sub.AvailabilityZone] or #new_ids < a.min_azs then
      azs[sub.AvailabilityZone] = true
      new_ids[#new_ids + 1] = sub.SubnetId
      evidence[#evidence + 1] = ("candidate %s: %d addresses free, routes through %s")
        :format(net.subnet_label(sub), sub.AvailableIpAddressCount,
        s.paths[sub.SubnetId].route.target)
    end
  end
  local fix
  if #new_ids > #keep then
    s.moved = true
    fix = {
      explain = "move the function to private subnets of the same VPC that have room (same "
        .. "NAT route, several AZs); Lambda creates the new ENIs before it drops the old ones",
      commands = { net.vpc_config_command(s.ctx.function_name, new_ids, s.vpc.SecurityGroupIds) },
      changes = ("SubnetIds %s -> %s"):format(list(s.vpc.SubnetIds), list(new_ids)),
    }
  else
    local commands, explain = net.new_subnet_fix(s, empty[1] or low[1] or s.mine[1], keep)
    fix = { explain = explain, commands = commands }
  end
  local worst = empty[1] or low[1]
  local title
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
  finding(s, {
    severity = (#empty > 0 or state) and "fail" or "warn",
    title = title,
    evidence = evidence,
    why = "every execution environment needs an address in one of the subnets; when a subnet "
      .. "is full Lambda cannot create ENIs there, updates fail and invokes answer "
      .. "SubnetIPAddressLimitReachedException (the guide's 'ENI creation timeout')",
    fix = fix,
    confidence = "high",
    data = { subnets = #s.mine, empty = #empty, low = #low },
  })
end

-- decide: a way out of the VPC ------------------------------------------------------------

local function check_route_group(s, p, grp)
  local key = p.table and p.table.RouteTableId or "none"
  local ids = ids_of(grp)
  local uncovered, covered = {}, {}
  for _, svc in ipairs(s.services) do
    local ep = net.endpoint_for(svc.service, s.got.endpoints, p.table and p.table.RouteTableId)
    if ep then covered[#covered + 1] = ("%s via %s"):format(svc.service, ep.VpcEndpointId)
    else uncovered[#uncovered + 1] = svc end
  end
  local route_text = p.problem or (p.route.kind == "igw"
    and ("route table %s sends 0.0.0.0/0 to internet gateway %s, but a Lambda ENI never has "
      .. "a public IP, so that route does not reach the internet"):format(key, p.route.target)
    or ("route table %s (%s) has no 0.0.0.0/0 route: no NAT gateway, no internet")
      :format(key, p.how == "main" and "the VPC's main table" or "explicitly associated"))
  local evidence = { ("%s: %s"):format(subnets_phrase(ids, "", ""):gsub("%s+$", ""),
    route_text) }
  local names = {}
  for _, svc in ipairs(uncovered) do
    names[#names + 1] = svc.service
    evidence[#evidence + 1] = ("calls %s (%s), which has no VPC endpoint here"):format(
      svc.service, svc.why[1])
  end
  if #covered > 0 then evidence[#evidence + 1] = "covered by VPC endpoints: " .. list(covered) end
  timeout_evidence(s, evidence)

  local sev, confidence = "warn", "low"
  if #uncovered > 0 or p.problem then sev, confidence = "fail", "high"
  elseif #s.timeouts > 0 then sev, confidence = "fail", "medium"
  elseif #covered > 0 then sev, confidence = "info", "medium" end
  local commands, explain = net.route_fix(s, p)
  if #uncovered > 0 then
    local rts, rt_list = {}, {}
    for _, sub in ipairs(grp) do
      local t = s.paths[sub.SubnetId].table
      if t and not rts[t.RouteTableId] then
        rts[t.RouteTableId] = true
        rt_list[#rt_list + 1] = t.RouteTableId
      end
    end
    for _, svc in ipairs(uncovered) do
      commands[#commands + 1] = net.endpoint_command(s.ctx.region, s.vpc, svc.service, rt_list,
        s.mine)
    end
    explain[#explain + 1] = ("or, without internet access, add VPC endpoints for %s (gateway "
      .. "endpoints for S3/DynamoDB are free; an interface endpoint's security group must "
      .. "accept HTTPS from the function's)"):format(list(names))
  end
  local how = p.route.kind == "igw" and ("only an internet gateway route (%s)"):format(
    p.route.target) or p.problem and "a broken NAT path" or "no NAT gateway route"
  local title
  if #uncovered > 0 then
    title = ("no route out of the VPC for %s: %s %s"):format(list(names),
      subnets_phrase(ids, "has", "have"), how)
  elseif p.problem then
    title = ("no way out of the VPC: %s"):format(p.problem)
  else
    title = ("%s no internet access (%s)"):format(subnets_phrase(ids, "has", "have"),
      p.route.kind == "igw" and "internet gateway only" or "no NAT route")
  end
  finding(s, {
    severity = sev,
    title = title,
    evidence = evidence,
    why = "a VPC-attached function reaches AWS APIs and the internet only through a NAT "
      .. "gateway or VPC endpoints; without either, SDK calls hang until the connect timeout "
      .. "or the function's own timeout ('Task timed out')",
    fix = { explain = list(explain), commands = commands,
            changes = #commands > 0 and ("traffic from %s leaves the VPC"):format(list(ids))
              or nil },
    confidence = confidence,
    data = { route_table = p.table and p.table.RouteTableId, route = p.route.kind,
             services = names },
  })
end

local function check_routes(s)
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

  -- egress this account cannot see past (transit gateway, peering, NAT instance)
  local unverified = {}
  for _, sub in ipairs(s.mine) do
    if s.paths[sub.SubnetId].unverified then unverified[#unverified + 1] = sub.SubnetId end
  end
  if #unverified > 0 then
    local p = s.paths[unverified[1]]
    s.ctx:finding{
      severity = "info",
      title = ("%s the VPC through %s %s: not verified from here"):format(
        subnets_phrase(unverified, "leaves", "leave"), p.route.kind, p.route.target or "?"),
      evidence = { ("route table %s: 0.0.0.0/0 -> %s"):format(p.table.RouteTableId,
        p.route.target or "?") },
      why = "whether that path reaches the internet depends on the far side (inspection "
        .. "VPC, firewall, NAT instance), which this account's route tables do not show",
      confidence = "low",
    }
  end
end

-- decide: security groups and endpoints ---------------------------------------------------

local function check_groups(s)
  local groups = s.got.groups
  if not groups or #groups == 0 then return end
  local best, dests, evidence = "none", {}, {}
  for _, g in ipairs(groups) do
    local how, d = net.egress_on(g, 443)
    evidence[#evidence + 1] = ("%s (%s): egress on 443 %s%s"):format(g.GroupId,
      g.GroupName or "?", how, #d > 0 and (" to " .. list(d)) or "")
    if how == "anywhere" then best = "anywhere"
    elseif how == "restricted" and best == "none" then best = "restricted" end
    for _, x in ipairs(d) do dests[#dests + 1] = x end
  end
  if best == "anywhere" or (best == "restricted" and #s.services == 0 and #s.timeouts == 0) then
    return
  end
  for _, svc in ipairs(s.services) do
    evidence[#evidence + 1] = ("calls %s (%s)"):format(svc.service, svc.why[1])
  end
  timeout_evidence(s, evidence)
  local sg_ids = s.vpc.SecurityGroupIds
  finding(s, {
    severity = best == "none" and "fail" or "warn",
    title = best == "none" and ("security groups %s allow no outbound HTTPS (443)"):format(
        list(sg_ids))
      or ("security groups %s allow HTTPS only to %s"):format(list(sg_ids), list(dests)),
    evidence = evidence,
    why = "security groups are stateful but egress must be allowed: every AWS API call is "
      .. "HTTPS on port 443, through a NAT gateway or an endpoint alike",
    fix = {
      explain = "allow HTTPS out (to 0.0.0.0/0, or to the endpoints' prefix lists)",
      commands = { ("aws ec2 authorize-security-group-egress --group-id %s --ip-permissions "
        .. "IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=0.0.0.0/0}]")
        :format(sg_ids[1]) },
      changes = ("%s: egress tcp/443 to 0.0.0.0/0"):format(sg_ids[1]),
    },
    confidence = best == "none" and "high" or "medium",
    data = { egress_443 = best },
  })
end

local function check_private_dns(s)
  for _, svc in ipairs(s.services) do
    local ep = net.endpoint_for(svc.service, s.got.endpoints, nil)
    if ep and ep.VpcEndpointType == "Interface" and ep.PrivateDnsEnabled == false then
      finding(s, {
        severity = "warn",
        title = ("interface endpoint %s for %s has private DNS off"):format(ep.VpcEndpointId,
          svc.service),
        evidence = { ("%s %s: PrivateDnsEnabled false"):format(ep.VpcEndpointId, ep.ServiceName) },
        why = "the SDK resolves the public host name, which then goes through NAT (or nowhere) "
          .. "instead of the endpoint",
        fix = { commands = { ("aws ec2 modify-vpc-endpoint --vpc-endpoint-id %s "
          .. "--private-dns-enabled"):format(ep.VpcEndpointId) } },
        confidence = "medium",
      })
    end
  end
end

-- decide: availability zones -------------------------------------------------------------

local function zones(subnets)
  local seen, out = {}, {}
  for _, sub in ipairs(subnets) do
    if not seen[sub.AvailabilityZone] then
      seen[sub.AvailabilityZone] = true
      out[#out + 1] = sub.AvailabilityZone
    end
  end
  return out, seen
end

local function check_azs(s)
  local az_list, seen = zones(s.mine)
  -- a move proposed above already picks subnets in several zones
  if #s.mine == 0 or #az_list >= s.a.min_azs or s.moved then return end
  local add
  for _, sub in ipairs(net.private_candidates(s.got.subnets, s.used, s.paths, s.a.low_ips)) do
    if not seen[sub.AvailabilityZone] then add = add or sub end
  end
  local ids = ids_of(s.mine)
  local commands = {}
  if add then
    ids[#ids + 1] = add.SubnetId
    commands[1] = net.vpc_config_command(s.ctx.function_name, ids, s.vpc.SecurityGroupIds)
  end
  finding(s, {
    severity = "warn",
    title = ("all %d subnets are in one Availability Zone (%s)"):format(#s.mine, az_list[1]),
    evidence = { ("VpcConfig.SubnetIds %s: all in %s"):format(list(s.vpc.SubnetIds),
      az_list[1]) },
    why = "an outage of that zone stops the function; Lambda spreads environments over the "
      .. "zones of its subnets",
    fix = { explain = add and ("add %s"):format(net.subnet_label(add))
              or "create a private subnet in another zone and add it",
            commands = commands },
    confidence = "high",
  })
end

-- explain: all clear -----------------------------------------------------------------------

local function all_clear(s)
  local ev, routes, targets, seen = {}, {}, {}, {}
  for _, l in ipairs(s.ip_lines or {}) do ev[#ev + 1] = l end
  local min_free
  for _, sub in ipairs(s.mine) do
    local p = s.paths[sub.SubnetId]
    local r = p.route
    routes[#routes + 1] = ("%s -> %s %s"):format(sub.SubnetId, p.table and p.table.RouteTableId
      or "?", r.target and (r.target .. (p.nat and (" (" .. p.nat.State .. ")") or ""))
      or r.kind)
    local t = r.target or (r.kind == "none" and "VPC endpoints only") or r.kind
    if not seen[t] then
      seen[t] = true
      targets[#targets + 1] = t
    end
    local free = sub.AvailableIpAddressCount or 0
    if not min_free or free < min_free then min_free = free end
  end
  ev[#ev + 1] = "default routes: " .. list(routes)
  local enis, in_use = s.got.enis or {}, 0
  for _, e in ipairs(enis) do
    if e.Status == "in-use" then in_use = in_use + 1 end
  end
  ev[#ev + 1] = ("%d Lambda ENIs (%d in use) in %s"):format(#enis, in_use,
    list(s.vpc.SubnetIds))
  local az_list = zones(s.mine)
  s.ctx:finding{
    severity = "ok",
    title = ("VPC networking ok: %d subnets in %d AZs (at least %d free IPs), out via %s, "
      .. "HTTPS egress open"):format(#s.mine, #az_list, min_free or 0, list(targets)),
    evidence = ev,
    data = { subnets = #s.mine, azs = #az_list, enis = #enis },
  }
end

return {
  id = "vpc",
  title = "VPC networking",
  description = "Subnet IPs, NAT / internet routes, VPC endpoints, security-group egress, ENIs "
    .. "and AZ spread of a VPC-attached function",
  tags = { "network", "vpc", "config" },
  args = {
    low_ips = 20,           -- fewer free addresses than this in a subnet is a warning
    min_azs = 2,            -- subnets should span at least this many Availability Zones
    new_subnet_prefix = 22, -- size of a subnet to propose when none has room (/22 = 1,019)
    max_examples = 3,       -- log lines quoted per finding
  },
  run = function(ctx)
    local cfg, err = ctx:config()
    if not cfg then return ctx:error_from(err, "GetFunctionConfiguration") end
    local vpc = cfg.VpcConfig
    if not vpc or not vpc.SubnetIds or #vpc.SubnetIds == 0 then
      return ctx:skip("not attached to a VPC")
    end
    vpc.SecurityGroupIds = vpc.SecurityGroupIds or {}
    local got, errs = gather(ctx, vpc)
    if not got.subnets then return ctx:error_from(errs.subnets, "DescribeSubnets") end
    if not got.tables then return ctx:error_from(errs.tables, "DescribeRouteTables") end
    for _, k in ipairs({ "nats", "groups", "endpoints", "enis" }) do
      if not got[k] then ctx:error_from(errs[k]) end
    end

    local s = picture(ctx, cfg, got)
    local states = reason_codes(cfg)
    check_state(s, states)
    check_ips(s, states.SubnetOutOfIPAddresses)
    check_routes(s)
    check_groups(s)
    check_private_dns(s)
    check_azs(s)
    if s.problems == 0 then all_clear(s) end
  end,
}
