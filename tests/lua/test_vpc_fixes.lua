--- Tests of the vpc step's plan builders (steps.vpc.fixes) and of lib.reasons: every plan
--- validates against the models, renders the command the step used to write by hand, and
--- builds its ARNs in the run's partition (aws-cn, aws-us-gov).
local fixes = require("steps.vpc.fixes")
local plan = require("fix.plan")
local reasons = require("lib.reasons")
local render = require("fix.render")
local t = require("testlib")

local function commands(fix)
  t.eq(plan.validate(fix.plan, fix.verify), true)
  return render.commands(fix.plan)
end

-- A picture of the network as steps/vpc.lua makes it (only what the builders read).
local function picture(partition, region)
  local a = { VpcId = "vpc-1", CidrBlock = "10.0.0.0/16" }
  local sub = { SubnetId = "subnet-a", AvailabilityZone = region .. "a", CidrBlock = "10.0.0.0/24",
                AvailableIpAddressCount = 0 }
  return {
    ctx = { function_name = "orders", region = region, partition = partition },
    cfg = { VpcConfig = { SubnetIds = { "subnet-a" }, SecurityGroupIds = { "sg-1" }, VpcId = "vpc-1" } },
    a = { low_ips = 20, min_azs = 2, new_subnet_prefix = 22 },
    net = { vpc_id = "vpc-1", subnet_ids = { "subnet-a" }, group_ids = { "sg-1" },
            subnets = { sub }, vpcs = { a }, nats = {} },
    mine = { sub }, used = { ["subnet-a"] = true },
    paths = { ["subnet-a"] = { table = { RouteTableId = "rtb-1" }, route = { kind = "none" } } },
  }
end

t.test("the_vpc_policy_arn_is_in_the_run_partition", function()
  for partition, prefix in pairs({ aws = "arn:aws:", ["aws-cn"] = "arn:aws-cn:",
                                   ["aws-us-gov"] = "arn:aws-us-gov:" }) do
    local fix = fixes.vpc_role_policy({ partition = partition }, "orders-role", "attach it")
    t.eq(commands(fix), { "aws iam attach-role-policy --role-name orders-role --policy-arn "
      .. prefix .. "iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole" })
    t.eq(fix.plan[1].undo.operation, "DetachRolePolicy")
  end
end)

