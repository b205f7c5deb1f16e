--- triage.html: a report document as one self-contained HTML page (`--format html`).
--
-- Takes either document the triage writes: a single function's report (no "kind") or a
-- fleet document ("kind": "fleet", docs/report-schema.md), and gives one HTML file that
-- needs nothing else: inline style and a small static script (triage.html.page), charts
-- drawn as inline SVG (triage.html.chart), so it works offline and as an e-mail
-- attachment. A fleet page opens with its verdict and a table of every function (worst
-- first; a click on a header sorts it) linking to each function's section
-- (triage.html.fn). Every value from AWS is untrusted: it is escaped for HTML text and
-- attributes here, and no script is ever built from data. Pure: no I/O.
local finding = require("triage.finding")
local fn = require("triage.html.fn")
local json = require("runbook.json")
local page = require("triage.html.page")
local text = require("lib.text")

local M = {}

local RANK, ORDER, LABEL = finding.RANK, finding.ORDER, finding.LABEL
-- the fleet table's order: worst first, a skipped function (nothing ran) after healthy ones
local SORT = { error = 1, fail = 2, warn = 3, info = 4, ok = 5, skip = 6 }

local function is_null(v) return v == nil or v == json.null end

local ENTITIES = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;",
                   ["'"] = "&#39;" }

--- Text safe in HTML content and in a quoted attribute: markup and quotes escaped, bytes of
--- invalid UTF-8 replaced by U+FFFD, control characters but tab and line breaks by "?".
function M.escape(s)
  s = text.utf8_clean(tostring(s))
  s = s:gsub("[%z\1-\8\11\12\14-\31\127]", "?")
  return (s:gsub("[&<>\"']", ENTITIES))
end
local esc = M.escape

local function sev(s) return RANK[s] and s or "skip" end

local function footer(doc)
  local w = doc.window or {}
  return esc(("runbook %s · report schema %s · window %s to %s (%s) · reference time %s")
    :format(tostring(doc.version or "?"), tostring(doc.schema_version or "?"),
      tostring(w.start or "?"), tostring(w["end"] or "?"), tostring(w.label or "?"),
      tostring(doc.reference_time or "?")))
end

local function window_line(doc)
  local w = doc.window or {}
  return ('<p class="meta">window %s: %s to %s</p>'):format(esc(w.label or "?"),
    esc(w.start or "?"), esc(w["end"] or "?"))
end

-- one function -----------------------------------------------------------------------------

local function single(doc)
  local id = fn.anchor(doc)
  local subject = fn.subject(doc)
  return table.concat({
    page.head(esc("runbook triage: " .. subject)),
    "<h1>Triage: " .. esc(subject) .. "</h1>",
    window_line(doc),
    page.filters(ORDER, LABEL),
    ('<section class="fn" id="%s">'):format(id),
    fn.body(doc, id, esc),
    "</section>",
    page.foot(footer(doc)),
  }, "\n")
end

-- a fleet ----------------------------------------------------------------------------------

