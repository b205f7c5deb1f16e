--- triage.fleet.report: the fleet document (docs/report-schema.md, "Fleet reports") and its
--- renderings.
--
-- The document holds one single-function report per function, unchanged but for `mode`
-- and `symptoms`, sorted worst first; the text and Markdown renderings are a table of one
-- line per function, then each failing function's own report. JUnit and SARIF take the
-- same per-function list as for one function (triage.junit, triage.sarif). `runbook merge`
-- builds the same document from shard reports (merge()). While it is built, the document's
-- `functions` are entries of triage.fleet.store (each report as JSON text and a summary),
-- decoded one at a time, or all at once for JUnit and SARIF.
local exit = require("triage.exit")
local finding = require("triage.finding")
local html = require("triage.html")
local json = require("runbook.json")
local junit = require("triage.junit")
local report = require("triage.report")
local sarif = require("triage.sarif")
local store = require("triage.fleet.store")
local time = require("lib.time")

local M = {}

local RANK = finding.RANK
local ORDER = { "error", "fail", "warn", "info", "ok", "skip" }
-- the table's order: worst first, a skipped function (nothing ran) after the healthy ones
local SORT = { error = 1, fail = 2, warn = 3, info = 4, skip = 6, ok = 5 }

local function sort_entries(entries)
  table.sort(entries, function(a, b)
    local sa, sb = SORT[a.status] or 9, SORT[b.status] or 9
    if sa ~= sb then return sa < sb end
    local ka = tostring(a.account) .. "\0" .. a.region .. "\0" .. a.name
    local kb = tostring(b.account) .. "\0" .. b.region .. "\0" .. b.name
    return ka < kb
  end)
  return entries
end

