--- evidence.fn: the function's own Lambda resources: configuration, resource policy, URL,
--- concurrency, aliases, event source mappings, and the account's Lambda settings.
--
-- Each provider makes the read the field guide's commands make (get-function-configuration,
-- get-policy, get-function-concurrency, ...) once per run, and turns "there is none"
-- (ResourceNotFoundException for a policy, a URL, a reservation) into absence as data, so
-- no step handles that error code by hand.
--
--   ev.config       GetFunctionConfiguration                  | {absent, err}
--   ev.policy       {document, statements, text} (lib.policy)  | {absent = "no resource-based policy"}
--   ev.url          GetFunctionUrlConfig                      | {absent = "no function URL"}
--   ev.concurrency  {reserved = n | nil}  (GetFunctionConcurrency)
--   ev.account      GetAccountSettings
--   ev.provisioned  ListProvisionedConcurrencyConfigs items (a list)
--   ev.aliases      ListAliases items;  ev.mappings  ListEventSourceMappings items
--   ev["function"]  GetFunction (Code, Tags, Concurrency)
local arn = require("lib.arn")
local evidence = require("triage.evidence")
local policy = require("lib.policy")

local M = {}

local NOT_FOUND = "ResourceNotFoundException"

local function params(ctx, extra)
  local p = { FunctionName = ctx.function_name, Qualifier = ctx.qualifier }
  for k, v in pairs(extra or {}) do p[k] = v end
  return p
end

-- A read whose ResourceNotFoundException means "there is none": value | absent | nil, err
local function read_or_absent(ctx, operation, p, absent_reason)
  local reply, err = ctx.aws.call("lambda", operation, p)
  if reply then return reply end
  if type(err) == "table" and err.code == NOT_FOUND then
    local a = evidence.absent(absent_reason)
    a.err = err
    return a
  end
  return nil, err
end

function M.config(ctx)
  local run = ctx._run
  local cfg, err = ctx.aws.lambda.GetFunctionConfiguration{ FunctionName = ctx.function_id }
  if cfg then
    run.arn = cfg.FunctionArn
    local parsed = arn.parse(cfg.FunctionArn)
    if parsed then
      run.account = run.account or parsed.account
      run.partition = parsed.partition
    end
    return cfg
  end
  if type(err) == "table" and err.code == NOT_FOUND then
    local a = evidence.absent(("function %s does not exist"):format(ctx.function_id))
    a.err = err
    return a
  end
  return nil, err
end

--- ev.policy: the policy of ctx.qualifier; ev["policy:live"]: of that version or alias
--- (an API that integrates an alias is allowed by the alias's own policy).
function M.policy(ctx, _, qualifier)
  local p = params(ctx, qualifier and { Qualifier = qualifier })
  local reason = "no resource-based policy" .. (qualifier and (" for qualifier " .. qualifier) or "")
  local reply, err = read_or_absent(ctx, "GetPolicy", p, reason)
  if not reply or reply.absent then return reply, err end
  local doc, problem = policy.parse_document(reply.Policy)
  if not doc then
    return nil, { code = "MalformedPolicy", message = "the function's resource policy: " .. problem }
  end
  return { document = doc, statements = policy.statements(doc), text = reply.Policy,
           revision_id = reply.RevisionId }
end

function M.url(ctx)
  return read_or_absent(ctx, "GetFunctionUrlConfig", params(ctx), "no function URL")
end

function M.concurrency(ctx)
  local reply, err = ctx.aws.lambda.GetFunctionConcurrency{ FunctionName = ctx.function_name }
  if not reply then return nil, err end
  return { reserved = reply.ReservedConcurrentExecutions }
end

function M.account(ctx)
  return ctx.aws.lambda.GetAccountSettings{}
end

local function collect(operation)
  return function(ctx)
    return ctx.aws.collect("lambda", operation, { FunctionName = ctx.function_name })
  end
end
M.provisioned = collect("ListProvisionedConcurrencyConfigs")
M.aliases = collect("ListAliases")
M.mappings = collect("ListEventSourceMappings")

function M.get_function(ctx)
  return ctx.aws.lambda.GetFunction{ FunctionName = ctx.function_id }
end

return M
