# `runbook test` (core/lua/test.lua): the step tests ported to the kit (tests/kit), every
# *_test.lua under examples/ (so the examples cannot rot), and examples/testing run by an
# installed runbook outside the source tree. The command's own cases (failing tests,
# malformed files, replays) are tests/cli/test_kit_cli.py, with the other CLI tests.
add_test(NAME kit_steps
         COMMAND $<TARGET_FILE:runbook> test tests/kit
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
add_test(NAME kit_examples
         COMMAND $<TARGET_FILE:runbook> test examples
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
add_test(NAME kit_installed
         COMMAND ${RB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/cli/kit_install.py ${CMAKE_COMMAND}
                 ${CMAKE_BINARY_DIR})
set_tests_properties(kit_steps kit_examples kit_installed PROPERTIES
  ENVIRONMENT "RB_PYTHON=${RB_PYTHON}" TIMEOUT 600)
