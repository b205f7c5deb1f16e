--- triage.html.page: the page around an HTML report: head, inline style and script, foot.
--
-- The report is one file that works offline and as an e-mail attachment, so everything it
-- needs is inline: a <style> with the system font stack (no web fonts, images or external
-- links) and one small <script> that is static text, never built from data. The script
-- only adds to a page that is complete without it: severity filter buttons (hide the
-- findings of a severity), sortable tables (a click on a header, or a #sort=COLUMN or
-- #sort=-COLUMN fragment on load), a search box over a table's rows (hidden until the
-- script shows it), opening a function's section when a link targets it or the page is
-- printed. When it has run to its end it sets data-ready="1" on <html>, which the tests check.
local M = {}

M.STYLE = [[
:root{--fg:#1d2330;--muted:#5b6474;--bg:#fff;--panel:#f5f7fa;--line:#d9dee7;
--error:#8e24aa;--fail:#c62828;--warn:#b26a00;--info:#0277bd;--ok:#2e7d32;--skip:#78808c}
*{box-sizing:border-box}
body{margin:0;padding:24px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1100px;margin:0 auto}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:0}h3{font-size:15px;margin:0 0 6px}
a{color:var(--info)}
code,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
pre{margin:4px 0;padding:8px 10px;background:var(--panel);border:1px solid var(--line);
border-radius:4px;white-space:pre-wrap;word-break:break-word}
pre.cmd{user-select:all;background:#10151f;color:#e8ecf2;border-color:#10151f}
.meta{color:var(--muted);font-size:13px}
.badge{display:inline-block;min-width:44px;padding:1px 6px;border-radius:3px;color:#fff;
font-size:11.5px;font-weight:600;text-align:center;letter-spacing:.03em;vertical-align:1px}
.badge.error{background:var(--error)}.badge.fail{background:var(--fail)}
.badge.warn{background:var(--warn)}.badge.info{background:var(--info)}
.badge.ok{background:var(--ok)}.badge.skip{background:var(--skip)}
.verdict{margin:14px 0;padding:12px 16px;border-left:6px solid var(--skip);background:var(--panel);
border-radius:4px}
.verdict.error{border-color:var(--error)}.verdict.fail{border-color:var(--fail)}
.verdict.warn{border-color:var(--warn)}.verdict.info{border-color:var(--info)}
.verdict.ok{border-color:var(--ok)}
.verdict .headline{font-size:16px;font-weight:600;margin:4px 0}
.filters{margin:10px 0 18px;display:flex;gap:6px;flex-wrap:wrap;align-items:center}
.filters button{font:inherit;font-size:12.5px;padding:2px 10px;border:1px solid var(--line);
border-radius:12px;background:var(--bg);cursor:pointer}
.filters button[aria-pressed="false"]{opacity:.45;text-decoration:line-through}
table{border-collapse:collapse;width:100%;margin:8px 0 16px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
table.fleet td:nth-child(-n+4){white-space:nowrap}
th{font-size:12.5px;color:var(--muted);font-weight:600;white-space:nowrap}
th button{font:inherit;color:inherit;background:none;border:0;padding:0;cursor:pointer}
th[aria-sort="ascending"] button::after{content:" \25B2"}
th[aria-sort="descending"] button::after{content:" \25BC"}
section.fn{margin:22px 0;padding:14px 16px;border:1px solid var(--line);border-radius:6px}
section.fn>details>summary{cursor:pointer;list-style:revert}
section.fn>details>summary h2{display:inline}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:10px;
margin:12px 0}
figure{margin:0;padding:6px 8px;border:1px solid var(--line);border-radius:4px}
figcaption{font-size:12.5px;color:var(--muted)}
svg.chart{width:100%;height:auto;display:block}
svg .grid{stroke:var(--line);stroke-width:1}
svg .tick{fill:var(--muted);font-size:11px;font-family:system-ui,sans-serif}
svg .line{fill:none;stroke:var(--info);stroke-width:2}
svg circle.line{fill:var(--info)}
svg .threshold{stroke:var(--fail);stroke-width:1.5;stroke-dasharray:6 4}
svg .threshold-label{fill:var(--fail);font-size:11px;font-family:system-ui,sans-serif}
svg .marker{stroke-width:1.5}svg .marker.change{stroke:var(--warn)}
svg .marker.onset{stroke:var(--error);stroke-dasharray:2 3}
svg .empty{fill:var(--muted);font-size:12px;font-family:system-ui,sans-serif}
.legend{font-size:12px;color:var(--muted)}
.legend i{display:inline-block;width:14px;height:0;border-top:2px solid;margin:0 4px 3px 10px}
article.finding{margin:12px 0;padding:10px 14px;border-left:4px solid var(--skip);
background:var(--panel);border-radius:4px}
article.finding.error{border-color:var(--error)}article.finding.fail{border-color:var(--fail)}
article.finding.warn{border-color:var(--warn)}article.finding.info{border-color:var(--info)}
article.finding.ok{border-color:var(--ok)}
article.finding.suppressed{opacity:.7;border-left-style:dashed}
.suppressed-note{font-style:italic;color:var(--muted)}
.tag{font-size:11px;padding:0 5px;border:1px solid var(--muted);border-radius:3px;color:var(--muted)}
ul.evidence{margin:4px 0 8px;padding-left:18px}ul.evidence pre{margin:2px 0}
ol.plan{margin:4px 0;padding-left:22px}
.fix{margin-top:8px}
.hide-error .error.sev,.hide-fail .fail.sev,.hide-warn .warn.sev,.hide-info .info.sev,
.hide-ok .ok.sev,.hide-skip .skip.sev{display:none}
input.search{font:inherit;padding:3px 8px;border:1px solid var(--line);border-radius:4px;
min-width:260px;background:var(--bg);color:var(--fg)}
@media (prefers-color-scheme:dark){:root{--fg:#e3e7ee;--muted:#9aa3b2;--bg:#12161d;
--panel:#1b212b;--line:#2c3441;--info:#4fa3e0}}
@media print{body{padding:0}.filters,input.search{display:none}section.fn{break-inside:avoid-page}}
]]

M.SCRIPT = [[
(function () {
  "use strict";
  var root = document.documentElement;
  var RANK = { error: 0, fail: 1, warn: 2, info: 3, ok: 4, skip: 5 };
  function key(row, col) {
    var cell = row.cells[col];
    var v = cell ? (cell.getAttribute("data-sort") || cell.textContent) : "";
    return v.toLowerCase();
  }
  function sortBy(table, col, desc) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, col), y = key(b, col), c;
      if (x in RANK && y in RANK) { c = RANK[x] - RANK[y]; } else { c = x < y ? -1 : (x > y ? 1 : 0); }
      if (desc) { c = -c; }
      return c || (Number(a.getAttribute("data-i")) - Number(b.getAttribute("data-i")));
    });
    rows.forEach(function (r) { body.appendChild(r); });
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) {
      heads[i].setAttribute("aria-sort", i === col ? (desc ? "descending" : "ascending") : "none");
    }
  }
  function column(table, name) {
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) {
      if (heads[i].getAttribute("data-col") === name) { return i; }
    }
    return -1;
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        sortBy(table, col, th.getAttribute("aria-sort") === "ascending");
      });
    });
  });
  function fromHash() {
    var hash = decodeURIComponent(location.hash || "");
    var m = /^#sort=(-?)([a-z]+)$/.exec(hash);
    if (m) {
      Array.prototype.forEach.call(tables, function (table) {
        var col = column(table, m[2]);
        if (col >= 0) { sortBy(table, col, m[1] === "-"); }
      });
      return;
    }
    var target = hash.length > 1 ? document.getElementById(hash.slice(1)) : null;
    var details = target ? target.querySelector("details") : null;
    if (details) { details.open = true; }
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
  // the table's search box (hidden without a script): rows whose text holds the words
  Array.prototype.forEach.call(document.querySelectorAll("input.search"), function (box) {
    var table = document.getElementById(box.getAttribute("data-table"));
    var count = document.getElementById(box.getAttribute("data-count"));
    box.hidden = false;
    box.addEventListener("input", function () {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean), shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        var text = r.textContent.toLowerCase();
        r.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
        if (!r.hidden) { shown++; }
      });
      if (count) { count.textContent = words.length ? shown + " of " + table.tBodies[0].rows.length : ""; }
    });
  });
  // a printed page shows every function's section
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("section.fn details"), function (d) {
      d.open = true;
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll(".filters button"), function (b) {
    b.addEventListener("click", function () {
      var on = b.getAttribute("aria-pressed") !== "true";
      b.setAttribute("aria-pressed", on ? "true" : "false");
      document.body.classList.toggle("hide-" + b.getAttribute("data-sev"), !on);
    });
  });
  root.setAttribute("data-ready", "1");
})();
]]

