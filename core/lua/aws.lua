--- aws: every operation of the supported services, by the AWS API's own names.
--
--   local aws = require("runbook.aws")
--   local cfg, err = aws.lambda.GetFunctionConfiguration{ FunctionName = "my-fn" }
--   local fns = aws.collect("lambda", "ListFunctions", {}) -- every page's Functions
--
-- A call returns the parsed reply as a table, or nil and an error table
-- { code, message, status, request_id, retryable }. Calls made from different tasks run
-- at the same time; identical read calls in one run are sent once and shared.
local core = require("runbook.core")
local runbook = require("runbook")

local M = {}

--- aws.call(service, operation [, params]) -> result | nil, err
function M.call(service, operation, params)
  local id, err = core.submit(service, operation, params)
  if not id then return nil, err end
  return runbook.await_call(id)
end

--- Iterates over the pages of a paginated operation: for page, err in aws.pages(...)
function M.pages(service, operation, params, opts)
  local info = assert(core.operation(service, operation))
  local pager = info.paginator
  if not pager then
    error(("%s %s is not paginated"):format(service, operation), 2)
  end
  local max_pages = opts and opts.max_pages or math.huge
  local request = {}
  for k, v in pairs(params or {}) do request[k] = v end
  local finished, count = false, 0
  return function()
    if finished or count >= max_pages then return nil end
    local page, err = M.call(service, operation, request)
    count = count + 1
    if not page then
      finished = true
      return nil, err
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

--- Collects the result key of every page into one array: items | nil, err
function M.collect(service, operation, params, opts)
  local info = assert(core.operation(service, operation))
  local key = info.paginator and info.paginator.result_key
  if not key then error(("%s %s is not paginated"):format(service, operation), 2) end
  local items = {}
  for page, err in M.pages(service, operation, params, opts) do
    if not page then return nil, err end
    for _, item in ipairs(page[key] or {}) do items[#items + 1] = item end
  end
  return items
end

-- aws.<service>.<Operation>{...}: a typo in the operation name is a programming error and
-- raises at once, naming the closest real operation.
local function service_table(service)
  return setmetatable({}, {
    __index = function(t, operation)
      local info, err = core.operation(service, operation)
      if not info then error(err.message, 2) end
      local fn = function(params) return M.call(service, operation, params) end
      rawset(t, operation, fn)
      return fn
    end,
  })
end

setmetatable(M, {
  __index = function(t, service)
    local ok = core.services()[service]
    if not ok then error(("unknown service '%s'"):format(tostring(service)), 2) end
    local s = service_table(service)
    rawset(t, service, s)
    return s
  end,
})

return M
