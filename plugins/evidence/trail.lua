--- evidence.trail: what changed around the function: its published versions and the
--- CloudTrail management events on it and on its execution role.
--
-- The `changes` step correlates these with the metrics. CloudTrail's LookupEvents takes
-- one lookup attribute per call and returns at most 50 events a page; the account may
-- make 2 calls a second per region (the core's rate limiter keeps to that, keyed by
-- credentials, region and operation). So each lookup here is one ResourceName, paged
-- with a cap (M.max_pages), over the window plus a lookback. IAM is global: its events
-- are recorded in the partition's global region (us-east-1 for aws), whatever the
-- function's region, so the role's lookup goes there.
--
--   ev.versions        ListVersionsByFunction items, capped at M.max_version_pages pages
--   ev.trail           { events, role_events, start, finish, lookback, role, truncated,
--                        errors = {{what, err}} } for the default lookback (24 h)
--   ev["trail:6h"]     the same with another lookback
local arn = require("lib.arn")
local time = require("lib.time")

local M = {}

M.max_pages = 10          -- LookupEvents pages per resource: at most 500 events
M.max_version_pages = 10  -- ListVersionsByFunction pages: at most 500 versions
M.page_size = 50          -- LookupEvents' MaxResults ceiling
M.default_lookback = "24h"

function M.versions(ctx)
  return ctx.aws.collect("lambda", "ListVersionsByFunction",
    { FunctionName = ctx.function_name }, { max_pages = M.max_version_pages })
end

--- Every event CloudTrail has for ResourceName `name` in [start, finish], at most
--- M.max_pages pages: items, truncated | nil, err. opts: the call's target (region).
function M.lookup(ctx, name, start, finish, opts)
  local params = {
    LookupAttributes = { { AttributeKey = "ResourceName", AttributeValue = name } },
    StartTime = start, EndTime = finish, MaxResults = M.page_size,
  }
  local items = {}
  for _ = 1, M.max_pages do
    local page, err = ctx.aws.call("cloudtrail", "LookupEvents", params, opts)
    if not page then return nil, err end
    for _, e in ipairs(page.Events or {}) do items[#items + 1] = e end
    if not page.NextToken or page.NextToken == "" then return items, false end
    params.NextToken = page.NextToken
  end
  return items, true
end

--- The trail evidence: param is the lookback ("24h", "6h"; default M.default_lookback).
--- The function's lookup failing fails the evidence (the step names the permission); the
--- role's lookup failing is recorded in `errors` and the function's events still count.
function M.provider(ctx, ev, param)
  local label = param or M.default_lookback
  local lookback = time.parse_duration(label)
  if not lookback then
    return nil, { code = "UnknownEvidence", kind = "usage",
                  message = ("trail evidence is trail or trail:DURATION (24h, 90m), not "
                    .. "'trail:%s'"):format(tostring(param)) }
  end
  local start, finish = ctx.window.start - lookback, ctx.window.finish
  local events, truncated = M.lookup(ctx, ctx.function_name, start, finish)
  if not events then return nil, truncated end
  local out = { events = events, role_events = {}, start = start, finish = finish,
                lookback = label, truncated = truncated, errors = {} }
  local cfg = ev.config
  local role = type(cfg) == "table" and not cfg.absent and arn.role_name(cfg.Role)
  if role then
    out.role = role
    local region = arn.global_region(ctx.partition or arn.partition_of(ctx.region))
    local role_events, more = M.lookup(ctx, role, start, finish, { region = region })
    if role_events then
      out.role_events, out.truncated = role_events, truncated or more
    else
      out.errors[#out.errors + 1] = { what = "role " .. role .. " in " .. region, err = more }
    end
  end
  return out
end

return M
