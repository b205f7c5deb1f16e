--- triage.context: the `ctx` every step receives (docs/steps.md is the contract).
--
-- One run state is shared by all steps (the function, region, window, memo of once());
-- each step gets its own ctx over it, with its own args and findings. ctx.aws is the
-- runbook.aws module with one addition: a failed call's error names its call
-- (err.service, err.operation), so ctx:error_from can name the IAM permission.
local aws = require("runbook.aws")
local runbook = require("runbook")

local M = {}

M.SEVERITIES = { ok = 0, skip = 0, info = 1, warn = 2, fail = 3, error = 4 }
local CONFIDENCE = { high = true, medium = true, low = true }

-- Error codes that mean "the operator's identity may not do this".
M.DENIED = { AccessDenied = true, AccessDeniedException = true, UnauthorizedOperation = true,
             AuthorizationError = true }

-- The IAM service prefix of each runbook.aws service.
local IAM_PREFIX = { monitoring = "cloudwatch", apigatewayv2 = "apigateway" }

-- ctx.aws: runbook.aws, with errors labelled by their call ------------------------------

local function label(service, operation, result, err)
  if result == nil and type(err) == "table" then
    err.service = err.service or service
    err.operation = err.operation or operation
  end
  return result, err
end

local labelled = {}
function labelled.call(service, operation, params)
  return label(service, operation, aws.call(service, operation, params))
end
function labelled.collect(service, operation, params, opts)
  return label(service, operation, aws.collect(service, operation, params, opts))
end
function labelled.pages(service, operation, params, opts)
  local next_page = aws.pages(service, operation, params, opts)
  return function()
    return label(service, operation, next_page())
  end
end
setmetatable(labelled, {
  __index = function(t, service)
    local real = aws[service] -- raises on an unknown service
    local s = setmetatable({}, {
      __index = function(ops, operation)
        local fn = real[operation] -- raises on an unknown operation
        local wrapped = function(params) return label(service, operation, fn(params)) end
        rawset(ops, operation, wrapped)
        return wrapped
      end,
    })
    rawset(t, service, s)
    return s
  end,
})
M.aws = labelled

-- the run ---------------------------------------------------------------------------------

--- The shared state of one triage: fn = cli.parse_function's table, window from cli.window.
function M.new_run(fn, region, window, now)
  local id = fn.qualifier and (fn.name .. ":" .. fn.qualifier) or fn.name
  return {
    function_name = fn.name, qualifier = fn.qualifier, function_id = id,
    region = region, account = fn.account, partition = fn.partition or "aws",
    window = window, now = now, memo = {},
  }
end

local Ctx = {}

--- A ctx for one step over the run. `record` collects its findings.
function M.for_step(run, step_id, args, record)
  local ctx = { step_id = step_id, args = args, aws = labelled, _run = run, _record = record }
  return setmetatable(ctx, {
    __index = function(_, k)
      local method = Ctx[k]
      if method ~= nil then return method end
      return run[k]
    end,
  })
end

--- Runs fn() once per run for key; every caller (even while it runs) gets its results.
function Ctx:once(key, fn)
  local memo = self._run.memo
  local task = memo[key]
  if not task then
    task = runbook.spawn(fn)
    memo[key] = task
  end
  local r = table.pack(runbook.join(task))
  if not r[1] then error(r[2], 0) end
  return table.unpack(r, 2, r.n)
end

local function account_from_arn(arn)
  return type(arn) == "string" and arn:match("^arn:[%w-]+:lambda:[%w-]+:(%d+):") or nil
end

--- GetFunctionConfiguration of the function, shared by all steps: cfg | nil, err
function Ctx:config()
  local run = self._run
  return self:once("config", function()
    local cfg, err = labelled.lambda.GetFunctionConfiguration{ FunctionName = run.function_id }
    if cfg then
      run.account = run.account or account_from_arn(cfg.FunctionArn)
      run.arn = cfg.FunctionArn
    end
    return cfg, err
  end)
end

-- findings --------------------------------------------------------------------------------

