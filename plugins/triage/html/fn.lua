--- triage.html.fn: one function's report (docs/report-schema.md) as a section of HTML.
--
-- What the section holds, top to bottom: the function and its verdict, the charts of its
-- series (Duration against the timeout, Errors, Throttles, Invocations; changes and the
-- onset the changes step found marked on each), one row per step, then every finding
-- above ok and skip with its evidence, why, fix (explanation, changes, the exact commands,
-- the plan's calls, the checks) and its suppression. Every value may come from AWS (a
-- function name, a log line, a tag): each passes through the escape function given.
-- Pure: no I/O.
local chart = require("triage.html.chart")
local finding = require("triage.finding")
local json = require("runbook.json")
local time = require("lib.time")

local M = {}

local RANK, LABEL = finding.RANK, finding.LABEL

local function is_null(v) return v == nil or v == json.null end

-- A status as a CSS class and a badge; unknown values become "skip" (they come from a
-- document that may have been edited or merged).
local function sev(s) return RANK[s] and s or "skip" end
local function badge(s) return ('<span class="badge %s">%s</span>'):format(sev(s), LABEL[sev(s)]) end

--- The id of a function's section: letters, digits, - and _ only; `n` keeps it unique.
function M.anchor(doc, n)
  local fn = doc["function"] or {}
  local parts = { "fn", is_null(fn.account) and "x" or tostring(fn.account),
                  tostring(fn.region or "x"), tostring(fn.name or "x") }
  if not is_null(fn.qualifier) then parts[#parts + 1] = tostring(fn.qualifier) end
  local id = table.concat(parts, "-"):gsub("[^%w_-]", "_")
  if n and n > 1 then id = id .. "-" .. n end
  return id
end

--- The finding that speaks for the report: the worst unsuppressed one, the first among
--- equals (the fleet table's last column). -> finding | nil
function M.top_finding(doc)
  local best
  for _, step in ipairs(doc.steps or {}) do
    for _, f in ipairs(step.findings or {}) do
      if not f.suppressed and (not best or (RANK[f.severity] or 0) > (RANK[best.severity] or 0)) then
        best = f
      end
    end
  end
  return best
end

-- markers --------------------------------------------------------------------------------

-- "2026-11-27T02:41:07Z UpdateFunctionCode by arn:...: ..." (the changes step's evidence)
local CHANGE_LINE = "^(%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ) (%u%a+) by (%S+)"

--- Change markers from the changes step: the likely cause (data.change), a modification
--- before the onset (data.modified), the onset (data.onset) and the changes listed in its
--- evidence. -> {{time, label, kind}...}
function M.markers(doc)
  local out, seen = {}, {}
  local function add(iso, label, kind)
    local t = type(iso) == "string" and time.parse_iso(iso)
    if t and not seen[t .. kind] then
      seen[t .. kind] = true
      out[#out + 1] = { time = t, label = label, kind = kind }
    end
  end
  for _, step in ipairs(doc.steps or {}) do
    if step.id == "changes" then
      for _, f in ipairs(step.findings or {}) do
        local data = type(f.data) == "table" and f.data or {}
        if type(data.change) == "table" then
          add(data.change.time, ("%s %s by %s"):format(tostring(data.change.time),
            tostring(data.change.names or "change"), tostring(data.change.who or "?")), "change")
        end
        if type(data.modified) == "string" then
          add(data.modified, data.modified .. " modified", "change")
        end
        if type(data.onset) == "table" then
          add(data.onset.time, ("%s onset of %s"):format(tostring(data.onset.time),
            tostring(data.onset.kind or "failure")), "onset")
        end
        for _, e in ipairs(f.evidence or {}) do
          local iso = type(e) == "string" and e:match(CHANGE_LINE)
          if iso then add(iso, e, "change") end
        end
      end
    end
  end
  table.sort(out, function(a, b) return a.time < b.time end)
  return out
end

-- charts ---------------------------------------------------------------------------------

local function window_of(doc)
  local w = doc.window or {}
  return time.parse_iso(tostring(w.start)), time.parse_iso(tostring(w["end"]))
end

-- The charts the report's series allow, as <figure>s; "" when it carries none.
local function charts(doc, esc)
  local series = type(doc.series) == "table" and doc.series or {}
  local start, finish = window_of(doc)
  if not start or not finish or not next(series) then return "" end
  local marks = M.markers(doc)
  local figures = {}
  local function figure(key, title, unit, threshold)
    local s = series[key]
    if type(s) ~= "table" or type(s.points) ~= "table" then return end
    figures[#figures + 1] = ("<figure>%s<figcaption>%s</figcaption></figure>"):format(
      chart.svg({ title = title, unit = unit, series = s, start = start, finish = finish,
                  threshold = threshold, markers = marks }, esc), esc(title))
  end
  local keys = {}
  for key in pairs(series) do keys[#keys + 1] = tostring(key) end
  table.sort(keys)
  for _, key in ipairs(keys) do
    local stat = key:match("^Duration:(.+)$")
    if stat then
      local timeout = tonumber(doc.timeout_s)
      figure(key, ("Duration %s (ms)"):format(stat), "ms", timeout and
        { value = timeout * 1000, label = ("timeout %s"):format(chart.format(timeout * 1000, "ms")) })
    end
  end
  figure("Errors:Sum", "Errors", nil)
  figure("Throttles:Sum", "Throttles", nil)
  figure("Invocations:Sum", "Invocations", nil)
  if #figures == 0 then return "" end
  local legend = '<p class="legend">'
  local kinds = {}
  for _, m in ipairs(marks) do kinds[m.kind] = true end
  if kinds.change then
    legend = legend .. '<i style="border-color:var(--warn)"></i>a change (CloudTrail)'
  end
  if kinds.onset then
    legend = legend .. '<i style="border-color:var(--error);border-top-style:dotted"></i>'
      .. "onset of the failure"
  end
  if tonumber(doc.timeout_s) then
    legend = legend .. '<i style="border-color:var(--fail);border-top-style:dashed"></i>timeout'
  end
  return '<div class="charts">' .. table.concat(figures) .. "</div>" .. legend .. "</p>"
end

-- findings -------------------------------------------------------------------------------

local function compact(v)
  return json.encode(v) or "?"
end

local function plan_html(plan, esc)
  local items = {}
  for _, call in ipairs(plan) do
    if type(call) == "table" then
      local line = ("<code>%s %s</code>"):format(esc(call.service or "?"), esc(call.operation or "?"))
      if type(call.before) == "table" or type(call.after) == "table" then
        line = line .. (": <code>%s</code> &rarr; <code>%s</code>"):format(
          esc(compact(call.before or json.null)), esc(compact(call.after or json.null)))
      end
      line = line .. (type(call.undo) == "table" and ' <span class="tag">reversible</span>'
        or ' <span class="tag">no undo</span>')
      items[#items + 1] = "<li>" .. line .. "</li>"
    end
  end
  if #items == 0 then return "" end
  return "<p><b>Plan</b> (the calls, in order):</p><ol class=\"plan\">" .. table.concat(items)
    .. "</ol>"
end

local function fix_html(fix, esc)
  if is_null(fix) or type(fix) ~= "table" then return "" end
  local out = { '<div class="fix">' }
  if not is_null(fix.explain) then out[#out + 1] = "<p><b>Fix:</b> " .. esc(fix.explain) .. "</p>" end
  if not is_null(fix.changes) then
    out[#out + 1] = "<p><b>Changes:</b> " .. esc(fix.changes) .. "</p>"
  end
  if type(fix.commands) == "table" and #fix.commands > 0 then
    local lines = {}
    for i, c in ipairs(fix.commands) do lines[i] = "$ " .. esc(c) end
    out[#out + 1] = '<pre class="cmd">' .. table.concat(lines, "\n") .. "</pre>"
  end
  if type(fix.plan) == "table" then out[#out + 1] = plan_html(fix.plan, esc) end
  if type(fix.verify) == "table" and #fix.verify > 0 then
    local checks = {}
    for _, v in ipairs(fix.verify) do
      if type(v) == "table" then
        checks[#checks + 1] = "<li>" .. esc(v.what or (v.step and ("step " .. v.step .. " clears"))
          or "?") .. "</li>"
      end
    end
    out[#out + 1] = "<p><b>Verified by:</b></p><ul>" .. table.concat(checks) .. "</ul>"
  end
  if not is_null(fix.manual) then
    out[#out + 1] = '<p><span class="tag">manual</span> ' .. esc(fix.manual) .. "</p>"
  end
  if type(fix.outcome) == "table" then
    out[#out + 1] = ("<p><b>Outcome:</b> %s%s</p>"):format(esc(fix.outcome.status or "?"),
      is_null(fix.outcome.verdict) and "" or (" — " .. esc(fix.outcome.verdict)))
  end
  out[#out + 1] = "</div>"
  return table.concat(out)
end

local function finding_html(step, f, id, esc)
  local s = sev(f.severity)
  local out = { ('<article class="finding sev %s%s" id="%s">'):format(s,
    f.suppressed and " suppressed" or "", id) }
  out[#out + 1] = ("<h3>%s %s: %s%s</h3>"):format(badge(s), esc(step.title or step.id or "?"),
    esc(f.title or ""), f.suppressed and ' <span class="tag">suppressed</span>' or "")
  if type(f.suppressed) == "table" then
    out[#out + 1] = ('<p class="suppressed-note">suppressed: %s (until %s) — not counted in the '
      .. "verdict or the exit code</p>"):format(esc(f.suppressed.reason or "?"),
      esc(f.suppressed.expires or "?"))
  end
  if type(f.evidence) == "table" and #f.evidence > 0 then
    local items = {}
    for i, e in ipairs(f.evidence) do items[i] = "<li><pre>" .. esc(e) .. "</pre></li>" end
    out[#out + 1] = '<p><b>Evidence</b></p><ul class="evidence">' .. table.concat(items) .. "</ul>"
  end
  if not is_null(f.why) then out[#out + 1] = "<p><b>Why it matters:</b> " .. esc(f.why) .. "</p>" end
  out[#out + 1] = fix_html(f.fix, esc)
  if not is_null(f.confidence) then
    out[#out + 1] = '<p class="meta">confidence: ' .. esc(f.confidence) .. "</p>"
  end
  out[#out + 1] = "</article>"
  return table.concat(out)
end

-- the section ----------------------------------------------------------------------------

local function counts_text(doc)
  local parts, counts = {}, (doc.verdict or {}).counts or {}
  for _, level in ipairs(finding.ORDER) do
    local n = tonumber(counts[level]) or 0
    if n > 0 then parts[#parts + 1] = ("%d %s"):format(n, LABEL[level]) end
  end
  if (tonumber(counts.suppressed) or 0) > 0 then
    parts[#parts + 1] = ("%d suppressed"):format(counts.suppressed)
  end
  return table.concat(parts, ", ")
end

--- The function's name as shown: "name:qualifier (region)".
function M.subject(doc)
  local fn = doc["function"] or {}
  return ("%s%s (%s)"):format(tostring(fn.name or "?"),
    is_null(fn.qualifier) and "" or (":" .. tostring(fn.qualifier)), tostring(fn.region or "?"))
end

--- The verdict block of one report.
function M.verdict(doc, esc)
  local v = doc.verdict or {}
  local status = sev(v.status)
  local fn = doc["function"] or {}
  local out = { ('<div class="verdict %s">'):format(status),
    ("<div>%s <b>%s</b></div>"):format(badge(status), esc(counts_text(doc))),
    ('<p class="headline">%s</p>'):format(esc(v.headline or v.summary or "")) }
  local facts = {}
  if not is_null(fn.arn) then facts[#facts + 1] = "<code>" .. esc(fn.arn) .. "</code>" end
  if doc.mode == "config" then
    facts[#facts + 1] = "configuration checks only: the metrics showed no symptom"
  end
  if tonumber(doc.timeout_s) then facts[#facts + 1] = ("timeout %s s"):format(esc(doc.timeout_s)) end
  if #facts > 0 then out[#out + 1] = '<p class="meta">' .. table.concat(facts, " · ") .. "</p>" end
  out[#out + 1] = "</div>"
  return table.concat(out)
end

local function steps_table(doc, ids, esc)
  local rows = {}
  for i, step in ipairs(doc.steps or {}) do
    local f = (step.findings or {})[1] or { severity = step.status, title = "" }
    for _, g in ipairs(step.findings or {}) do
      if (RANK[g.severity] or 0) > (RANK[f.severity] or 0) then f = g end
    end
    local title = esc(f.title or "")
    if ids[i] then title = ('<a href="#%s">%s</a>'):format(ids[i], title) end
    local more = #(step.findings or {}) > 1 and (" (+%d more)"):format(#step.findings - 1) or ""
    rows[#rows + 1] = ('<tr class="sev %s"><td>%s</td><td>%s</td><td>%s%s%s</td></tr>'):format(
      sev(step.status), badge(step.status), esc(step.title or step.id or "?"), title,
      f.suppressed and ' <span class="tag">suppressed</span>' or "", more)
  end
  return '<table class="steps"><thead><tr><th>Status</th><th>Step</th><th>Finding</th></tr>'
    .. "</thead><tbody>" .. table.concat(rows) .. "</tbody></table>"
end

--- The body of one function's report: verdict, charts, steps, findings. `id` prefixes the
--- findings' anchors.
function M.body(doc, id, esc)
  local found, ids = {}, {}
  for i, step in ipairs(doc.steps or {}) do
    for j, f in ipairs(step.findings or {}) do
      if (RANK[f.severity] or 0) > 0 then
        local fid = ("%s-%s-%d"):format(id, (tostring(step.id or i):gsub("[^%w_-]", "_")), j)
        ids[i] = ids[i] or fid
        found[#found + 1] = { step = step, f = f, id = fid, n = #found + 1 }
      end
    end
  end
  -- worst first (an unsuppressed finding before a suppressed one), else in report order
  table.sort(found, function(a, b)
    local ra = (RANK[a.f.severity] or 0) * 2 + (a.f.suppressed and 0 or 1)
    local rb = (RANK[b.f.severity] or 0) * 2 + (b.f.suppressed and 0 or 1)
    if ra ~= rb then return ra > rb end
    return a.n < b.n
  end)
  local details = {}
  for i, x in ipairs(found) do details[i] = finding_html(x.step, x.f, x.id, esc) end
  local out = { M.verdict(doc, esc), charts(doc, esc), steps_table(doc, ids, esc) }
  if #details > 0 then
    out[#out + 1] = "<h3>Findings</h3>" .. table.concat(details)
  end
  return table.concat(out, "\n")
end

return M
