--- triage.junit: report documents (docs/report-schema.md) as JUnit XML, for CI.
--
-- Takes a list of per-function documents so a fleet run renders the same way as one
-- function: one <testsuite> per function, one <testcase> per step (classname = the
-- function ARN or name, name = the step id), a <failure> per finding at or above
-- --fail-on (message = title, text = evidence and fix), <skipped/> for a skipped step.
-- Every value may come from AWS, so each one is escaped and stripped of the characters
-- XML 1.0 cannot carry. Pure: no I/O.
local finding = require("triage.finding")
local json = require("runbook.json")

local M = {}

local RANK = finding.RANK

local function is_null(v) return v == nil or v == json.null end

--- Text safe in XML content and attributes: escaped, control characters and invalid
--- UTF-8 bytes replaced by "?".
function M.escape(s)
  s = tostring(s)
  if not utf8.len(s) then s = s:gsub("[\128-\255]", "?") end
  s = s:gsub("[%z\1-\8\11\12\14-\31\127]", "?")
  return (s:gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
                               ['"'] = "&quot;", ["'"] = "&apos;" }))
end
local esc = M.escape

local function subject(doc)
  local fn = doc["function"]
  if not is_null(fn.arn) then return fn.arn end
  if not is_null(fn.qualifier) then return fn.name .. ":" .. fn.qualifier end
  return fn.name
end

-- The <failure> body: evidence lines, why, then the fix's explanation and commands.
local function failure_text(f)
  local lines = {}
  for _, e in ipairs(f.evidence or {}) do lines[#lines + 1] = "evidence: " .. tostring(e) end
  if not is_null(f.why) then lines[#lines + 1] = "why: " .. tostring(f.why) end
  if not is_null(f.fix) then
    if not is_null(f.fix.explain) then lines[#lines + 1] = "fix: " .. tostring(f.fix.explain) end
    for _, c in ipairs(f.fix.commands or {}) do lines[#lines + 1] = "  $ " .. tostring(c) end
  end
  return table.concat(lines, "\n")
end

local function failing(f, fail_on)
  return f.severity ~= "skip" and not f.suppressed and RANK[f.severity] >= RANK[fail_on]
end

--- JUnit XML for a list of report documents; fail_on as --fail-on. -> string
function M.render(docs, fail_on)
  local suites, total, failed, skipped = {}, 0, 0, 0
  for _, doc in ipairs(docs) do
    local name = subject(doc)
    local cases, n_fail, n_skip = {}, 0, 0
    for _, step in ipairs(doc.steps) do
      local body = {}
      for _, f in ipairs(step.findings) do
        if failing(f, fail_on) then
          body[#body + 1] = ('      <failure message="%s" type="%s">%s</failure>'):format(
            esc(f.title), esc(f.severity), esc(failure_text(f)))
        end
      end
      if #body > 0 then
        n_fail = n_fail + 1
      elseif step.status == "skip" then
        n_skip = n_skip + 1
        local why = step.findings[1] and step.findings[1].title or "skipped"
        body[1] = ('      <skipped message="%s"/>'):format(esc(why))
      end
      local open = ('    <testcase classname="%s" name="%s" time="%.3f"'):format(
        esc(name), esc(step.id), (step.duration_ms or 0) / 1000)
      if #body == 0 then
        cases[#cases + 1] = open .. "/>"
      else
        cases[#cases + 1] = open .. ">\n" .. table.concat(body, "\n") .. "\n    </testcase>"
      end
    end
    total, failed, skipped = total + #doc.steps, failed + n_fail, skipped + n_skip
    suites[#suites + 1] = ('  <testsuite name="%s" tests="%d" failures="%d" errors="0"'
      .. ' skipped="%d" time="%.3f">\n%s\n  </testsuite>'):format(esc(name), #doc.steps,
      n_fail, n_skip, (doc.duration_ms or 0) / 1000, table.concat(cases, "\n"))
  end
  return ('<?xml version="1.0" encoding="UTF-8"?>\n'
    .. '<testsuites name="runbook triage" tests="%d" failures="%d" errors="0" skipped="%d">\n'
    .. '%s\n</testsuites>\n'):format(total, failed, skipped, table.concat(suites, "\n"))
end

return M
