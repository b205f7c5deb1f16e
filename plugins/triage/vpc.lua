--- triage.vpc: split four ways; this name stays for one release so team steps keep loading.
--
-- Service names from log lines, hosts and environment names moved to lib.services; route
-- tables, NAT gateways, endpoints and security-group egress to lib.topology; CIDR
-- arithmetic to lib.cidr. The fix-command builders (vpc_config_command, endpoint_command,
-- new_subnet_fix, route_fix) became the vpc step's plan builders (steps.vpc.fixes), which
-- return fix plans instead of command strings, and are not re-exported.
local cidr = require("lib.cidr")
local services = require("lib.services")
local text = require("lib.text")
local topology = require("lib.topology")

local M = {}

for _, lib in ipairs({ services, topology }) do
  for name, fn in pairs(lib) do M[name] = fn end
end
M.parse_cidr, M.usable_ips, M.free_block = cidr.parse, cidr.usable_ips, cidr.free_block

--- A log line shortened for evidence: first line only, at most `max` characters.
function M.clip(message, max)
  return text.clip(text.first_line(message), max or 220)
end

return M
