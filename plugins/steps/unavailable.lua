--- unavailable: 503 ServiceUnavailableException and friends from the function's AWS calls.
--
-- The field guide's "Diagnosing Service Unavailable (503)": a 503, a 500 or a "Rate
-- exceeded" from DynamoDB, S3, SQS... is a transient fault on the AWS side (or the
-- service shedding load); the cure is the SDK's retries with exponential backoff and
-- jitter, never fixed-interval retries. This step finds those errors in the function's
-- logs in every SDK's wording (boto3, JavaScript v2/v3, Java v1/v2, Go v2, .NET), groups
-- them by the service that answered, and says whether the function's configuration shows
-- SDK retry settings (by environment variable NAME only; values are never read out).
local logs = require("triage.logs")
local net = require("triage.vpc")
local stats = require("triage.stats")

-- Error codes that mean "the service is overloaded or failing, try again later".
local UNAVAILABLE = {
  ServiceUnavailable = 503, ServiceUnavailableException = 503, ServiceUnavailableError = 503,
  InternalServerError = 500, InternalServerException = 500, InternalFailure = 500,
  InternalError = 500, ServiceException = 500, InternalServiceError = 500,
  InternalServiceErrorException = 500, InternalException = 500, ServiceFailure = 500,
  BadGateway = 502, GatewayTimeout = 504, RequestTimeout = 408,
}
-- Error codes that mean "the service throttled you".
local THROTTLED = {
  ThrottlingException = 400, Throttling = 400, ThrottledException = 429,
  TooManyRequestsException = 429, RequestLimitExceeded = 503, SlowDown = 503,
  ProvisionedThroughputExceededException = 400, RequestThrottledException = 400,
  RequestThrottled = 400, TransactionInProgressException = 400,
  LimitExceededException = 400, EC2ThrottledException = 502,
}
-- Words that make a line worth parsing at all (plain find, cheap).
local TRIGGERS = { "Unavailable", "Internal", "Throttl", "TooManyRequests", "Rate exceeded",
                   "Rate Exceeded", "SlowDown", "Exceeded", "Status Code: 5",
                   "StatusCode: 5", "httpStatusCode", "statusCode: 5", "ServiceException",
                   "ServiceFailure", "BadGateway", "GatewayTimeout" }

local function first_line(s)
  return (s:match("^[^\n]*") or s):gsub("%s+$", "")
end

local function triggered(message)
  for _, word in ipairs(TRIGGERS) do
    if message:find(word, 1, true) then return true end
  end
  return false
end

-- Java v2 names its generic exception after the service (DynamoDbException): not a code.
local function java_code(class, service)
  if not class then return nil end
  if class:lower() == (service or ""):lower() .. "exception" then return nil end
  return (class:gsub("Exception$", "") ~= "" and class or nil)
end

