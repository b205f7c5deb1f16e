--- evidence.network: the EC2 side of a VPC-attached function, read once per run.
--
-- The field guide's "Check VPC configuration" reads the function's VpcConfig, then its
-- subnets, route tables, NAT gateways, VPC endpoints, security groups and the Lambda ENIs
-- (describe-network-interfaces --filters Name=description,Values="AWS Lambda VPC ENI*").
-- This provider makes those reads concurrently, once the configuration is in. A function
-- without a VpcConfig has no network to read: that is absence, not a failure.
--
--   ev.network -> { vpc_id, subnet_ids, group_ids,
--                   subnets, tables, nats, endpoints, enis, vpcs, groups (EC2 lists),
--                   errors = {{ what = "DescribeNatGateways", err }} }
--              |  { absent = "not attached to a VPC" }
-- The subnets and route tables are required (without them nothing can be said): when
-- either read fails the evidence fails. Any other read that fails leaves an empty list
-- and an entry in `errors`, so one denied DescribeNatGateways does not hide the subnets.
local evidence = require("triage.evidence")
local runbook = require("runbook")

local M = {}

-- Reads without which the network cannot be judged.
local REQUIRED = { subnets = "DescribeSubnets", tables = "DescribeRouteTables" }

local function reads(ctx, vpc_id, subnet_ids, group_ids)
  local in_vpc = { { Name = "vpc-id", Values = { vpc_id } } }
  local function collect(op, params)
    return function() return ctx.aws.collect("ec2", op, params) end
  end
  -- the guide's describe-network-interfaces, narrowed to the function's subnets and groups
  local eni_filters = { { Name = "description", Values = { "AWS Lambda VPC ENI*" } },
                        { Name = "subnet-id", Values = subnet_ids } }
  if #group_ids > 0 then eni_filters[3] = { Name = "group-id", Values = group_ids } end
  local calls = {
    subnets = { "DescribeSubnets", { Filters = in_vpc } },
    tables = { "DescribeRouteTables", { Filters = in_vpc } },
    nats = { "DescribeNatGateways", { Filter = in_vpc } },
    endpoints = { "DescribeVpcEndpoints", { Filters = in_vpc } },
    enis = { "DescribeNetworkInterfaces", { Filters = eni_filters } },
    vpcs = { "DescribeVpcs", { VpcIds = { vpc_id } } },
    groups = #group_ids > 0 and { "DescribeSecurityGroups", { GroupIds = group_ids } } or nil,
  }
  local fns = {}
  for key, c in pairs(calls) do fns[key] = collect(c[1], c[2]) end
  local got, errs = runbook.gather(fns)
  return got, errs, calls
end

--- The provider behind ev.network.
function M.provider(ctx, ev)
  local cfg = ev.config
  if cfg.failed then return nil, cfg.failed end
  if cfg.absent then return cfg end
  local vpc = cfg.VpcConfig
  if not vpc or not vpc.SubnetIds or #vpc.SubnetIds == 0 then
    return evidence.absent("not attached to a VPC")
  end
  local group_ids = vpc.SecurityGroupIds or {}
  local got, errs, calls = reads(ctx, vpc.VpcId, vpc.SubnetIds, group_ids)
  for key in pairs(REQUIRED) do
    if not got[key] then return nil, errs[key] end
  end
  local out = { vpc_id = vpc.VpcId, subnet_ids = vpc.SubnetIds, group_ids = group_ids,
                errors = {} }
  for _, key in ipairs({ "subnets", "tables", "nats", "endpoints", "enis", "vpcs", "groups" }) do
    out[key] = got[key] or {}
    if calls[key] and not got[key] then
      out.errors[#out.errors + 1] = { what = calls[key][1], err = errs[key] }
    end
  end
  return out
end

return M