--- s with every byte that is not part of valid UTF-8 replaced by U+FFFD (a step may cut a
--- log line in the middle of a character; the JSON report must still encode).
function M.utf8_clean(s)
  if utf8.len(s) then return s end
  local out, i = {}, 1
  while i <= #s do
    local n, bad = utf8.len(s, i)
    if n then
      out[#out + 1] = s:sub(i)
      break
    end
    out[#out + 1] = s:sub(i, bad - 1) .. "\u{FFFD}"
    i = bad + 1
  end
  return table.concat(out)
end

local function str(v)
  if v == nil then return nil end
  return M.utf8_clean(tostring(v))
end

local function list(v)
  if v == nil then return {} end
  if type(v) ~= "table" then return { str(v) } end
  local out = {}
  for i, item in ipairs(v) do out[i] = str(item) end
  return out
end

local function normalize_fix(fix)
  if fix == nil then return nil end
  if type(fix) == "string" then return { explain = str(fix), commands = {} } end
  if type(fix) ~= "table" then error("finding fix must be a table or a string", 3) end
  return { explain = str(fix.explain), commands = list(fix.commands), changes = str(fix.changes) }
end

--- Checks a finding and gives it one shape (a misuse raises, pointing at the step).
function M.normalize(f)
  if type(f) ~= "table" then error("a finding must be a table", 3) end
  local sev = f.severity
  if M.SEVERITIES[sev] == nil then
    error(("finding severity must be ok, info, skip, warn, fail or error, not '%s'")
      :format(tostring(sev)), 3)
  end
  if type(f.title) ~= "string" or f.title == "" then
    error("a finding needs a title (a non-empty string)", 3)
  end
  if f.confidence ~= nil and not CONFIDENCE[f.confidence] then
    error(("finding confidence must be high, medium or low, not '%s'")
      :format(tostring(f.confidence)), 3)
  end
  return {
    severity = sev, title = str(f.title), evidence = list(f.evidence),
    why = str(f.why), fix = normalize_fix(f.fix),
    confidence = f.confidence, data = type(f.data) == "table" and f.data or nil,
  }
end

--- Records a finding and returns it.
function Ctx:finding(f)
  local n = M.normalize(f)
  local record = self._record
  if not record.closed then record.findings[#record.findings + 1] = n end
  return n
end

--- Records a skip finding ("no VPC configured").
function Ctx:skip(reason)
  return self:finding{ severity = "skip", title = reason }
end

-- errors from AWS -------------------------------------------------------------------------

--- The IAM action a failed call needed: from AWS's own message, else from its service and
--- operation (err.service/err.operation, or what = "lambda GetPolicy" / "lambda:GetPolicy").
function M.iam_action(err, what)
  local msg = err.message or ""
  local action = msg:match("perform: ([%w-]+:[%w*]+)")
  if action then return action end
  local service, operation = err.service, err.operation
  if not service and type(what) == "string" then
    service, operation = what:match("^(%w+)[%s:]+(%u%w+)$")
  end
  if not service then return nil end
  if service:match("^apigateway") then
    local verb = operation:match("^(%u%l+)")
    local methods = { Get = "GET", Create = "POST", Put = "PUT", Update = "PATCH",
                      Delete = "DELETE" }
    return "apigateway:" .. (methods[verb] or "GET")
  end
  return (IAM_PREFIX[service] or service) .. ":" .. operation
end

-- "User: arn:aws:iam::1:user/alice is not authorized" -> ("user", "alice")
local function caller_of(msg)
  local arn = msg:match("User: (arn:[^%s]+)")
  if not arn then return nil end
  local user = arn:match(":user/([^%s]+)$")
  if user then return "user", user:match("([^/]+)$"), arn end
  local role = arn:match(":assumed%-role/([^/]+)/") or arn:match(":role/([^%s]+)$")
  if role then return "role", role:match("([^/]+)$"), arn end
  return nil, nil, arn
end

local function denied_finding(err, what)
  local action = M.iam_action(err, what) or "the permission named in the message"
  local msg = err.message or ""
  local resource = msg:match("on resource: (%S+)") or "*"
  local kind, who, caller = caller_of(msg)
  local doc = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"%s",'
    .. '"Resource":"%s"}]}'):format(action, resource)
  local commands = {}
  if kind then
    local policy_name = "runbook-triage-" .. action:gsub("[^%w]", "-")
    commands[1] = ("aws iam put-%s-policy --%s-name %s --policy-name %s --policy-document '%s'")
      :format(kind, kind, who, policy_name, doc)
  end
  local evidence = { ("%s: %s"):format(err.code, msg) }
  if err.request_id and err.request_id ~= "" then
    evidence[2] = "request id " .. err.request_id
  end
  return {
    severity = "error",
    title = ("the operator lacks %s: this check could not run"):format(action),
    evidence = evidence,
    why = ("the identity running the triage (%s) may not call %s, so this part of the "
      .. "function was not examined; it says nothing about the function's own role")
      :format(caller or "the caller", action),
    fix = {
      explain = ("grant %s to the identity that runs the triage (or use the AWS managed "
        .. "ReadOnlyAccess policy), then run the triage again"):format(action),
      commands = commands,
      changes = ("allow %s on %s"):format(action, resource),
    },
    confidence = "high",
    data = { code = err.code, permission = action, resource = resource },
  }
end

--- The finding for a failed AWS read (see docs/steps.md), recorded and returned.
function Ctx:error_from(err, what)
  if type(err) ~= "table" then
    return self:finding{ severity = "error", title = tostring(what or "a read failed")
      .. ": " .. tostring(err) }
  end
  if M.DENIED[err.code] then return self:finding(denied_finding(err, what)) end
  local call = err.service and (err.service .. " " .. err.operation)
  local subject = what or call or "an AWS read"
  local evidence = { ("%s: %s"):format(err.code or "Error", err.message or "") }
  if call and what then table.insert(evidence, 1, "call: " .. call) end
  if err.request_id and err.request_id ~= "" then
    evidence[#evidence + 1] = "request id " .. err.request_id
  end
  local fix
  if err.retryable then
    fix = { explain = "the error is transient (it was retried); run the triage again" }
  end
  return self:finding{
    severity = "error",
    title = ("cannot read %s: %s"):format(subject, err.code or "Error"),
    evidence = evidence, fix = fix, confidence = "high",
    data = { code = err.code, status = err.status },
  }
end

return M
