--- `runbook undo ENTRY | --last | --run RUN`: reverses journaled changes through the same
--- path a fix takes (check, show, confirm, apply in a write scope, journal, verify).
--
-- Why from the journal: it holds, per write, the call that reverses it (`undo`), the state
-- it found (`before`), the state it left (`after`) and the read that shows that state, so
-- the reversing plan is data: each step sends the record's `undo` call, expects the
-- record's `after` (before) and leaves its `before` (after), and names the original call
-- as its own undo, so an undo can be undone in turn. The plan goes through runbook.remedy
-- like any fix, and its journal lines carry `undoes` = the entry reversed.
--
-- What is refused, each in one line, before anything is sent: an entry that was not
-- applied (failed, not_sent), one whose outcome is unknown (runbook stopped while it was in
-- flight: check the resource by hand), one already undone, one with no reversing call
-- (irreversible), one whose journaled parameters hold a secret marker (its value was never
-- written down, so it cannot be sent back), one made in another account or region than
-- the current credentials act in, and a resource that no longer holds the state the entry
-- left (someone changed it since: the difference is shown).
--
-- `--last` takes the most recent applied change that is neither an undo nor undone yet,
-- so repeating it walks back through the history; `--run RUN` takes every applied, not yet
-- undone change of one run, newest first, as one plan. An undo's own entry can be undone
-- by its id (a redo): the change it had reversed is live again, and --last can take it.
--
-- Exit codes: 0 undone (or nothing left to undo), 1 refused (see above) or not verified,
-- 2 usage, an unknown entry or run, another account or region, 4 shown but not applied
-- (dry run, no terminal and no --yes, declined), 5 the undo failed partway.
local fplan = require("fix.plan")
local journal = require("runbook.journal")
local json = require("runbook.json")
local remedy = require("runbook.remedy")

local usage = "usage: runbook undo ENTRY | --last | --run RUN   [--yes] [--dry-run] [--journal FILE]"
local help = usage .. [[


Reverses changes recorded in the journal (`runbook journal` lists them): ENTRY is one
entry id, --last the most recent change not yet undone (repeat it to walk further back;
an undo is never itself taken by --last), --run RUN every applied change of one run,
newest first. The resource must still hold the state the change left, else nothing is
sent and the difference is shown. The plan is shown and asked about on the terminal like
a fix (--yes approves, --dry-run sends nothing); the undo is journaled too.

exit codes: 0 undone or nothing left to undo, 1 refused or not verified, 2 usage or an
unknown entry or run, 4 shown but not applied, 5 failed partway]]

local EXIT = { OK = 0, REFUSED = 1, USAGE = 2, PENDING = 4, FAILED = 5 }

local function say(fmt, ...)
  io.stderr:write("runbook undo: ", fmt:format(...), "\n")
end

local function is_set(v)
  return v ~= nil and v ~= json.null
end

local function parse(args)
  local o = {}
  local i = 1
  while i <= #args do
    local a = args[i]
    if a == "--help" or a == "-h" then
      return nil, "help"
    elseif a == "--last" then
      o.last = true
    elseif a == "--run" or a:find("^%-%-run=") then
      local v = a:match("^%-%-run=(.*)$")
      if not v then
        i = i + 1
        v = args[i]
      end
      if not v or v == "" then return nil, "missing value for --run" end
      o.run = v
    elseif a:sub(1, 1) == "-" then
      return nil, ("unknown argument '%s'"):format(a)
    elseif o.entry then
      return nil, ("one entry at a time: '%s' and '%s'"):format(o.entry, a)
    else
      o.entry = a
    end
    i = i + 1
  end
  local n = (o.entry and 1 or 0) + (o.last and 1 or 0) + (o.run and 1 or 0)
  if n ~= 1 then return nil, "give exactly one of ENTRY, --last or --run RUN" end
  return o
end

