--- runbook.remedy: apply a fix plan the way docs/remediation.md promises: re-read, show,
--- confirm, apply exactly what was confirmed, wait, verify, journal.
--
--   local remedy = require("runbook.remedy")
--   local p = remedy.plan{ fix = f.fix, title = f.title, step = "timeout", ["function"] = "my-fn" }
--   local outcome = remedy.offer(p)          -- all of the below, in order
--   -- or piece by piece:
--   local ok, changed = remedy.check(p)      -- does the plan's `before` still hold?
--   remedy.show(p)                           -- the plan, its commands, risk and identity
--   local answer = remedy.confirm(p)         -- "yes" | "no" | "quit" | "no-terminal" | "dry-run"
--   local result = remedy.apply(p)           -- only after "yes"; journaled
--   local verdict = remedy.verify(p, result) -- fresh reads of the plan's `verify`
--
-- The guarantees live here and in the C core, not in the caller: a plan is applied only
-- after its confirmation (or --yes), only as it was when confirmed (its hash is taken
-- again), only through a write scope that approves exactly its calls (runbook.fix_scope,
-- which the client enforces parameter for parameter), never from a triage step's task
-- (runbook.read_only), never under --dry-run, and every write is journaled before and
-- after it is sent. Output for the operator goes to stderr and the prompt to the
-- terminal, so stdout keeps only the report.
local aws = require("runbook.aws")
local core = require("runbook.core")
local fix_scope = require("runbook.fix_scope")
local journal = require("runbook.journal")
local json = require("runbook.json")
local runbook = require("runbook")
local fplan = require("fix.plan")
local fstate = require("fix.state")
local render = require("fix.render")

local M = {}

-- Per process: the answers that outlive one fix, the run id, who we act as.
local session = { all = false, quit = false }

-- Writes that take a RevisionId, and where the current one is read: "function"
-- (GetFunctionConfiguration), "policy" (GetPolicy; none while the function has no
-- policy) or "alias" (GetAlias).
local REVISION = {
  UpdateFunctionConfiguration = "function", UpdateFunctionCode = "function",
  PublishVersion = "function", AddPermission = "policy", RemovePermission = "policy",
  UpdateAlias = "alias",
}

-- Writes after which Lambda updates the function in the background: wait for
-- LastUpdateStatus before the next step or the verification reads it.
local SETTLES = { UpdateFunctionConfiguration = true, UpdateFunctionCode = true }

M.WAIT_SECONDS = 300 -- longest wait for LastUpdateStatus (VPC changes take minutes)

local function say(fmt, ...)
  io.stderr:write(fmt:format(...), "\n")
end

