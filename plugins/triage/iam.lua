--- triage.iam: moved to lib.policy (documents, matching, denial messages) and evidence.role
--- (reading a role's policies); this name stays for one release so team steps keep loading.
local policy = require("lib.policy")
local role = require("evidence.role")

local M = setmetatable({}, { __index = policy })

--- The role's identity policies, read once per run (evidence.role.policies).
M.role_policies = role.policies

return M
