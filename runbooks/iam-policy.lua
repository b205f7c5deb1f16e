--- iam-policy: the least IAM policy an operator needs to run a triage's steps.
--
--   runbook iam-policy [RUNBOOK] [--steps EXPR] [--fix] [--format text|json] [--plugins DIR]
--
-- RUNBOOK (default triage.lua: a path, or a name in runbooks/) is loaded with a stand-in
-- for triage.engine that only records the steps it lists; `--steps` then selects as in a
-- triage (triage.select, over the runbook's steps and every step discovery finds). The
-- policy allows every AWS operation those steps read: their evidence providers' (from
-- `evidence.provide`) and their own `reads` (triage.catalog.reads), plus the triage's own
-- first read (lambda GetFunctionConfiguration, the `config` evidence every run starts
-- with). With `--fix` it also allows the writes the steps' fix plans may send (their
-- manifests' `fixes`) and what applying one calls besides (the read that checks the plan
-- is not stale, the undo): lib.iam_actions.FIX_COMPANIONS. Operations become IAM actions
-- in lib.iam_actions (the one mapper; API Gateway's are HTTP methods on resource ARNs).
-- sts GetCallerIdentity needs no permission and is left out.
--
-- Output: the policy document on stdout (valid JSON in both formats); `--format text`
-- (the default) also writes to stderr one comment line per action naming the steps that
-- need it. Reads no AWS. Exit 0; 2 on a usage error or an unknown step; 3 when the
-- runbook or a step does not load.
local argv = require("triage.argv")
local arn = require("lib.arn")
local catalog = require("triage.catalog")
local core = require("runbook.core")
local iam_actions = require("lib.iam_actions")
local json = require("runbook.json")
local selection = require("triage.select")

local M = {}

M.usage = "usage: runbook iam-policy [RUNBOOK] [--steps EXPR] [--fix] [--format text|json]"

--- The triage's own reads, whatever its steps: "service Operation" list.
M.CORE_READS = { "lambda GetFunctionConfiguration", "sts GetCallerIdentity" }

--- The name comment lines use for the triage's own reads.
M.CORE = "(triage)"

local function fail(code, fmt, ...)
  io.stderr:write("runbook iam-policy: ", fmt:format(...), "\n")
  return code
end

--- The arguments: { runbook, steps = {EXPR...}, fix, format } | nil, message.
function M.parse(args)
  local opts, problem = argv.parse(args, { usage = M.usage,
    values = { ["--steps"] = "list", ["--format"] = "string" }, flags = { ["--fix"] = "fix" },
    positional = "runbook" })
  if opts and not opts.help then opts.runbook = opts.runbook or "triage.lua" end
  return opts, problem
end

local function readable(path)
  local fh = io.open(path, "r")
  if not fh then return false end
  fh:close()
  return true
end

--- The runbook's file: the path as given, else a name in this runbook's own directory
--- (runbooks/), with or without ".lua": path | nil.
function M.resolve(name, here)
  local candidates = { name }
  if here and not name:find("/", 1, true) then
    candidates[#candidates + 1] = here .. "/" .. name
    if not name:match("%.lua$") then candidates[#candidates + 1] = here .. "/" .. name .. ".lua" end
  end
  for _, path in ipairs(candidates) do
    if readable(path) then return path end
  end
  return nil
end

-- "a/b/c.lua" -> "a/b"
local function dir_of(path)
  return type(path) == "string" and path:match("^(.*)/[^/]*$") or "."
end

--- The step ids a triage runbook lists, in its order: ids | nil, message. The runbook
--- runs with triage.engine replaced by a recorder, so it starts no triage.
function M.runbook_steps(path)
  local chunk, err = loadfile(path, "t")
  if not chunk then return nil, ("runbook %s does not load: %s"):format(path, err) end
  local real = package.loaded["triage.engine"]
  local entries
  local recorder = setmetatable({
    main = function(list)
      entries = list
      return 0
    end,
  }, { __index = function(_, k) return (real or require("triage.engine"))[k] end })
  package.loaded["triage.engine"] = recorder
  local ok, problem = pcall(chunk)
  package.loaded["triage.engine"] = real
  if not ok then return nil, ("runbook %s failed: %s"):format(path, tostring(problem)) end
  if type(entries) ~= "table" then
    return nil, ("runbook %s is not a triage: it does not call triage.engine's main with "
      .. "its steps"):format(path)
  end
  local ids = {}
  for _, e in ipairs(entries) do
    local id = type(e) == "table" and e[1] or e
    if type(id) ~= "string" then
      return nil, ("runbook %s lists a step that is not a name: %s"):format(path, tostring(id))
    end
    ids[#ids + 1] = id
  end
  return ids
end

--- The ids to cover, as a triage would run them: the runbook's, or what --steps selects
--- among them and every step discovery finds: ids | nil, message.
function M.select(ids, exprs, cat)
  if #exprs == 0 then return ids end
  local expr = table.concat(exprs, ",")
  local tree, problem = selection.parse(expr)
  if not tree then return nil, ("invalid --steps '%s': %s"):format(expr, problem) end
  local pool, found = {}, {}
  local function add(id)
    if found[id] then return end
    found[id] = true
    local e = cat.by_id[id]
    local step = e and e.step
    pool[#pool + 1] = { id = id, tags = step and type(step.tags) == "table" and step.tags or {} }
  end
  for _, id in ipairs(ids) do add(id) end
  for _, id in ipairs(cat.order) do add(id) end
  local chosen, _, unknown = selection.select(tree, pool)
  if not chosen then
    return nil, ("unknown step '%s' in --steps: no step id or tag matches it (the runbook "
      .. "lists: %s; `runbook list` shows every step)"):format(unknown, table.concat(ids, ", "))
  end
  return chosen
end

local function is_write(op)
  local service, operation = iam_actions.split(op)
  local ok, info = pcall(core.operation, service, operation)
  return ok and type(info) == "table" and info.write == true
end

--- The operations the steps need, each { op, by = {id}, write }, and the ids of steps
--- that declare no `fixes` (with --fix): needs, undeclared.
function M.needs(steps, fix)
  local out, undeclared = {}, {}
  for _, op in ipairs(M.CORE_READS) do out[#out + 1] = { op = op, by = { M.CORE } } end
  for _, s in ipairs(steps) do
    for _, op in ipairs(catalog.reads(s.step)) do
      out[#out + 1] = { op = op, by = { s.id }, write = is_write(op) }
    end
    if fix then
      local fixes = s.step.fixes
      if type(fixes) ~= "table" then undeclared[#undeclared + 1] = s.id end
      for _, op in ipairs(type(fixes) == "table" and fixes or {}) do
        out[#out + 1] = { op = op, by = { s.id }, write = true }
        for _, extra in ipairs(iam_actions.FIX_COMPANIONS[op] or {}) do
          out[#out + 1] = { op = extra, by = { s.id }, write = is_write(extra) }
        end
      end
    end
  end
  return out, undeclared
end

--- The comment lines of the text format: one per action, then the operations left out.
function M.comments(policy, who, skipped)
  local out, width = {}, 0
  for action in pairs(who) do width = math.max(width, #action) end
  for _, s in ipairs(policy.Statement) do
    local resources = type(s.Resource) == "table" and s.Resource or { s.Resource }
    for _, action in ipairs(s.Action) do
      local on = resources[1] == "*" and ""
        or (" (on the %d resources of statement %s)"):format(#resources, s.Sid)
      out[#out + 1] = ("# %-" .. width .. "s  %s%s"):format(action,
        table.concat(who[action], ", "), on)
    end
  end
  for _, sk in ipairs(skipped) do
    out[#out + 1] = ("# left out: %s, needed by %s: %s"):format(sk.op,
      table.concat(sk.by, ", "), sk.why)
  end
  return table.concat(out, "\n") .. "\n"
end

function M.main(...)
  local opts, problem = M.parse(table.pack(...))
  if not opts then return fail(2, "%s", problem) end
  if opts.help then
    io.stdout:write(M.usage, "\n\nPrints the IAM policy that allows every AWS read of the "
      .. "runbook's steps (and with --fix\nthe writes their fix plans may send); text also "
      .. "names on stderr the steps that need\neach action (docs/writing-steps.md).\n")
    return 0
  end
  local path = M.resolve(opts.runbook, dir_of(arg and arg[0]))
  if not path then
    return fail(2, "no runbook '%s' (give a path, or a name in runbooks/)", opts.runbook)
  end
  local ids, err = M.runbook_steps(path)
  if not ids then return fail(3, "%s", err) end
  local cat = catalog.scan()
  local chosen
  chosen, err = M.select(ids, opts.steps, cat)
  if not chosen then return fail(2, "%s", err) end
  local steps = {}
  for _, id in ipairs(chosen) do
    local e = cat.by_id[id]
    if not e then
      return fail(2, "runbook %s lists step '%s', which no plugin directory has "
        .. "(`runbook list` shows every step)", path, id)
    end
    if e.problem then return fail(3, "step '%s' in %s: %s", id, e.file, e.problem) end
    steps[#steps + 1] = { id = id, step = e.step }
  end
  local needs, undeclared = M.needs(steps, opts.fix)
  -- Resource ARNs follow the configured region's partition (aws-cn, aws-us-gov); "aws"
  -- when no region is configured.
  local region = core.region()
  local policy, who, skipped = iam_actions.policy(needs, nil, arn.partition_of(region))
  io.stdout:write(assert(json.encode(policy, { pretty = true })), "\n")
  if opts.format == "text" then
    io.stderr:write(M.comments(policy, who, skipped))
    for _, id in ipairs(undeclared) do
      io.stderr:write(("# step '%s' declares no `fixes`: the writes of its fix plans are not "
        .. "in this policy\n"):format(id))
    end
  end
  return 0
end

return M.main(...)
