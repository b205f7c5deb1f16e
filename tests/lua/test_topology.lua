--- Tests of lib.topology: route tables, default routes, egress paths, move candidates,
--- VPC endpoints and security-group egress, over EC2 replies as AWS shapes them.
local t = require("testlib")
local topology = require("lib.topology")

local VPC = "vpc-0d4e5f6a7b8c9d0e1"

local function subnet(id, az, free, cidr)
  return { SubnetId = id, VpcId = VPC, AvailabilityZone = az, AvailableIpAddressCount = free,
           CidrBlock = cidr or "10.0.0.0/24" }
end

local function rtable(id, routes, associations)
  return { RouteTableId = id, VpcId = VPC, Routes = routes, Associations = associations }
end

local LOCAL = { DestinationCidrBlock = "10.0.0.0/16", GatewayId = "local", State = "active" }
local TABLES = {
  rtable("rtb-main", { LOCAL }, { { Main = true } }),
  rtable("rtb-public", { LOCAL, { DestinationCidrBlock = "0.0.0.0/0", GatewayId = "igw-1" } },
    { { SubnetId = "subnet-pub" } }),
  rtable("rtb-private", { LOCAL, { DestinationCidrBlock = "0.0.0.0/0", NatGatewayId = "nat-1" } },
    { { SubnetId = "subnet-a" }, { SubnetId = "subnet-b" } }),
  rtable("rtb-dead", { LOCAL, { DestinationCidrBlock = "0.0.0.0/0", NatGatewayId = "nat-gone",
    State = "blackhole" } }, { { SubnetId = "subnet-dead" } }),
  rtable("rtb-tgw", { LOCAL, { DestinationCidrBlock = "0.0.0.0/0", TransitGatewayId = "tgw-1" } },
    { { SubnetId = "subnet-tgw" } }),
}
local SUBNETS = {
  subnet("subnet-pub", "us-east-1a", 200), subnet("subnet-a", "us-east-1a", 3),
  subnet("subnet-b", "us-east-1b", 4000), subnet("subnet-c", "us-east-1c", 100),
  subnet("subnet-dead", "us-east-1a", 50), subnet("subnet-tgw", "us-east-1b", 50),
}
local NATS = { ["nat-1"] = { NatGatewayId = "nat-1", SubnetId = "subnet-pub", State = "available" } }

t.test("a_subnet_uses_its_association_else_the_main_table", function()
  local rt, how = topology.route_table_for("subnet-a", VPC, TABLES)
  t.eq({ rt.RouteTableId, how }, { "rtb-private", "explicit" })
  rt, how = topology.route_table_for("subnet-c", VPC, TABLES)
  t.eq({ rt.RouteTableId, how }, { "rtb-main", "main" })
  t.eq(topology.route_table_for("subnet-x", VPC, {}), nil)
end)

t.test("default_route_names_its_kind_and_target", function()
  t.eq(topology.default_route(TABLES[1]), { kind = "none" })
  local r = topology.default_route(TABLES[2])
  t.eq({ r.kind, r.target, r.state }, { "igw", "igw-1", "active" })
  t.eq(topology.default_route(TABLES[3]).kind, "nat")
  t.eq(topology.default_route(TABLES[5]).kind, "tgw")
  t.eq(topology.default_route(nil), { kind = "none" })
end)

t.test("egress_paths_follow_the_nat_gateway_to_an_internet_gateway", function()
  local paths = topology.egress_paths(SUBNETS, VPC, TABLES, NATS)
  t.eq(paths["subnet-a"].internet, true)
  t.eq(paths["subnet-a"].problem, nil)
  t.eq(paths["subnet-pub"].internet, false, "an internet gateway does not serve a Lambda ENI")
  t.eq(paths["subnet-c"].route.kind, "none")
  t.contains(paths["subnet-dead"].problem, "nat-gone, which no longer exists (blackhole)")
  t.eq({ paths["subnet-tgw"].internet, paths["subnet-tgw"].unverified }, { true, true })
end)

t.test("a_nat_gateway_that_cannot_reach_the_internet_is_a_problem", function()
  local private = { ["nat-1"] = { NatGatewayId = "nat-1", SubnetId = "subnet-pub",
                                  State = "available", ConnectivityType = "private" } }
  t.contains(topology.egress_paths(SUBNETS, VPC, TABLES, private)["subnet-a"].problem,
    "is a private NAT gateway")
  local pending = { ["nat-1"] = { NatGatewayId = "nat-1", State = "pending" } }
  t.eq(topology.egress_paths(SUBNETS, VPC, TABLES, pending)["subnet-a"].problem,
    "NAT gateway nat-1 is pending")
  t.eq(topology.egress_paths(SUBNETS, VPC, TABLES, {})["subnet-a"].problem,
    "NAT gateway nat-1 is missing")
  local inside = { ["nat-1"] = { NatGatewayId = "nat-1", SubnetId = "subnet-c", State = "available" } }
  t.contains(topology.egress_paths(SUBNETS, VPC, TABLES, inside)["subnet-a"].problem,
    "sits in subnet-c, which has no internet gateway route")
end)

