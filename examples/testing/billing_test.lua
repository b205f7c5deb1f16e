-- Step tests for the billing team's functions, run with `runbook test examples/testing`
-- (docs/testing-steps.md). The world is the fake AWS account in worlds/billing.json
-- (docs/worlds.md); the team check `tags` is examples/steps/tags.lua, found through
-- `plugins`. No AWS account and no network: the fake server answers on 127.0.0.1.
return {
  world = "worlds/billing.json",
  plugins = { ".." },          -- the directory that holds steps/tags.lua
  cases = {
    {
      name = "a current, tagged function passes the config and tags checks",
      fn = "billing-export",
      steps = { "config", "tags" },
      expect = {
        exit = 0,
        findings = {
          { step = "config", severity = "ok", title = "^python3%.12" },
          { step = "tags", severity = "ok", title = "carries the required tags owner, cost%-center" },
        },
      },
    },
    {
      name = "a deprecated runtime warns and a missing tag fails",
      fn = "legacy-cron",
      steps = { "config", "tags" },
      expect = {
        exit = 1,
        findings = {
          { step = "config", severity = "warn", title = "^runtime python3%.9 is deprecated" },
          { step = "tags", severity = "fail", title = "lacks the required tag cost%-center$",
            data = { missing = { "cost-center" } } },
        },
      },
    },
    {
      name = "a function the account does not have stops the triage with exit 2",
      fn = "billing-import",
      steps = { "config" },
      expect = { exit = 2, stderr = "function 'billing%-import' not found" },
    },
  },
}
