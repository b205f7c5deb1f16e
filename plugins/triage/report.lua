--- triage.report: the triage's findings as one document (the JSON schema of
--- docs/report-schema.md), and that document rendered as text, JSON or Markdown.
--
-- Layout is policy and lives here; terminal facts (is stdout a TTY, its width), the
-- sparkline glyphs and the version come from the C module runbook.report. Output is
-- deterministic for a given run: no wall-clock values in text or Markdown.
local core = require("runbook.core")
local finding = require("triage.finding")
local html = require("triage.html")
local json = require("runbook.json")
local junit = require("triage.junit")
local sarif = require("triage.sarif")
local series = require("triage.series")
local term = require("runbook.report")
local text = require("lib.text")
local time = require("lib.time")

local M = {}

local RANK, ORDER, LABEL = finding.RANK, finding.ORDER, finding.LABEL
local COLOR = { ok = "32", skip = "2", info = "36", warn = "33", fail = "31", error = "1;35" }

local function null(v)
  if v == nil then return json.null end
  return v
end

local function array(t) return json.array(t or {}) end

-- building the document ------------------------------------------------------------------

--- The status of a step: its worst finding; ok/skip rank 0, "skip" only when all skipped.
local function step_status(findings)
  local status, all_skip = "ok", true
  for _, f in ipairs(findings) do
    -- a suppressed finding (docs/suppressions.md) keeps its severity but not the step's
    if RANK[f.severity] > RANK[status] and not f.suppressed then status = f.severity end
    if f.severity ~= "skip" then all_skip = false end
  end
  if status == "ok" and all_skip then return "skip" end
  return status
end

local function finding_doc(f)
  local fix = json.null
  if f.fix then
    fix = { explain = null(f.fix.explain), commands = array(f.fix.commands),
            changes = null(f.fix.changes) }
    -- additions of the fix-plan era (docs/fix-plans.md): absent for advice-only fixes
    if f.fix.plan then fix.plan = f.fix.plan end
    if f.fix.verify then fix.verify = f.fix.verify end
    if f.fix.manual then fix.manual = f.fix.manual end
    if f.fix.outcome then fix.outcome = f.fix.outcome end -- after --fix (docs/remediation.md)
  end
  local data = f.data or json.object({})
  local ok, problem = json.encode(data)
  if not ok then data = { unencodable = problem.message } end
  return { severity = f.severity, title = f.title, evidence = array(f.evidence),
           why = null(f.why), fix = fix, confidence = null(f.confidence), data = data,
           suppressed = f.suppressed } -- absent unless a suppression matched
end