t.test("private_candidates_are_unused_nat_subnets_with_room_most_free_first", function()
  local paths = topology.egress_paths(SUBNETS, VPC, TABLES, NATS)
  local got = topology.private_candidates(SUBNETS, {}, paths, 3)
  t.eq(topology.ids(got), { "subnet-b", "subnet-a" })
  t.eq(topology.ids(topology.private_candidates(SUBNETS, { ["subnet-b"] = true }, paths, 10)), {})
end)

t.test("zones_and_labels", function()
  local zones, seen = topology.zones(SUBNETS)
  t.eq(zones, { "us-east-1a", "us-east-1b", "us-east-1c" })
  t.eq(seen["us-east-1c"], true)
  local s = subnet("subnet-a", "us-east-1a", 3, "10.0.1.0/24")
  s.Tags = { { Key = "Name", Value = "orders-private-a" } }
  t.eq(topology.subnet_label(s), "subnet-a (orders-private-a, us-east-1a, 10.0.1.0/24)")
  t.eq(topology.subnet_label(subnet("subnet-b", "us-east-1b", 1)), "subnet-b (us-east-1b, 10.0.0.0/24)")
end)

t.test("endpoints_gateway_needs_the_route_table_interface_serves_the_vpc", function()
  local eps = {
    { VpcEndpointId = "vpce-ddb", ServiceName = "com.amazonaws.us-east-1.dynamodb",
      VpcEndpointType = "Gateway", RouteTableIds = { "rtb-private" }, State = "available" },
    { VpcEndpointId = "vpce-sqs", ServiceName = "com.amazonaws.us-east-1.sqs",
      VpcEndpointType = "Interface", State = "available" },
    { VpcEndpointId = "vpce-old", ServiceName = "com.amazonaws.us-east-1.sns",
      VpcEndpointType = "Interface", State = "deleted" },
  }
  t.eq(topology.endpoint_for("dynamodb", eps, "rtb-private").VpcEndpointId, "vpce-ddb")
  t.eq(topology.endpoint_for("dynamodb", eps, "rtb-main"), nil)
  t.eq(topology.endpoint_for("sqs", eps, nil).VpcEndpointId, "vpce-sqs")
  t.eq(topology.endpoint_for("sns", eps, nil), nil, "a deleted endpoint serves nothing")
  t.eq({ topology.endpoint_service("us-east-1", "s3") }, { "com.amazonaws.us-east-1.s3", "Gateway" })
  t.eq({ topology.endpoint_service("eu-west-1", "sqs") }, { "com.amazonaws.eu-west-1.sqs", "Interface" })
  t.eq(topology.endpoint_service_id("cn.com.amazonaws.cn-north-1.sqs"), "sqs")
end)

t.test("working_nat_is_available_and_public", function()
  t.eq(topology.working_nat({ { NatGatewayId = "a", State = "pending" },
    { NatGatewayId = "b", State = "available", ConnectivityType = "private" },
    { NatGatewayId = "c", State = "available" } }).NatGatewayId, "c")
  t.eq(topology.working_nat({}), nil)
end)

t.test("egress_on_443_anywhere_restricted_or_none", function()
  local open = { IpPermissionsEgress = { { IpProtocol = "-1", IpRanges = { { CidrIp = "0.0.0.0/0" } } } } }
  t.eq({ topology.egress_on(open, 443) }, { "anywhere", { "0.0.0.0/0" } })
  local some = { IpPermissionsEgress = {
    { IpProtocol = "tcp", FromPort = 443, ToPort = 443, PrefixListIds = { { PrefixListId = "pl-1" } } },
    { IpProtocol = "tcp", FromPort = 5432, ToPort = 5432, IpRanges = { { CidrIp = "0.0.0.0/0" } } } } }
  t.eq({ topology.egress_on(some, 443) }, { "restricted", { "pl-1" } })
  local udp = { IpPermissionsEgress = { { IpProtocol = "udp", FromPort = 0, ToPort = 65535,
    IpRanges = { { CidrIp = "0.0.0.0/0" } } } } }
  t.eq({ topology.egress_on(udp, 443) }, { "none", {} })
  t.eq({ topology.egress_on({}, 443) }, { "none", {} })
end)

return t.run()
