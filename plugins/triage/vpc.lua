--- triage.vpc: what a VPC-attached function can reach, and which AWS services it calls.
--
-- The vpc step walks the path a packet from the function takes (subnet -> route table
-- -> NAT gateway / VPC endpoint, through the security group) and asks which AWS services
-- the function needs on the way out; the unavailable step asks the same question of its
-- SDK error lines. Both answers live here as functions over the tables EC2 and
-- CloudWatch Logs return, with the fix-command builders the vpc step uses: no AWS calls,
-- so each rule can be tested on its own.
--
--   local net = require("triage.vpc")
--   local rt = net.route_table_for(subnet_id, vpc_id, route_tables)
--   local route = net.default_route(rt)           -- {kind = "nat", target = "nat-..."}
--   local used = net.services_called(events, env_names)
local M = {}

-- Operation names as boto3 prints them ("when calling the PutItem operation") -> the
-- service that owns them. Names shared by two services go to the more common one.
local OPERATIONS = {
  dynamodb = { "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
               "BatchGetItem", "BatchWriteItem", "TransactWriteItems", "TransactGetItems",
               "DescribeTable", "ExecuteStatement" },
  s3 = { "PutObject", "GetObject", "HeadObject", "DeleteObject", "DeleteObjects",
         "CopyObject", "ListObjects", "ListObjectsV2", "UploadPart",
         "CreateMultipartUpload", "CompleteMultipartUpload", "HeadBucket" },
  sqs = { "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage",
          "DeleteMessageBatch", "ChangeMessageVisibility", "GetQueueUrl",
          "GetQueueAttributes" },
  sns = { "Publish", "PublishBatch" },
  kinesis = { "PutRecord", "PutRecords", "GetRecords", "GetShardIterator" },
  firehose = { "PutRecordBatch" },
  lambda = { "Invoke", "InvokeAsync" },
  secretsmanager = { "GetSecretValue", "DescribeSecret" },
  ssm = { "GetParameter", "GetParameters", "GetParametersByPath", "PutParameter" },
  kms = { "Decrypt", "Encrypt", "GenerateDataKey", "Sign", "Verify" },
  sts = { "AssumeRole", "GetCallerIdentity" },
  states = { "StartExecution", "StartSyncExecution", "SendTaskSuccess", "SendTaskFailure" },
  events = { "PutEvents" },
  monitoring = { "PutMetricData", "GetMetricData" },
  logs = { "PutLogEvents" },
  ses = { "SendEmail", "SendRawEmail" },
}

local SERVICE_OF = {}
for service, ops in pairs(OPERATIONS) do
  for _, op in ipairs(ops) do SERVICE_OF[op] = service end
end

--- The service an API operation belongs to ("PutItem" -> "dynamodb"), or nil.
function M.service_for_operation(operation)
  return operation and SERVICE_OF[operation] or nil
end

-- How SDKs spell a service (Java "DynamoDb", "AmazonDynamoDBv2", Go "DynamoDB",
-- "@aws-sdk/client-secrets-manager", endpoint prefixes) -> one lowercase id.
local ALIASES = {
  dynamodbv2 = "dynamodb", dynamo = "dynamodb", simplequeueservice = "sqs",
  simplenotificationservice = "sns", secrets = "secretsmanager", sfn = "states",
  stepfunctions = "states", sfnclient = "states", cloudwatch = "monitoring",
  cloudwatchlogs = "logs", eventbridge = "events", cloudwatchevents = "events",
  kinesisfirehose = "firehose", lambdainternal = "lambda", awslambda = "lambda",
  simpleemailservice = "ses", sesv2 = "ses", email = "ses", s3control = "s3",
  simplesystemsmanagement = "ssm", keymanagementservice = "kms",
  securitytokenservice = "sts", sesclient = "ses",
}

