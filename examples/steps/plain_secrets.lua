--- plain_secrets (team check): no secret sits in an environment variable in plain text.
--
-- A team rule stricter than the built-in config step's hint: a variable whose NAME says
-- it holds a credential (PASSWORD, SECRET, TOKEN, API_KEY, PRIVATE_KEY...) is a finding
-- unless the function encrypts its environment with a customer managed KMS key
-- (KMSKeyArn). Anyone with lambda:GetFunctionConfiguration reads the environment of a
-- function without one, and the value shows in the console, in CloudTrail-driven tools and
-- in every copy of the template.
--
-- How it tells, from names only (this check never reads, prints or stores a value):
--   * a name naming a credential: it contains one of `secret_words`;
--   * a name that points at a secret instead of holding it ends in `_ARN`, `_ID`, `_NAME`,
--     `_PARAM`, `_PARAMETER`, `_PATH`, `_SSM`, `_REF` or `_URL` (DB_PASSWORD_SECRET_ARN,
--     API_TOKEN_PARAM): the code fetches the value from Secrets Manager or SSM at run time,
--     so it is not stored here. Those names are listed, not judged.
-- A function without environment variables is skipped.
--
--   runbook --plugins examples triage.lua my-fn --steps plain_secrets
local json = require("runbook.json")
local step = require("triage.step")

-- Endings of a name that holds a reference to a secret, not the secret itself.
local REFERENCE_ENDINGS = { "_ARN", "_ID", "_NAME", "_PARAM", "_PARAMETER", "_PATH", "_SSM",
                            "_REF", "_URL" }

local function is_reference(upper)
  for _, ending in ipairs(REFERENCE_ENDINGS) do
    if upper:sub(-#ending) == ending then return true end
  end
  return false
end

local function names_secret(upper, words)
  for _, word in ipairs(words) do
    if upper:find(word, 1, true) then return true end
  end
  return false
end

-- The environment's names only, sorted: the values are never copied out of the reply.
local function env_names(cfg)
  local names = {}
  for name in pairs((cfg.Environment or {}).Variables or {}) do names[#names + 1] = name end
  table.sort(names)
  return names
end

return step.define{
  id = "plain_secrets",
  title = "Secrets in environment variables",
  description = "No environment variable named like a credential is stored without a "
    .. "customer managed KMS key; names only, values are never read into the report",
  tags = { "team", "security" },
  fixes = {},
  args = {
    secret_words = { default = { "PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY",
      "APIKEY", "PRIVATE_KEY", "CREDENTIAL", "ACCESS_KEY" },
      help = "a variable whose upper-cased name contains one of these holds a credential" },
  },
  needs = { "config" },
  applies = function(_, ev)
    return #env_names(ev.config) > 0, "no environment variables"
  end,
  run = function(ctx, ev)
    local cfg = ev.config
    local secrets, references = {}, json.array() -- a list in JSON even when empty
    for _, name in ipairs(env_names(cfg)) do
      local upper = name:upper()
      if names_secret(upper, ctx.args.secret_words) then
        if is_reference(upper) then
          references[#references + 1] = name
        else
          secrets[#secrets + 1] = name
        end
      end
    end
    local refs = #references > 0
      and ("references to secrets kept elsewhere: %s"):format(table.concat(references, ", "))
      or nil
    if #secrets == 0 then
      return ctx:finding{
        severity = "ok",
        title = "no environment variable is named like a credential",
        evidence = { refs or "no name contains " .. table.concat(ctx.args.secret_words, ", ") },
        confidence = "medium",
        data = { references = references },
      }
    end
    local list = table.concat(secrets, ", ")
    if cfg.KMSKeyArn then
      return ctx:finding{
        severity = "ok",
        title = ("%s encrypted with the customer managed key %s"):format(list, cfg.KMSKeyArn),
        evidence = { ("KMSKeyArn %s"):format(cfg.KMSKeyArn), refs },
        confidence = "medium",
        data = { names = secrets, references = references, kms_key = cfg.KMSKeyArn },
      }
    end
    return ctx:finding{
      severity = "fail",
      title = ("environment variable%s %s look%s like a secret stored in plain text")
        :format(#secrets > 1 and "s" or "", list, #secrets > 1 and "" or "s"),
      evidence = {
        ("names matching %s: %s (values not shown)")
          :format(table.concat(ctx.args.secret_words, "/"), list),
        "no KMSKeyArn: the environment is encrypted only with the AWS managed key, so "
          .. "anyone allowed lambda:GetFunctionConfiguration reads it",
        refs,
      },
      why = "a credential in the environment is readable by every principal that can read "
        .. "the function's configuration, and is copied into every template and console view",
      fix = {
        explain = ("move %s to Secrets Manager or SSM Parameter Store (SecureString) and "
          .. "read it at run time, keeping only its ARN or name in a variable such as "
          .. "%s_SECRET_ARN; or encrypt the environment with a customer managed KMS key "
          .. "(KMSKeyArn)"):format(list, secrets[1]),
      },
      confidence = "medium",
      data = { names = secrets, references = references },
    }
  end,
}
