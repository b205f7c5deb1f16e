--- Tests of steps.access_denied.merge: new grants spliced into an existing inline policy's
--- text keep every byte of it, whatever its layout (list or single statement, escaped
--- quotes and brackets inside strings, keys before and after Statement), and get Sids the
--- document does not hold yet.
local t = require("testlib")
local json = require("runbook.json")
local merge = require("steps.access_denied.merge")

local GRANT = { Effect = "Allow", Action = { "sns:Publish" }, Resource = "arn:aws:sns:us-east-1:1:t" }
local ADDED = '{"Sid":"RunbookGrant1","Effect":"Allow","Action":["sns:Publish"],'
  .. '"Resource":"arn:aws:sns:us-east-1:1:t"}'

local function grants()
  return merge.name_statements({ json.decode(json.encode(GRANT)) }, nil)
end

t.test("appends_to_a_statement_list_keeping_the_text", function()
  local text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", '
    .. '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/[x]\\"}*"}\n  ]\n}'
  local out = assert(merge.append(text, grants()))
  local close = text:find("%]\n}$")
  t.eq(out, text:sub(1, close - 1) .. "," .. ADDED .. text:sub(close))
  local doc = json.decode(out)
  t.eq(#doc.Statement, 2)
  t.eq(doc.Statement[1].Resource, 'arn:aws:s3:::b/[x]"}*')
end)

t.test("a_single_statement_becomes_a_list_and_keys_after_statement_stay", function()
  local text = '{"Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*"},"Version":"2012-10-17"}'
  local out = assert(merge.append(text, grants()))
  t.eq(out, '{"Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"},' .. ADDED
    .. '],"Version":"2012-10-17"}')
end)

t.test("an_empty_list_gets_no_leading_comma", function()
  t.eq(merge.append('{"Version":"2012-10-17","Statement":[ ]}', grants()),
    '{"Version":"2012-10-17","Statement":[ ' .. ADDED .. ']}')
end)

t.test("a_document_without_statement_is_refused", function()
  local out, err = merge.append('{"Version":"2012-10-17"}', grants())
  t.eq(out, nil)
  t.contains(err, "no Statement")
  t.eq(merge.append("not json", grants()), nil)
end)

t.test("new_sids_never_collide", function()
  local doc = { Statement = { { Sid = "RunbookGrant1" }, { Sid = "RunbookGrant3" } } }
  local sts = merge.name_statements({ {}, {}, {} }, doc)
  t.eq({ sts[1].Sid, sts[2].Sid, sts[3].Sid }, { "RunbookGrant2", "RunbookGrant4", "RunbookGrant5" })
  t.eq(merge.name_statements({ {} }, { Statement = { Sid = "RunbookGrant1", Effect = "Allow" } })[1].Sid,
    "RunbookGrant2", "a single statement object")
end)

t.test("a_new_document_is_compact_with_iam_key_order", function()
  t.eq(merge.new_document(grants()), '{"Version":"2012-10-17","Statement":[' .. ADDED .. ']}')
end)

return t.run()