--- Reads one log line as an AWS SDK error: {sdk, code, status, service, operation,
--- attempts, retries} (fields may be nil), or nil when the line is no SDK error.
local function parse(message)
  local r = {}
  -- boto3 / botocore
  local code, op = message:match("An error occurred %(([%w.]+)%) when calling the (%w+) operation")
  if code then
    r.sdk, r.code, r.operation = "boto3", code, op
    r.retries = tonumber(message:match("%(reached max retries: (%d+)%)"))
    r.service = net.service_for_operation(op)
  end
  -- Go v2: "operation error DynamoDB: PutItem, exceeded maximum number of attempts, 3,
  -- https response error StatusCode: 503, RequestID: ..., api error ServiceUnavailable: ..."
  local gsvc, gop = message:match("operation error ([%w ]-): (%w+),")
  if not r.sdk and gsvc then
    r.sdk, r.service, r.operation = "go", net.normalize_service(gsvc), gop
    r.status = tonumber(message:match("StatusCode: (%d+)"))
    r.code = message:match("api error ([%w.]+):") or message:match("RequestID: [%w%-]*, (%w+): ")
    r.attempts = tonumber(message:match("exceeded maximum number of attempts, (%d+)"))
  end
  -- Java v1 "(Service: AmazonDynamoDBv2; Status Code: 503; Error Code: X; Request ID: ...)"
  local j1svc, j1status, j1code = message:match("%(Service: ([%w ]-); Status Code: (%d+); "
    .. "Error Code: ([%w.]+);")
  if not r.sdk and j1svc then
    r.sdk, r.service, r.status, r.code = "java-v1", net.normalize_service(j1svc),
      tonumber(j1status), j1code ~= "null" and j1code or nil
  end
  -- Java v2 "X (Service: DynamoDb, Status Code: 503, Request ID: ...)"
  local j2svc, j2status = message:match("%(Service: ([%w ]-), Status Code: (%d+),")
  if not r.sdk and j2svc then
    r.sdk, r.service, r.status = "java-v2", net.normalize_service(j2svc), tonumber(j2status)
    local pkg, class = message:match("software%.amazon%.awssdk%.services%.(%w+)%.model%.(%w+)")
    r.code = java_code(class, j2svc:gsub("%s", ""))
    if pkg and not r.service then r.service = net.normalize_service(pkg) end
  end
  if r.sdk == "java-v1" or r.sdk == "java-v2" then
    -- the client method in the stack names the operation: DefaultDynamoDbClient.putItem(
    local method = message:match("%.Default%w+Client%.(%l%w*)%(")
      or message:match("%.Amazon%w+Client%.(%l%w*)%(")
    if method and not method:find("^execute") and not method:find("^invoke") then
      r.operation = method:sub(1, 1):upper() .. method:sub(2)
    end
  end
  -- JavaScript v3: '$metadata' with httpStatusCode, the error's name, @aws-sdk/client-x
  if not r.sdk and message:find("$metadata", 1, true) then
    r.sdk = "js-v3"
    r.status = tonumber(message:match('"httpStatusCode":%s*(%d+)')
      or message:match("httpStatusCode: (%d+)"))
    r.attempts = tonumber(message:match('"attempts":%s*(%d+)') or message:match("attempts: (%d+)"))
    r.code = message:match('"errorType":%s*"([%w.]+)"') or message:match("Code: '([%w.]+)'")
      or message:match('"Code":%s*"([%w.]+)"') or message:match("name: '([%w.]+)'")
    if not r.code then
      local head = message:match("^(.-)\n%s+at ") or first_line(message)
      for name in head:gmatch("(%u[%w]+): ") do r.code = name end
    end
    local client = message:match("@aws%-sdk/client%-([%w%-]+)")
    r.service = client and net.normalize_service(client)
    r.operation = message:match("de_(%w-)Command[%s(E]") or message:match("(%w+)Command")
    if r.operation == "" then r.operation = nil end
  end
  -- JavaScript v2: "code: 'ServiceUnavailable', ... statusCode: 503, retryable: true"
  if not r.sdk and message:find("retryable: ", 1, true) then
    r.sdk = "js-v2"
    r.code = message:match("code: '([%w.]+)'")
    r.status = tonumber(message:match("statusCode: (%d+)"))
  end
  -- .NET: "Amazon.DynamoDBv2.AmazonDynamoDBException: ..." / "Amazon.S3.Model.X: ..."
  local dsvc, dclass = message:match("Amazon%.([%w]+)%.Model%.(%w+Exception)")
  if not dsvc then dsvc, dclass = message:match("Amazon%.([%w]+)%.(Amazon%w+Exception)") end
  if not r.sdk and dsvc then
    r.sdk, r.service = "dotnet", net.normalize_service(dsvc)
    r.code = not dclass:find("^Amazon") and dclass or nil
  end
  -- any wording: the endpoint host names the service
  if not r.service then
    for service in pairs(net.services_in(message)) do r.service = service end
  end
  if not r.sdk then
    if message:find("Rate exceeded", 1, true) or message:find("Rate Exceeded", 1, true) then
      r.sdk, r.code = "unknown", "Rate exceeded"
    elseif message:find("Service Unavailable", 1, true) then
      r.sdk, r.code = "unknown", "Service Unavailable"
    else
      return nil
    end
  end
  return r
end

--- Whether a parsed error is a transient server-side fault: "unavailable", "throttled",
--- or nil (a client error such as AccessDenied, which other steps diagnose).
local function kind_of(e)
  local code = e.code and e.code:match("([%w]+)$")
  if code and THROTTLED[code] then return "throttled", THROTTLED[code] end
  if code and UNAVAILABLE[code] then return "unavailable", UNAVAILABLE[code] end
  if e.code == "Rate exceeded" then return "throttled" end
  if e.code == "Service Unavailable" then return "unavailable", 503 end
  if e.status == 429 then return "throttled" end
  if e.status and e.status >= 500 then return "unavailable" end
  return nil
end

local HTTP_NAMES = { [500] = "Internal Server Error", [502] = "Bad Gateway",
                     [503] = "Service Unavailable", [504] = "Gateway Timeout",
                     [429] = "Too Many Requests" }

-- "ServiceUnavailable (503)", "Service Unavailable (503)" for an unnamed 503.
local function label(e)
  local status = e.status or e.default_status
  local code = e.code or (status and HTTP_NAMES[status]) or "server error"
  if status then return ("%s (%d)"):format(code, status) end
  return code
end

local function quote(e)
  local line = first_line(e.message)
  if #line > 240 then line = line:sub(1, 237) .. "..." end
  if not line:find("^%d%d%d%d%-%d%d%-%d%d") and not line:find("^%[%u+%]%s+%d%d%d%d%-") then
    line = e.iso .. " " .. line
  end
  return line
end

-- Where a multi-line event names the SDK error below its first line (the last line of a
-- Python traceback, a Java exception line): quote that line too.
local function error_line(message)
  local found
  for line in message:gmatch("[^\n]+") do
    if line:find("An error occurred (", 1, true) or line:find("(Service: ", 1, true) then
      found = line
    end
  end
  if not found then return nil end
  found = found:gsub("^%s+", "")
  if #found > 240 then found = found:sub(1, 237) .. "..." end
  return found
end

local function sorted_keys(t, by)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out, function(x, y)
    if by and by[x] ~= by[y] then return by[x] > by[y] end
    return x < y
  end)
  return out
