--- triage: diagnose a failing Lambda function, every check of the field guide at once.
--
--   runbook triage.lua FUNCTION [--since 1h] [--until now] [--format text|json|markdown]
--     [--fail-on fail] [--steps EXPR] [--skip c] [--tag t] [--arg step.key=value]
--     [--step-timeout 20] [--no-color]
--
-- This file is the table of contents of the triage: the steps in report order, each with
-- the arguments it should run with. Copy it to make your team's triage: reorder, drop or
-- add steps ("my_check" loads steps/my_check.lua from --plugins DIR or RUNBOOK_PATH), and
-- override any step's argument by naming it: { "timeout", margin = 0.7 }. All steps run
-- at the same time; the report keeps this order.
local engine = require("triage.engine")

return engine.main({
  "config",        -- function configuration: state, last update, runtime, memory, role, VPC
  "timeout",       -- configured timeout against observed durations and timeout log lines
  "forbidden",     -- 403: API Gateway / function URL may not invoke the function
  "access_denied", -- the execution role lacks a permission the code uses
  "bad_gateway",   -- 502: malformed proxy responses, crashes, runtime exits
  "throttle",      -- 429: concurrency limits, reserved and provisioned concurrency
  "async",         -- asynchronous invocations: events dropped or aging, failures kept nowhere
  "event_sources", -- SQS / stream mappings: disabled, failing, iterator age, visibility, poison
  "unavailable",   -- 503: AWS services the function calls answer 5xx
  "vpc",           -- subnets, free IPs, NAT / endpoints, security groups, ENIs
  "cold_start",    -- init durations, package size, provisioned concurrency, SnapStart
  "errors",        -- the most frequent error signatures in the window
  "changes",       -- what changed (deploys, configuration, aliases, role) before it broke
}, ...)
