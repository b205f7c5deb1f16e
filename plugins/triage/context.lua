--- triage.context: the `ctx` every step receives (docs/writing-steps.md is the contract).
--
-- One run state is shared by all steps (the function, region, window, memo of once(),
-- the evidence); each step gets its own ctx over it, with its own args and findings.
-- ctx.aws is the runbook.aws module with two additions: a failed call's error names its
-- call (err.service, err.operation), so ctx:error_from can name the IAM permission; and a
-- read that still fails transiently (throttled, 5xx, reset) after the core's standard
-- retries is asked again a few times with a growing pause, since reads are idempotent
-- and one lost read would otherwise turn several steps into ERROR. Each step's ctx.aws
-- also notes every write the core refused (a triage is read-only) in the step's record,
-- so the engine reports it even when the step ignored the error; and a misspelled service
-- or operation raises at the step's own line.
local arn = require("lib.arn")
local aws = require("runbook.aws")
local core = require("runbook.core")
local evidence = require("triage.evidence")
local finding = require("triage.finding")
local iam_actions = require("lib.iam_actions")
local json = require("runbook.json")
local plan = require("fix.plan")
local runbook = require("runbook")
local text = require("lib.text")

local M = {}

M.SEVERITIES = finding.RANK

--- Extra rounds for a read that failed transiently, and the pause before each (seconds).
M.read_pauses = { 0.5, 1, 2, 4 }

-- Error codes that mean "the operator's identity may not do this".
M.DENIED = { AccessDenied = true, AccessDeniedException = true, UnauthorizedOperation = true,
             AuthorizationError = true }

-- ctx.aws: runbook.aws, with errors labelled by their call ------------------------------

local function label(service, operation, result, err)
  if result == nil and type(err) == "table" then
    err.service = err.service or service
    err.operation = err.operation or operation
  end
  return result, err
end

local is_write_memo = {}
local function is_read(service, operation)
  local key = service .. " " .. operation
  if is_write_memo[key] == nil then
    local info = core.operation(service, operation)
    is_write_memo[key] = not info or info.write
  end
  return not is_write_memo[key]
end

-- Worth asking again: the service was throttled or failing, or the answer never came.
local function transient(err)
  if type(err) ~= "table" then return false end
  if err.kind == "usage" or err.kind == "safety" or err.kind == "setup" then return false end
  return err.retryable == true or err.kind == "transport"
end