t.test("a_move_is_update_function_configuration_of_vpc_config_with_its_undo", function()
  local s = picture("aws", "us-east-1")
  local fix = fixes.move(s, { "subnet-b", "subnet-c" })
  t.eq(commands(fix), { "aws lambda update-function-configuration --function-name orders "
    .. "--vpc-config '{\"SecurityGroupIds\":[\"sg-1\"],\"SubnetIds\":[\"subnet-b\",\"subnet-c\"]}'" })
  t.eq(fix.plan[1].undo.params.VpcConfig, { SubnetIds = { "subnet-a" }, SecurityGroupIds = { "sg-1" } })
  t.eq(fix.changes, "SubnetIds subnet-a -> subnet-b, subnet-c")
  t.eq(#fix.verify, 2)
end)

t.test("a_new_subnet_is_created_associated_and_used_through_references", function()
  local s = picture("aws-cn", "cn-north-1")
  local fix = fixes.new_subnet(s, s.mine[1], {})
  local lines = commands(fix)
  t.eq(lines[1], "SUBNET_ID=$(aws ec2 create-subnet --vpc-id vpc-1 --availability-zone "
    .. "cn-north-1a --cidr-block 10.0.4.0/22 --query Subnet.SubnetId --output text)")
  t.contains(lines[2], "--route-table-id rtb-1 --subnet-id \"$SUBNET_ID\"")
  t.contains(fix.explain, "free range 10.0.4.0/22")
  s.net.vpcs[1].CidrBlock = "10.0.0.0/24"
  fix = fixes.new_subnet(s, s.mine[1], {})
  t.eq(commands(fix), { "ASSOCIATION_ID=$(aws ec2 associate-vpc-cidr-block --vpc-id vpc-1 "
    .. "--cidr-block 100.64.0.0/16 --query CidrBlockAssociation.AssociationId --output text)" })
end)

t.test("no_default_route_creates_a_nat_gateway_then_routes_to_it", function()
  local s = picture("aws", "us-east-1")
  local fix = fixes.route(s, s.paths["subnet-a"], { "subnet-a" }, { "sqs" }, { "rtb-1" })
  local lines = commands(fix)
  t.eq(#lines, 3)
  t.contains(lines[1], "ALLOCATION_ID=$(aws ec2 allocate-address --domain vpc")
  t.contains(lines[2], "aws ec2 create-nat-gateway --subnet-id PUBLIC_SUBNET_ID --allocation-id "
    .. "\"$ALLOCATION_ID\"")
  t.contains(lines[3], "aws ec2 create-route --route-table-id rtb-1 --destination-cidr-block "
    .. "0.0.0.0/0 --nat-gateway-id \"$NAT_GATEWAY_ID\"")
  t.contains(fix.explain, "create a NAT gateway in a public subnet")
  -- endpoints are the alternative, named in words, not glued after the NAT gateway
  t.contains(fix.explain, "or, without internet access, add VPC endpoints for sqs")
  t.eq(fix.manual, fixes.MANUAL)
end)

t.test("without_a_way_out_to_plan_the_endpoints_are_the_plan", function()
  local s = picture("aws", "us-east-1")
  s.paths["subnet-a"] = { route = { kind = "none" } } -- no route table read: no route to add
  local fix = fixes.route(s, s.paths["subnet-a"], { "subnet-a" }, { "sqs" }, {})
  local lines = commands(fix)
  t.eq(#lines, 1)
  t.contains(lines[1], "aws ec2 create-vpc-endpoint --vpc-id vpc-1 --service-name "
    .. "com.amazonaws.us-east-1.sqs --private-dns-enabled")
  t.eq(fix.plan[1].params.SubnetIds, { "subnet-a" })
  t.contains(fix.explain, "add VPC endpoints for sqs")
end)

t.test("egress_and_private_dns_plans_undo_themselves", function()
  local fix = fixes.open_https("sg-1")
  t.eq(fix.plan[1].undo.operation, "RevokeSecurityGroupEgress")
  t.eq(fix.plan[1].undo.params, fix.plan[1].params)
  fix = fixes.private_dns("vpce-1")
  t.eq(commands(fix), { "aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-1 --private-dns-enabled" })
  t.eq(fix.plan[1].undo.params.PrivateDnsEnabled, false)
end)

t.test("the_eni_quota_request_is_a_plan_and_the_lookup_stays_text", function()
  local fix = fixes.eni_quota(picture("aws", "us-east-1"), "ask for more")
  t.eq(commands(fix), { "aws service-quotas request-service-quota-increase --service-code ec2 "
    .. "--quota-code L-DF5E4CA3 --desired-value 10000" })
  t.eq(fix.commands, { "aws ec2 describe-network-interfaces --filters "
    .. "Name=status,Values=available Name=vpc-id,Values=vpc-1" })
end)

t.test("each_reason_code_has_one_owner", function()
  t.eq(reasons.owner("InsufficientRolePermissions", true), "vpc")
  t.eq(reasons.owner("InsufficientRolePermissions", false), "config")
  t.eq(reasons.owner("KMSKeyAccessDenied", true), "config")
  t.eq(reasons.owner("SomethingNew", true), "config")
  for code, entry in pairs(reasons.CODES) do
    t.ok(entry.owner == "vpc" or entry.owner == "config", code)
    t.ok(type(entry.meaning) == "string" and entry.meaning ~= "", code)
  end
end)

t.test("owned_lists_state_then_update_codes_once", function()
  local cfg = { State = "Failed", StateReasonCode = "SubnetOutOfIPAddresses", StateReason = "full",
                LastUpdateStatus = "Failed", LastUpdateStatusReasonCode = "SubnetOutOfIPAddresses" }
  t.eq(reasons.owned(cfg, "vpc", true), { { code = "SubnetOutOfIPAddresses", reason = "full",
                                            what = "State Failed" } })
  t.eq(reasons.owned(cfg, "config", true), {})
  t.eq(#reasons.owned(cfg, "config", false), 1)
end)

return t.run()
