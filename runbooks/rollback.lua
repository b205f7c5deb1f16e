--- rollback: point a Lambda alias back at the version it pointed at before its last change.
--
--   runbook rollback.lua FUNCTION:ALIAS [--to VERSION] [--keep-routing|--clear-routing]
--                        [--yes] [--dry-run] [--journal FILE]
--
-- Which version "before" was comes, in order, from:
--   1. --to VERSION (the operator says so);
--   2. the journal: the newest applied UpdateAlias/CreateAlias of that alias
--      (journal.history) gives the version it pointed at before, provided the alias still
--      points where that change left it (otherwise it was changed outside runbook since);
--   3. CloudTrail (M.from_cloudtrail): the function's UpdateAlias/CreateAlias events of the
--      last 7 days (LookupEvents, at most 10 pages): the one before the latest, provided the
--      latest points where the alias points now;
--   4. the operator: the function's versions (ListVersionsByFunction, every page) are
--      listed newest first with their publish times and descriptions, the alias's current
--      version marked, and the operator types the version to go back to (under --yes there
--      is no one to ask: give --to).
-- An alias with a weighted RoutingConfig (AdditionalVersionWeights) keeps or clears it as
-- the operator chooses (asked, or --keep-routing / --clear-routing; under --yes one of them
-- is required). The change is one UpdateAlias with the alias's RevisionId, offered through
-- runbook.remedy: shown, confirmed on the terminal (or --yes), re-read just before it is
-- sent, journaled (so `runbook undo --last` points the alias back again), and verified
-- with a fresh GetAlias.
--
-- Exit codes (docs/exit-codes.md): 0 rolled back, already there, or declined; 2 usage, an
-- unknown function, alias or version, or --yes without the choice it needs; 3 the alias
-- could not be read; 4 not applied for lack of a terminal, or --dry-run; 5 the write failed
-- or the alias changed in between.
local actions = require("fix.actions")
local argv = require("triage.argv")
local aws = require("runbook.aws")
local changes = require("lib.changes")
local exit = require("triage.exit")
local journal = require("runbook.journal")
local remediate = require("lib.remediate")
local remedy = require("runbook.remedy")
local text = require("lib.text")

local M = {}

M.usage = "usage: runbook rollback.lua FUNCTION:ALIAS [--to VERSION] "
  .. "[--keep-routing|--clear-routing] [--yes] [--dry-run]"

M.HELP = [[

Points an alias back at the version it pointed at before its last change: the one the
journal recorded, else the one you choose from the function's versions (newest first,
with publish times and descriptions). A weighted alias keeps or clears its routing as you
choose. The change is shown, confirmed, sent with the alias's RevisionId, journaled and
verified; `runbook undo --last` reverses it.

  --to VERSION       roll back to VERSION (a number, or $LATEST) without asking
  --keep-routing     keep the alias's weighted routing (AdditionalVersionWeights)
  --clear-routing    clear it: all traffic goes to the version rolled back to
  --yes              approve without asking (needs --to when the journal does not know)
  --dry-run          show the change and send nothing

Exit: 0 done (or nothing to do), 2 usage or unknown function/alias/version,
4 not applied (no terminal and no --yes, or --dry-run), 5 failed.]]

-- How many times an answer that is not a version is asked again.
M.ASKS = 3

local fail = remediate.failer("rollback")

--- The arguments: { fn, alias, to, routing = "keep"|"clear"|nil } | nil, message | { help }.
function M.parse(args)
  local opts, problem = argv.parse(args, { usage = M.usage, values = { ["--to"] = "string" },
    flags = { ["--keep-routing"] = "keep", ["--clear-routing"] = "clear" },
    positional = "target" })
  if not opts or opts.help then return opts, problem end
  if not opts.target then return nil, "give the alias to roll back as FUNCTION:ALIAS: " .. M.usage end
  local fn, alias = opts.target:match("^(.+):([^:]+)$")
  if not fn or alias:match("^%d+$") or alias == "$LATEST" then
    return nil, ("'%s' names no alias: give FUNCTION:ALIAS, e.g. my-fn:live"):format(opts.target)
  end
  if opts.keep and opts.clear then
    return nil, "--keep-routing and --clear-routing contradict each other: give one"
  end
  if opts.to == "" then return nil, "--to needs a version: a number, or $LATEST" end
  return { fn = fn, alias = alias, to = opts.to,
           routing = opts.keep and "keep" or opts.clear and "clear" or nil }