--- "DynamoDb", "AmazonDynamoDBv2", "Amazon S3", "secrets-manager" -> "dynamodb", "s3",
--- "secretsmanager"; nil for nil or an empty name.
function M.normalize_service(name)
  if not name then return nil end
  local s = name:lower():gsub("[%s%-_]", "")
  s = s:gsub("^amazon", ""):gsub("^aws", "")
  if s == "" then return nil end
  if ALIASES[s] then return ALIASES[s] end
  local base = s:gsub("v%d+$", "")
  if ALIASES[base] then return ALIASES[base] end
  if SERVICE_OF[name] then return SERVICE_OF[name] end
  return base ~= "" and base or s
end

local function is_region(label)
  return label:match("^%a%a%-%a+%-%d+$") ~= nil or label:match("^%a%a%-gov%-%a+%-%d+$") ~= nil
end

-- Hosts that put the region before the service ("db.cluster-x.us-east-1.rds.amazonaws.com").
local REGION_FIRST = { rds = true, cache = true, es = true, elb = true, redshift = true }

--- The service behind an AWS endpoint host name: "dynamodb.us-east-1.amazonaws.com" ->
--- "dynamodb", "orders.s3.us-east-1.amazonaws.com" -> "s3", "sts.amazonaws.com" -> "sts";
--- nil for any other host.
function M.service_from_host(host)
  if not host then return nil end
  host = host:lower()
  if not host:find("%.amazonaws%.com$") then return nil end
  local labels = {}
  for label in host:gmatch("[^.]+") do labels[#labels + 1] = label end
  if #labels >= 3 and REGION_FIRST[labels[#labels - 2]] then return labels[#labels - 2] end
  for i = 2, #labels do
    if is_region(labels[i]) then
      local service = labels[i - 1]
      if service == "dualstack" and i > 2 then service = labels[i - 2] end
      return M.normalize_service(service:gsub("%-fips$", ""))
    end
  end
  if #labels >= 3 then return M.normalize_service(labels[#labels - 2]) end
  return nil
end

--- Every AWS endpoint host named in a log line (URLs, "Connect to HOST:443").
function M.hosts_in(message)
  local hosts, seen = {}, {}
  for host in message:gmatch("([%w%.%-]+%.amazonaws%.com)") do
    host = host:lower()
    if not seen[host] then
      seen[host] = true
      hosts[#hosts + 1] = host
    end
  end
  return hosts
end

--- The services a log line shows an SDK calling: host names, boto3's "when calling the
--- X operation", Go's "operation error Service: Op", Java's "(Service: X, ...",
--- JavaScript v3's "@aws-sdk/client-x". A set {service = true}.
function M.services_in(message)
  local out = {}
  for _, host in ipairs(M.hosts_in(message)) do
    local s = M.service_from_host(host)
    if s then out[s] = true end
  end
  for op in message:gmatch("when calling the (%w+) operation") do
    local s = M.service_for_operation(op)
    if s then out[s] = true end
  end
  for name in message:gmatch("operation error ([%w ]-): %w+") do
    out[M.normalize_service(name)] = true
  end
  for name in message:gmatch("%(Service: ([%w ]-)[,;]") do
    out[M.normalize_service(name)] = true
  end
  for name in message:gmatch("@aws%-sdk/client%-([%w%-]+)") do
    out[M.normalize_service(name)] = true
  end
  return out
end

-- Environment variable NAMES (never values) that say which service a function uses.
local ENV_HINTS = {
  { "TABLE", "dynamodb" }, { "DYNAMO", "dynamodb" }, { "QUEUE", "sqs" },
  { "BUCKET", "s3" }, { "TOPIC", "sns" }, { "SECRET_ARN", "secretsmanager" },
  { "SECRET_ID", "secretsmanager" }, { "SECRET_NAME", "secretsmanager" },
  { "STREAM_NAME", "kinesis" }, { "STREAM_ARN", "kinesis" },
  { "DELIVERY_STREAM", "firehose" }, { "PARAMETER", "ssm" }, { "SSM_", "ssm" },
  { "STATE_MACHINE", "states" }, { "EVENT_BUS", "events" }, { "KMS_KEY", "kms" },
}

--- The service an environment variable's name points at ("TABLE_NAME" -> "dynamodb").
function M.service_for_env_name(name)
  local upper = name:upper()
  for _, hint in ipairs(ENV_HINTS) do
    if upper:find(hint[1], 1, true) then return hint[2] end
  end
  return nil
end

-- Services the function's ENI does not need a way out for: Lambda ships logs itself,
-- and databases, caches and load balancers live inside the VPC.
local NOT_THROUGH_ENI = { logs = true, rds = true, cache = true, es = true, elb = true,
                          redshift = true }

--- Which AWS services the function calls through its network interfaces, from its log
--- lines and environment variable names: array of {service, why = {"..."}} sorted by
--- service, each `why` naming the first evidence (a log line with its time, or an
--- environment variable name).
function M.services_called(events, env_names)
  local found, order = {}, {}
  local function add(service, why)
    if not service or NOT_THROUGH_ENI[service] then return end
    if not found[service] then
      found[service] = { service = service, why = {} }
      order[#order + 1] = service
    end
    local w = found[service].why
    if #w < 2 then w[#w + 1] = why end
  end
  for _, e in ipairs(events or {}) do
    for service in pairs(M.services_in(e.message)) do
      add(service, ("log line at %s: %s"):format(e.iso, M.clip(e.message)))
    end
  end
  for _, name in ipairs(env_names or {}) do
    add(M.service_for_env_name(name), ("environment variable %s"):format(name))
  end
  table.sort(order)
  local out = {}
  for i, s in ipairs(order) do out[i] = found[s] end
  return out
end

--- A log line shortened for evidence: first line only, at most `max` characters.
function M.clip(message, max)
  max = max or 220
  local line = message:match("^[^\n]*") or message
  line = line:gsub("%s+$", "")
  if #line > max then line = line:sub(1, max - 3) .. "..." end
  return line
end

-- Gateway endpoints exist only for these; everything else is an interface endpoint.
local GATEWAY = { s3 = true, dynamodb = true }

--- "com.amazonaws.us-east-1.dynamodb" and whether it is a Gateway or Interface endpoint.
function M.endpoint_service(region, service)
  return ("com.amazonaws.%s.%s"):format(region, service), GATEWAY[service] and "Gateway"
      or "Interface"
end

--- The service id of a VPC endpoint's ServiceName ("com.amazonaws.us-east-1.sqs" -> "sqs").
function M.endpoint_service_id(service_name)
  return (service_name or ""):match("^com%.amazonaws%.[%w%-]+%.([%w%-%.]+)$")
end

---------------------------------------------------------------------------------------
-- routing

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

--- Whether a gateway endpoint is attached to a route table.
function M.endpoint_serves_table(endpoint, route_table_id)
  for _, id in ipairs(endpoint.RouteTableIds or {}) do
    if id == route_table_id then return true end
  end
  return false
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
      local nat = nats_by_id[route.target]
      p.nat = nat
      if not nat or nat.State ~= "available" then
        p.problem = ("NAT gateway %s is %s"):format(route.target, nat and nat.State or "missing")
      elseif nat.ConnectivityType == "private" then
        p.problem = ("NAT gateway %s is a private NAT gateway: it cannot reach the internet")
          :format(nat.NatGatewayId)
      elseif M.default_route(M.route_table_for(nat.SubnetId, vpc_id, route_tables)).kind
          ~= "igw" then
        p.problem = ("NAT gateway %s sits in %s, which has no internet gateway route")
          :format(nat.NatGatewayId, nat.SubnetId)
      else
        p.internet = true
      end
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
    return (x.AvailableIpAddressCount or 0) > (y.AvailableIpAddressCount or 0)
  end)
  return out
end

--- The VPC endpoint that serves `service` for a subnet with this route table (a gateway
--- endpoint must be attached to the table; an interface endpoint serves the whole VPC).
function M.endpoint_for(service, endpoints, route_table_id)
  for _, ep in ipairs(endpoints or {}) do
    if M.endpoint_service_id(ep.ServiceName) == service and ep.State ~= "deleted"
        and ep.State ~= "failed" and ep.State ~= "rejected" then
      if ep.VpcEndpointType ~= "Gateway" or M.endpoint_serves_table(ep, route_table_id) then
        return ep
      end
    end
  end
  return nil
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

---------------------------------------------------------------------------------------
-- fix commands

--- aws lambda update-function-configuration ... --vpc-config SubnetIds=..,SecurityGroupIds=..
function M.vpc_config_command(function_name, subnet_ids, group_ids)
  return ("aws lambda update-function-configuration --function-name %s --vpc-config "
    .. "SubnetIds=%s,SecurityGroupIds=%s"):format(function_name, table.concat(subnet_ids, ","),
    table.concat(group_ids, ","))
end

--- aws ec2 create-vpc-endpoint for a service: a gateway endpoint on the route tables, or
--- an interface endpoint in the subnets (at most one per Availability Zone) with the
--- function's security groups and private DNS.
function M.endpoint_command(region, vpc, service, route_table_ids, subnets)
  local name, kind = M.endpoint_service(region, service)
  if kind == "Gateway" then
    return ("aws ec2 create-vpc-endpoint --vpc-id %s --vpc-endpoint-type Gateway --service-name "
      .. "%s --route-table-ids %s"):format(vpc.VpcId, name, table.concat(route_table_ids, " "))
  end
  local ids, azs = {}, {}
  for _, s in ipairs(subnets) do
    if not azs[s.AvailabilityZone] then
      azs[s.AvailabilityZone] = true
      ids[#ids + 1] = s.SubnetId
    end
  end
  return ("aws ec2 create-vpc-endpoint --vpc-id %s --vpc-endpoint-type Interface --service-name "
    .. "%s --subnet-ids %s --security-group-ids %s --private-dns-enabled"):format(vpc.VpcId,
    name, table.concat(ids, " "), table.concat(vpc.SecurityGroupIds, " "))
end

--- A subnet to create when no subnet of the VPC has room, next to `first` (same AZ and
--- route table): commands, explanation. `s` is the vpc step's picture of the network
--- (ctx, a = args, vpc, got = {vpcs, subnets}, paths); `keep` the subnet ids that stay.
function M.new_subnet_fix(s, first, keep)
  local a, vpc = s.a, s.vpc
  local cidrs, taken = {}, {}
  for _, v in ipairs(s.got.vpcs or {}) do
    for _, c in ipairs(v.CidrBlockAssociationSet or { { CidrBlock = v.CidrBlock } }) do
      cidrs[#cidrs + 1] = c.CidrBlock
    end
  end
  for _, sub in ipairs(s.got.subnets) do taken[#taken + 1] = sub.CidrBlock end
  local block = M.free_block(cidrs, taken, a.new_subnet_prefix)
  if not block then
    return { ("aws ec2 associate-vpc-cidr-block --vpc-id %s --cidr-block 100.64.0.0/16")
      :format(vpc.VpcId) }, ("%s has no free range left: add a secondary CIDR block, then "
      .. "create subnets in it"):format(vpc.VpcId)
  end
  local commands = { ("aws ec2 create-subnet --vpc-id %s --cidr-block %s --availability-zone %s")
    :format(vpc.VpcId, block, first.AvailabilityZone) }
  local rt = s.paths[first.SubnetId].table
  if rt then
    commands[#commands + 1] = ("aws ec2 associate-route-table --route-table-id %s --subnet-id "
      .. "NEW_SUBNET_ID"):format(rt.RouteTableId)
  end
  commands[#commands + 1] = M.vpc_config_command(s.ctx.function_name,
    { "NEW_SUBNET_ID", table.unpack(keep) }, vpc.SecurityGroupIds)
  return commands, ("no subnet of %s has room: create a /%d (%d addresses) in the free range "
    .. "%s, give it the same route table, and move the function to it"):format(vpc.VpcId,
    a.new_subnet_prefix, M.usable_ips(a.new_subnet_prefix), block)
end

--- Commands and explanations that give the subnets behind path `p` a way out: move off a
--- public subnet, add a NAT route, or create a NAT gateway. Sets s.moved when it proposes
--- new subnets (same picture `s` as new_subnet_fix).
function M.route_fix(s, p)
  local commands, explain = {}, {}
  local rt_id = p.table and p.table.RouteTableId
  local nat
  for _, n in ipairs(s.got.nats or {}) do
    if n.State == "available" and n.ConnectivityType ~= "private" then nat = nat or n end
  end
  if p.route.kind == "igw" then
    local new_ids = {}
    for _, sub in ipairs(s.mine) do
      if s.paths[sub.SubnetId].internet then new_ids[#new_ids + 1] = sub.SubnetId end
    end
    local private = M.private_candidates(s.got.subnets, s.used, s.paths, s.a.low_ips)
    for i = 1, math.min(#private, math.max(0, s.a.min_azs - #new_ids)) do
      new_ids[#new_ids + 1] = private[i].SubnetId
    end
    if #new_ids > 0 then
      s.moved = true
      commands[1] = M.vpc_config_command(s.ctx.function_name, new_ids, s.vpc.SecurityGroupIds)
      explain[1] = ("move the function out of the public subnet into private subnets that "
        .. "route through a NAT gateway (%s)"):format(table.concat(new_ids, ", "))
    end
  elseif rt_id and nat and not p.problem then
    commands[1] = ("aws ec2 create-route --route-table-id %s --destination-cidr-block 0.0.0.0/0 "
      .. "--nat-gateway-id %s"):format(rt_id, nat.NatGatewayId)
    explain[1] = ("add a default route through NAT gateway %s (%s)"):format(nat.NatGatewayId,
      nat.SubnetId)
  elseif rt_id and p.route.kind == "none" then
    local public
    for _, sub in ipairs(s.got.subnets) do
      if s.paths[sub.SubnetId].route.kind == "igw" then public = public or sub end
    end
    commands = { "aws ec2 allocate-address --domain vpc",
      ("aws ec2 create-nat-gateway --subnet-id %s --allocation-id ALLOCATION_ID")
        :format(public and public.SubnetId or "PUBLIC_SUBNET_ID"),
      ("aws ec2 create-route --route-table-id %s --destination-cidr-block 0.0.0.0/0 "
        .. "--nat-gateway-id NAT_GATEWAY_ID"):format(rt_id) }
    explain[1] = "create a NAT gateway in a public subnet and route 0.0.0.0/0 to it"
  elseif p.problem then
    explain[1] = "repair the path: " .. p.problem
  end
  return commands, explain
end

---------------------------------------------------------------------------------------
-- security groups

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

---------------------------------------------------------------------------------------
-- IPv4 CIDR arithmetic (to propose a free block for a new subnet)

--- "10.0.1.0/24" -> first address as a number, prefix length; nil when not IPv4.
function M.parse_cidr(cidr)
  local a, b, c, d, len = (cidr or ""):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)/(%d+)$")
  if not a then return nil end
  local addr = ((tonumber(a) * 256 + tonumber(b)) * 256 + tonumber(c)) * 256 + tonumber(d)
  len = tonumber(len)
  local size = 1 << (32 - len)
  return addr - addr % size, len
end

local function format_cidr(addr, len)
  return ("%d.%d.%d.%d/%d"):format(addr >> 24 & 255, addr >> 16 & 255, addr >> 8 & 255,
                                   addr & 255, len)
end

--- Usable addresses in a subnet of this prefix (AWS keeps 5 of every subnet).
function M.usable_ips(len)
  return (1 << (32 - len)) - 5
end

--- The first block of prefix length `len` inside one of `vpc_cidrs` that overlaps none
--- of `used` (CIDR strings), or nil when the VPC has no room.
function M.free_block(vpc_cidrs, used, len)
  local taken = {}
  for _, c in ipairs(used or {}) do
    local a, l = M.parse_cidr(c)
    if a then taken[#taken + 1] = { a, a + (1 << (32 - l)) - 1 } end
  end
  local size = 1 << (32 - len)
  for _, vc in ipairs(vpc_cidrs or {}) do
    local base, vlen = M.parse_cidr(vc)
    if base and vlen <= len then
      for start = base, base + (1 << (32 - vlen)) - size, size do
        local finish, clash = start + size - 1, false
        for _, t in ipairs(taken) do
          if start <= t[2] and t[1] <= finish then clash = true break end
        end
        if not clash then return format_cidr(start, len) end
      end
    end
  end
  return nil
end

return M
