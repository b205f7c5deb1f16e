--- Tests of lib.cidr: parsing, formatting, usable addresses and a free block for a subnet.
local cidr = require("lib.cidr")
local t = require("testlib")

t.test("parse_gives_the_block_start_and_prefix", function()
  t.eq({ cidr.parse("10.0.1.0/24") }, { 167772416, 24 })
  t.eq({ cidr.parse("10.0.1.77/24") }, { 167772416, 24 }, "host bits dropped")
  t.eq({ cidr.parse("0.0.0.0/0") }, { 0, 0 })
end)

t.test("parse_refuses_what_is_not_ipv4_cidr", function()
  t.eq(cidr.parse("10.0.1.0"), nil)
  t.eq(cidr.parse("2600:1f18::/56"), nil)
  t.eq(cidr.parse("10.0.300.0/24"), nil)
  t.eq(cidr.parse("10.0.0.0/33"), nil)
  t.eq(cidr.parse(nil), nil)
end)

t.test("format_is_the_inverse_of_parse", function()
  for _, c in ipairs({ "10.20.4.0/22", "192.168.255.0/24", "100.64.0.0/16" }) do
    t.eq(cidr.format(cidr.parse(c)), c)
  end
end)

t.test("usable_ips_leaves_out_the_five_aws_keeps", function()
  t.eq(cidr.usable_ips(24), 251)
  t.eq(cidr.usable_ips(26), 59)
  t.eq(cidr.usable_ips(22), 1019)
end)

t.test("free_block_skips_used_ranges", function()
  t.eq(cidr.free_block({ "10.0.0.0/16" }, { "10.0.0.0/24" }, 22), "10.0.4.0/22")
  t.eq(cidr.free_block({ "10.20.0.0/16" }, { "10.20.1.0/26", "10.20.1.64/26", "10.20.16.0/20" },
    22), "10.20.4.0/22")
  t.eq(cidr.free_block({ "10.0.0.0/16" }, {}, 24), "10.0.0.0/24")
end)

t.test("free_block_tries_every_vpc_range_and_says_nil_when_full", function()
  t.eq(cidr.free_block({ "10.0.0.0/24" }, { "10.0.0.0/24" }, 26), nil)
  t.eq(cidr.free_block({ "10.0.0.0/24", "100.64.0.0/16" }, { "10.0.0.0/24" }, 22), "100.64.0.0/22")
  t.eq(cidr.free_block({ "10.0.0.0/24" }, {}, 22), nil, "a block larger than the VPC")
end)

return t.run()