-- Seconds every task of this process spent pausing between read rounds (the engine does
-- not count them against a step's timeout).
M.paused = 0

-- Runs read() again while it fails transiently, pausing between rounds.
local function with_rounds(service, operation, read)
  local result, err = read()
  if result ~= nil or not is_read(service, operation) then return result, err end
  for _, pause in ipairs(M.read_pauses) do
    if not transient(err) then break end
    local t0 = runbook.clock()
    runbook.sleep(pause)
    M.paused = M.paused + (runbook.clock() - t0)
    result, err = read()
    if result ~= nil then break end
  end
  return result, err
end

-- A write the core refused (err.kind "safety") is noted in `record.writes` with the
-- traceback of the call, which the engine turns into the step's file and line.
local function note_refused(record, service, operation, err)
  if record and type(err) == "table" and err.kind == "safety" then
    record.writes = record.writes or {}
    record.writes[#record.writes + 1] = { service = service, operation = operation,
      code = err.code, traceback = debug.traceback("", 3) }
  end
end

-- The labelled API over `api` (runbook.aws, or one of its scopes): same interface, errors
-- labelled with their call, reads retried in rounds, refused writes noted in `record`.
local function labelled_api(api, record)
  local L = {}
  function L.call(service, operation, params, ...)
    local rest = table.pack(...)
    local result, err = label(service, operation, with_rounds(service, operation, function()
      return api.call(service, operation, params, table.unpack(rest, 1, rest.n))
    end))
    note_refused(record, service, operation, err)
    return result, err
  end
  function L.collect(service, operation, params, opts, ...)
    local rest = table.pack(...)
    return label(service, operation, with_rounds(service, operation, function()
      return api.collect(service, operation, params, opts, table.unpack(rest, 1, rest.n))
    end))
  end
  function L.pages(service, operation, params, opts)
    local next_page = api.pages(service, operation, params, opts)
    return function()
      local page, err = next_page()
      if page == false then label(service, operation, nil, err) end
      return page, err
    end
  end
  --- L.scope{ region =, profile =, role_arn =, ... }: the same, bound to another region or
  --- credential set (runbook.aws's scope).
  function L.scope(opts)
    return labelled_api(api.scope(opts), record)
  end
  return setmetatable(L, {
    __index = function(t, service)
      -- a misspelled name raises at the caller's line (level 2), not here
      if not core.services()[service] then
        error(("unknown service '%s'"):format(tostring(service)), 2)
      end
      local ops = setmetatable({}, {
        __index = function(o, operation)
          local info, op_err = core.operation(service, operation)
          if not info then error(op_err.message, 2) end -- names the nearest real one
          local wrapped = function(params, ...) return L.call(service, operation, params, ...) end
          rawset(o, operation, wrapped)
          return wrapped
        end,
      })
      rawset(t, service, ops)
      return ops
    end,
  })
end

M.aws = labelled_api(aws)

-- the run ---------------------------------------------------------------------------------

--- The shared state of one triage: fn = cli.parse_function's table, window from cli.window.
function M.new_run(fn, region, window, now)
  local id = fn.qualifier and (fn.name .. ":" .. fn.qualifier) or fn.name
  return {
    function_name = fn.name, qualifier = fn.qualifier, function_id = id,
    region = region, account = fn.account, partition = fn.partition or arn.partition_of(region),
    window = window, now = now, memo = {},
  }
end

--- A run bound to one target (fleet triage): its calls go through `api` (a runbook.aws
--- scope: region and credential set), and `preset` evidence is used instead of read.
function M.new_target_run(fn, region, window, now, api, preset)
  local run = M.new_run(fn, region, window, now)
  run.api, run.preset = api, preset
  return run
end

local Ctx = {}

--- A ctx for one step over the run. `record` collects its findings.
function M.for_step(run, step_id, args, record)
  local api = labelled_api(run.api or aws, record)
  local ctx = { step_id = step_id, args = args, aws = api, _run = run,
                _record = record, ev = M.evidence_of(run) }
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

--- The run's evidence (triage.evidence): ev[name] gathers once per run, shared by all.
function M.evidence_of(run)
  if not run.ev then
    run.ev = {} -- placeholder while the run-wide ctx below is made
    run.ev = evidence.for_run(M.for_step(run, "evidence", {}, { findings = {}, closed = true }))
  end
  return run.ev
end

--- The step's evidence (the same table the engine passes to run(ctx, ev)).
function Ctx:evidence()
  return self.ev
end

--- GetFunctionConfiguration of the function, shared by all steps: cfg | nil, err
function Ctx:config()
  local cfg = self.ev.config
  if cfg.failed then return nil, cfg.failed end
  if cfg.absent then return nil, cfg.err end
  return cfg
end

-- findings --------------------------------------------------------------------------------

--- s with every byte that is not part of valid UTF-8 replaced by U+FFFD (lib.text).
M.utf8_clean = text.utf8_clean

--- Checks a finding and gives it one shape (triage.finding; a misuse raises at the step).
function M.normalize(f)
  local n = finding.normalize(f, 4) -- not a tail call: level 4 is the caller of ctx:finding
  return n
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
  if not service then service, operation = iam_actions.split(what) end
  if not service then return nil end
  return (iam_actions.action(service, operation))
end

-- "User: arn:aws:iam::1:user/alice is not authorized" -> ("user", "alice", the ARN)
local function caller_of(msg)
  local who = msg:match("User: (arn:[^%s]+)")
  if not who then return nil end
  local user = who:match(":user/([^%s]+)$")
  if user then return "user", user:match("([^/]+)$"), who end
  local role = arn.role_name(who)
  if role then return "role", role, who end
  return nil, nil, who
end

-- The inline policy that grants the operator `action` on `resource`, as a plan step (with
-- its undo), for a user or a role: nil when the message names neither.
local function grant_plan(kind, who, action, resource)
  if not kind or not action then return nil end
  local name = "runbook-triage-" .. action:gsub("[^%w]", "-")
  local Kind = kind == "user" and "User" or "Role"
  local target = { [Kind .. "Name"] = who, PolicyName = name }
  local document = { Version = "2012-10-17",
                     Statement = { { Effect = "Allow", Action = action, Resource = resource } } }
  return { plan.call("iam", "Put" .. Kind .. "Policy",
    { [Kind .. "Name"] = who, PolicyName = name, PolicyDocument = document }, {
      before = { PolicyDocument = json.null }, after = { PolicyDocument = document },
      undo = { service = "iam", operation = "Delete" .. Kind .. "Policy", params = target },
      read = { service = "iam", operation = "Get" .. Kind .. "Policy", params = target },
  }) }
end

local function denied_finding(err, what)
  local action = M.iam_action(err, what) or "the permission named in the message"
  local msg = err.message or ""
  local resource = msg:match("on resource: (%S+)") or "*"
  local kind, who, caller = caller_of(msg)
  local lines = { ("%s: %s"):format(err.code, msg) }
  if err.request_id and err.request_id ~= "" then
    lines[2] = "request id " .. err.request_id
  end
  return {
    severity = "error",
    title = ("the operator lacks %s: this check could not run"):format(action),
    evidence = lines,
    why = ("the identity running the triage (%s) may not call %s, so this part of the "
      .. "function was not examined; it says nothing about the function's own role")
      :format(caller or "the caller", action),
    fix = {
      explain = ("grant %s to the identity that runs the triage (or use the AWS managed "
        .. "ReadOnlyAccess policy), then run the triage again"):format(action),
      plan = grant_plan(kind, who, M.iam_action(err, what), resource),
      manual = "this grants the identity running runbook more access: its administrator "
        .. "decides, then runs the command",
      changes = ("allow %s on %s"):format(action, resource),
    },
    confidence = "high",
    data = { code = err.code, permission = action, resource = resource },
  }
end

--- The finding for a failed AWS read (see docs/writing-steps.md), recorded and returned.
function Ctx:error_from(err, what)
  if type(err) ~= "table" then
    return self:finding{ severity = "error", title = tostring(what or "a read failed")
      .. ": " .. tostring(err) }
  end
  if M.DENIED[err.code] then return self:finding(denied_finding(err, what)) end
  local call = err.service and (err.service .. " " .. err.operation)
  local subject = what or call or "an AWS read"
  local lines = { ("%s: %s"):format(err.code or "Error", err.message or "") }
  if call and what then table.insert(lines, 1, "call: " .. call) end
  if err.request_id and err.request_id ~= "" then
    lines[#lines + 1] = "request id " .. err.request_id
  end
  local fix
  if err.retryable then
    fix = { explain = "the error is transient (it was retried); run the triage again" }
  end
  return self:finding{
    severity = "error",
    title = ("cannot read %s: %s"):format(subject, err.code or "Error"),
    evidence = lines, fix = fix, confidence = "high",
    data = { code = err.code, status = err.status },
  }
end

return M
