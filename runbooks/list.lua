--- list: every step discovery finds, with its title, tags, source file and which one wins.
--
--   runbook list [--steps EXPR] [--format text|json] [--plugins DIR]
--
-- Steps are found as a triage finds them (triage.catalog): every steps/*.lua of every
-- directory on the plugin path, in search order. A step id found twice is one step: the
-- first file wins and overrides the later ones, which are listed as overridden. `--steps`
-- takes the triage's expressions (triage.select) and lists what they would select among
-- every step found. Reads no AWS. Exit 0, or 2 on a usage error.
local argv = require("triage.argv")
local catalog = require("triage.catalog")
local json = require("runbook.json")
local selection = require("triage.select")
local text = require("lib.text")

local M = {}

M.usage = "usage: runbook list [--steps EXPR] [--format text|json]"

local function fail(fmt, ...)
  io.stderr:write("runbook list: ", fmt:format(...), "\n")
  return 2
end

--- The arguments: { steps = {EXPR...}, format } | nil, message.
function M.parse(args)
  return argv.parse(args, { usage = M.usage,
                            values = { ["--steps"] = "list", ["--format"] = "string" } })
end

--- The entries the expressions select (all when there are none): entries | nil, message.
function M.filter(cat, exprs)
  if #exprs == 0 then return cat.entries end
  local expr = table.concat(exprs, ",")
  local tree, problem = selection.parse(expr)
  if not tree then return nil, ("invalid --steps '%s': %s"):format(expr, problem) end
  local pool = {}
  for _, id in ipairs(cat.order) do
    local step = cat.by_id[id].step
    pool[#pool + 1] = { id = id, tags = step and type(step.tags) == "table" and step.tags or {} }
  end
  local ids, _, unknown = selection.select(tree, pool)
  if not ids then
    return nil, ("unknown step '%s' in --steps: no step id or tag matches it"):format(unknown)
  end
  local chosen, out = {}, {}
  for _, id in ipairs(ids) do chosen[id] = true end
  for _, e in ipairs(cat.entries) do
    if chosen[e.id] then out[#out + 1] = e end
  end
  return out
end

local function status(doc)
  if doc.error then return "[error: " .. doc.error .. "]" end
  if not doc.wins then return "[overridden by " .. tostring(doc.overridden_by) .. "]" end
  if #doc.overrides > 0 then return "[overrides " .. table.concat(doc.overrides, ", ") .. "]" end
  return ""
end

--- The text table: one line per step file, then a count.
function M.render_text(docs)
  local rows, width = {}, { 2, 5, 4 }
  for _, d in ipairs(docs) do
    local row = { d.id, d.title or "-", #d.tags > 0 and table.concat(d.tags, ", ") or "-",
                  d.source, status(d) }
    for c = 1, 3 do width[c] = math.max(width[c], #row[c]) end
    rows[#rows + 1] = row
  end
  local fmt = ("%%-%ds  %%-%ds  %%-%ds  %%s%%s\n"):format(width[1], width[2], width[3])
  local out = { fmt:format("ID", "TITLE", "TAGS", "SOURCE", "") }
  local steps, overridden = 0, 0
  for _, r in ipairs(rows) do
    out[#out + 1] = fmt:format(r[1], r[2], r[3], r[4], r[5] ~= "" and ("  " .. r[5]) or "")
  end
  for _, d in ipairs(docs) do
    if d.wins then steps = steps + 1 else overridden = overridden + 1 end
  end
  out[#out + 1] = ("%s%s\n"):format(text.plural(steps, "step"),
    overridden > 0 and (", %d overridden"):format(overridden) or "")
  return table.concat(out)
end

--- The JSON document: { steps = [ {id, title, tags, source, wins, overrides, ...} ] }.
function M.render_json(docs)
  local steps = {}
  for _, d in ipairs(docs) do
    d.tags, d.overrides = json.array(d.tags), json.array(d.overrides)
    steps[#steps + 1] = d
  end
  return assert(json.encode({ steps = json.array(steps) }, { pretty = true })) .. "\n"
end

function M.main(...)
  local opts, problem = M.parse(table.pack(...))
  if not opts then return fail("%s", problem) end
  if opts.help then
    io.stdout:write(M.usage, "\n\nLists every step found on the plugin path (--plugins, "
      .. "RUNBOOK_PATH, the built-ins),\nwhich file wins for each id, and what --steps EXPR "
      .. "selects (docs/writing-steps.md).\n")
    return 0
  end
  local entries, err = M.filter(catalog.scan(), opts.steps)
  if not entries then return fail("%s", err) end
  local docs = {}
  for _, e in ipairs(entries) do docs[#docs + 1] = catalog.describe(e) end
  io.stdout:write(opts.format == "json" and M.render_json(docs) or M.render_text(docs))
  return 0
end

return M.main(...)
