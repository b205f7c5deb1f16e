--- triage.fleet.enumerate: the functions of one target (an identity in one region) that
--- the fleet options select, and the target-wide reads every function shares.
--
-- ListFunctions (paginated) gives every function's configuration; --match and --runtime
-- filter on it without another call. Event source mappings are listed once for the whole
-- region (ListEventSourceMappings without FunctionName) and handed to each function, so a
-- thousand functions cost a few pages, not a thousand calls under the control plane's
-- 15 requests per second.
local text = require("lib.text")

local M = {}

local function any_glob(globs, value)
  if #globs == 0 then return true end
  for _, g in ipairs(globs) do
    if (value or ""):match(text.glob_pattern(g)) then return true end
  end
  return false
end

--- Whether a configuration passes --match (function name globs) and --runtime (runtime
--- globs; a container image function has no runtime and matches only "image").
function M.selected(cfg, fleet)
  local runtime = cfg.Runtime or (cfg.PackageType == "Image" and "image") or ""
  return any_glob(fleet.match, cfg.FunctionName) and any_glob(fleet.runtimes, runtime)
end

--- Whether GetFunction's Tags carry every --tag KEY=VALUE (the value may be a glob).
function M.tagged(tags, wanted)
  for _, t in ipairs(wanted) do
    local v = tags and tags[t.key]
    if v == nil or not v:match(text.glob_pattern(t.value)) then return false end
  end
  return true
end

--- The selected configurations of the target, sorted by name: list | nil, err.
function M.functions(api, fleet)
  local all, err = api.collect("lambda", "ListFunctions", {})
  if not all then return nil, err end
  local out = {}
  for _, cfg in ipairs(all) do
    if M.selected(cfg, fleet) then out[#out + 1] = cfg end
  end
  table.sort(out, function(a, b) return a.FunctionName < b.FunctionName end)
  return out
end

--- Every event source mapping of the target by the FunctionArn it invokes:
--- {arn = {mapping...}} | nil, err.
function M.mappings(api)
  local all, err = api.collect("lambda", "ListEventSourceMappings", {})
  if not all then return nil, err end
  local by_fn = {}
  for _, m in ipairs(all) do
    local list = by_fn[m.FunctionArn] or {}
    list[#list + 1] = m
    by_fn[m.FunctionArn] = list
  end
  return by_fn
end

--- The regions enabled for the identity (EC2 DescribeRegions, opted-in only), sorted.
function M.regions(api)
  local reply, err = api.ec2.DescribeRegions{}
  if not reply then return nil, err end
  local out = {}
  for _, r in ipairs(reply.Regions or {}) do out[#out + 1] = r.RegionName end
  table.sort(out)
  return out
end

return M