-- The title of the finding a record fixed; for an undo's record, the finding its original
-- fixed (so undoing an undo reads "undo X: <finding>", not "undo X: undo Y: <finding>").
local function finding_title(r)
  local f = type(r.finding) == "table" and r.finding or {}
  local title = is_set(f.title) and tostring(f.title) or ("%s %s"):format(r.service, r.operation)
  if is_set(r.undoes) then title = title:match("^undo [^:]+: (.*)$") or title end
  return title
end

-- Why record r cannot be undone, or nil.
local function refusal(r)
  local id = tostring(r.entry)
  if r.outcome == "unknown" then
    local read = type(r.read) == "table" and ("%s %s"):format(r.read.service, r.read.operation)
      or "a read of the resource"
    return ("entry %s's outcome is unknown (runbook stopped while %s %s was in flight): check "
      .. "the resource with %s and change it by hand if needed"):format(id, tostring(r.service),
      tostring(r.operation), read)
  end
  if r.outcome ~= "applied" then
    return ("entry %s was not applied (%s): there is nothing to undo"):format(id, tostring(r.outcome))
  end
  if r.undone_by then
    return ("entry %s was already undone by %s"):format(id, r.undone_by)
  end
  if type(r.undo) ~= "table" or not r.undo.service or not r.undo.operation then
    return ("entry %s (%s %s) cannot be undone: no call reverses it"):format(id,
      tostring(r.service), tostring(r.operation))
  end
  if journal.has_secret(r.undo.params) or journal.has_secret(r.params) then
    return ("entry %s (%s %s) cannot be undone from the journal: its parameters hold a secret "
      .. "value that was never written down"):format(id, r.service, r.operation)
  end
  if type(r.read) ~= "table" or type(r.after) ~= "table" then
    return ("entry %s (%s %s) cannot be undone: the journal has no read to check what it left")
      :format(id, r.service, r.operation)
  end
  return nil
end

-- params without RevisionId (the apply path reads a fresh one for the write that takes it)
local function without_revision(params)
  local out = {}
  for k, v in pairs(type(params) == "table" and params or {}) do
    if k ~= "RevisionId" then out[k] = v end
  end
  return out
end

local function call_of(c)
  return { service = c.service, operation = c.operation, params = without_revision(c.params) }
end

-- The step that reverses record r.
local function reverse_step(r)
  local u = call_of(r.undo)
  return fplan.call(u.service, u.operation, u.params, {
    before = r.after, after = is_set(r.before) and r.before or nil,
    read = { service = r.read.service, operation = r.read.operation, params = r.read.params or {} },
    undo = call_of(r),
  })
end

