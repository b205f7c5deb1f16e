-- Reads a triage JSON report (argument 1) and checks every fix in it: each plan against
-- the official models (fix.plan.validate), its rendered commands against what the report
-- shows, and every other `aws` line, which must not be a write the models could have
-- expressed as a plan. Prints one line per problem and "plans=N text=N"; exit 1 on a
-- problem. Used by tests/steps/test_fix_plans.py.
local core = require("runbook.core")
local plan = require("fix.plan")
local render = require("fix.render")

-- Writes left as text on purpose, each with its reason (see the steps named).
local TEXT_WRITES = {
  -- the embedded lambda model predates ScalingConfig (throttle)
  ["lambda update-event-source-mapping"] = true, ["lambda create-event-source-mapping"] = true,
  -- the embedded lambda model predates InvokedViaFunctionUrl (forbidden)
  ["lambda add-permission"] = true,
  -- the queue or topic that keeps failed events is the user's to choose: advice with a
  -- placeholder ARN, never a plan that could send it (async, event_sources)
  ["lambda put-function-event-invoke-config"] = true,
  ["lambda update-function-event-invoke-config"] = true,
  ["sqs set-queue-attributes"] = true,
}

local fh = assert(io.open(..., "rb"))
local doc = assert(json.decode(fh:read("a")))
fh:close()

-- "aws cloudwatch put-x ..." -> the model service and operation, or nil
local by_command = {}
for service in pairs(core.services()) do
  for _, op in ipairs(core.operations(service) or {}) do
    by_command[render.cli_service(service) .. " " .. render.xform(op, "-")] = { service, op }
  end
end

local problems, plans, texts = 0, 0, 0
local function problem(step, fmt, ...)
  problems = problems + 1
  print(("%s: " .. fmt):format(step, ...))
end

for _, s in ipairs(doc.steps) do
  for _, f in ipairs(s.findings) do
    local fix = f.fix
    if type(fix) == "table" then
      local shown = type(fix.commands) == "table" and fix.commands or {}
      local rendered = {}
      if fix.plan then
        plans = plans + 1
        local ok, err = plan.validate(fix.plan, fix.verify)
        if not ok then problem(s.id, "invalid plan in '%s': %s", f.title, err) end
        rendered = render.commands(fix.plan)
        for i, line in ipairs(rendered) do
          if shown[i] ~= line then
            problem(s.id, "shown command %d is not the rendered plan:\n  %s\n  %s", i,
              tostring(shown[i]), line)
          end
        end
      end
      for i = #rendered + 1, #shown do
        texts = texts + 1
        local words = shown[i]:match("^aws ([%w-]+ [%w-]+)")
        local known = words and by_command[words]
        if known then
          local info = core.operation(known[1], known[2])
          if info.write and not TEXT_WRITES[words] then
            problem(s.id, "'%s' is a write written as text, not a plan: %s", words, shown[i])
          end
        end
      end
    end
  end
end
print(("plans=%d text=%d"):format(plans, texts))
return problems == 0 and 0 or 1
