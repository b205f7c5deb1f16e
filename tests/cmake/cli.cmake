# Whole-binary tests: the real runbook against the fake AWS server (tests/fake_aws).
# Each tests/cli/test_*.py module is one ctest.
file(GLOB RB_CLI_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/cli/test_*.py)
foreach(path ${RB_CLI_TESTS})
  get_filename_component(module ${path} NAME_WE)
  add_test(NAME cli_${module}
           COMMAND ${RB_PYTHON} -m unittest -v ${module}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/cli)
  set_tests_properties(cli_${module} PROPERTIES
    ENVIRONMENT "RUNBOOK_BIN=$<TARGET_FILE:runbook>;RB_PYTHON=${RB_PYTHON}"
    TIMEOUT 600)
endforeach()
