--- lib.text: the small string and list helpers every step's explanation uses.
--
-- Pure functions. Log lines become evidence through quote() (one line, bounded, with the
-- event's time), words are counted through plural(), and "does this message mention any
-- of these" is contains_any(). One home each, so findings read the same in every step.
local M = {}

--- n and the noun, pluralised with "s" unless n == 1: plural(3, "throttle") -> "3 throttles".
--- A third argument gives an irregular plural: plural(2, "policy", "policies").
function M.plural(n, noun, many)
  if n == 1 then return "1 " .. noun end
  return ("%s %s"):format(tostring(n), many or (noun .. "s"))
end

--- The suffix alone: "" when n == 1, else "s".
function M.s(n)
  return n == 1 and "" or "s"
end

--- The first line of s, trailing space removed, tabs as spaces.
function M.first_line(s)
  return ((tostring(s or "")):match("^[^\r\n]*"):gsub("%s+$", ""):gsub("\t", " "))
end

--- s cut to at most max characters, ending in "..." when cut.
function M.clip(s, max)
  max = max or 240
  if #s <= max then return s end
  return s:sub(1, max - 3) .. "..."
end

-- A line that already starts with a time stamp (runtime prefixes) needs no event time.
local function starts_with_time(line)
  return line:find("^%d%d%d%d%-%d%d%-%d%dT") or line:find("^%[%u+%]%s+%d%d%d%d%-")
end

--- A log event {iso, message} as one evidence line: its first line (at most max_len
--- characters), prefixed with the event's time unless the runtime already wrote one.
function M.quote(e, max_len)
  local line = M.clip(M.first_line(e.message), max_len or 240)
  if starts_with_time(line) then return line end
  return (e.iso or "?") .. " " .. line
end

--- The first of `words` (plain text) that s contains, or nil.
function M.contains_any(s, words)
  if type(s) ~= "string" then return nil end
  for _, w in ipairs(words) do
    if s:find(w, 1, true) then return w end
  end
  return nil
end

--- The first of `patterns` (Lua patterns) that s matches, or nil.
function M.matches_any(s, patterns)
  if type(s) ~= "string" then return nil end
  for _, p in ipairs(patterns) do
    if s:find(p) then return p end
  end
  return nil
end

--- The items of list in order, each once (by value, or by key(item) when given).
function M.unique(list, key)
  local seen, out = {}, {}
  for _, item in ipairs(list or {}) do
    local k = key and key(item) or item
    if not seen[k] then
      seen[k] = true
      out[#out + 1] = item
    end
  end
  return out
end

--- The keys of t, sorted (as strings when they are not all comparable).
function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t or {}) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if type(a) == type(b) and (type(a) == "string" or type(a) == "number") then return a < b end
    return tostring(a) < tostring(b)
  end)
  return keys
end

--- The keys of a {key = count} table, the most counted first, ties in key order:
--- keys_by_count{ PutItem = 2, Query = 5 } -> { "Query", "PutItem" }.
function M.keys_by_count(counts)
  local keys = M.sorted_keys(counts)
  table.sort(keys, function(a, b)
    if counts[a] ~= counts[b] then return counts[a] > counts[b] end
    return tostring(a) < tostring(b)
  end)
  return keys
end

--- A list as "a, b and c" (at most `max` items, then "and N more").
function M.join(list, max)
  local n = #list
  if n == 0 then return "" end
  max = max or n
  local shown = {}
  for i = 1, math.min(n, max) do shown[i] = tostring(list[i]) end
  if n > max then
    return table.concat(shown, ", ") .. (" and %d more"):format(n - max)
  end
  if #shown == 1 then return shown[1] end
  return table.concat(shown, ", ", 1, #shown - 1) .. " and " .. shown[#shown]
end

--- s with every byte that is not part of valid UTF-8 replaced by U+FFFD (a log line cut
--- in the middle of a character must still encode as JSON).
function M.utf8_clean(s)
  if utf8.len(s) then return s end
  local out, i = {}, 1
  while i <= #s do
    local n, bad = utf8.len(s, i)
    if n then
      out[#out + 1] = s:sub(i)
      break
    end
    out[#out + 1] = s:sub(i, bad - 1) .. "\u{FFFD}"
    i = bad + 1
  end
  return table.concat(out)
end

--- A glob (* any run of characters, ? one character) -> an anchored Lua pattern:
--- "team-*" -> "^team%-.*$".
function M.glob_pattern(glob)
  local escaped = glob:gsub("[%^%$%(%)%%%.%[%]%+%-]", "%%%0"):gsub("%*", ".*"):gsub("%?", ".")
  return "^" .. escaped .. "$"
end

return M
