# Leak checks under valgrind for whole runs (not in the sanitizer tree: the two do not mix).
# A definite or indirect leak, or any memory error, fails the test.
find_program(RB_VALGRIND valgrind)
if(NOT RB_SANITIZE AND RB_VALGRIND)
  set(RB_VALGRIND_CMD ${RB_VALGRIND} -q --leak-check=full
      --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
      --error-exitcode=99)
  add_test(NAME valgrind_call_no_leaks
           COMMAND ${RB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/fake_aws/run_with_fake.py
                   --world basic -- ${RB_VALGRIND_CMD} $<TARGET_FILE:runbook>
                   call lambda GetFunctionConfiguration "{\"FunctionName\":\"my-fn\"}")
  # exit 1 is the expected AWS error (ResourceNotFoundException); 99 would be a leak
  add_test(NAME valgrind_call_error_no_leaks
           COMMAND ${CMAKE_SOURCE_DIR}/tests/tools/expect_exit.sh 1
                   ${RB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/fake_aws/run_with_fake.py
                   --world basic -- ${RB_VALGRIND_CMD} $<TARGET_FILE:runbook>
                   call lambda GetFunctionConfiguration "{\"FunctionName\":\"missing\"}")
  add_test(NAME valgrind_concurrent_script_no_leaks
           COMMAND ${RB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/fake_aws/run_with_fake.py
                   --world basic -- ${RB_VALGRIND_CMD} $<TARGET_FILE:runbook>
                   ${CMAKE_SOURCE_DIR}/tests/cli/scripts/concurrent_reads.lua)
endif()
