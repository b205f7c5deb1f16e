-- The throttle step through `runbook test`: reserved concurrency 0, and a function throttled
-- at its own reservation (ported from tests/steps/test_throttle.py).
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
  },
}
