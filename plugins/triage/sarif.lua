--- triage.sarif: report documents (docs/report-schema.md) as SARIF 2.1.0, for code
--- scanning dashboards.
--
-- Takes a list of per-function documents (a fleet is one run with more results): one
-- run, tool.driver "runbook" with one rule per step id and finding kind (the step id, plus
-- "/" and a stable kind from the finding's data when it has one), one result per
-- fail/error/warn/info finding (ok and skip are not results). The location is the
-- function: a logicalLocation of kind "function" named by its ARN; there is no source
-- file, so no physicalLocation. SARIF's `fixes` need file edits, so a finding's fix goes
-- in the result's properties. Pure: no I/O.
local json = require("runbook.json")

local M = {}

local LEVEL = { error = "error", fail = "error", warn = "warning", info = "note" }
-- keys of a finding's data that name its kind, in order of preference
local KIND_KEYS = { "kind", "code", "reason_code" }

local function is_null(v) return v == nil or v == json.null end

-- A string JSON can carry: bytes of invalid UTF-8 (a value from AWS) become "?".
local function utf(s)
  if type(s) ~= "string" or utf8.len(s) then return s end
  return (s:gsub("[\128-\255]", "?"))
end

local function utf_all(list)
  local out = {}
  for i, s in ipairs(list or {}) do out[i] = utf(s) end
  return json.array(out)
end

--- The rule id of a finding of a step: "step" or "step/kind".
function M.rule_id(step_id, f)
  local data = f.data
  if type(data) == "table" then
    for _, key in ipairs(KIND_KEYS) do
      local kind = data[key]
      if type(kind) == "string" and kind:match("^[%w_.:-]+$") and #kind <= 64 then
        return step_id .. "/" .. kind
      end
    end
  end
  return step_id
end

local function location(doc)
  local fn = doc["function"]
  local logical = { kind = "function", name = fn.name }
  logical.fullyQualifiedName = utf(is_null(fn.arn) and fn.name or fn.arn)
  return { logicalLocations = json.array({ logical }) }
end

local function properties(step, f)
  local props = { severity = f.severity, step = step.id, evidence = utf_all(f.evidence) }
  if not is_null(f.why) then props.why = utf(f.why) end
  if not is_null(f.confidence) then props.confidence = f.confidence end
  if not is_null(f.fix) then
    props.fix = { explain = utf(f.fix.explain), commands = utf_all(f.fix.commands) }
  end
  return props
end

--- A SARIF 2.1.0 log (a Lua table, encoded by the caller) for a list of documents.
function M.log(docs)
  local rules, index, results = {}, {}, {}
  local version = docs[1] and docs[1].version or "0"
  for _, doc in ipairs(docs) do
    for _, step in ipairs(doc.steps) do
      for _, f in ipairs(step.findings) do
        local level = LEVEL[f.severity]
        if level then
          local id = M.rule_id(step.id, f)
          if not index[id] then
            rules[#rules + 1] = { id = id, name = step.id,
                                  shortDescription = { text = utf(step.title) } }
            index[id] = #rules - 1
          end
          results[#results + 1] = {
            ruleId = id, ruleIndex = index[id], level = level,
            message = { text = utf(f.title) },
            locations = json.array({ location(doc) }),
            properties = properties(step, f),
          }
          if type(f.suppressed) == "table" then -- accepted by the team (docs/suppressions.md)
            results[#results].suppressions = json.array({ { kind = "external",
              justification = utf(tostring(f.suppressed.reason)) } })
          end
        end
      end
    end
  end
  return {
    ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
    version = "2.1.0",
    runs = json.array({ {
      tool = { driver = { name = "runbook", version = version, rules = json.array(rules) } },
      results = json.array(results),
    } }),
  }
end

--- The SARIF log as pretty JSON text. -> string
function M.render(docs)
  return assert(json.encode(M.log(docs), { pretty = true })) .. "\n"
end

return M
