--- triage.fixes: the --fix phase of a triage. After the report, each finding with a fix
--- plan is offered in turn through runbook.remedy (re-read, show, confirm, apply, verify,
--- journal); this module only chooses which findings, in what order, and turns the
--- outcomes into the report's `fix.outcome` fields, a summary and an exit code.
--
-- It never writes to AWS itself: runbook.remedy applies, and only what the operator
-- confirmed. The engine hands in `rerun(item, since)`, which re-runs one step on a window
-- starting at the apply time, so that past log lines do not count against the fix.
local exit = require("triage.exit")
local finding = require("triage.finding")
local remedy = require("runbook.remedy")
local runbook = require("runbook")

local M = {}

--- Parses the --fix value: true (every step) or a set of step ids. -> set | nil, message
function M.parse(value, known)
  if value == true then return true end
  local set, any = {}, false
  for id in tostring(value):gmatch("[^,%s]+") do
    if not known[id] then
      return nil, ("unknown step '%s' in --fix=%s: name steps of this triage (runbook list)")
        :format(id, value)
    end
    set[id], any = true, true
  end
  if not any then return nil, "--fix= names no step: give --fix or --fix=STEP,..." end
  return set
end

--- Before the triage: can a fix be journaled? true | nil, "one line" (--fix needs a
--- journal; --dry-run does not).
function M.ready()
  local ok, err = remedy.ready()
  if ok then return true end
  return nil, ("%s: --fix journals every change; make the journal writable or give "
    .. "--journal FILE (nothing was read or changed)"):format(err.message)
end

-- The findings to offer, in report order: those with a plan, from the selected steps; a
-- suppressed finding is one the team accepted, so its fix is not offered.
local function offered(items, only)
  local out = {}
  for _, item in ipairs(items) do
    if only == true or only[item.id] then
      for _, f in ipairs(item.record.findings) do
        if f.fix and f.fix.plan and not f.suppressed
            and (finding.RANK[f.severity] or 0) >= finding.RANK.info then
          out[#out + 1] = { item = item, finding = f }
        end
      end
    end
  end
  return out
end

-- A title without its numbers: one finding says "12 invocations" in one run, "3" in the next.
local function shape(title)
  return (tostring(title):gsub("%d+", "#"))
end

-- The verdict of a re-run: cleared when the step no longer reports, at or above the fixed
-- finding's severity, this finding or one the triage did not show (the step's `others`
-- findings of the triage are their own fixes' business: a function URL still refused does
-- not make the API Gateway permission just added "not cleared"); traffic from the
-- function's invocations since.
local function judge(original, others, findings, traffic)
  local rank = finding.RANK[original.severity] or 0
  local elsewhere = {}
  for _, o in ipairs(others) do
    if o ~= original then elsewhere[shape(o.title)] = true end
  end
  elsewhere[shape(original.title)] = nil
  for _, f in ipairs(findings) do
    if (finding.RANK[f.severity] or 0) >= rank and f.severity ~= "error"
        and not elsewhere[shape(f.title)] then
      return { cleared = false, traffic = traffic, detail = "the step still reports: " .. f.title }
    end
  end
  if traffic == false then
    return { cleared = true, traffic = false,
             detail = "no invocations since the fix: run the triage again later" }
  end
  return { cleared = true, traffic = traffic }
end

local SUMMARY_ORDER = { "verified", "applied", "not_cleared", "failed", "stale", "offered",
                        "declined", "manual" }
local WORDS = { verified = "fixed", applied = "applied, not yet observed",
                not_cleared = "not cleared", failed = "failed", stale = "changed since the triage",
                offered = "not applied", declined = "declined", manual = "explained only" }

--- Offers every fix. `fn` = { name, qualifier }; rerun(item, since) -> findings, traffic.
--- Sets finding.fix.outcome; returns the summary { counts, run, lines } and an exit code.
function M.run(items, only, fn, rerun)
  local counts, lines = {}, {}
  for _, s in ipairs(SUMMARY_ORDER) do counts[s] = 0 end
  local list = offered(items, only)
  for i, o in ipairs(list) do
    local f = o.finding
    -- after a q the rest are not shown (remedy.offer says nothing for them)
    if not remedy.quit_requested() then io.stderr:write(("\n(%d/%d) "):format(i, #list)) end
    local p = remedy.plan{ fix = f.fix, title = f.title, step = o.item.id, severity = f.severity,
                           ["function"] = fn.name }
    local outcome = remedy.offer(p, {
      rerun = function(since)
        local ok, findings, traffic = pcall(rerun, o.item, since)
        if not ok and runbook.interrupted() then -- Ctrl-C after the apply: keep its outcome
          return { cleared = true, traffic = false,
                   detail = "interrupted before the re-run: run the triage again later" }
        elseif not ok then
          error(findings, 0)
        end
        return judge(f, o.item.record.findings, findings, traffic)
      end,
    })
    f.fix.outcome = outcome
    counts[outcome.status] = (counts[outcome.status] or 0) + 1
    local word = WORDS[outcome.status] or outcome.status
    local why = outcome.reason ~= word and outcome.reason -- never "declined (declined)"
    lines[#lines + 1] = ("  [%s] %s: %s%s"):format(o.item.id, f.title, word,
      why and (" (" .. why .. ")") or "")
    if runbook.interrupted() then break end -- Ctrl-C at a prompt: offer nothing more
  end
  local code = exit.OK
  if counts.failed > 0 then
    code = exit.PARTIAL
  elseif counts.offered > 0 and counts.verified + counts.applied + counts.not_cleared == 0 then
    code = exit.FIXES_PENDING
  end
  local wrote = counts.verified + counts.applied + counts.not_cleared + counts.failed > 0
  return { counts = counts, offered = #list, run = wrote and remedy.run_id() or nil,
           lines = lines }, code
end

--- The fix phase's summary for the end of a text or Markdown report.
function M.render_summary(summary, format)
  local out = {}
  local head = summary.offered == 0 and "no finding has a fix to apply"
    or ("%d fix%s offered"):format(summary.offered, summary.offered == 1 and "" or "es")
  if format == "markdown" then
    local run = summary.run and (", journal run `" .. summary.run .. "`") or ""
    out[#out + 1] = "\n## Fixes\n\n" .. head .. run .. "\n"
    for _, l in ipairs(summary.lines) do out[#out + 1] = "- " .. l:gsub("^%s+", "") end
  else
    out[#out + 1] = "\nFixes: " .. head .. (summary.run and (" (journal run " .. summary.run .. ")") or "")
    for _, l in ipairs(summary.lines) do out[#out + 1] = l end
    if summary.run then
      out[#out + 1] = "  undo them all: runbook undo --run " .. summary.run
    end
  end
  return table.concat(out, "\n") .. "\n"
end

--- Whether a finding still counts for the exit code after the fix phase: not when its fix
--- was applied and verified (or applied with no traffic to judge yet).
function M.settled(f)
  local o = f.fix and f.fix.outcome
  return o ~= nil and (o.status == "verified" or o.status == "applied")
end

return M
