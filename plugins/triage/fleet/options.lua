--- triage.fleet.options: the fleet part of the triage's command line, checked.
--
--   --all [--regions r1,r2 | --all-regions] [--match GLOB] [--tag key=value]
--   [--runtime python3.*] [--deep] [--accounts ID,...|FILE --role-name NAME
--   [--external-id X]] [--profiles a,b] [--shard K/N] [--parallel N]
--
-- Pure: triage.cli has stored the raw values; this says whether the command line asks for
-- a fleet, and what is wrong with it in one line. A fleet option without a fleet, a
-- function with a fleet, and --fix with a fleet (a fix is confirmed per function, after a
-- triage of that function) are usage errors.
local M = {}

-- options that only make sense for a fleet, as the user writes them
local FLEET_ONLY = {
  { "regions", "--regions" }, { "match", "--match" }, { "runtimes", "--runtime" },
  { "fn_tags", "--tag KEY=VALUE" }, { "all_regions", "--all-regions" }, { "deep", "--deep" },
  { "role_name", "--role-name" }, { "external_id", "--external-id" }, { "shard", "--shard" },
  { "parallel", "--parallel" },
}

local function given(v)
  if type(v) == "table" then return #v > 0 end
  return v ~= nil
end

--- "2/8" -> {index = 2, count = 8} | nil, message
function M.parse_shard(s)
  local k, n = tostring(s):match("^(%d+)/(%d+)$")
  k, n = tonumber(k), tonumber(n)
  if not k or n < 1 or k < 1 or k > n then
    return nil, ("invalid --shard '%s': give K/N with 1 <= K <= N (--shard 2/8 is the "
      .. "second of 8 shares)"):format(tostring(s))
  end
  return { index = k, count = n }
end

--- "team=payments" -> {key, value} | nil, message
local function parse_tag(s)
  local key, value = s:match("^([^=]+)=(.*)$")
  if not key then
    return nil, ("invalid --tag '%s': a function's tag is KEY=VALUE"):format(s)
  end
  return { key = key, value = value }
end

--- The fleet the options ask for: fleet | false (one function), or nil, message.
--- fleet = {regions = {...}, all_regions, match = {GLOB...}, runtimes = {GLOB...},
---          tags = {{key, value}}, deep, accounts = {ID or FILE...}, role_name,
---          external_id, profiles = {...}, shard = {index, count} | nil, parallel = n}
function M.check(opts)
  local wanted = opts.all or given(opts.accounts) or given(opts.profiles)
  if not wanted then
    for _, o in ipairs(FLEET_ONLY) do
      if given(opts[o[1]]) then
        return nil, ("%s selects functions of a fleet: add --all (or --accounts / --profiles)")
          :format(o[2])
      end
    end
    return false
  end
  if opts.target then
    return nil, ("unexpected function '%s' with --all: triage one function, or a fleet "
      .. "(--all, --accounts, --profiles), not both"):format(opts.target)
  end
  if opts.fix then
    return nil, "--fix works on one function, not a fleet: triage the fleet, then run "
      .. "runbook triage.lua FUNCTION --fix for the function to repair"
  end
  if opts.all_regions and #opts.regions > 0 then
    return nil, "--regions and --all-regions together: give one of them"
  end
  if #opts.accounts > 0 and #opts.profiles > 0 then
    return nil, "--accounts and --profiles together: give one of them (a profile already "
      .. "names its account)"
  end
  if #opts.accounts > 0 and not opts.role_name then
    return nil, "--accounts needs --role-name NAME: the role runbook assumes in each account"
  end
  if (opts.role_name or opts.external_id) and #opts.accounts == 0 then
    return nil, ("%s goes with --accounts"):format(opts.role_name and "--role-name" or "--external-id")
  end
  for _, r in ipairs(opts.regions) do
    if not r:match("^[a-z][a-z0-9-]+%-%d+$") then
      return nil, ("invalid region '%s' in --regions: e.g. us-east-1,eu-west-1"):format(r)
    end
  end
  local fleet = { regions = opts.regions, all_regions = opts.all_regions == true,
                  match = opts.match, runtimes = opts.runtimes, tags = {},
                  deep = opts.deep == true, accounts = opts.accounts,
                  role_name = opts.role_name, external_id = opts.external_id,
                  profiles = opts.profiles, parallel = 8 }
  for _, t in ipairs(opts.fn_tags) do
    local tag, problem = parse_tag(t)
    if not tag then return nil, problem end
    fleet.tags[#fleet.tags + 1] = tag
  end
  if opts.shard then
    local shard, problem = M.parse_shard(opts.shard)
    if not shard then return nil, problem end
    fleet.shard = shard
  end
  if opts.parallel then
    local n = tonumber(opts.parallel)
    if not n or n < 1 or n ~= math.floor(n) then
      return nil, ("invalid --parallel '%s': a whole number of functions above 0")
        :format(tostring(opts.parallel))
    end
    fleet.parallel = n
  end
  return fleet
end

return M