end

-- where "before" comes from ----------------------------------------------------------------

--- The journal's answer: the version the alias pointed at before its newest journaled
--- change -> version, record | nil, why (one line, or nil when the journal has nothing).
function M.from_journal(fn, alias, current)
  for _, r in ipairs(journal.history(fn, alias)) do
    if r.operation == "UpdateAlias" or r.operation == "CreateAlias" then
      local before = type(r.before) == "table" and r.before.FunctionVersion
      local after = type(r.after) == "table" and r.after.FunctionVersion
      if type(before) ~= "string" then
        return nil, ("the journal's last change of %s (entry %s) created it: there is no "
          .. "earlier version to go back to"):format(alias, r.entry)
      end
      if after ~= current then
        return nil, ("the journal's last change of %s (entry %s, %s) pointed it at %s, but it "
          .. "now points at %s: it was changed outside runbook since"):format(alias, r.entry,
          tostring(r.time), tostring(after), current)
      end
      return before, r
    end
  end
  return nil
end

--- CloudTrail's answer: the version the alias pointed at before its latest UpdateAlias
--- (lib.changes.alias_before over the function's events of the last M.trail_days days).
--- -> version, change | nil, why (nil when CloudTrail cannot be read: the next source).
M.trail_days = 7
function M.from_cloudtrail(fn, alias, current)
  local finish = os.time()
  local params = { LookupAttributes = { { AttributeKey = "ResourceName", AttributeValue = fn } },
                   StartTime = finish - M.trail_days * 86400, EndTime = finish, MaxResults = 50 }
  local items = {}
  for _ = 1, 10 do
    local page = aws.call("cloudtrail", "LookupEvents", params)
    if not page then return nil end
    for _, e in ipairs(page.Events or {}) do items[#items + 1] = e end
    if not page.NextToken or page.NextToken == "" then break end
    params.NextToken = page.NextToken
  end
  return changes.alias_before(changes.parse_events(items), alias, current)
end

-- the versions -----------------------------------------------------------------------------

local function version_order(a, b)
  local na, nb = tonumber(a.Version), tonumber(b.Version)
  if na and nb then return na > nb end
  return na ~= nil -- numbered versions first, newest first; $LATEST last
end

--- The function's versions, newest first: list | nil, err.
function M.versions(fn)
  local items, err = aws.collect("lambda", "ListVersionsByFunction", { FunctionName = fn })
  if not items then return nil, err end
  table.sort(items, version_order)
  return items
end

local function weights_of(alias_reply)
  local routing = alias_reply.RoutingConfig
  local w = type(routing) == "table" and routing.AdditionalVersionWeights
  if type(w) ~= "table" or next(w) == nil then return nil end
  return w
end

local function percent(weight)
  return ("%g%%"):format(math.floor(weight * 1000 + 0.5) / 10)
end

--- The version list as shown before asking (lines).
function M.describe_versions(versions, alias_name, alias_reply)
  local weights = weights_of(alias_reply) or {}
  local lines = { ("Versions of %s, newest first:"):format(alias_reply.AliasArn
    and alias_reply.AliasArn:match("function:([^:]+)") or "the function") }
  for _, v in ipairs(versions) do
    local marks = {}
    if v.Version == alias_reply.FunctionVersion then
      marks[#marks + 1] = "<- " .. alias_name .. " points here"
    end
    if weights[v.Version] then
      marks[#marks + 1] = ("<- %s of %s's traffic"):format(percent(weights[v.Version]), alias_name)
    end
    local desc = v.Description ~= nil and v.Description ~= ""
      and text.clip(text.first_line(v.Description), 60) or "-"
    lines[#lines + 1] = ("  %-8s  %-28s  %s%s"):format(v.Version, tostring(v.LastModified or "?"),
      desc, #marks > 0 and ("   " .. table.concat(marks, ", ")) or "")
  end
  return lines
end

local function find_version(versions, wanted)
  for _, v in ipairs(versions) do
    if v.Version == wanted or (wanted:upper() == "$LATEST" and v.Version == "$LATEST") then
      return v.Version
    end
  end
  return nil
end

local function version_names(versions)
  local names = {}
  for _, v in ipairs(versions) do names[#names + 1] = v.Version end
  return text.join(names, 12)
end

--- Asks which version: version | nil, exit code, message.
function M.choose(versions, alias_name, alias_reply)
  io.stderr:write(table.concat(M.describe_versions(versions, alias_name, alias_reply), "\n"), "\n")
  for _ = 1, M.ASKS do
    local line, why = remedy.ask(("Roll %s back to which version? "):format(alias_name))
    if not line then
      if why == "no-terminal" then
        return nil, exit.FIXES_PENDING, "no terminal to ask which version on: give --to VERSION"
      end
      return nil, exit.OK, "no version chosen: nothing was changed"
    end
    line = line:match("^%s*(.-)%s*$")
    if line == "" or line == "q" then return nil, exit.OK, "no version chosen: nothing was changed" end
    local v = find_version(versions, line)
    if v then return v end
    io.stderr:write(("'%s' is not one of the versions above\n"):format(line))
  end
  return nil, exit.USAGE, "no valid version was given: nothing was changed"
end

-- routing ----------------------------------------------------------------------------------

local function describe_weights(weights)
  local parts = {}
  for _, v in ipairs(text.sorted_keys(weights)) do
    parts[#parts + 1] = ("%s to version %s"):format(percent(weights[v]), v)
  end
  return table.concat(parts, ", ")
end

--- The RoutingConfig to send: nil (keep) or an empty one (clear) | false, exit code,
--- message.
function M.routing(opts, alias_name, alias_reply, target)
  local weights = weights_of(alias_reply)
  if not weights then return nil end
  local shown = describe_weights(weights)
  local clear = { AdditionalVersionWeights = {} }
  if weights[target] or target == "$LATEST" then
    if opts.routing == "keep" then
      return false, exit.USAGE, ("cannot keep %s's weighted routing (%s) with version %s as its "
        .. "primary: give --clear-routing"):format(alias_name, shown, target)
    end
    io.stderr:write(("%s's weighted routing (%s) cannot stay with version %s as its primary: "
      .. "it will be cleared\n"):format(alias_name, shown, target))
    return clear
  end
  if opts.routing == "keep" then return nil end
  if opts.routing == "clear" then return clear end
  if remedy.options().yes then
    return false, exit.USAGE, ("%s has a weighted routing (%s): with --yes, give "
      .. "--keep-routing or --clear-routing"):format(alias_name, shown)
  end
  local keep, why = remedy.ask_yes_no(("%s sends %s. Keep this weighted routing?"):format(
    alias_name, shown), false)
  if why == "no-terminal" then
    return false, exit.FIXES_PENDING, ("no terminal to ask whether to keep %s's weighted "
      .. "routing on: give --keep-routing or --clear-routing"):format(alias_name)
  end
  if keep then return nil end
  return clear
end

-- the change -------------------------------------------------------------------------------

--- The plan: UpdateAlias to `target` (RoutingConfig `routing`, nil: as it is), verified
--- with a fresh GetAlias.
function M.plan(fn, alias_name, alias_reply, target, routing, source)
  local step = actions.update_alias(fn, alias_name, target, alias_reply, routing)
  local read = { service = "lambda", operation = "GetAlias",
                 params = { FunctionName = fn, Name = alias_name } }
  local verify = { { what = ("%s points at version %s"):format(alias_name, target), read = read,
                     path = "FunctionVersion", op = "==", value = target } }
  if routing then
    verify[#verify + 1] = { what = ("%s has no weighted routing"):format(alias_name), read = read,
                            path = "RoutingConfig.AdditionalVersionWeights", op = "absent" }
  end
  local weights = weights_of(alias_reply)
  local traffic = weights and routing == nil and "its weighted routing stays as it is"
    or weights and "its weighted routing is cleared: all of its traffic goes to " .. target
    or "all of its traffic moves at once"
  return remedy.plan{
    fix = {
      explain = ("point %s back at version %s (it points at %s; %s)"):format(alias_name, target,
        alias_reply.FunctionVersion, source),
      plan = { step }, verify = verify,
    },
    title = ("roll %s:%s back to version %s"):format(fn, alias_name, target),
    step = "rollback", ["function"] = fn,
    risk = ("%s: %s; `runbook undo --last` points it back at %s"):format(alias_name, traffic,
      alias_reply.FunctionVersion),
  }
end

-- the command ------------------------------------------------------------------------------

-- The alias as it is now: reply | nil, exit code, message.
local function read_alias(fn, alias_name)
  local cfg, code, message = remediate.read_function(fn)
  if not cfg then return nil, code, message end
  local reply, err = aws.call("lambda", "GetAlias", { FunctionName = fn, Name = alias_name })
  if reply then return reply end
  if err.code == "ResourceNotFoundException" then
    local names = {}
    for _, a in ipairs(aws.collect("lambda", "ListAliases", { FunctionName = fn }) or {}) do
      names[#names + 1] = a.Name
    end
    return nil, exit.USAGE, ("function '%s' has no alias '%s' (%s)"):format(fn, alias_name,
      #names > 0 and ("its aliases: " .. text.join(names, 12)) or "it has no aliases")
  end
  return nil, exit.RUNTIME, ("cannot read alias '%s' of '%s': %s: %s"):format(alias_name, fn,
    tostring(err.code), tostring(err.message))
end

-- The version to roll back to: version, where it came from | nil, exit code, message.
local function target_version(opts, alias_reply)
  local current = alias_reply.FunctionVersion
  local versions, err
  local function listed()
    if not versions then versions, err = M.versions(opts.fn) end
    return versions
  end
  if opts.to then
    if not listed() then
      return nil, exit.RUNTIME, ("cannot list the versions of '%s': %s: %s"):format(opts.fn,
        tostring(err.code), tostring(err.message))
    end
    local v = find_version(versions, opts.to)
    if not v then
      return nil, exit.USAGE, ("function '%s' has no version '%s' (its versions: %s)"):format(
        opts.fn, opts.to, version_names(versions))
    end
    return v, "--to " .. v
  end
  local v, record = M.from_journal(opts.fn, opts.alias, current)
  if v then
    return v, ("the journal: entry %s at %s changed it from %s"):format(record.entry,
      tostring(record.time), v)
  end
  if record then io.stderr:write(record, "\n") end
  local change
  v, change = M.from_cloudtrail(opts.fn, opts.alias, current)
  if v then
    return v, ("CloudTrail: %s at %s by %s changed it from %s"):format(change.event_name,
      change.iso, change.who, v)
  end
  if remedy.options().yes then
    return nil, exit.USAGE, ("nothing records the version %s pointed at before (no journal "
      .. "entry): with --yes, give --to VERSION"):format(opts.alias)
  end
  if not listed() then
    return nil, exit.RUNTIME, ("cannot list the versions of '%s': %s: %s"):format(opts.fn,
      tostring(err.code), tostring(err.message))
  end
  local chosen, code, message = M.choose(versions, opts.alias, alias_reply)
  if not chosen then return nil, code, message end
  return chosen, "chosen from the list"
end

-- One line for the outcome of the offer.
local function outcome_line(o, opts, from, to)
  local where = ("%s:%s"):format(opts.fn, opts.alias)
  if o.status == "verified" or o.status == "applied" then
    return ("rolled back %s: version %s -> %s (journal run %s; undo: runbook undo --last)")
      :format(where, from, to, tostring(o.run))
  end
  return ("%s not rolled back: %s"):format(where, o.reason or o.status)
end

function M.main(...)
  local opts, problem = M.parse(table.pack(...))
  if not opts then return fail(exit.USAGE, "%s", problem) end
  if opts.help then
    io.stdout:write(M.usage, "\n", M.HELP, "\n")
    return exit.OK
  end
  local alias_reply, code, message = read_alias(opts.fn, opts.alias)
  if not alias_reply then return fail(code, "%s", message) end
  local current = alias_reply.FunctionVersion
  local target, source
  target, source, message = target_version(opts, alias_reply)
  if not target then
    if source == exit.OK then
      io.stderr:write(message, "\n")
      return exit.OK
    end
    return fail(source, "%s", message)
  end
  if target == current then
    io.stdout:write(("%s:%s already points at version %s: nothing to do\n"):format(opts.fn,
      opts.alias, target))
    return exit.OK
  end
  local routing, rcode, rmessage = M.routing(opts, opts.alias, alias_reply, target)
  if routing == false then return fail(rcode, "%s", rmessage) end
  local outcome = remedy.offer(M.plan(opts.fn, opts.alias, alias_reply, target, routing, source))
  io.stdout:write(outcome_line(outcome, opts, current, target), "\n")
  return remediate.exit_code({ outcome })
end

return M.main(...)
