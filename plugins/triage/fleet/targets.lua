--- triage.fleet.targets: the (account, region) pairs a fleet triage covers, and this
--- runner's share of them.
--
-- An identity is who the calls are signed as: the run's own credentials, a profile of
-- the shared config (--profiles), or a role assumed in an account (--accounts with
-- --role-name, session name "runbook"). A target is an identity in one region; every
-- target has its own rate limits (the core keys its buckets by credential set and
-- region), so targets run side by side.
--
-- --shard K/N keeps the pairs whose position in the sorted list is K modulo N: the same
-- inputs give every runner the same list, so N runners split it without talking, and a
-- pair is never split (two runners never share one account's quota in one region).
local arn = require("lib.arn")

local M = {}

--- The session name runbook assumes roles with (it shows in the account's CloudTrail).
M.SESSION_NAME = "runbook"

local function is_account(s) return s:match("^%d%d%d%d%d%d%d%d%d%d%d%d$") ~= nil end

-- The account ids of a file: 12-digit ids separated by commas, spaces or lines; # comments.
local function read_accounts(path, out)
  -- the sandbox raises for a path not named on the command line
  local opened, fh, why = pcall(io.open, path, "r")
  if not opened then fh, why = nil, "not readable here" end
  if not fh then
    return nil, ("invalid --accounts '%s': not a list of 12-digit account ids, and not a "
      .. "readable file (%s)"):format(path, tostring(why))
  end
  local n, line_no = 0, 0
  for line in fh:lines() do
    line_no = line_no + 1
    line = line:gsub("#.*$", "")
    for id in line:gmatch("[^,%s]+") do
      n = n + 1
      if not is_account(id) then
        fh:close()
        return nil, ("%s line %d: '%s' is not a 12-digit account id"):format(path, line_no, id)
      end
      out[#out + 1] = id
    end
  end
  fh:close()
  if n == 0 then return nil, ("%s holds no account ids"):format(path) end
  return true
end

--- The identities the fleet options name: { {key, label, account?, profile?, opts}, ... }
--- sorted by key, or nil, message. opts are runbook.aws scope options (without region).
function M.identities(fleet, partition)
  local out = {}
  if #fleet.accounts > 0 then
    local ids, seen = {}, {}
    for _, a in ipairs(fleet.accounts) do
      if is_account(a) then
        ids[#ids + 1] = a
      else
        local ok, problem = read_accounts(a, ids)
        if not ok then return nil, problem end
      end
    end
    for _, id in ipairs(ids) do
      if not seen[id] then
        seen[id] = true
        out[#out + 1] = { key = id, label = id, account = id, opts = {
          role_arn = arn.role(partition, id, fleet.role_name), session_name = M.SESSION_NAME,
          external_id = fleet.external_id } }
      end
    end
  elseif #fleet.profiles > 0 then
    for _, p in ipairs(fleet.profiles) do
      out[#out + 1] = { key = "profile:" .. p, label = "profile " .. p, profile = p,
                        opts = { profile = p } }
    end
  else
    out[1] = { key = "default", label = "the current credentials", opts = {} }
  end
  table.sort(out, function(a, b) return a.key < b.key end)
  return out
end

--- Every (identity, region) pair, sorted: regions_of(identity) -> list of region names.
function M.pairs(identities, regions_of)
  local out = {}
  for _, who in ipairs(identities) do
    local regions = {}
    for _, r in ipairs(regions_of(who)) do regions[#regions + 1] = r end
    table.sort(regions)
    for _, r in ipairs(regions) do
      out[#out + 1] = { identity = who, region = r, key = who.key .. "/" .. r }
    end
  end
  table.sort(out, function(a, b) return a.key < b.key end)
  return out
end

--- This runner's share of the sorted pairs: those at positions K, K+N, K+2N... (1-based).
function M.shard(pairs, shard)
  if not shard then return pairs end
  local out = {}
  for i, p in ipairs(pairs) do
    if (i - 1) % shard.count == shard.index - 1 then out[#out + 1] = p end
  end
  return out
end

--- The scope options of a pair: the identity's, in the pair's region.
function M.scope_opts(pair)
  local opts = { region = pair.region }
  for k, v in pairs(pair.identity.opts) do opts[k] = v end
  return opts
end

return M
