--- triage.fleet.store: a function's report kept as compact JSON text with a small summary.
--
-- A fleet of a thousand functions would otherwise hold a thousand report documents as Lua
-- tables until the end (tens of megabytes). Each report is encoded once, when its
-- function is done; the fleet keeps the text and what the table, the sort and the exit
-- code need (an *entry*). The JSON rendering splices the texts; the other renderings
-- decode one report at a time, or all of them for the formats that need every report at
-- once (JUnit, SARIF, HTML).
local finding = require("triage.finding")
local json = require("runbook.json")

local M = {}

local RANK = finding.RANK

-- The title of the first finding at the report's worst status (the table's last column).
local function first_title(doc)
  for _, step in ipairs(doc.steps) do
    if step.status == doc.verdict.status then
      for _, f in ipairs(step.findings) do
        if f.severity == step.status then return f.title end
      end
    end
  end
  return doc.verdict.headline or doc.verdict.summary or ""
end

-- The highest rank among the report's findings that no suppression matched.
local function worst_unsuppressed(doc)
  local worst = 0
  for _, step in ipairs(doc.steps) do
    for _, f in ipairs(step.findings) do
      if not f.suppressed then worst = math.max(worst, RANK[f.severity] or 0) end
    end
  end
  return worst
end

local function nullable(v)
  if v == nil or v == json.null then return nil end
  return v
end

--- The entry of a single-function report document.
function M.entry(doc)
  local fn = doc["function"]
  return {
    text = assert(json.encode(doc)),
    status = doc.verdict.status, account = nullable(fn.account), region = fn.region,
    name = fn.name, arn = nullable(fn.arn), mode = doc.mode, title = first_title(doc),
    worst = worst_unsuppressed(doc),
  }
end

--- The report document of an entry (decoded afresh each time).
function M.doc(entry)
  return assert(json.decode(entry.text))
end

--- Every entry's report document, in order (for the renderings that need them all).
function M.docs(entries)
  local out = {}
  for i, e in ipairs(entries) do out[i] = M.doc(e) end
  return out
end

return M
