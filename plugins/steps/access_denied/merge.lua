--- steps.access_denied.merge: the least-privilege grants written into an inline policy
--- that may already exist, without touching what it already says.
--
-- The access_denied fix writes one inline policy with a name of its own choosing
-- ("<fn>-<service>-access"). When the role already has an inline policy of that name (an
-- earlier fix, or a team's policy), PutRolePolicy would replace it whole, so the new grants
-- are merged in: the existing document is kept as the exact text IAM returned and the new
-- statements are spliced into its Statement array, so every existing statement stays
-- byte-identical and nothing it allows is widened or lost; undo puts the old text back.
-- The new statements carry Sids "RunbookGrant<n>" (IAM Sids are alphanumeric) that no
-- statement of the document has yet, so a later fix or a person can tell them apart.
local json = require("runbook.json")

local M = {}

--- The Sid prefix of the statements this fix writes.
M.SID_PREFIX = "RunbookGrant"

-- The index just past the JSON value that starts at `i` (after whitespace) in `s`, or nil.
local function value_end(s, i)
  i = s:find("[^%s]", i)
  if not i then return nil end
  local c = s:sub(i, i)
  if c == '"' then
    local j = i + 1
    while true do
      local q = s:find('["\\]', j)
      if not q then return nil end
      if s:sub(q, q) == "\\" then j = q + 2 else return q + 1 end
    end
  elseif c == "{" or c == "[" then
    local depth, j = 0, i
    while j <= #s do
      local ch = s:sub(j, j)
      if ch == '"' then
        j = value_end(s, j)
        if not j then return nil end
      else
        if ch == "{" or ch == "[" then depth = depth + 1
        elseif ch == "}" or ch == "]" then
          depth = depth - 1
          if depth == 0 then return j + 1 end
        end
        j = j + 1
      end
    end
    return nil
  end
  local _, e = s:find("^[^,%]}%s]+", i)
  return e and e + 1 or nil
end

-- Where the top-level "Statement" value of document text `s` starts and ends (the index
-- of its first character and just past its last), or nil.
local function statement_span(s)
  local i = s:find("[^%s]")
  if not i or s:sub(i, i) ~= "{" then return nil end
  i = i + 1
  while true do
    local k = s:find("[^%s,]", i)
    if not k or s:sub(k, k) ~= '"' then return nil end
    local key_end = value_end(s, k)
    if not key_end then return nil end
    local key = json.decode(s:sub(k, key_end - 1))
    local colon = s:find("[^%s]", key_end)
    if not colon or s:sub(colon, colon) ~= ":" then return nil end
    local start = s:find("[^%s]", colon + 1)
    local stop = start and value_end(s, start)
    if not stop then return nil end
    if key == "Statement" then return start, stop end
    i = stop
  end
end

-- One statement as compact JSON with IAM's key order (Sid, Effect, Action, Resource).
local function statement_text(st)
  local parts = {}
  if st.Sid then parts[#parts + 1] = '"Sid":' .. json.encode(st.Sid) end
  parts[#parts + 1] = '"Effect":' .. json.encode(st.Effect)
  parts[#parts + 1] = '"Action":' .. json.encode(st.Action)
  parts[#parts + 1] = '"Resource":' .. json.encode(st.Resource)
  return "{" .. table.concat(parts, ",") .. "}"
end

-- The Sids the document's statements hold.
local function taken_sids(doc)
  local taken = {}
  local list = doc.Statement
  if type(list) == "table" and list.Effect then list = { list } end
  for _, st in ipairs(type(list) == "table" and list or {}) do
    if type(st) == "table" and type(st.Sid) == "string" then taken[st.Sid] = true end
  end
  return taken
end

--- Gives each statement of `statements` (tables { Effect, Action, Resource }) a Sid
--- RunbookGrant<n> that `doc` (a decoded document, or nil) does not hold yet.
function M.name_statements(statements, doc)
  local taken, n = taken_sids(doc or {}), 0
  for _, st in ipairs(statements) do
    repeat n = n + 1 until not taken[M.SID_PREFIX .. n]
    st.Sid = M.SID_PREFIX .. n
  end
  return statements
end

--- A new document holding `statements`, as compact JSON text.
function M.new_document(statements)
  local parts = {}
  for i, st in ipairs(statements) do parts[i] = statement_text(st) end
  return ('{"Version":"2012-10-17","Statement":[%s]}'):format(table.concat(parts, ","))
end

--- The text of `existing` (a document's JSON text, as IAM returned it after URL-decoding)
--- with `statements` appended to its Statement (a single statement object becomes a list);
--- every other byte is kept. nil and a message when the text is not a policy document.
function M.append(existing, statements)
  local start, stop = statement_span(existing)
  if not start then return nil, "the existing document has no Statement to add to" end
  local added = {}
  for i, st in ipairs(statements) do added[i] = statement_text(st) end
  local new = table.concat(added, ",")
  local head, body, tail = existing:sub(1, start - 1), existing:sub(start, stop - 1),
    existing:sub(stop)
  if body:sub(1, 1) == "[" then
    local inner = body:sub(2, -2)
    local sep = inner:find("[^%s]") and "," or ""
    return head .. body:sub(1, -2) .. sep .. new .. "]" .. tail
  elseif body:sub(1, 1) == "{" then
    return head .. "[" .. body .. "," .. new .. "]" .. tail
  end
  return nil, "the existing document's Statement is neither a list nor a statement"
end

return M