end

local RETRY_VARS = { "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS" }

-- The merge-then-update command: --environment replaces every variable, so it reads
-- the current ones into a file (never onto the screen) and adds the retry settings.
local function env_command(name, mode, attempts)
  return ("aws lambda get-function-configuration --function-name %s --query "
    .. "'Environment.Variables' --output json | jq '{Variables: ((. // {}) + "
    .. "{\"AWS_RETRY_MODE\": \"%s\", \"AWS_MAX_ATTEMPTS\": \"%d\"})}' > /tmp/%s-env.json "
    .. "&& aws lambda update-function-configuration --function-name %s --environment "
    .. "file:///tmp/%s-env.json && rm /tmp/%s-env.json"):format(name, mode, attempts, name,
    name, name, name)
end

local SNIPPETS = "boto3: Config(retries={'max_attempts': 5, 'mode': 'adaptive'}); "
  .. "JavaScript v3: new DynamoDBClient({ maxAttempts: 5, retryMode: 'adaptive' }); "
  .. "Java v2: ClientOverrideConfiguration.builder().retryStrategy(RetryMode.ADAPTIVE_V2); "
  .. "Go v2: config.WithRetryMode(aws.RetryModeAdaptive), config.WithRetryMaxAttempts(5)"

return {
  id = "unavailable",
  title = "Service unavailable",
  description = "ServiceUnavailableException, 5xx and throttling answers to the function's "
    .. "AWS SDK calls, by service, and whether retries with backoff are configured",
  tags = { "logs", "downstream", "retries" },
  args = {
    fail_count = 10,     -- this many failed calls to one service in the window is a fail
    max_examples = 3,    -- log lines quoted per service
    retry_mode = "adaptive",
    max_attempts = 5,
  },
  run = function(ctx)
    local a = ctx.args
    local cfg, err = ctx:config()
    if not cfg then return ctx:error_from(err, "GetFunctionConfiguration") end
    local events, lerr = logs.events(ctx)
    if not events then
      if type(lerr) == "table" and lerr.code == "ResourceNotFoundException" then
        return ctx:skip(("no log group %s: the function has not logged"):format(logs.group(ctx)))
      end
      return ctx:error_from(lerr, "FilterLogEvents")
    end
    local window = ctx.window.label or (ctx.window.seconds .. " s")

    -- gather: every transient SDK error, grouped by the service that answered
    local groups, order_count, total = {}, {}, 0
    for _, e in ipairs(events) do
      if triggered(e.message) then
        local p = parse(e.message)
        local kind, default_status
        if p then kind, default_status = kind_of(p) end
        if kind then
          p.kind, p.default_status, p.message, p.iso, p.time = kind, default_status, e.message,
            e.iso, e.time
          local service = p.service or "unknown service"
          local g = groups[service]
          if not g then
            g = { service = service, count = 0, codes = {}, operations = {}, kinds = {},
                  examples = {}, seen = {}, sdks = {} }
            groups[service] = g
          end
          g.count = g.count + 1
          g.first = g.first or p
          g.last = p
          local l = label(p)
          g.codes[l] = (g.codes[l] or 0) + 1
          if p.operation then g.operations[p.operation] = (g.operations[p.operation] or 0) + 1 end
          g.kinds[kind] = true
          g.sdks[p.sdk] = true
          if p.retries then g.retries = p.retries end
          if p.attempts then g.attempts = p.attempts end
          local sig = l .. " " .. (p.operation or "")
          if not g.seen[sig] and #g.examples < a.max_examples then
            g.seen[sig] = true
            g.examples[#g.examples + 1] = p
          end
          order_count[service] = g.count
          total = total + 1
        end
      end
    end

    -- what the configuration says about retries (names only)
    local vars = cfg.Environment and cfg.Environment.Variables or {}
    local names = sorted_keys(vars)
    local present, missing = {}, {}
    for _, v in ipairs(RETRY_VARS) do
      if vars[v] ~= nil then present[#present + 1] = v else missing[#missing + 1] = v end
    end
    local retry_line
    if #present > 0 then
      retry_line = ("retry settings in the configuration: %s set (values not shown)%s")
        :format(table.concat(present, " and "), #missing > 0 and ("; " ..
        table.concat(missing, ", ") .. " not set") or "")
    else
      retry_line = "no AWS_RETRY_MODE or AWS_MAX_ATTEMPTS in the configuration: the SDK's "
        .. "defaults apply (3 attempts in standard mode; boto3's legacy mode in older runtimes)"
    end

    if total == 0 then
      return ctx:finding{
        severity = "ok",
        title = ("no ServiceUnavailable, 5xx or throttling errors from AWS SDK calls in the "
          .. "last %s (%s log lines read)"):format(window, stats.fmt_count(#events)),
        evidence = { retry_line },
        data = { errors = 0, lines_read = #events },
      }
    end

    -- explain: one finding per service, the busiest first
    local fix_commands, changes = {}, nil
    if #present < #RETRY_VARS then
      fix_commands[1] = env_command(ctx.function_name, a.retry_mode, a.max_attempts)
      changes = ("adds AWS_RETRY_MODE=%s and AWS_MAX_ATTEMPTS=%d; --environment replaces "
        .. "every variable, so the command first merges the existing ones (%s) without "
        .. "printing their values"):format(a.retry_mode, a.max_attempts,
        #names > 0 and table.concat(names, ", ") or "none")
    end
    for _, service in ipairs(sorted_keys(order_count, order_count)) do
      local g = groups[service]
      local ops = sorted_keys(g.operations, g.operations)
      local codes = sorted_keys(g.codes, g.codes)
      local parts = {}
      for _, c in ipairs(codes) do parts[#parts + 1] = ("%d x %s"):format(g.codes[c], c) end
      local evidence = {
        ("%d failed %s calls in the last %s: %s; first at %s, last at %s"):format(g.count,
          service, window, table.concat(parts, ", "), g.first.iso, g.last.iso),
      }
      if #ops > 0 then
        evidence[#evidence + 1] = "operations: " .. table.concat(ops, ", ")
      end
      if g.retries then
        evidence[#evidence + 1] = ("the SDK gave up after %d retries ('reached max retries: "
          .. "%d'): the error reached the handler"):format(g.retries, g.retries)
      elseif g.attempts then
        evidence[#evidence + 1] = ("the SDK gave up after %d attempts: the error reached the "
          .. "handler"):format(g.attempts)
      end
      for _, ex in ipairs(g.examples) do
        evidence[#evidence + 1] = quote(ex)
        local last = error_line(ex.message)
        if last and last ~= first_line(ex.message) then evidence[#evidence + 1] = "  " .. last end
      end
      evidence[#evidence + 1] = retry_line
      local throttled_only = not g.kinds.unavailable
      ctx:finding{
        severity = g.count >= a.fail_count and "fail" or "warn",
        title = ("%s: %d SDK calls failed with %s%s in the last %s"):format(service, g.count,
          table.concat(codes, " / "), #ops > 0 and (" on " .. table.concat(ops, ", ")) or "",
          window),
        evidence = evidence,
        why = (throttled_only
          and ("%s is limiting the function's request rate; ") or
          ("%s had transient server-side faults (503 ServiceUnavailable / 500); "))
          :format(service)
          .. "the SDK retries a few times and then hands the error to the code. Retries at "
          .. "fixed intervals from many concurrent environments arrive together and prolong "
          .. "the overload; exponential backoff with full jitter spreads them out",
        fix = {
          explain = ("retry with exponential backoff and jitter, as the guide shows: let the "
            .. "SDK do it in %s mode with %d attempts (adaptive mode adds client-side rate "
            .. "limiting) via AWS_RETRY_MODE / AWS_MAX_ATTEMPTS, which current SDKs read, or "
            .. "in code (%s); for your own retry loops sleep min(cap, base x 2^attempt) plus "
            .. "random jitter; make writes idempotent so a retried call is safe"):format(
            a.retry_mode, a.max_attempts, SNIPPETS)
            .. (#present == #RETRY_VARS and ("; the retry settings are already set: read them "
              .. "with aws lambda get-function-configuration --function-name %s --query "
              .. "'Environment.Variables.[AWS_RETRY_MODE,AWS_MAX_ATTEMPTS]' and raise the "
              .. "attempts or switch to adaptive"):format(ctx.function_name) or ""),
          commands = fix_commands,
          changes = changes,
        },
        confidence = g.sdks.unknown and "medium" or "high",
        data = { service = service, errors = g.count, codes = g.codes, operations = g.operations,
                 first = g.first.iso, last = g.last.iso, retries = g.retries,
                 attempts = g.attempts },
      }
    end
  end,
}
