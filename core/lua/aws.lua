--- aws: every operation of the supported services, by the AWS API's own names.
--
--   local aws = require("runbook.aws")
--   local cfg, err = aws.lambda.GetFunctionConfiguration{ FunctionName = "my-fn" }
--   local fns = aws.collect("lambda", "ListFunctions", {}) -- every page's Functions
--
--   local eu = aws.scope{ region = "eu-west-1", role_arn = "arn:aws:iam::123:role/ro" }
--   local cfg2 = eu.lambda.GetFunctionConfiguration{ FunctionName = "my-fn" }
--   aws.call("lambda", "ListFunctions", {}, { region = "us-west-2", profile = "prod" })
--
-- A call returns the parsed reply as a table, or nil and an error table
-- { code, message, status, request_id, retryable }. Calls made from different tasks run
-- at the same time; identical read calls in one run are sent once and shared (within one
-- region and credential set). Options say where a call goes and who signs it: region,
-- profile, role_arn (assumed with the profile's credentials, or the run's), external_id,
-- session_name, source_profile (the profile that assumes role_arn).
local core = require("runbook.core")
local runbook = require("runbook")

local M = {}

-- The options that say where a call goes and who signs it (see rb_client_target).
local TARGET_KEYS = {
  region = true, profile = true, role_arn = true, external_id = true, session_name = true,
  source_profile = true,
}
-- Options of aws.pages / aws.collect beyond the target.
local PAGE_KEYS = { max_pages = true }

-- The target part of `opts` merged over `bound` (a scope's own options); raises on an
-- unknown option, naming it.
local function target_of(bound, opts, level)
  if opts == nil then return bound end
  if type(opts) ~= "table" then
    error(("options must be a table, not %s"):format(type(opts)), level + 1)
  end
  local to = {}
  for k, v in pairs(bound or {}) do to[k] = v end
  for k, v in pairs(opts) do
    if TARGET_KEYS[k] then
      to[k] = v
    elseif not PAGE_KEYS[k] then
      error(("unknown option '%s': use region, profile, role_arn, external_id, "
        .. "session_name, source_profile (or max_pages for pages)"):format(tostring(k)),
        level + 1)
    end
  end
  return to
end

local function call(bound, service, operation, params, opts)
  local id, err = core.submit(service, operation, params, target_of(bound, opts, 3))
  if not id then return nil, err end
  return runbook.await_call(id)
end

local function pages(bound, service, operation, params, opts)
  local info = assert(core.operation(service, operation))
  local pager = info.paginator
  if not pager then
    error(("%s %s is not paginated"):format(service, operation), 3)
  end
  local to = target_of(bound, opts, 3)
  local max_pages = opts and opts.max_pages or math.huge
  local request = {}
  for k, v in pairs(params or {}) do request[k] = v end
  local finished, count = false, 0
  return function()
    if finished or count >= max_pages then return nil end
    local page, err = call(nil, service, operation, request, to)
    count = count + 1
    if not page then
      -- false, not nil: a generic `for page, err in aws.pages(...)` stops at a nil first
      -- value, which would hide the failure as an empty result.
      finished = true
      return false, err
    end
    local token = page[pager.output_token]
    if token == nil or token == "" or token == request[pager.input_token]
        or (pager.more_results and not page[pager.more_results]) then
      finished = true
    else
      request[pager.input_token] = token
    end
    return page
  end
end

local function collect(bound, service, operation, params, opts)
  local info = assert(core.operation(service, operation))
  local key = info.paginator and info.paginator.result_key
  if not key then error(("%s %s is not paginated"):format(service, operation), 3) end
  local items = {}
  for page, err in pages(bound, service, operation, params, opts) do
    if not page then return nil, err end
    for _, item in ipairs(page[key] or {}) do items[#items + 1] = item end
  end
  return items
end

-- aws.<service>.<Operation>(params [, opts]): a typo in the operation name is a
-- programming error and raises at once, naming the closest real operation.
local function service_table(bound, service)
  return setmetatable({}, {
    __index = function(t, operation)
      local info, err = core.operation(service, operation)
      if not info then error(err.message, 2) end
      local fn = function(params, opts) return call(bound, service, operation, params, opts) end
      rawset(t, operation, fn)
      return fn
    end,
  })
end

-- One API object: .call, .pages, .collect, .scope and .<service>.<Operation>, every call
-- going to `bound` (nil: the run's default region and credentials) unless its own opts
-- say otherwise.
local function api(bound, into)
  local A = into or {}

  --- A.call(service, operation [, params [, opts]]) -> result | nil, err
  function A.call(service, operation, params, opts)
    return call(bound, service, operation, params, opts)
  end

  --- Iterates over the pages of a paginated operation: for page, err in A.pages(...)
  --- A failed page comes as false, err (then the iteration ends). opts: the target
  --- options, plus max_pages.
  function A.pages(service, operation, params, opts)
    return pages(bound, service, operation, params, opts)
  end

  --- Collects the result key of every page into one array: items | nil, err
  function A.collect(service, operation, params, opts)
    return collect(bound, service, operation, params, opts)
  end

  --- A.scope{ region =, profile =, role_arn =, external_id =, session_name =,
  --- source_profile = } -> an API object bound to those (merged over this one's).
  function A.scope(opts)
    if type(opts) ~= "table" then
      error(("aws.scope takes a table of options, not %s"):format(type(opts)), 2)
    end
    for k in pairs(opts) do
      if not TARGET_KEYS[k] then
        error(("unknown option '%s': use region, profile, role_arn, external_id, "
          .. "session_name or source_profile"):format(tostring(k)), 2)
      end
    end
    return api(target_of(bound, opts, 2))
  end

  return setmetatable(A, {
    __index = function(t, service)
      local ok = core.services()[service]
      if not ok then error(("unknown service '%s'"):format(tostring(service)), 2) end
      local s = service_table(bound, service)
      rawset(t, service, s)
      return s
    end,
  })
end

return api(nil, M)