-- The fleet verdict over function entries and targets.
local function verdict_of(entries, targets)
  local counts, status, failing = {}, "ok", 0
  for _, level in ipairs(ORDER) do counts[level] = 0 end
  for _, d in ipairs(entries) do
    local s = d.status
    counts[s] = counts[s] + 1
    if RANK[s] > RANK[status] then status = s end
    if RANK[s] >= RANK.warn then failing = failing + 1 end
  end
  for _, t in ipairs(targets) do
    if t.status == "error" then status = "error" end
  end
  return { status = status, counts = counts, functions = #entries, failing = failing }
end

--- The fleet document from the finished targets (triage.fleet; their `docs` are store
--- entries) and meta {window, now, duration, shard}.
function M.build(done, meta)
  local docs, targets = {}, {}
  for _, t in ipairs(done) do
    targets[#targets + 1] = { account = t.account or json.null, region = t.region,
      status = t.status, functions = t.functions, error = t.error,
      errors = t.errors and json.array(t.errors) }
    for _, d in ipairs(t.docs or {}) do docs[#docs + 1] = d end
  end
  sort_entries(docs)
  local stats = require("runbook.core").stats()
  return {
    schema_version = 1, kind = "fleet", tool = "runbook",
    version = require("runbook.report").version,
    window = { start = time.iso(meta.window.start), ["end"] = time.iso(meta.window.finish),
               seconds = meta.window.seconds, label = meta.window.label },
    reference_time = time.iso(meta.now),
    verdict = verdict_of(docs, targets),
    targets = json.array(targets), functions = json.array(docs),
    shard = meta.shard,
    duration_ms = math.floor((meta.duration or 0) * 1000 + 0.5),
    api = { calls = stats.calls, shared = stats.shared, attempts = stats.attempts,
            retries = stats.retries, throttles = stats.throttles },
  }
end

--- One fleet document from several (shards' fleet documents or single-function reports):
--- doc | nil, message. Reports of another window are accepted; the first one's is kept.
function M.merge(parts)
  if #parts == 0 then return nil, "nothing to merge: give the JSON reports to combine" end
  local docs, targets, first = {}, {}, parts[1]
  local seen = {}
  for _, p in ipairs(parts) do
    local list = p.kind == "fleet" and p.functions or { p }
    for _, d in ipairs(list) do
      local e = store.entry(d)
      local key = tostring(e.account) .. "/" .. e.region .. "/" .. e.name
      if not seen[key] then -- a function in two shards' reports is counted once
        seen[key] = true
        docs[#docs + 1] = e
      end
    end
    for _, t in ipairs(p.targets or {}) do targets[#targets + 1] = t end
  end
  sort_entries(docs)
  local duration, calls = 0, { calls = 0, shared = 0, attempts = 0, retries = 0, throttles = 0 }
  for _, p in ipairs(parts) do
    duration = math.max(duration, p.duration_ms or 0)
    for k in pairs(calls) do calls[k] = calls[k] + ((p.api or {})[k] or 0) end
  end
  local window = first.window
  return {
    schema_version = 1, kind = "fleet", tool = "runbook", version = first.version,
    window = window, reference_time = first.reference_time,
    verdict = verdict_of(docs, targets), targets = json.array(targets),
    functions = json.array(docs), merged = #parts, duration_ms = duration, api = calls,
  }
end

-- text ----------------------------------------------------------------------------------------

local function clean(s)
  return (tostring(s):gsub("[%z\1-\31\127]", "?"))
end

local function pad(s, n)
  local len = utf8.len(s) or #s
  return s .. (" "):rep(math.max(0, n - len))
end

local function rows(doc)
  local out = {}
  for _, e in ipairs(doc.functions) do
    out[#out + 1] = { tostring(e.account or "-"), e.region, e.name,
      e.status:upper() .. (e.mode == "config" and "*" or ""), e.title }
  end
  return out
end

local function summary_line(doc)
  local v, parts = doc.verdict, {}
  for _, level in ipairs(ORDER) do
    if (v.counts[level] or 0) > 0 then parts[#parts + 1] = ("%d %s"):format(v.counts[level], level) end
  end
  local failed_targets = 0
  for _, t in ipairs(doc.targets) do
    if t.status == "error" then failed_targets = failed_targets + 1 end
  end
  return ("fleet: %d functions in %d targets: %s%s"):format(v.functions, #doc.targets,
    #parts > 0 and table.concat(parts, ", ") or "none",
    failed_targets > 0 and ("; %d targets could not be read"):format(failed_targets) or "")
end

local function failing(e) return RANK[e.status] >= RANK.warn end

function M.text(doc, color)
  local out = { summary_line(doc), ("window: %s (%s to %s)"):format(doc.window.label,
    doc.window.start, doc.window["end"]) }
  for _, t in ipairs(doc.targets) do
    if t.status == "error" then
      out[#out + 1] = ("target %s %s: %s"):format(tostring(t.account ~= json.null and t.account or "-"),
        t.region, clean(t.error))
    end
  end
  out[#out + 1] = ""
  local header = { "ACCOUNT", "REGION", "FUNCTION", "VERDICT", "FINDING" }
  local all = rows(doc)
  local width = {}
  for i, h in ipairs(header) do width[i] = #h end
  for _, r in ipairs(all) do
    for i = 1, 4 do width[i] = math.max(width[i], utf8.len(clean(r[i])) or #r[i]) end
  end
  local function line(r)
    return ("%s  %s  %s  %s  %s"):format(pad(clean(r[1]), width[1]), pad(clean(r[2]), width[2]),
      pad(clean(r[3]), width[3]), pad(clean(r[4]), width[4]), clean(r[5]))
  end
  out[#out + 1] = line(header)
  for _, r in ipairs(all) do out[#out + 1] = line(r) end
  out[#out + 1] = ""
  out[#out + 1] = "* config only: no symptom in the metrics, so logs, traces and CloudTrail "
    .. "were not read (--deep reads them)"
  for _, e in ipairs(doc.functions) do
    if failing(e) then
      out[#out + 1] = ""
      out[#out + 1] = ("== %s"):format(clean(e.arn or e.name))
      out[#out + 1] = report.text(store.doc(e), color)
    end
  end
  return table.concat(out, "\n") .. "\n"
end

function M.markdown(doc)
  local out = { "# Fleet triage", "", summary_line(doc), "",
                "| account | region | function | verdict | finding |", "|---|---|---|---|---|" }
  local function cell(s) return (clean(s):gsub("|", "\\|")) end
  for _, r in ipairs(rows(doc)) do
    out[#out + 1] = ("| %s | %s | %s | %s | %s |"):format(cell(r[1]), cell(r[2]), cell(r[3]),
      cell(r[4]), cell(r[5]))
  end
  for _, t in ipairs(doc.targets) do
    if t.status == "error" then
      out[#out + 1] = ""
      out[#out + 1] = ("**target %s %s could not be read:** %s"):format(
        cell(t.account ~= json.null and t.account or "-"), cell(t.region), cell(t.error))
    end
  end
  for _, e in ipairs(doc.functions) do
    if failing(e) then
      out[#out + 1] = ""
      out[#out + 1] = report.markdown(store.doc(e))
    end
  end
  return table.concat(out, "\n") .. "\n"
end

-- The fleet document as JSON, as a list of parts: the head, then each function's kept text.
-- Encoding a thousand reports in one call, or joining the parts, would hold the whole
-- document again (as cJSON and as text) at once.
local PLACEHOLDER = "@@runbook:functions@@"

function M.json(doc)
  local functions = doc.functions
  doc.functions = PLACEHOLDER
  local head = assert(json.encode(doc, { pretty = true }))
  doc.functions = functions
  local key = '"functions": "' .. PLACEHOLDER .. '"'
  local at, stop = head:find(key, 1, true)
  local out = { head:sub(1, at - 1), '"functions": [' }
  for i, e in ipairs(functions) do
    out[#out + 1] = i == 1 and "\n    " or ",\n    "
    out[#out + 1] = e.text
  end
  out[#out + 1] = #functions > 0 and "\n  ]" or "]"
  out[#out + 1] = head:sub(stop + 1) .. "\n"
  return out -- parts: report.emit writes them one after another
end

--- The fleet document in opts.format.
function M.render(doc, opts)
  local f = opts.format
  if f == "json" then return M.json(doc) end
  if f == "markdown" then return M.markdown(doc) end
  if f == "junit" then return junit.render(store.docs(doc.functions), opts.fail_on or "fail") end
  if f == "sarif" then return sarif.render(store.docs(doc.functions)) end
  if f == "html" then -- each function's report decoded as its section is drawn
    return html.render(doc, { decode = store.doc, parts = true })
  end
  return M.text(doc, opts.output == nil and report.use_color(opts))
end

--- The exit code over the whole fleet (docs/exit-codes.md): 1 when an unsuppressed finding
--- is at or above fail_on; 5 (partial) when a target or a function could not be read
--- while others were; 3 when no target could be read at all; the strongest wins.
function M.exit_code(doc, fail_on, rank)
  local worst = 0
  for _, e in ipairs(doc.functions) do worst = math.max(worst, e.worst) end
  local failed, holes = 0, false
  for _, t in ipairs(doc.targets) do
    if t.status == "error" then failed = failed + 1 end
    if t.errors and #t.errors > 0 then holes = true end
  end
  local findings = worst >= rank[fail_on] and exit.FINDINGS or exit.OK
  if failed > 0 and failed == #doc.targets then return exit.combine(findings, exit.RUNTIME) end
  return exit.combine(findings, (failed > 0 or holes) and exit.PARTIAL or nil)
end

return M