local function iso(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
end

local function is_empty(t)
  return type(t) ~= "table" or next(t) == nil
end

--- The run's id: "20261206T093000Z-4f2a", one per process, shared by every write of it.
function M.run_id()
  if not session.run then
    -- the suffix from the kernel: two runs started in the same second must not share ids
    -- (Lua's own seed repeats under some builds)
    local f = io.open("/dev/urandom", "rb")
    local bytes = f and f:read(2)
    if f then f:close() end
    local suffix = bytes and #bytes == 2 and (bytes:byte(1) * 256 + bytes:byte(2))
      or math.random(0, 0xffff)
    session.run = os.date("!%Y%m%dT%H%M%SZ", os.time()) .. ("-%04x"):format(suffix)
  end
  return session.run
end

--- Who and where a write would act: { arn, account, region } | nil, err. Read once.
function M.identity()
  if session.identity then return session.identity end
  local who, err = aws.call("sts", "GetCallerIdentity", {})
  if not who then return nil, err end
  local region = core.region()
  session.identity = { arn = who.Arn, account = who.Account, region = region }
  return session.identity
end

-- plans ------------------------------------------------------------------------------------

local function plan_hash(p)
  return fix_scope.hash({ steps = p.shown, verify = p.verify or {} })
end

-- What a confirmation binds: the calls as they will be sent (p.steps, which hold the values
-- p.shown hides) as well as what was shown. Compared, never journaled.
local function binding(p)
  return fix_scope.hash({ steps = p.steps, shown = p.shown, verify = p.verify or {} })
end

--- A plan to offer: spec = { fix = a finding's fix (normalized or as a step wrote it),
--- title = what it fixes, step = the step id, function = the function's name, severity,
--- risk = one line (optional), undoes = a journal entry id (undo plans) }.
--- Raises on a fix without a plan or with a malformed one.
function M.plan(spec)
  if type(spec) ~= "table" or type(spec.fix) ~= "table" then
    error("remedy.plan: give { fix = ..., title = ..., function = ... }", 2)
  end
  local fix = spec.fix
  if fix.plan == nil then error("remedy.plan: this fix has no plan (advice only)", 2) end
  if fplan.sendable(fix.plan) == fix.plan then fix = fplan.normalize(fix, 2) end
  local p = {
    title = spec.title or fix.explain or "fix", step = spec.step, severity = spec.severity,
    fn = spec["function"], explain = fix.explain, changes = fix.changes,
    manual = fix.manual, risk = spec.risk or fix.risk, undoes = spec.undoes,
    steps = fplan.sendable(fix.plan), shown = fix.plan, verify = fix.verify,
    extra_commands = {},
  }
  local rendered = {}
  for _, line in ipairs(render.commands(p.steps)) do rendered[line] = true end
  for _, line in ipairs(fix.commands or {}) do
    if not rendered[line] then p.extra_commands[#p.extra_commands + 1] = line end
  end
  p.hash = plan_hash(p)
  return p
end

-- reading state ----------------------------------------------------------------------------

local function call_key(c)
  return fix_scope.hash({ c.service, c.operation, c.params or {} })
end

local function resolves(value, outputs)
  local ok, v = pcall(fplan.resolve, value, outputs)
  if ok then return v end
  return nil
end

-- The state step i's read shows now (fields of `want`), and the reply: state, reply |
-- nil, err.
local function read_state(step, outputs, want)
  local read = resolves(step.read, outputs)
  if not read then return nil, { code = "Unresolved", message = "its read names a later value" } end
  local reply, err = aws.call(read.service, read.operation, read.params or {})
  local params = resolves(step.params, outputs) or step.params
  local state, problem = fstate.current({ read = read, params = params }, reply, err,
    fstate.fields(want))
  if not state then return nil, problem end
  return state, reply
end

-- Steps whose state the check can read before anything is sent: a read no earlier step
-- of the plan changes.
local function checkable(p)
  local out, seen = {}, {}
  for i, step in ipairs(p.steps) do
    if step.read and not is_empty(step.before) then
      local read = resolves(step.read, {})
      local key = read and call_key(read)
      if key and not seen[key] then out[#out + 1] = i end
      if key then seen[key] = true end
    end
    local target = step.read and resolves(step.read, {})
    if target then seen[call_key(target)] = true end
  end
  return out
end

--- Re-reads what the plan changes: true | false, { "step 1 (lambda ...): Timeout is 5, the
--- plan expected 3", ... } (someone changed it since the triage, or the read failed), and
--- true as a third value when a read failed (nothing is known to have changed).
function M.check(p)
  fix_scope.forget_reads()
  local changed, unreadable = {}, false
  for _, i in ipairs(checkable(p)) do
    local step = p.steps[i]
    local state, err = read_state(step, {}, step.before)
    local label = ("step %d (%s %s)"):format(i, step.service, step.operation)
    if not state then
      unreadable = true
      changed[#changed + 1] = ("%s: could not re-read it: %s: %s"):format(label,
        tostring(err.code), tostring(err.message))
    else
      for _, d in ipairs(fstate.differences(step.before, state)) do
        changed[#changed + 1] = label .. ": " .. d
      end
    end
  end
  return #changed == 0, changed, unreadable
end

-- RevisionId ------------------------------------------------------------------------------

local function policy_id(params)
  return (params.FunctionName or "") .. ":" .. (params.Qualifier or "")
end

-- Which steps will send a RevisionId, decided before the approval (the approval binds
-- "a RevisionId" or "none"): every revision-taking write, except a permission change on a
-- function that has no resource policy at that point (GetPolicy has no revision to give).
local function plan_revisions(p)
  local statements, out = {}, {}
  for i, step in ipairs(p.steps) do
    local source = REVISION[step.operation]
    if source == "policy" then
      local id = policy_id(step.params)
      if statements[id] == nil then
        local reply = aws.call("lambda", "GetPolicy",
          { FunctionName = step.params.FunctionName, Qualifier = step.params.Qualifier })
        local doc = reply and reply.Policy and json.decode(reply.Policy)
        statements[id] = type(doc) == "table" and type(doc.Statement) == "table" and #doc.Statement or 0
      end
      out[i] = statements[id] > 0
      statements[id] = statements[id] + (step.operation == "AddPermission" and 1 or -1)
    else
      out[i] = source ~= nil
    end
  end
  return out
end

-- The read that gives each source's RevisionId.
local SOURCE_READ = { ["function"] = "GetFunctionConfiguration", policy = "GetPolicy", alias = "GetAlias" }

-- The RevisionId to send with `params` now: from the step's own fresh read when that is
-- the source's read, else read from the source. -> id | nil, err
local function revision_for(step, params, reply)
  local source = REVISION[step.operation]
  if step.read and step.read.operation == SOURCE_READ[source] and type(reply) == "table"
      and type(reply.RevisionId) == "string" then
    return reply.RevisionId
  end
  local got, err
  if source == "function" then
    got, err = aws.call("lambda", "GetFunctionConfiguration", { FunctionName = params.FunctionName })
  elseif source == "policy" then
    got, err = aws.call("lambda", "GetPolicy",
      { FunctionName = params.FunctionName, Qualifier = params.Qualifier })
  else
    got, err = aws.call("lambda", "GetAlias", { FunctionName = params.FunctionName, Name = params.Name })
  end
  if got and type(got.RevisionId) == "string" then return got.RevisionId end
  return nil, err or { code = "NoRevision", message = "the read gave no RevisionId" }
end

-- showing and asking -------------------------------------------------------------------------

local function step_lines(i, step)
  local lines = { ("  %d. %s %s"):format(i, step.service, step.operation) }
  local names = {}
  for k in pairs(step.after or {}) do names[#names + 1] = k end
  for k in pairs(step.before or {}) do if (step.after or {})[k] == nil then names[#names + 1] = k end end
  table.sort(names)
  for _, k in ipairs(names) do
    local was, will = (step.before or {})[k], (step.after or {})[k]
    if fstate.equal(was, will) then
      lines[#lines + 1] = ("       %s: %s (unchanged)"):format(k, fstate.show(was))
    else
      lines[#lines + 1] = ("       %s: %s -> %s"):format(k, fstate.show(was), fstate.show(will))
    end
  end
  if not step.undo then lines[#lines + 1] = "       (cannot be undone)" end
  return lines
end

local function risk_of(p)
  if p.risk then return p.risk end
  local irreversible = {}
  for i, step in ipairs(p.steps) do
    if not step.undo and not is_empty(step.after) then irreversible[#irreversible + 1] = tostring(i) end
  end
  local n = #p.steps
  local what = ("%d write%s to AWS"):format(n, n == 1 and "" or "s")
  if #irreversible > 0 then
    return what .. "; step " .. table.concat(irreversible, ", ") .. " cannot be undone"
  end
  return what .. "; each can be reversed with `runbook undo`"
end

--- The plan as the operator reads it before answering (lines, no trailing newline).
function M.describe(p, identity)
  local lines = {}
  local head = p.step and ("[%s] "):format(p.step) or ""
  lines[#lines + 1] = ("Fix %s%s"):format(head, p.title)
  if p.explain then lines[#lines + 1] = "  " .. p.explain end
  lines[#lines + 1] = "  changes:"
  for i, step in ipairs(p.shown) do
    for _, l in ipairs(step_lines(i, step)) do lines[#lines + 1] = l end
  end
  lines[#lines + 1] = "  commands:"
  for _, c in ipairs(render.commands(p.steps)) do lines[#lines + 1] = "    " .. c end
  for _, c in ipairs(p.extra_commands) do lines[#lines + 1] = "    " .. c end
  lines[#lines + 1] = "  risk: " .. risk_of(p)
  if identity then
    lines[#lines + 1] = ("  as %s in %s, %s"):format(identity.arn, identity.account, identity.region)
  end
  return table.concat(lines, "\n")
end

--- Writes the plan to stderr (the terminal's screen, never stdout).
function M.show(p)
  say("%s", M.describe(p, M.identity()))
end

--- Asks about the plan: "yes" (also after an earlier "a"), "no", "quit" (also after an
--- earlier "q"), "no-terminal" (no /dev/tty and no --yes) or "dry-run". A "yes" binds the
--- plan as it is now: M.apply refuses it if it changes afterwards.
function M.confirm(p)
  local opts = fix_scope.options()
  if opts.dry_run then return "dry-run" end
  if session.quit then return "quit" end
  local answer = session.all and "yes" or fix_scope.confirm("Apply?", "ynaq")
  if answer == "all" then
    session.all = true
    answer = "yes"
  elseif answer == "quit" then
    session.quit = true
  end
  if answer == "yes" then p.confirmed = binding(p) end
  return answer
end

--- True once the operator answered q: later offers are not asked.
function M.quit_requested()
  return session.quit
end

--- The core options a remediation script decides by before it asks anything (rollback:
--- --yes cannot choose a version): { yes = bool, dry_run = bool }.
function M.options()
  local opts = fix_scope.options()
  return { yes = opts.yes == true, dry_run = opts.dry_run == true }
end

--- Asks a free-form question on the terminal (a version to roll back to): line | nil, why
--- ("no-terminal", "end-of-input", "--yes cannot answer it", "dry run").
function M.ask(question)
  local opts = fix_scope.options()
  if opts.yes then return nil, "--yes cannot answer it" end
  return fix_scope.ask(question)
end

--- Asks yes or no about something other than a plan (keep a weighted routing?): true |
--- false, why. Under --yes: `default`.
function M.ask_yes_no(question, default)
  local opts = fix_scope.options()
  if opts.yes then return default == true end
  local answer = fix_scope.confirm(question, "yn")
  if answer == "no-terminal" then return default == true, "no-terminal" end
  return answer == "yes"
end

-- journaling -------------------------------------------------------------------------------

--- Whether a change could be journaled now: true | nil, err (always true under --dry-run,
--- which writes nothing). Checked before anything is offered or sent.
function M.ready()
  if fix_scope.options().dry_run then return true end
  return fix_scope.journal_check()
end

local function journal_write(entry)
  local ok, err = fix_scope.journal_append(nil, entry)
  if not ok then error(err, 0) end
end

local function base_entry(p, i, identity, params, outputs)
  local step = p.steps[i]
  local run = M.run_id()
  return {
    v = journal.VERSION, entry = ("%s.%d"):format(run, p.seq + i), run = run,
    time = iso(os.time()), step = i, steps = #p.steps,
    identity = identity.arn, account = identity.account, region = identity.region,
    ["function"] = p.fn, finding = { step = p.step, title = p.title }, plan_hash = p.hash,
    service = step.service, operation = step.operation,
    params = journal.scrub(params or resolves(step.params, outputs) or step.params),
    before = journal.scrub(resolves(step.before, outputs) or step.before),
    after = journal.scrub(resolves(step.after, outputs) or step.after),
    read = resolves(step.read, outputs), undo = journal.scrub(resolves(step.undo, outputs)),
    undoes = p.undoes and p.undoes[i] or nil,
  }
end

local function not_sent(p, from, identity, outputs, why)
  for j = from, #p.steps do
    local e = base_entry(p, j, identity, nil, outputs)
    e.event, e.outcome, e.reason = "result", "not_sent", why
    journal_write(e)
  end
end

-- waiting ----------------------------------------------------------------------------------

-- Waits until the function's LastUpdateStatus leaves InProgress: true | false, message.
local function wait_settled(name)
  local t0 = runbook.clock()
  local told = 0
  while true do
    fix_scope.forget_reads()
    local cfg, err = aws.call("lambda", "GetFunctionConfiguration", { FunctionName = name })
    if not cfg then
      return false, ("could not read the update's status: %s: %s"):format(err.code, err.message)
    end
    local status = cfg.LastUpdateStatus
    if status == nil or status == "Successful" then return true end
    if status == "Failed" then
      return false, ("the update failed: %s"):format(cfg.LastUpdateStatusReason or "no reason given")
    end
    local waited = runbook.clock() - t0
    if waited >= M.WAIT_SECONDS then
      return false, ("%s still shows LastUpdateStatus %s after %d s"):format(name, tostring(status), waited)
    end
    if runbook.interrupted() then return false, "interrupted while waiting for the update" end
    if waited - told >= 5 or told == 0 then
      say("  waiting for %s to finish updating (LastUpdateStatus %s, %d s)", name, tostring(status),
        math.floor(waited))
      told = math.max(waited, 0.001)
    end
    runbook.sleep(math.min(2, 0.25 * 2 ^ math.min(3, math.floor(waited))))
  end
end

-- applying ---------------------------------------------------------------------------------

-- The calls to approve from step `from` on: each step whose parameters are known now (a
-- reference to an output not yet read ends the batch). -> calls, last step index
local function approvals(p, from, outputs, revisions)
  local calls, last = {}, from - 1
  for i = from, #p.steps do
    local params = resolves(p.steps[i].params, outputs)
    if not params then break end
    if revisions[i] then params.RevisionId = fix_scope.ANY_REVISION end
    calls[#calls + 1] = { service = p.steps[i].service, operation = p.steps[i].operation,
                          params = params }
    last = i
  end
  return calls, last
end

M.RETRY_DELAYS = { 2, 4, 8, 8 } -- seconds between tries of a call AWS refused for now

-- Why a refused call may succeed if sent again, or nil: Lambda does not see a role
-- permission an earlier step of the plan just granted (IAM propagates within seconds), or
-- an update of the function is still in progress. A 4xx changed nothing, and the core
-- gives such a call's approval back, so the same call may go again.
local function retry_reason(p, i, err, outputs)
  if not (err.status and err.status >= 400 and err.status < 500) then return nil end
  local message = tostring(err.message):lower()
  if err.code == "ResourceConflictException" and message:find("in progress", 1, true) then
    return "an update of the function is still in progress"
  end
  if err.code ~= "InvalidParameterValueException" then return nil end
  local granted = false
  for j = 1, i - 1 do
    if p.steps[j].service == "iam" and outputs[j] then granted = true end
  end
  if granted and (message:find("role", 1, true) or message:find("permission", 1, true)) then
    return "Lambda does not see the role's new permission yet (IAM takes seconds to propagate)"
  end
  return nil
end

-- Sends step i, retrying while retry_reason says AWS refused it only for now; each retry
-- is journaled as a new send line of the same entry after the refusal's result line.
local function send(p, i, params, entry, outputs)
  local step = p.steps[i]
  for attempt = 1, #M.RETRY_DELAYS + 1 do
    local out, err = aws.call(step.service, step.operation, params)
    if out then return out end
    local why = attempt <= #M.RETRY_DELAYS and retry_reason(p, i, err, outputs)
    if not why or runbook.interrupted() then return nil, err end
    journal_write({ v = entry.v, entry = entry.entry, run = entry.run, event = "result",
                    time = iso(os.time()), outcome = "failed", retrying = true,
                    error = { code = err.code, message = err.message },
                    request_id = err.request_id ~= "" and err.request_id or nil })
    local delay = M.RETRY_DELAYS[attempt]
    say("  %s (%s): trying again in %d s", why, err.code, delay)
    runbook.sleep(delay)
    if err.code == "ResourceConflictException" and params.FunctionName then
      wait_settled(params.FunctionName)
    end
    entry.time = iso(os.time())
    journal_write(entry)
  end
end

--- Applies a confirmed plan, step by step, each re-read just before it is sent.
--- -> { ok, applied = n, steps = N, outputs, entries = { ids }, failed_at, error, stale,
---      message, applied_at }
function M.apply(p)
  if runbook.is_read_only() then
    error("a triage step cannot apply a fix: propose it as the finding's fix plan", 2)
  end
  if fix_scope.options().dry_run then
    return { ok = false, applied = 0, steps = #p.steps, message = "dry run: nothing was sent" }
  end
  if not p.confirmed then error("remedy.apply: the plan was not confirmed (remedy.confirm)", 2) end
  if p.confirmed ~= binding(p) then
    return { ok = false, applied = 0, steps = #p.steps, refused = true,
             message = "the plan changed after it was confirmed: nothing was sent" }
  end
  local ready, jerr = M.ready()
  if not ready then
    return { ok = false, applied = 0, steps = #p.steps, error = jerr,
             message = jerr.message .. ": the change cannot be journaled, so nothing was sent" }
  end
  local identity, ierr = M.identity()
  if not identity then
    return { ok = false, applied = 0, steps = #p.steps, error = ierr,
             message = ("cannot tell who would make the change (%s: %s): nothing was sent")
               :format(ierr.code, ierr.message) }
  end
  session.seq = session.seq or 0
  p.seq = session.seq
  session.seq = session.seq + #p.steps
  local result = { ok = true, applied = 0, steps = #p.steps, outputs = {}, entries = {} }
  local outputs = result.outputs
  local revisions = plan_revisions(p)
  local scope, scope_last = nil, 0
  local function close()
    if scope then fix_scope.close_scope(scope) end
    scope = nil
  end
  local function stop(i, why, fields)
    close()
    for k, v in pairs(fields or {}) do result[k] = v end
    result.ok, result.failed_at, result.message = false, i, why
    not_sent(p, i + (fields and fields.sent and 1 or 0), identity, outputs, why)
    return result
  end
  result.applied_at = os.time() -- the wall clock: runbook.now() is the run's fixed reference time
  for i, step in ipairs(p.steps) do
    if runbook.interrupted() then return stop(i, "interrupted before this step was sent") end
    fix_scope.forget_reads()
    local params = resolves(step.params, outputs)
    local reply
    if step.read and not is_empty(step.before) then
      local state, got = read_state(step, outputs, step.before)
      if not state then
        return stop(i, ("could not re-read step %d before sending it: %s: %s"):format(i,
          tostring(got.code), tostring(got.message)))
      end
      local diffs = fstate.differences(resolves(step.before, outputs) or step.before, state)
      if #diffs > 0 then
        return stop(i, ("step %d's state changed since it was confirmed: %s"):format(i,
          table.concat(diffs, "; ")), { stale = diffs })
      end
      reply = got
    end
    if revisions[i] then
      local rev, rerr = revision_for(step, params, reply)
      if not rev then
        return stop(i, ("could not read the RevisionId for step %d: %s: %s"):format(i,
          tostring(rerr.code), tostring(rerr.message)))
      end
      params.RevisionId = rev
    end
    if i > scope_last then
      close()
      local calls
      calls, scope_last = approvals(p, i, outputs, revisions)
      local id, serr = fix_scope.approve(calls)
      if not id then return stop(i, ("the write scope was refused: %s"):format(serr.message)) end
      scope = id
    end
    local entry = base_entry(p, i, identity, params, outputs)
    entry.event, entry.outcome = "send", "sending"
    journal_write(entry)
    result.entries[#result.entries + 1] = entry.entry
    local out, err = send(p, i, params, entry, outputs)
    local done = { v = entry.v, entry = entry.entry, run = entry.run, event = "result",
                   time = iso(os.time()) }
    if not out then
      done.outcome = err.status == 0 and err.kind == "transport" and "unknown" or "failed"
      done.error = { code = err.code, message = err.message }
      done.request_id = err.request_id ~= "" and err.request_id or nil
      journal_write(done)
      local what = done.outcome == "unknown" and "may or may not have been applied" or "failed"
      return stop(i, ("step %d of %d (%s %s) %s: %s: %s"):format(i, #p.steps, step.service,
        step.operation, what, err.code, err.message), { error = err, sent = true })
    end
    outputs[i] = out
    result.applied = i
    done.outcome = "applied"
    done.request_id = out.ResponseMetadata and out.ResponseMetadata.RequestId or nil
    done.after = journal.scrub(resolves(step.after, outputs))
    done.undo = journal.scrub(resolves(step.undo, outputs))
    journal_write(done)
    if SETTLES[step.operation] then
      local settled, why = wait_settled(params.FunctionName)
      if not settled then
        return stop(i, ("step %d was applied but %s"):format(i, why), { sent = true, unsettled = true })
      end
    end
  end
  close()
  return result
end

-- verifying --------------------------------------------------------------------------------

--- Checks with fresh reads that the applied plan holds: every applied step's `after`, then
--- every `verify` entry with a read. -> { ok, checks = { { what, ok, detail } } }
function M.verify(p, result)
  fix_scope.forget_reads()
  local outputs = result and result.outputs or {}
  local checks, ok = {}, true
  for i = 1, result and result.applied or #p.steps do
    local step = p.steps[i]
    local after = resolves(step.after, outputs)
    if step.read and not is_empty(after) then
      local state, err = read_state(step, outputs, after)
      local diffs = state and fstate.differences(after, state, "wanted") or
        { ("could not re-read it: %s: %s"):format(tostring(err.code), tostring(err.message)) }
      checks[#checks + 1] = { what = ("step %d (%s %s) left the planned state"):format(i,
        step.service, step.operation), ok = #diffs == 0, detail = diffs[1] }
      ok = ok and #diffs == 0
    end
  end
  for _, v in ipairs(p.verify or {}) do
    if v.read then
      local reply, err = aws.call(v.read.service, v.read.operation, v.read.params or {})
      local good, detail
      if reply then
        good, detail = fplan.evaluate(v, reply)
      else
        good, detail = false, ("could not read it: %s: %s"):format(err.code, err.message)
      end
      checks[#checks + 1] = { what = v.what or v.path, ok = good == true, detail = detail }
      ok = ok and good == true
    end
  end
  return { ok = ok, checks = checks }
end

-- the whole offer --------------------------------------------------------------------------

local VERDICT = { verified = "fixed", applied = "applied, not yet observed",
                  not_cleared = "not cleared" }

--- Offers one plan: check, show, confirm, apply, verify. opts.rerun(since) (optional)
--- re-runs the steps the fix addresses on a window from `since` and returns
--- { cleared = bool, traffic = bool|nil, detail = "..." }.
--- -> { status = "offered"|"declined"|"stale"|"manual"|"failed"|"applied"|"verified"|
---      "not_cleared", verdict, reason, changed, checks, entries, run, applied, steps }
function M.offer(p, opts)
  opts = opts or {}
  if runbook.is_read_only() then
    error("a triage step cannot apply a fix: propose it as the finding's fix plan", 2)
  end
  local out = { steps = #p.steps, applied = 0 }
  if p.manual then
    say("%s\n  not applied by runbook: %s", M.describe(p), p.manual)
    out.status, out.reason = "manual", p.manual
    return out
  end
  if session.quit then
    out.status, out.reason = "declined", "not asked: the operator quit earlier"
    return out
  end
  local identity, ierr = M.identity()
  if not identity then
    out.status = "failed"
    out.reason = ("cannot tell who would make the change: %s: %s"):format(ierr.code, ierr.message)
    say("Fix [%s] %s: %s", tostring(p.step), p.title, out.reason)
    return out
  end
  local fresh, changed, unreadable = M.check(p)
  if not fresh and unreadable then -- as apply does when its re-read fails: failed, not stale
    say("%s\n  not offered: what it changes could not be re-read:\n    %s",
      M.describe(p, identity), table.concat(changed, "\n    "))
    out.status, out.changed = "failed", changed
    out.reason = "could not re-read what it changes: nothing was sent"
    return out
  elseif not fresh then
    say("%s\n  not offered: it changed since the triage:\n    %s", M.describe(p, identity),
      table.concat(changed, "\n    "))
    out.status, out.changed = "stale", changed
    out.reason = "changed since the triage; run the triage again"
    return out
  end
  say("%s", M.describe(p, identity))
  local answer = M.confirm(p)
  if answer ~= "yes" then
    local reasons = {
      ["dry-run"] = { "offered", "dry run: nothing was sent" },
      ["no-terminal"] = { "offered", "no terminal to ask on and no --yes: nothing was sent" },
      no = { "declined", "declined" },
      quit = { "declined", "the operator quit" },
    }
    local r = reasons[answer] or reasons.no
    out.status, out.reason = r[1], r[2]
    if answer == "dry-run" or answer == "no-terminal" then say("  %s", r[2]) end
    return out
  end
  local result = M.apply(p)
  out.run, out.entries, out.applied = M.run_id(), result.entries, result.applied
  if not result.ok then
    out.status, out.reason, out.changed = result.stale and result.applied == 0 and "stale" or "failed",
      result.message, result.stale
    out.error = result.error and { code = result.error.code, message = result.error.message }
    say("  %s", result.message)
    if result.applied > 0 then
      say("  applied: %s; not applied: the rest. To reverse what was applied: "
        .. "runbook undo --run %s", result.applied == 1 and "step 1" or ("steps 1-" .. result.applied),
        M.run_id())
    end
    return out
  end
  local checked = M.verify(p, result)
  out.checks = checked.checks
  local rerun = checked.ok and opts.rerun and opts.rerun(result.applied_at) or nil
  if not checked.ok or (rerun and not rerun.cleared) then
    out.status = "not_cleared"
  elseif rerun and rerun.traffic == false then
    out.status = "applied"
  else
    out.status = "verified"
  end
  out.verdict = VERDICT[out.status]
  if p.undoes and out.status ~= "not_cleared" then out.verdict = "undone" end
  out.reason = rerun and rerun.detail or nil
  for _, c in ipairs(checked.checks) do
    say("  %s %s%s", c.ok and "ok  " or "FAIL", c.what, c.detail and (": " .. c.detail) or "")
  end
  say("  %s (journal run %s)", out.verdict, M.run_id())
  return out
end

return M
