# Fix plans: the renderer's golden names (tests/lua/fix_cli_vectors.lua) must match the
# botocore and aws CLI installed, like the models match botocore (models.cmake).
if(EXISTS /usr/bin/aws)
  add_test(NAME fix_cli_vectors_fresh
           COMMAND ${RB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/tools/gen_fix_cli_vectors.py --check
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
endif()