local function build(targets, what)
  local steps, undoes, titles, seen = {}, {}, {}, {}
  for i, r in ipairs(targets) do
    steps[i] = reverse_step(r)
    undoes[i] = r.entry
    local t = finding_title(r)
    if not seen[t] then
      seen[t] = true
      titles[#titles + 1] = t
    end
  end
  local first = targets[1]
  local explain
  if #targets == 1 then
    explain = ("reverses entry %s (%s %s, applied %s)"):format(first.entry, first.service,
      first.operation, tostring(first.time))
  else
    explain = ("reverses the %d applied changes of run %s, newest first: %s"):format(#targets,
      first.run, table.concat(undoes, ", "))
  end
  local finding = type(first.finding) == "table" and first.finding or {}
  return remedy.plan({
    fix = { explain = explain, plan = steps },
    title = ("undo %s: %s"):format(what, table.concat(titles, "; ")),
    step = is_set(finding.step) and finding.step or nil,
    ["function"] = is_set(first["function"]) and first["function"] or nil,
    undoes = undoes,
  })
end

-- The records to undo, and how the plan names them: targets, what | nil, exit code.
local function select_targets(o, records, path)
  -- one record: itself, unless it is refused
  local function single(r)
    local why = refusal(r)
    if why then
      say("%s", why)
      return nil, EXIT.REFUSED
    end
    return { r }, r.entry
  end
  if o.entry then
    for _, r in ipairs(records) do
      if r.entry == o.entry then return single(r) end
    end
    say("no entry '%s' in %s (`runbook journal` lists them)", o.entry, path)
    return nil, EXIT.USAGE
  end
  if o.last then
    local r = journal.last_undoable(records)
    if not r then
      io.stdout:write(("nothing left to undo in %s\n"):format(path))
      return nil, EXIT.OK
    end
    return single(r)
  end
  local known = false
  for _, r in ipairs(records) do
    if r.run == o.run then
      known = true
      if r.outcome == "unknown" and not is_set(r.undoes) then
        say("%s", refusal(r))
        return nil, EXIT.REFUSED
      end
    end
  end
  if not known then
    say("no run '%s' in %s (`runbook journal` lists the runs)", o.run, path)
    return nil, EXIT.USAGE
  end
  local targets = journal.of_run(records, o.run)
  if #targets == 0 then
    io.stdout:write(("nothing left to undo in run %s\n"):format(o.run))
    return nil, EXIT.OK
  end
  for _, r in ipairs(targets) do
    local why = refusal(r)
    if why then
      say("%s; nothing of run %s was undone", why, o.run)
      return nil, EXIT.REFUSED
    end
  end
  return targets, "run " .. o.run
end

-- Refuses records made in another account or region than the credentials act in.
local function same_place(targets, identity)
  for _, r in ipairs(targets) do
    if (is_set(r.account) and r.account ~= identity.account)
        or (is_set(r.region) and r.region ~= identity.region) then
      say("entry %s was made in account %s, %s; these credentials act in %s, %s: use the "
        .. "--profile and --region it was made with", r.entry, tostring(r.account),
        tostring(r.region), tostring(identity.account), tostring(identity.region))
      return false
    end
  end
  return true
end

local STATUS_EXIT = {
  verified = EXIT.OK, applied = EXIT.OK, not_cleared = EXIT.REFUSED, stale = EXIT.REFUSED,
  offered = EXIT.PENDING, declined = EXIT.PENDING, manual = EXIT.PENDING, failed = EXIT.FAILED,
}

local function main(...)
  local o, err = parse({ ... })
  if not o then
    if err == "help" then
      io.stdout:write(help, "\n")
      return EXIT.OK
    end
    io.stderr:write("runbook undo: ", err, "\n", usage, "\n")
    return EXIT.USAGE
  end
  local records, problems, path, exists = journal.entries()
  if not records then
    say("%s", table.concat(problems or {}, "; "))
    return EXIT.USAGE
  end
  if not exists then
    if o.last then
      io.stdout:write(("nothing to undo: no journal at %s\n"):format(path))
      return EXIT.OK
    end
    say("no journal at %s: nothing has been changed yet", path)
    return EXIT.USAGE
  end
  for _, p in ipairs(problems or {}) do say("warning: %s", p) end
  local targets, what = select_targets(o, records, path)
  if not targets then return what end
  local identity, ierr = remedy.identity()
  if not identity then
    say("cannot tell who would make the change: %s: %s", tostring(ierr.code), tostring(ierr.message))
    return 3
  end
  if not same_place(targets, identity) then return EXIT.USAGE end
  local ok, p = pcall(build, targets, what)
  if not ok then
    say("cannot build the reversing plan: %s", tostring(p))
    return EXIT.REFUSED
  end
  local fresh, changed = remedy.check(p)
  if not fresh then
    io.stderr:write(remedy.describe(p, identity), "\n")
    say("not undone: the resource no longer holds what %s left (changed since):\n    %s",
      what, table.concat(changed, "\n    "))
    return EXIT.REFUSED
  end
  local outcome = remedy.offer(p)
  for i, id in ipairs(outcome.entries or {}) do
    if i <= (outcome.applied or 0) then
      io.stdout:write(("undid %s (entry %s)\n"):format(p.undoes[i], id))
    end
  end
  if outcome.status == "declined" then
    say("not undone: %s", outcome.reason or "declined")
  elseif outcome.status == "not_cleared" then
    say("applied, but a fresh read does not show the state %s had before", what)
  end
  return STATUS_EXIT[outcome.status] or EXIT.FAILED
end

return main(...)