-- What the verdict names: the steps with a fail finding, else those with a warn, else
-- with an info finding (errors are about the triage, not the function).
local function summary(steps)
  for _, level in ipairs({ "fail", "warn", "info" }) do
    local names = {}
    for _, s in ipairs(steps) do
      for _, f in ipairs(s.findings) do
        if f.severity == level and not f.suppressed then
          -- "Timeouts" -> "timeouts", but "AccessDenied" and "VPC" keep their capitals
          names[#names + 1] = s.title:gsub("^%u%l", string.lower)
          break
        end
      end
    end
    if #names > 0 then return table.concat(names, ", ") end
  end
  return "no problems found"
end

-- The summary, and what it leaves out: steps that could not run ("1 step could not run:
-- Throttling"), so "no problems found" is never said of a triage that did not finish.
-- A fail finding whose data.headline explains the failure ("since deploy of version 42 at
-- 02:41Z by ci: 24 % errors", the changes step) leads the headline.
local function headline(steps)
  local leads = {}
  for _, s in ipairs(steps) do
    for _, f in ipairs(s.findings) do
      if f.severity == "fail" and not f.suppressed and type(f.data) == "table"
        and type(f.data.headline) == "string" then
        leads[#leads + 1] = f.data.headline
      end
    end
  end
  local said = summary(steps)
  if #leads > 0 then said = table.concat(leads, "; ") .. "; " .. said end
  local broken = {}
  for _, s in ipairs(steps) do
    for _, f in ipairs(s.findings) do
      if f.severity == "error" and not f.suppressed then
        broken[#broken + 1] = s.title
        break
      end
    end
  end
  if #broken == 0 then return said end
  local note = ("%s could not run: %s"):format(text.plural(#broken, "step"),
    table.concat(broken, ", "))
  if said == "no problems found" then
    return "no problems found by the steps that ran; " .. note
  end
  return said .. "; " .. note
end

--- The report document for a finished run (items from the engine, each with a record).
function M.build(run, items, meta)
  local steps, counts, status = {}, {}, "ok"
  for _, level in ipairs(ORDER) do counts[level] = 0 end
  local suppressed = 0 -- findings, not steps: those a suppression matched
  for i, item in ipairs(items) do
    local findings = {}
    for j, f in ipairs(item.record.findings) do
      findings[j] = finding_doc(f)
      if f.suppressed then suppressed = suppressed + 1 end
    end
    local s = step_status(item.record.findings)
    counts[s] = counts[s] + 1
    if RANK[s] > RANK[status] then status = s end
    steps[i] = {
      id = item.id, title = item.step and item.step.title or item.id, status = s,
      tags = array(item.step and item.step.tags and { table.unpack(item.step.tags) }),
      duration_ms = math.floor((item.record.duration or 0) * 1000 + 0.5),
      findings = array(findings),
    }
  end
  if suppressed > 0 then counts.suppressed = suppressed end -- absent: the report as before
  local stats = core.stats()
  return {
    schema_version = 1, tool = "runbook", version = term.version,
    ["function"] = { name = run.function_name, qualifier = null(run.qualifier),
                     arn = null(run.arn), region = run.region, account = null(run.account) },
    window = { start = time.iso(run.window.start), ["end"] = time.iso(run.window.finish),
               seconds = run.window.seconds, label = run.window.label },
    reference_time = time.iso(run.now),
    verdict = { status = status, counts = counts, summary = summary(steps),
                headline = headline(steps) },
    steps = array(steps),
    duration_ms = math.floor((meta.duration or 0) * 1000 + 0.5),
    api = { calls = stats.calls, shared = stats.shared, attempts = stats.attempts,
            retries = stats.retries },
    -- for charts: the series the run read anyway, and the timeout (absent when unread)
    series = series.of(run), timeout_s = series.timeout_s(run),
  }
end

-- shared pieces ---------------------------------------------------------------------------

local function is_null(v) return v == nil or v == json.null end

-- Text from logs must not steer a terminal: line breaks (\r, \n, \r\n) become `nl`, any
-- other control character but tab (ESC included) a visible "?".
local function clean(s, nl)
  return (s:gsub("\r\n?", "\n"):gsub("\n", nl or " "):gsub("[%z\1-\8\11-\31\127]", "?"))
end

local function subject(doc)
  local fn = doc["function"]
  local name = fn.name .. (is_null(fn.qualifier) and "" or (":" .. fn.qualifier))
  return ("%s (%s)"):format(name, fn.region)
end

local function counts_text(doc)
  local parts = {}
  for _, level in ipairs(ORDER) do
    local n = doc.verdict.counts[level]
    if n > 0 then parts[#parts + 1] = ("%d %s"):format(n, LABEL[level]) end
  end
  local suppressed = doc.verdict.counts.suppressed or 0
  if suppressed > 0 then parts[#parts + 1] = ("%d suppressed"):format(suppressed) end
  return table.concat(parts, ", ")
end

--- The verdict line: "my-fn (us-east-1): 2 FAIL, 1 WARN, 6 OK — timeouts, throttling"
function M.verdict_line(doc)
  return ("%s: %s — %s"):format(subject(doc), counts_text(doc),
    doc.verdict.headline or doc.verdict.summary)
end

--- The finding that speaks for a step: its worst, the first among equals.
local function top(step)
  local best = step.findings[1]
  for _, f in ipairs(step.findings) do
    if RANK[f.severity] > RANK[best.severity] then best = f end
  end
  return best
end

local function each_detail(doc, fn)
  for _, step in ipairs(doc.steps) do
    for _, f in ipairs(step.findings) do
      if RANK[f.severity] > 0 then fn(step, f) end
    end
  end
end

-- Every finding.data.series ({label, values, unit} or a list of them), in report order.
local function series_of(doc)
  local out = {}
  for _, step in ipairs(doc.steps) do
    for _, f in ipairs(step.findings) do
      local s = type(f.data) == "table" and f.data.series
      if type(s) == "table" then
        if s.values then s = { s } end
        for _, one in ipairs(s) do
          if type(one) == "table" and type(one.values) == "table" then out[#out + 1] = one end
        end
      end
    end
  end
  return out
end

local function fmt_num(v)
  if math.type(v) == "integer" or v == math.floor(v) and math.abs(v) < 1e15 then
    return ("%d"):format(math.floor(v))
  end
  return ("%.1f"):format(v)
end

local function spark_lines(doc)
  local lines, width = {}, 0
  local all = series_of(doc)
  for _, s in ipairs(all) do width = math.max(width, utf8.len(tostring(s.label or "")) or 0) end
  for _, s in ipairs(all) do
    local line, lo, hi = term.sparkline(s.values, 60)
    if line then
      local label = tostring(s.label or "")
      local unit = s.unit and (" " .. s.unit) or ""
      lines[#lines + 1] = ("%s%s  %s  %s..%s%s"):format(label,
        (" "):rep(width - (utf8.len(label) or #label)), line, fmt_num(lo), fmt_num(hi), unit)
    end
  end
  return lines
end

-- text --------------------------------------------------------------------------------------

local function window_label(doc)
  local label = doc.window.label
  return time.parse_duration(label) and ("last " .. label) or label
end

local function painter(enabled)
  return function(level, words)
    if not enabled then return words end
    return ("\27[%sm%s\27[0m"):format(COLOR[level], words)
  end
end

local function pad(s, n)
  local len = utf8.len(s) or #s
  return s .. (" "):rep(math.max(0, n - len))
end

-- "suppressed: batch job, throttled on purpose (until 2027-01-31)"
local function suppressed_line(f)
  return ("suppressed: %s (until %s)"):format(clean(tostring(f.suppressed.reason)),
    clean(tostring(f.suppressed.expires)))
end

local function text_details(doc, out, paint)
  local first = true
  each_detail(doc, function(step, f)
    if first then
      out[#out + 1] = ""
      out[#out + 1] = "Details"
      first = false
    end
    out[#out + 1] = ""
    out[#out + 1] = ("%s %s: %s"):format(paint(f.severity, LABEL[f.severity]),
      clean(step.title), clean(f.title))
    for _, e in ipairs(f.evidence) do out[#out + 1] = "  - " .. clean(e, "\n    ") end
    if not is_null(f.why) then out[#out + 1] = "  why: " .. clean(f.why) end
    if not is_null(f.fix) then
      if not is_null(f.fix.explain) then out[#out + 1] = "  fix: " .. clean(f.fix.explain) end
      for _, c in ipairs(f.fix.commands) do out[#out + 1] = "    $ " .. clean(c, "\n      ") end
      if not is_null(f.fix.changes) then
        out[#out + 1] = "  changes: " .. clean(f.fix.changes)
      end
    end
    if not is_null(f.confidence) then out[#out + 1] = "  confidence: " .. f.confidence end
    if f.suppressed then out[#out + 1] = "  " .. suppressed_line(f) end
  end)
end

function M.text(doc, color)
  local paint = painter(color)
  local out = { M.verdict_line(doc) }
  out[#out + 1] = ("window: %s (%s to %s)"):format(window_label(doc), doc.window.start,
    doc.window["end"])
  out[#out + 1] = ""
  local width = 0
  for _, step in ipairs(doc.steps) do width = math.max(width, utf8.len(step.title) or 0) end
  for _, step in ipairs(doc.steps) do
    local f = top(step)
    local more = #step.findings > 1 and (" (+%d more)"):format(#step.findings - 1) or ""
    if f.suppressed then more = " [suppressed]" .. more end
    out[#out + 1] = ("%s  %s  %s%s"):format(paint(step.status, pad(LABEL[step.status], 5)),
      pad(clean(step.title), width), clean(f.title), more)
  end
  local sparks = spark_lines(doc)
  if #sparks > 0 then
    out[#out + 1] = ""
    out[#out + 1] = "Over the " .. window_label(doc)
    for _, l in ipairs(sparks) do out[#out + 1] = "  " .. l end
  end
  text_details(doc, out, paint)
  return table.concat(out, "\n") .. "\n"
end

-- markdown ----------------------------------------------------------------------------------

local function cell(s)
  return (clean(tostring(s)):gsub("|", "\\|"))
end

local function fence(lines, lang)
  local longest, body = 2, {}
  for i, l in ipairs(lines) do
    body[i] = clean(l, "\n")
    for ticks in l:gmatch("`+") do longest = math.max(longest, #ticks) end
  end
  local f = ("`"):rep(longest + 1)
  return f .. (lang or "") .. "\n" .. table.concat(body, "\n") .. "\n" .. f
end

local function md_details(doc, out)
  each_detail(doc, function(step, f)
    out[#out + 1] = ("### %s %s: %s"):format(LABEL[f.severity], cell(step.title), cell(f.title))
    out[#out + 1] = ""
    if #f.evidence > 0 then
      out[#out + 1] = "**Evidence**"
      out[#out + 1] = ""
      out[#out + 1] = fence(f.evidence)
      out[#out + 1] = ""
    end
    if not is_null(f.why) then out[#out + 1] = "**Why it matters:** " .. cell(f.why); out[#out + 1] = "" end
    if not is_null(f.fix) then
      if not is_null(f.fix.explain) then
        out[#out + 1] = "**Fix:** " .. cell(f.fix.explain)
        out[#out + 1] = ""
      end
      if #f.fix.commands > 0 then out[#out + 1] = fence(f.fix.commands, "sh"); out[#out + 1] = "" end
      if not is_null(f.fix.changes) then
        out[#out + 1] = "**Changes:** " .. cell(f.fix.changes)
        out[#out + 1] = ""
      end
    end
    if not is_null(f.confidence) then
      out[#out + 1] = "**Confidence:** " .. f.confidence
      out[#out + 1] = ""
    end
    if f.suppressed then
      out[#out + 1] = "*" .. cell(suppressed_line(f)) .. "*"
      out[#out + 1] = ""
    end
  end)
end

function M.markdown(doc)
  local fn = doc["function"]
  local out = { "## Triage: " .. subject(doc), "", "**" .. counts_text(doc) .. "** — "
    .. (doc.verdict.headline or doc.verdict.summary), "" }
  out[#out + 1] = ("- function: `%s`"):format(is_null(fn.arn) and fn.name or fn.arn)
  out[#out + 1] = ("- window: %s to %s (%s)"):format(doc.window.start, doc.window["end"],
    doc.window.label)
  out[#out + 1] = ("- tool: runbook %s, report schema %d"):format(doc.version, doc.schema_version)
  out[#out + 1] = ""
  out[#out + 1] = "| Step | Status | Finding |"
  out[#out + 1] = "|---|---|---|"
  for _, step in ipairs(doc.steps) do
    local f = top(step)
    out[#out + 1] = ("| %s | %s | %s%s |"):format(cell(step.title), LABEL[step.status],
      cell(f.title), f.suppressed and " [suppressed]" or "")
  end
  out[#out + 1] = ""
  local sparks = spark_lines(doc)
  if #sparks > 0 then
    out[#out + 1] = fence(sparks)
    out[#out + 1] = ""
  end
  local has_details = false
  each_detail(doc, function() has_details = true end)
  if has_details then
    out[#out + 1] = "## Details"
    out[#out + 1] = ""
    md_details(doc, out)
  end
  while out[#out] == "" do out[#out] = nil end
  return table.concat(out, "\n") .. "\n"
end

-- choosing ---------------------------------------------------------------------------------

--- Colour only on a terminal, never with NO_COLOR or --no-color.
function M.use_color(opts)
  return term.use_color(opts.no_color)
end

--- The document in the chosen format (opts.format, opts.no_color): string
function M.render(doc, opts)
  if opts.format == "json" then
    return assert(json.encode(doc, { pretty = true })) .. "\n"
  elseif opts.format == "markdown" then
    return M.markdown(doc)
  elseif opts.format == "junit" then
    return junit.render({ doc }, opts.fail_on or "fail")
  elseif opts.format == "sarif" then
    return sarif.render({ doc })
  elseif opts.format == "html" then
    return html.render(doc) -- a single report or a fleet document (kind "fleet")
  end
  return M.text(doc, opts.output == nil and M.use_color(opts))
end

--- Writes the rendered report (a string, or a list of strings written in turn, never
--- joined) where it goes: opts.output (atomically) or stdout.
--- -> true | nil, "cannot write FILE: reason"
function M.emit(rendered, opts)
  if opts.output then return term.write_file(opts.output, rendered) end
  if type(rendered) == "table" then
    for _, part in ipairs(rendered) do io.stdout:write(part) end
  else
    io.stdout:write(rendered)
  end
  return true
end

return M
