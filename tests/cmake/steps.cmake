# Step and engine tests: the real runbook running triage.lua against fake-AWS worlds.
# Each tests/steps/test_*.py module is one ctest (they import tests/cli/clitest.py).
file(GLOB RB_STEP_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/steps/test_*.py)
foreach(path ${RB_STEP_TESTS})
  get_filename_component(module ${path} NAME_WE)
  add_test(NAME steps_${module}
           COMMAND ${RB_PYTHON} -m unittest -v ${module}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/steps)
  set_tests_properties(steps_${module} PROPERTIES
    ENVIRONMENT "RUNBOOK_BIN=$<TARGET_FILE:runbook>;RB_PYTHON=${RB_PYTHON}"
    TIMEOUT 600)
endforeach()
