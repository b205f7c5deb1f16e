--- api-triage: our team's triage for functions behind API Gateway.
--
--   runbook --plugins examples examples/runbooks/api-triage.lua FUNCTION [--format json] ...
--
-- A copy of runbooks/triage.lua, edited the ways a team usually does (docs/writing-steps.md):
--   * order: the steps that explain what API callers see (403, 502, 504, 429) come first;
--   * limit: no config, vpc, cold_start or unavailable step: our API functions run outside
--     a VPC with provisioned concurrency and their configuration is reviewed in code, so
--     those steps only add calls for us;
--   * arguments: { "step", name = value } overrides a step's default argument;
--   * our own check: "tags" loads steps/tags.lua from the --plugins directory
--     (examples/steps/tags.lua), as any step id does.
-- With --plugins examples, examples/steps/timeout.lua also replaces the built-in timeout
-- step here. Every option of triage.lua works (--steps, --skip, --tag, --since, --format).
local engine = require("triage.engine")

return engine.main({
  "forbidden",                  -- 403: may API Gateway invoke the function at all
  "bad_gateway",                -- 502: malformed proxy responses, crashes
  {
    "timeout",                  -- 504: API callers give up before the function does
    growth = 3,                 -- after timeouts, propose 3x the current timeout, not 2x
    margin = 0.7,               -- warn when p99 reaches 70% of the timeout
  },
  "throttle",                   -- 429: reserved and account concurrency
  "access_denied",              -- the execution role lacks a permission the code uses
  "errors",                     -- the most frequent error signatures
  {
    "tags",                     -- team check: examples/steps/tags.lua
    required = { "owner", "cost-center", "service" },
  },
}, ...)
