--- triage.engine: loads the runbook's steps, runs them concurrently, reports, exits.
--
--   local engine = require("triage.engine")
--   return engine.main({ "config", { "timeout", margin = 0.8 }, ... }, ...)
--
-- Each step is `require("steps." .. id)` (so a --plugins / RUNBOOK_PATH directory can
-- override a built-in step) and runs in its own task: first the evidence it declares in
-- `needs` is gathered (every step's reads start at once and are shared, triage.evidence),
-- then its `applies` rule is asked, then `run(ctx, ev)` decides, with a per-step timeout
-- that starts when its evidence is in. A step turns into findings: what it emitted, an
-- `ok` with its title when it emitted nothing, an `error` naming the permission when a
-- read it needs failed, or an `error` when it raised or ran out of time. The report keeps
-- the runbook's order, then the steps `--steps` adds in discovery order (triage.select,
-- triage.catalog); arguments come from the runbook and `--arg` (triage.args). The engine
-- only reads: the core refuses writes outside an approved fix.
local args_api = require("triage.args")
local catalog = require("triage.catalog")
local cli = require("triage.cli")
local context = require("triage.context")
local core = require("runbook.core")
local evidence = require("triage.evidence")
local exit = require("triage.exit")
local finding = require("triage.finding")
local fixes = require("triage.fixes")
local fleet = require("triage.fleet")
local report = require("triage.report")
local runbook = require("runbook")
local selection = require("triage.select")
local step_api = require("triage.step")
local suppress = require("triage.suppress")

local M = {}

local EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_RUNTIME =
  exit.OK, exit.FINDINGS, exit.USAGE, exit.RUNTIME

-- Gathering a step's evidence may take at most this many step timeouts (reads that are
-- retried pause between rounds; the pauses do not count).
local EVIDENCE_BUDGET = 3

-- AWS error codes that mean the operator's credentials are unusable (exit 3).
local CREDENTIAL_CODES = {
  ExpiredToken = true, ExpiredTokenException = true, InvalidClientTokenId = true,
  UnrecognizedClientException = true, SignatureDoesNotMatch = true,
  InvalidSignatureException = true, AuthFailure = true, MissingAuthenticationToken = true,
  MissingAuthenticationTokenException = true, RequestExpired = true,
}

local function fail(code, fmt, ...)
  io.stderr:write("runbook: ", fmt:format(...), "\n")
  return code
end

-- loading ----------------------------------------------------------------------------------

--- A runbook entry ("timeout" or { "timeout", margin = 0.8 }) -> id, overrides
local function entry_of(e)
  if type(e) == "string" then return e, {} end
  local overrides = {}
  for k, v in pairs(e) do
    if k ~= 1 then overrides[k] = v end
  end
  return e[1], overrides
end

-- The framework's own directory (this file's), and the core's embedded chunks: frames
-- there are never the step's fault, so an error is located at the first frame outside.
local FRAMEWORK_DIR = (debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*[/\\])") or "")