--- The SHA-256 of SCRIPT (base64): the page's Content-Security-Policy lets only this script
--- run, so markup that slipped past the escaping could run no script of its own (nor an
--- on* attribute) and fetch nothing. A change to SCRIPT needs a new value: the Chromium
--- test (tests/cli/test_html_cli.py) computes it and fails, naming it, when they differ.
M.SCRIPT_SHA256 = "grOlZqyhFyl21aM8HA69tpRxdyBSGPCwA0gPSn5deQU="

-- Nothing is fetched, only the page's own script runs, inline style is allowed.
local CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
  .. "script-src 'sha256-" .. M.SCRIPT_SHA256 .. "'; base-uri 'none'; form-action 'none'"

--- The page's start, up to and including <main>: title is escaped by the caller.
function M.head(title)
  return table.concat({
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta http-equiv="Content-Security-Policy" content="' .. CSP .. '">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="runbook">',
    "<title>" .. title .. "</title>",
    "<style>" .. M.STYLE .. "</style>",
    "</head><body><main>",
  }, "\n") .. "\n"
end

--- The filter buttons, one per severity (pressed: shown).
function M.filters(order, label)
  local out = { '<div class="filters" role="group" aria-label="show findings by severity">'
    .. '<span class="meta">Show:</span>' }
  for _, sev in ipairs(order) do
    out[#out + 1] = ('<button type="button" class="%s" data-sev="%s" aria-pressed="true">%s'
      .. '</button>'):format(sev, sev, label[sev])
  end
  out[#out + 1] = "</div>"
  return table.concat(out)
end

--- The page's end: the footer line (escaped by the caller) and the script.
function M.foot(footer)
  return ('<footer class="meta"><p>%s</p></footer>\n</main>\n<script>%s</script>\n'
    .. "</body></html>\n"):format(footer, M.SCRIPT)
end

return M