local function fleet_verdict(doc)
  local v = doc.verdict or {}
  local counts, parts = v.counts or {}, {}
  for _, level in ipairs(ORDER) do
    local n = tonumber(counts[level]) or 0
    if n > 0 then parts[#parts + 1] = ("%d %s"):format(n, LABEL[level]) end
  end
  local targets, failed, read = doc.targets or {}, {}, {}
  for _, t in ipairs(targets) do
    local where = ("%s %s"):format(is_null(t.account) and "-" or tostring(t.account),
      tostring(t.region or "?"))
    if t.status == "error" then
      failed[#failed + 1] = ("<li>%s: %s</li>"):format(esc(where), esc(t.error or "?"))
    else
      read[#read + 1] = esc(("%s (%s)"):format(where, tostring(t.functions or 0)))
    end
  end
  local status = sev(v.status)
  local out = { ('<div class="verdict %s">'):format(status),
    ('<div><span class="badge %s">%s</span> <b>%s</b></div>'):format(status, LABEL[status],
      esc(#parts > 0 and table.concat(parts, ", ") or "no functions")),
    ('<p class="headline">%s of %s functions in %s %s need attention</p>'):format(
      esc(v.failing or 0), esc(v.functions or #(doc.functions or {})), esc(#targets),
      #targets == 1 and "target" or "targets") }
  if doc.shard then
    out[#out + 1] = ('<p class="meta">shard %s of %s</p>'):format(esc(doc.shard.index or "?"),
      esc(doc.shard.count or "?"))
  end
  if #read > 0 then
    out[#out + 1] = '<p class="meta">targets read (functions): ' .. table.concat(read, ", ")
      .. "</p>"
  end
  if #failed > 0 then
    out[#out + 1] = "<p><b>Targets that could not be read:</b></p><ul>" .. table.concat(failed)
      .. "</ul>"
  end
  out[#out + 1] = "</div>"
  return table.concat(out)
end

-- What the table and the order need of one function: from its report, or from a fleet
-- store entry (triage.fleet.store; opts.decode given), whose report is decoded only when
-- its section is written, so a large fleet is never held decoded all at once.
local function summary(d, decode)
  if decode then
    return { status = d.status, account = d.account, region = d.region, name = d.name,
             mode = d.mode, title = d.title, entry = d }
  end
  local f = d["function"] or {}
  local top = fn.top_finding(d)
  return { status = (d.verdict or {}).status, account = not is_null(f.account) and f.account
             or nil, region = f.region, name = f.name,
           qualifier = not is_null(f.qualifier) and f.qualifier or nil, mode = d.mode,
           title = top and top.title or "", doc = d }
end

-- The functions worst first, then by account, region and name (the document's order).
local function sorted(functions, decode)
  local list = {}
  for i, d in ipairs(functions) do
    list[i] = summary(d, decode)
    list[i].i = i
  end
  local function key(x)
    return ("%s\0%s\0%s"):format(tostring(x.account or ""), tostring(x.region or ""),
      tostring(x.name or ""))
  end
  table.sort(list, function(a, b)
    local sa, sb = SORT[a.status] or 9, SORT[b.status] or 9
    if sa ~= sb then return sa < sb end
    local ka, kb = key(a), key(b)
    if ka ~= kb then return ka < kb end
    return a.i < b.i
  end)
  return list
end

local COLUMNS = { { "account", "Account" }, { "region", "Region" }, { "function", "Function" },
                  { "verdict", "Verdict" }, { "finding", "Finding" } }

local function fleet_table(list, ids)
  local head = {}
  for i, c in ipairs(COLUMNS) do
    head[i] = ('<th data-col="%s" aria-sort="%s"><button type="button">%s</button></th>'):format(
      c[1], c[1] == "verdict" and "ascending" or "none", c[2])
  end
  local rows = {}
  for i, x in ipairs(list) do
    local status = sev(x.status)
    local name = tostring(x.name or "?") .. (x.qualifier and (":" .. tostring(x.qualifier)) or "")
    rows[i] = ('<tr class="sev %s" data-i="%d"><td>%s</td><td>%s</td><td><a href="#%s">%s</a>%s'
      .. '</td><td data-sort="%s"><span class="badge %s">%s</span></td><td>%s</td></tr>'):format(
      status, i, esc(x.account or "-"), esc(x.region or "?"), ids[i], esc(name),
      x.mode == "config" and ' <span class="tag" title="configuration checks only">'
        .. "config</span>" or "", status, status, LABEL[status], esc(x.title or ""))
  end
  return '<p><input type="search" class="search" hidden placeholder="search the functions"'
    .. ' aria-label="search the functions" data-table="functions" data-count="functions-shown">'
    .. ' <span class="meta" id="functions-shown"></span></p>'
    .. '<table class="sortable fleet" id="functions"><thead><tr>' .. table.concat(head)
    .. "</tr></thead><tbody>" .. table.concat(rows) .. "</tbody></table>"
end

local function fleet(doc, decode)
  local list = sorted(doc.functions or {}, decode)
  local ids, seen = {}, {}
  for i, x in ipairs(list) do
    local named = { ["function"] = { account = x.account, region = x.region, name = x.name,
                                     qualifier = x.qualifier } }
    local base = fn.anchor(named)
    seen[base] = (seen[base] or 0) + 1
    ids[i] = fn.anchor(named, seen[base])
  end
  local out = { page.head("runbook fleet triage"), "<h1>Fleet triage</h1>", window_line(doc),
                fleet_verdict(doc), page.filters(ORDER, LABEL), "<h2>Functions</h2>",
                fleet_table(list, ids) }
  for i, x in ipairs(list) do
    local d = x.doc or decode(x.entry) -- one decoded report at a time
    local status = sev((d.verdict or {}).status)
    out[#out + 1] = ('<section class="fn sev %s" id="%s"><details%s><summary><h2>%s</h2> '
      .. '<span class="badge %s">%s</span></summary>'):format(status, ids[i],
      RANK[status] >= RANK.warn and " open" or "", esc(fn.subject(d)), status, LABEL[status])
    out[#out + 1] = fn.body(d, ids[i], esc)
    out[#out + 1] = "</details></section>"
  end
  out[#out + 1] = page.foot(footer(doc))
  return out
end

--- The HTML page of a report document: a fleet document (kind "fleet") or a single
--- function's report (no kind). -> string, or with opts.parts a list of strings to write
--- in turn (report.emit). opts.decode(entry) -> report: the fleet document's functions are
--- triage.fleet.store entries, each decoded only while its section is written.
function M.render(doc, opts)
  opts = opts or {}
  if doc.kind ~= "fleet" then return single(doc) end
  local out = fleet(doc, opts.decode)
  if opts.parts then
    for i = 1, #out - 1 do out[i] = out[i] .. "\n" end
    return out
  end
  return table.concat(out, "\n")
end

return M
