--- memory_floor: our functions run with at least 256 MB (the tutorial in
--- docs/writing-steps.md builds this file line by line).
--
-- Below that, CPU (which Lambda scales with memory) makes TLS handshakes and JSON parsing
-- slow enough to time out under load; the team's floor is an argument a runbook can change.
local actions = require("fix.actions")
local step = require("triage.step")

return step.define{
  id = "memory_floor",
  title = "Memory floor",
  description = "The function has at least the team's minimum memory",
  tags = { "team", "cost" },
  fixes = { "lambda UpdateFunctionConfiguration" },
  args = {
    min_mb = { default = 256, help = "the least memory a function may have, in MB" },
  },
  needs = { "config" },
  applies = function(_, ev)
    return ev.config.PackageType ~= "Image", "a container image function: sized by its image"
  end,
  run = function(ctx, ev)
    local cfg, floor = ev.config, ctx.args.min_mb
    if cfg.MemorySize >= floor then
      return ctx:finding{ severity = "ok",
        title = ("%d MB, at or above the team's %d MB"):format(cfg.MemorySize, floor) }
    end
    local fn = { name = ctx.function_name, qualifier = ctx.qualifier }
    ctx:finding{
      severity = "warn",
      title = ("%d MB is below the team's %d MB floor"):format(cfg.MemorySize, floor),
      evidence = { ("MemorySize %d MB (GetFunctionConfiguration of %s)"):format(
        cfg.MemorySize, cfg.FunctionArn) },
      why = "Lambda gives CPU in proportion to memory: below the floor, CPU-bound work and "
        .. "TLS handshakes are slow enough to time out under load",
      fix = {
        explain = ("raise the memory to %d MB"):format(floor),
        plan = { actions.update_configuration(fn, cfg, { MemorySize = floor }) },
        verify = { actions.verify_field(fn, "MemorySize", ">=", floor) },
        changes = ("MemorySize %d MB -> %d MB"):format(cfg.MemorySize, floor),
      },
      confidence = "high",
      data = { memory_mb = cfg.MemorySize, floor_mb = floor },
    }
  end,
}
