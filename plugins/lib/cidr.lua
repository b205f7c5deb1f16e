--- lib.cidr: IPv4 CIDR arithmetic, to size subnets and find a free block for a new one.
--
-- The field guide's "ENI creation timeout (VPC)" row ends in "use larger subnets": when no
-- subnet of the VPC has room, the vpc step proposes a block of the VPC's ranges that no
-- subnet uses yet. Pure functions over CIDR strings; addresses are plain integers (Lua 5.4
-- has 64-bit integers, so no IPv4 arithmetic overflows).
--
--   local cidr = require("lib.cidr")
--   cidr.parse("10.0.1.0/24")                       --> 167772416, 24
--   cidr.usable_ips(24)                              --> 251
--   cidr.free_block({ "10.0.0.0/16" }, { "10.0.0.0/24" }, 22) --> "10.0.4.0/22"
local M = {}

-- Addresses AWS keeps in every subnet: network, VPC router, DNS, future use, broadcast.
local RESERVED_PER_SUBNET = 5

--- "10.0.1.0/24" -> first address of the block as an integer, prefix length; nil when
--- the text is not an IPv4 CIDR.
function M.parse(text)
  local a, b, c, d, len = (text or ""):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)/(%d+)$")
  if not a then return nil end
  a, b, c, d, len = tonumber(a), tonumber(b), tonumber(c), tonumber(d), tonumber(len)
  if a > 255 or b > 255 or c > 255 or d > 255 or len > 32 then return nil end
  local addr = ((a * 256 + b) * 256 + c) * 256 + d
  local size = 1 << (32 - len)
  return addr - addr % size, len
end

--- An address and a prefix length as CIDR text: format(167772416, 24) -> "10.0.1.0/24".
function M.format(addr, len)
  return ("%d.%d.%d.%d/%d"):format(addr >> 24 & 255, addr >> 16 & 255, addr >> 8 & 255,
                                   addr & 255, len)
end

--- Usable addresses in a subnet of this prefix length (AWS keeps 5 of every subnet).
function M.usable_ips(len)
  return (1 << (32 - len)) - RESERVED_PER_SUBNET
end

--- The first block of prefix length `len` inside one of `vpc_cidrs` that overlaps none
--- of `used` (CIDR strings), or nil when the VPC has no room.
function M.free_block(vpc_cidrs, used, len)
  local taken = {}
  for _, c in ipairs(used or {}) do
    local a, l = M.parse(c)
    if a then taken[#taken + 1] = { a, a + (1 << (32 - l)) - 1 } end
  end
  local size = 1 << (32 - len)
  for _, vc in ipairs(vpc_cidrs or {}) do
    local base, vlen = M.parse(vc)
    if base and vlen <= len then
      for start = base, base + (1 << (32 - vlen)) - size, size do
        local finish, clash = start + size - 1, false
        for _, t in ipairs(taken) do
          if start <= t[2] and t[1] <= finish then
            clash = true
            break
          end
        end
        if not clash then return M.format(start, len) end
      end
    end
  end
  return nil
end

return M