local function in_framework(file)
  return file:sub(1, 9) == "core/lua/" or file:find("/core/lua/", 1, true) ~= nil
    or (FRAMEWORK_DIR ~= "" and file:sub(1, #FRAMEWORK_DIR) == FRAMEWORK_DIR)
end

-- "x.lua:12: boom" or the first Lua frame of the traceback outside the core -> "x.lua:12"
local function location(err, traceback)
  if type(err) == "string" then
    local where = err:match("^(.-%.lua:%d+): ")
    if where and not in_framework(where) then return where end
  end
  for file, line in (traceback or ""):gmatch("\n%s*([^\n]-%.lua):(%d+):") do
    if not in_framework(file) then return file .. ":" .. line end
  end
  return nil
end

local function error_finding(title, lines, fix, data)
  return context.normalize{ severity = "error", title = title, evidence = lines,
                            fix = fix, data = data }
end

-- What is wrong with a loaded step table, and a pattern for the line at fault: problem,
-- token | nil.
local function invalid(step, id)
  if type(step) ~= "table" then
    return "it returned " .. type(step) .. ", not a table", "^%s*return"
  elseif step.id ~= id then
    return ("its id is '%s', not '%s' (the file name)"):format(tostring(step.id), id)
  elseif type(step.title) ~= "string" then
    return "it has no title"
  elseif type(step.run) ~= "function" then
    return "it has no run function"
  elseif step.needs ~= nil and type(step.needs) ~= "table" then
    return "its needs is not a list of evidence names"
  end
  for _, need in ipairs(step.needs or {}) do
    local name = evidence.parse_need(tostring(need))
    if not evidence.known(name) then
      return ("it needs unknown evidence '%s' (known: see docs/writing-steps.md)"):format(name),
        "[\"']%??" .. name:gsub("%p", "%%%0") .. "[\"']"
    end
  end
  return nil
end

--- Loads and checks one step: step | nil, finding
-- The file `require("steps." .. id)` loads, and a second file for the same id in that
-- directory (steps/x/init.lua beside steps/x.lua) that would be silently passed over.
local function step_files(id)
  local file = package.searchpath("steps." .. id, package.path)
  if not file or file:sub(-9) == "/init.lua" then return file end
  local twin = file:sub(1, -5) .. "/init.lua"
  local fh = io.open(twin, "r")
  if not fh then return file end
  fh:close()
  return file, twin
end

-- "file:N" for the first line of `file` that matches `pattern`, else "file".
local function line_of(file, pattern)
  local fh = file and io.open(file, "r")
  if not fh then return file end
  local n, found = 0, nil
  for line in fh:lines() do
    n = n + 1
    if line:find(pattern) then
      found = n
      break
    end
  end
  fh:close()
  return file .. (found and (":" .. found) or "")
end

local function load_step(id)
  local file, twin = step_files(id)
  if twin then
    return nil, error_finding(("two files define step '%s' in one directory: %s and %s")
      :format(id, file, twin), { "at " .. file, "at " .. twin }, ("keep one: a step is "
      .. "steps/%s.lua, and steps/%s/ holds only its helpers"):format(id, id),
      { location = file })
  end
  local ok, step = pcall(require, "steps." .. id)
  if not ok then
    local msg = tostring(step)
    if msg:match("^module 'steps%." .. id:gsub("%p", "%%%0") .. "' not found") then
      return nil, error_finding(("step '%s' not found (no steps/%s.lua in the plugin path)")
        :format(id, id), nil, ("add steps/%s.lua to a --plugins directory, or remove '%s' "
        .. "from the runbook"):format(id, id))
    end
    msg = msg:match("\n%s*([^\n]+)$") or msg -- drop require's "error loading module" line
    -- `return step.define{...}` is a tail call, so define's errors carry no position
    local where = location(msg) or line_of(file, "%f[%w_]define%s*[{(]")
    return nil, error_finding("step failed to load: " .. msg, where and { "at " .. where },
      ("correct the step's file%s"):format(where and (" at " .. where) or ""),
      { location = where })
  end
  local problem, token -- token: text on the line at fault
  if type(step) == "table" and step.extends ~= nil then
    local extended, why = step_api.extend(step, file)
    if extended then step = extended else problem, token = why, "%f[%w_]extends%s*=" end
  end
  if not problem then problem, token = invalid(step, id) end
  if problem then
    local where = line_of(file, token or "%f[%w_]id%s*=")
    return nil, error_finding(("step '%s' is invalid: %s"):format(id, problem),
      where and { "at " .. where }, "a step file returns { id = FILE NAME, title = ..., "
      .. "run = function(ctx) ... end } (docs/writing-steps.md)" .. (where and (": correct " .. where)
      or ""), { location = where })
  end
  return step
end

local function merge_args(step, overrides)
  local args, unknown = {}, {}
  for k, v in pairs((step_api.split_args(step.args))) do args[k] = v end
  for k, v in pairs(overrides) do
    if step.args and step.args[k] == nil then unknown[#unknown + 1] = tostring(k) end
    args[k] = v
  end
  table.sort(unknown)
  return args, unknown
end

local function known_args(step)
  local names = {}
  for k in pairs(step.args or {}) do names[#names + 1] = tostring(k) end
  table.sort(names)
  return #names > 0 and table.concat(names, ", ") or "none"
end

local function has_tag(step, tags)
  if #tags == 0 then return true end
  for _, want in ipairs(tags) do
    for _, t in ipairs(step and step.tags or {}) do
      if t == want then return true end
    end
  end
  return false
end

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

-- The ids --steps selects, in report order (the runbook's, then extras in discovery
-- order), and the set of every id it could name: ids, found | nil, message.
local function selected(order, opts)
  if #opts.steps == 0 then return order, {} end
  local expr = table.concat(opts.steps, ",")
  local tree, problem = selection.parse(expr)
  if not tree then return nil, ("invalid --steps '%s': %s"):format(expr, problem) end
  local cat, pool, found = catalog.scan(), {}, {}
  local function add(id, step)
    if found[id] then return end
    found[id] = true
    local tags = type(step) == "table" and type(step.tags) == "table" and step.tags or {}
    pool[#pool + 1] = { id = id, tags = tags }
  end
  for _, id in ipairs(order) do add(id, (load_step(id))) end
  for _, id in ipairs(cat.order) do add(id, cat.by_id[id].step) end
  local ids, _, unknown = selection.select(tree, pool)
  if not ids then
    return nil, ("unknown step '%s' in --steps: no step id or tag matches it (the runbook "
      .. "lists: %s; `runbook list` shows every step)"):format(unknown, table.concat(order, ", "))
  end
  return ids, found
end

-- The runbook's value of an argument of the wrong type: the error finding, or nil.
local function mistyped(id, step, overrides)
  local defaults = step_api.split_args(step.args)
  for _, k in ipairs(args_api.sorted_keys(overrides)) do
    local problem = args_api.check(defaults[k], overrides[k])
    if problem then
      local script = type(arg) == "table" and arg[0] or "the runbook"
      return error_finding(("runbook %s: argument %s of step '%s' %s"):format(script,
        tostring(k), id, problem), nil, ("give %s a value like its default (%s)")
        :format(tostring(k), tostring(defaults[k])))
    end
  end
end

-- Applies the --arg values of this step; a usage message when one does not fit.
local function apply_flags(item, step, sets)
  for _, set in ipairs(sets) do
    if set.id == item.id then
      if step.args == nil or step.args[set.key] == nil then
        return ("%s: step '%s' has no argument '%s' (its arguments: %s)")
          :format(set.flag, set.id, set.key, args_api.names(step))
      end
      local value, problem = args_api.convert(set, step.args[set.key])
      if value == nil then return problem end
      item.args[set.key] = value
    end
  end
end

--- The steps to run, in report order, each {id, step, args, finding}: plan | nil, message
local function plan(entries, opts)
  local known, order = {}, {}
  for _, e in ipairs(entries) do
    local id, overrides = entry_of(e)
    known[id] = overrides
    order[#order + 1] = id
  end
  -- --steps may name any step discovery finds (a team's own plugin), not only the runbook's
  local chosen, found = selected(order, opts)
  if not chosen then return nil, found end
  for _, id in ipairs(opts.skip) do
    if not known[id] and not found[id] then
      return nil, ("unknown step '%s' in --skip (the runbook lists: %s)")
        :format(id, table.concat(order, ", "))
    end
  end
  local sets, arg_problem = args_api.parse(opts.args)
  if not sets then return nil, arg_problem end
  for _, set in ipairs(sets) do
    if not known[set.id] and not found[set.id]
      and not package.searchpath("steps." .. set.id, package.path) then
      return nil, ("%s: no step '%s' (the runbook lists: %s)")
        :format(set.flag, set.id, table.concat(order, ", "))
    end
  end
  local skip, out = set_of(opts.skip), {}
  for _, id in ipairs(chosen) do
    if not skip[id] then
      local step, problem = load_step(id)
      if problem or has_tag(step, opts.tags) then
        local item = { id = id, step = step, finding = problem }
        if step then
          local unknown
          item.args, unknown = merge_args(step, known[id] or {})
          if #unknown > 0 then
            item.finding = error_finding(("the runbook sets unknown argument%s %s of step '%s'")
              :format(#unknown > 1 and "s" or "", table.concat(unknown, ", "), id), nil,
              ("use the step's own argument names: %s"):format(known_args(step)))
          else
            item.finding = mistyped(id, step, known[id] or {})
          end
          local flag_problem = apply_flags(item, step, sets)
          if flag_problem then return nil, flag_problem end
        end
        out[#out + 1] = item
      end
    end
  end
  if #out == 0 then return nil, "no steps selected (check --steps, --skip and --tag)" end
  return out
end

-- running ----------------------------------------------------------------------------------

-- The step's body: its evidence, its applies rule, then its decision.
local function body(item, ctx)
  local step, ev = item.step, ctx.ev
  evidence.prefetch(ev, step.needs or {})
  item.t_ready, item.paused_at_ready = runbook.clock(), context.paused
  item.paced_at_ready = runbook.paced(item.pacing)
  if not step_api.prepare(step, ctx, ev) then return end
  if step.decide then return step.decide(ctx, ev) end
  return step.run(ctx, ev)
end

local function start(item, run, timeout)
  local record = { findings = {} }
  item.record = record
  if item.finding then
    record.findings[1] = item.finding
    return
  end
  local ctx = context.for_step(run, item.id, item.args, record)
  item.t0 = runbook.clock()
  item.task = runbook.spawn(function()
    runbook.read_only() -- a step proposes fixes; only the --fix phase applies them
    body(item, ctx)
    record.duration = runbook.clock() - (item.t_ready or item.t0)
  end)
  runbook.limit(item.task, timeout) -- a CPU loop is stopped at its timeout, not waited for
  item.pacing = runbook.meter_pacing(item.task) -- waits for published rates (quotas.txt)
end

-- An error value as one line: "boom", "AccessDenied: ..." for an error table.
local function describe(err)
  if type(err) == "table" and err.code then
    return ("%s: %s"):format(err.code, tostring(err.message))
  end
  return tostring(err)
end

-- When the step must be done: its timeout counted from when its evidence was in, plus
-- any pauses between read rounds since then and the time its own calls were told to wait
-- for their operations' published rates; while evidence is still being gathered, a
-- bounded budget of its own, plus those waits.
local function deadline_of(item, timeout)
  local paced = runbook.paced(item.pacing)
  if not item.t_ready then return item.t0 + EVIDENCE_BUDGET * timeout + paced end
  return item.t_ready + timeout + (context.paused - item.paused_at_ready)
    + (paced - item.paced_at_ready)
end

-- The finding for a step whose task ended with an error: stopped by Ctrl-C, stopped in a
-- CPU loop at its timeout, or raised.
local function failure_finding(item, err, traceback, timeout)
  local where = location(err, traceback)
  local at = where and { "at " .. where }
  local data = { location = where, traceback = traceback }
  if item.task.interrupted then
    local sig = runbook.interrupted()
    return error_finding(("step interrupted before it finished (%s)")
      :format(sig == 15 and "SIGTERM" or "Ctrl-C"), at,
      "run the triage again and let it finish", { interrupted = true, location = where })
  elseif item.task.overran then
    return error_finding(("step ran %s s without yielding (a CPU loop?)"):format(timeout), at,
      "a step computes briefly between AWS reads: bound the loop at "
      .. (where or "the step's file") .. " (a longer --step-timeout only delays this)", data)
  end
  return error_finding("step raised an error: " .. describe(err), at,
    "this is a bug in the step, not a finding about the function: correct the step "
    .. (where and ("at " .. where) or "file"), data)
end

-- The finding for a write the core refused: a triage only reads, even if the step went on.
local function write_finding(w)
  local where = location(nil, w.traceback)
  return error_finding(("step attempted a write: %s %s (refused: a triage is read-only)")
    :format(w.service, w.operation), where and { "at " .. where },
    "a step only reads; propose the change as a fix plan (docs/fix-plans.md) at "
    .. (where or "the step's file"),
    { location = where, service = w.service, operation = w.operation })
end

local function join_step(item, timeout)
  while true do
    local deadline = deadline_of(item, timeout)
    local ok, err, traceback = runbook.join(item.task, math.max(0, deadline - runbook.clock()))
    if ok or err ~= "timeout" or item.task.done then return ok, err, traceback end
    if runbook.clock() >= deadline_of(item, timeout) then return ok, err, traceback end
  end
end

local function finish(item, timeout)
  local record = item.record
  if item.task then
    local ok, err, traceback = join_step(item, timeout)
    record.closed = true
    if not ok and err == "timeout" and not item.task.done then
      local gathering = not item.t_ready
      record.findings[#record.findings + 1] = error_finding(
        gathering and ("step's evidence not read after %s s"):format(EVIDENCE_BUDGET * timeout)
          or ("step timed out after %s s"):format(timeout),
        { gathering and "its AWS reads were still running when the budget ran out"
          or "it was still running when the per-step limit (--step-timeout) ran out" },
        "run it again with a longer --step-timeout, or --debug to see which call is slow")
      record.duration = timeout
    elseif not ok then
      record.duration = runbook.clock() - (item.t_ready or item.t0)
      record.findings[#record.findings + 1] = failure_finding(item, err, traceback, timeout)
    end
    for _, w in ipairs(record.writes or {}) do
      record.findings[#record.findings + 1] = write_finding(w)
    end
  end
  if #record.findings == 0 then
    record.findings[1] = context.normalize{ severity = "ok", title = item.step.title }
  end
end

-- Starts every item's step at once, then collects each in report order.
local function run_items(items, run, timeout)
  for _, item in ipairs(items) do start(item, run, timeout) end
  for _, item in ipairs(items) do finish(item, timeout) end
end

local function run_all(items, run, timeout)
  runbook.catch_interrupt() -- Ctrl-C stops the steps; this task reports what they found
  run_items(items, run, timeout)
end

--- Runs the planned steps on `run` (a fleet's function) and returns fresh items, each with
--- its record; `items` (from plan) are left as they were, for the next function. A step
--- in `skip` (id -> finding) does not run: that finding is its record.
function M.run_steps(items, run, timeout, skip)
  local out = {}
  for i, item in ipairs(items) do
    out[i] = { id = item.id, step = item.step, args = item.args,
               finding = item.finding or (skip and skip[item.id]) }
  end
  run_items(out, run, timeout)
  return out
end

-- re-running a step after a fix --------------------------------------------------------------

--- Runs one step again on a fresh run whose window starts at `since` (the apply time):
--- its findings, and whether the function was invoked since (false when unknown).
local function rerun(item, run, since, timeout)
  local now = os.time() -- the wall clock now, not the run's reference time (runbook.now)
  local from, to = math.min(since, now - 1), now + 1 -- this second's events included
  local window = { start = from, finish = to, seconds = to - from, label = "since the fix" }
  local fresh = context.new_run({ name = run.function_name, qualifier = run.qualifier,
    account = run.account, partition = run.partition }, run.region, window, now)
  local again = { id = item.id, step = item.step, args = item.args }
  run_items({ again }, fresh, timeout)
  local invocations = context.evidence_of(fresh)["metric:Invocations:Sum"]
  local traffic = type(invocations) == "table" and not invocations.failed
    and (invocations.total or 0) > 0
  return again.record.findings, traffic
end

-- the function itself ----------------------------------------------------------------------

local function caller_account()
  local who = context.aws.sts.GetCallerIdentity{}
  return who and who.Account
end

--- Reads the function before any step: nil when the triage can go on, else an exit code.
local function preflight(run)
  local probe = context.for_step(run, "preflight", {}, { findings = {} })
  local cfg, err = probe:config()
  if cfg then return nil end
  if err.code == "ResourceNotFoundException" then
    local account = run.account or caller_account()
    return fail(EXIT_USAGE, "function '%s' not found in %s%s", run.function_id, run.region,
      account and (" (account " .. account .. ")") or "")
  end
  if err.kind == "setup" or err.kind == "transport" or CREDENTIAL_CODES[err.code] then
    return fail(EXIT_RUNTIME, "%s: %s", err.code, err.message)
  end
  return nil -- access denied, throttled, 5xx: the steps report it where it matters
end

-- The steps' findings as triage.suppress takes them: {id, findings} each.
local function suppress_steps(items)
  local out = {}
  for i, item in ipairs(items) do out[i] = { id = item.id, findings = item.record.findings } end
  return out
end

--- Runs the triage. entries: the runbook's ordered steps; ...: the script's arguments.
--- Returns the exit code.
function M.main(entries, ...)
  local opts, problem = cli.parse(table.pack(...))
  if not opts then return fail(EXIT_USAGE, "%s", problem) end
  if opts.help then
    io.stdout:write(cli.help, "\n")
    return EXIT_OK
  end
  local fn
  if not opts.fleet then
    local fn_problem
    fn, fn_problem = cli.parse_function(opts.target)
    if not fn then return fail(EXIT_USAGE, "%s", fn_problem) end
    if fn.region then -- an ARN names its region: follow it unless --region says otherwise
      local ok, region_err = core.use_region(fn.region)
      if not ok then return fail(EXIT_USAGE, "%s", region_err.message) end
    end
  end
  local region, err = core.region()
  if not region and not (opts.fleet and #opts.fleet.regions > 0) then
    return fail(EXIT_RUNTIME, "%s: %s", err.code, err.message)
  end
  local now = runbook.now()
  local window, window_problem = cli.window(opts.since, opts["until"], now)
  if not window then return fail(EXIT_USAGE, "%s", window_problem) end
  local items, plan_problem = plan(entries, opts)
  if not items then return fail(EXIT_USAGE, "%s", plan_problem) end
  local fix_only
  if opts.fix then
    local ids = {}
    for _, item in ipairs(items) do ids[item.id] = true end
    local fix_problem
    fix_only, fix_problem = fixes.parse(opts.fix, ids)
    if not fix_only then return fail(EXIT_USAGE, "%s", fix_problem) end
    local ready, journal_problem = fixes.ready()
    if not ready then return fail(EXIT_RUNTIME, "%s", journal_problem) end
  end

  local suppressions, supp_source = suppress.read(opts.suppressions)
  if not suppressions then return fail(EXIT_USAGE, "%s", supp_source) end
  local expired
  suppressions, expired = suppress.split(suppressions, os.date("!%Y-%m-%d", math.floor(now)))
  for _, e in ipairs(expired) do
    io.stderr:write(("runbook: warning: %s: %s expired on %s and no longer suppresses\n")
      :format(supp_source, suppress.name(e), e.expires))
  end

  if opts.fleet then
    return fleet.main(items, opts, { window = window, now = now, region = region,
      suppressions = suppressions, run_steps = M.run_steps })
  end

  local run = context.new_run(fn, region, window, now)
  local code = preflight(run)
  if code then return code end
  local t0 = runbook.clock()
  run_all(items, run, opts.step_timeout)
  suppress.apply(suppressions, { name = run.function_name, region = run.region,
    account = run.account or (run.arn and run.arn:match(":(%d+):function:")) },
    suppress_steps(items))
  local duration = runbook.clock() - t0
  local doc = report.build(run, items, { duration = duration })
  local signal = runbook.interrupted()
  local fix_code
  if fix_only and not signal then
    if opts.format == "text" then
      io.stdout:write(report.render(doc, opts))
      io.stdout:flush()
    end
    local summary
    summary, fix_code = fixes.run(items, fix_only, fn, function(item, since)
      return rerun(item, run, since, opts.step_timeout)
    end)
    doc = report.build(run, items, { duration = duration })
    doc.fixes = { counts = summary.counts, offered = summary.offered, run = summary.run }
    if opts.format == "text" then
      io.stdout:write(fixes.render_summary(summary))
    else
      local written, unwritten = report.emit(report.render(doc, opts), opts)
      if not written then return fail(EXIT_RUNTIME, "%s", unwritten) end
      if opts.format == "markdown" then io.stdout:write(fixes.render_summary(summary, "markdown")) end
    end
    signal = runbook.interrupted()
  else
    local written, unwritten = report.emit(report.render(doc, opts), opts)
    if not written then return fail(EXIT_RUNTIME, "%s", unwritten) end
  end
  if signal then return 128 + signal end -- 130 Ctrl-C, 143 SIGTERM (exit.INTERRUPTED)
  local max_rank = 0
  for _, item in ipairs(items) do
    for _, f in ipairs(item.record.findings) do
      if not fixes.settled(f) and not f.suppressed then -- docs/suppressions.md
        max_rank = math.max(max_rank, finding.RANK[f.severity])
      end
    end
  end
  return exit.combine(max_rank >= finding.RANK[opts.fail_on] and EXIT_FINDINGS or EXIT_OK, fix_code)
end

return M
