# runbook_testhooks: the runbook command compiled with RB_TEST_HOOKS, which adds one
# option, --test-core-script (the script runs with the core's environment, as embedded
# core Lua does). The tests of core-only modules (runbook.fix_scope: write scopes) drive
# it against the fake AWS; the installed `runbook` has no such option, so plugin code can
# never reach those modules. Never installed.
add_executable(runbook_testhooks ${CMAKE_SOURCE_DIR}/core/main.c)
target_compile_definitions(runbook_testhooks PRIVATE RB_TEST_HOOKS)
target_link_libraries(runbook_testhooks PRIVATE runbook_core)
