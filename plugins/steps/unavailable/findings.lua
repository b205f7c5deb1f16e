--- steps.unavailable.findings: what the unavailable step says about what it found.
--
-- The field guide's "Diagnosing Service Unavailable (503)" fix is retries with
-- exponential backoff and jitter, in the SDK (AWS_RETRY_MODE / AWS_MAX_ATTEMPTS, or the
-- client's retry configuration) and in the function's own retry loops. The step decides
-- (steps/unavailable.lua); this module writes the findings: one per service that answered
-- with transient errors, the busiest first, or one all-clear.
--
-- The retry settings are advice, not a plan: UpdateFunctionConfiguration's Environment
-- replaces every variable, so a plan would have to send (and show) the values of the
-- existing ones, which this step never reads out. The advice names them instead.
local sdk_error = require("lib.sdk_error")
local stats = require("lib.stats")
local text = require("lib.text")

local M = {}

local SNIPPETS = "boto3: Config(retries={'max_attempts': 5, 'mode': 'adaptive'}); "
  .. "JavaScript v3: new DynamoDBClient({ maxAttempts: 5, retryMode: 'adaptive' }); "
  .. "Java v2: ClientOverrideConfiguration.builder().retryStrategy(RetryMode.ADAPTIVE_V2); "
  .. "Go v2: config.WithRetryMode(aws.RetryModeAdaptive), config.WithRetryMaxAttempts(5)"

local HTTP_NAMES = { [500] = "Internal Server Error", [502] = "Bad Gateway",
                     [503] = "Service Unavailable", [504] = "Gateway Timeout",
                     [429] = "Too Many Requests" }

--- "ServiceUnavailable (503)", "Service Unavailable (503)" for an unnamed 503.
function M.label(e)
  local status = e.status or e.default_status
  local code = e.code or (status and HTTP_NAMES[status]) or "server error"
  if status then return ("%s (%d)"):format(code, status) end
  return code
end

--- The evidence line about the SDK retry settings (variable names only, never values).
function M.retry_line(retry)
  if #retry.present > 0 then
    return ("retry settings in the configuration: %s set (values not shown)%s")
      :format(table.concat(retry.present, " and "), #retry.missing > 0 and ("; " ..
      table.concat(retry.missing, ", ") .. " not set") or "")
  end
  return "no AWS_RETRY_MODE or AWS_MAX_ATTEMPTS in the configuration: the SDK's defaults "
    .. "apply (3 attempts in standard mode; boto3's legacy mode in older runtimes)"
end

function M.all_clear(ctx, lines_read, retry)
  ctx:finding{
    severity = "ok",
    title = ("no ServiceUnavailable, 5xx or throttling errors from AWS SDK calls in the last "
      .. "%s (%s log lines read)"):format(ctx.window.label, stats.fmt_count(lines_read)),
    evidence = { M.retry_line(retry) },
    data = { errors = 0, lines_read = lines_read },
  }
end

local function evidence_for(ctx, g, codes, ops, retry)
  local parts = {}
  for _, c in ipairs(codes) do parts[#parts + 1] = ("%d x %s"):format(g.codes[c], c) end
  local ev = {
    ("%d failed %s calls in the last %s: %s; first at %s, last at %s"):format(g.count,
      g.service, ctx.window.label, table.concat(parts, ", "), g.first.iso, g.last.iso),
  }
  if #ops > 0 then ev[#ev + 1] = "operations: " .. table.concat(ops, ", ") end
  if g.retries then
    ev[#ev + 1] = ("the SDK gave up after %d retries ('reached max retries: %d'): the error "
      .. "reached the handler"):format(g.retries, g.retries)
  elseif g.attempts then
    ev[#ev + 1] = ("the SDK gave up after %d attempts: the error reached the handler")
      :format(g.attempts)
  end
  for _, ex in ipairs(g.examples) do
    local quoted = text.quote(ex)
    ev[#ev + 1] = quoted
    local line = sdk_error.error_line(ex.message)
    if line and line ~= text.first_line(ex.message) then ev[#ev + 1] = "  " .. line end
  end
  ev[#ev + 1] = M.retry_line(retry)
  return ev
end

-- The fix: backoff with jitter, and where the SDK settings go (text: see the header).
local function fix_for(ctx, retry)
  local a = ctx.args
  local explain = ("retry with exponential backoff and jitter, as the guide shows: let the "
    .. "SDK do it in %s mode with %d attempts (adaptive mode adds client-side rate limiting) "
    .. "via AWS_RETRY_MODE / AWS_MAX_ATTEMPTS, which current SDKs read, or in code (%s); for "
    .. "your own retry loops sleep min(cap, base x 2^attempt) plus random jitter; make writes "
    .. "idempotent so a retried call is safe"):format(a.retry_mode, a.max_attempts, SNIPPETS)
  if #retry.missing == 0 then
    return { explain = explain .. "; the retry settings are already set: check their values "
      .. "in the function's configuration and raise the attempts or switch to adaptive" }
  end
  local names = #retry.names > 0 and table.concat(retry.names, ", ") or "none"
  return {
    explain = explain .. ("; set AWS_RETRY_MODE=%s and AWS_MAX_ATTEMPTS=%d where the "
      .. "function is deployed (its template, or the console), next to its existing "
      .. "variables (%s)"):format(a.retry_mode, a.max_attempts, names),
    changes = ("adds AWS_RETRY_MODE=%s and AWS_MAX_ATTEMPTS=%d; update-function-configuration "
      .. "--environment replaces every variable, so the existing ones (%s) must be sent "
      .. "again with their values, which this step does not read out"):format(a.retry_mode,
      a.max_attempts, names),
  }
end

--- The finding for one service's transient errors.
function M.service(ctx, g, retry)
  local ops, codes = text.keys_by_count(g.operations), text.keys_by_count(g.codes)
  local throttled_only = not g.kinds.unavailable
  ctx:finding{
    severity = g.count >= ctx.args.fail_count and "fail" or "warn",
    title = ("%s: %d SDK calls failed with %s%s in the last %s"):format(g.service, g.count,
      table.concat(codes, " / "), #ops > 0 and (" on " .. table.concat(ops, ", ")) or "",
      ctx.window.label),
    evidence = evidence_for(ctx, g, codes, ops, retry),
    why = (throttled_only and "%s is limiting the function's request rate; "
      or "%s had transient server-side faults (503 ServiceUnavailable / 500); ")
      :format(g.service)
      .. "the SDK retries a few times and then hands the error to the code. Retries at "
      .. "fixed intervals from many concurrent environments arrive together and prolong "
      .. "the overload; exponential backoff with full jitter spreads them out",
    fix = fix_for(ctx, retry),
    confidence = g.sdks.unknown and "medium" or "high",
    data = { service = g.service, errors = g.count, codes = g.codes, operations = g.operations,
             first = g.first.iso, last = g.last.iso, retries = g.retries,
             attempts = g.attempts },
  }
end

return M
