-- The throttle step through `runbook test`: reserved concurrency 0, a function throttled at
-- its own reservation (ported from tests/steps/test_throttle.py), and a read the operator
-- may not make (a fault rule), over a 2 h window (a triage argument).
return {
  world = "../worlds/throttle.json",
  steps = { "throttle" },
  cases = {
    {
      name = "reserved concurrency 0 throttles every invocation",
      fn = "checkout-fn",
      expect = {
        exit = 1,
        findings = {
          { step = "throttle", severity = "fail", title = "^reserved concurrency is 0",
            data = { reserved = 0, invocations = 0, throttles = 557 } },
        },
      },
    },
    {
      name = "throttled at its reservation of 50",
      fn = "ledger-fn",
      expect = {
        exit = 1,
        findings = {
          { step = "throttle", severity = "fail", title = "throttled at its reserved concurrency",
            data = { reserved = 50, peak_concurrency = 50 } },
        },
      },
    },
    {
      name = "an operator who may not read the account settings gets an error naming the permission",
      world = "../worlds/healthy.json",
      fn = "orders-api",
      faults = { { service = "lambda", operation = "GetAccountSettings", kind = "access_denied" } },
      args = { "--since", "2h" },
      expect = {
        exit = 1,
        findings = {
          { step = "throttle", severity = "error", title = "lacks lambda:GetAccountSettings",
            data = { code = "AccessDeniedException", permission = "lambda:GetAccountSettings" } },
          -- no account limit to compare the peak with: none is made up
          { step = "throttle", severity = "ok",
            title = "^no throttles in the last 2h %(peak concurrency %d+%)$" },
        },
      },
    },
  },
}
