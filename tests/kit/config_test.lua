-- The config step through `runbook test`, with worlds written inline: a deprecated runtime
-- (a warning, exit 0), a function whose role Lambda cannot use (exit 1), and a function the
-- account does not have (the real not-found error: usage, exit 2). Ported from
-- tests/steps/test_config.py.
local creds = { { access_key_id = "AKIAIOSFODNN7EXAMPLE",
                  secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } }

local function world_with(name, configuration)
  return { description = "config kit test: " .. name, credentials = creds,
           lambda = { functions = { [name] = { configuration = configuration } } } }
end

return {
  steps = { "config" },
  cases = {
    {
      name = "a deprecated runtime warns with the upgrade",
      world = world_with("legacy-cron", { Runtime = "python3.9", Timeout = 60 }),
      fn = "legacy-cron",
      expect = {
        exit = 0,
        findings = {
          { step = "config", severity = "warn", title = "^runtime python3%.9 is deprecated since" },
        },
      },
    },
    {
      name = "a Failed function names its reason code",
      world = world_with("ledger-sync", {
        Runtime = "python3.12", State = "Failed", StateReasonCode = "InsufficientRolePermissions",
        StateReason = "The role cannot be assumed by Lambda",
      }),
      fn = "ledger-sync",
      expect = {
        exit = 1,
        findings = {
          { step = "config", severity = "fail",
            title = "^function is Failed: InsufficientRolePermissions$" },
        },
      },
    },
    {
      name = "a function the account does not have is a usage error",
      world = world_with("ledger-sync", { Runtime = "python3.12" }),
      fn = "no-such-fn",
      expect = { exit = 2, stderr = "function .no%-such%-fn. not found" },
    },
  },
}
