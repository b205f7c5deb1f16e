# Fake AWS server: its own self-test, and a helper for integration tests that run a
# command against it. Safe to include() from another tests/cmake file that needs the
# helper before this file is reached (the include guard keeps tests from doubling).
include_guard(GLOBAL)

set(RB_FAKE_AWS_DIR ${CMAKE_SOURCE_DIR}/tests/fake_aws)

# The server's self-test: real botocore clients for all eight services, SigV4 checks,
# faults, credential endpoints and the harness. unittest exits non-zero on failure.
add_test(NAME fake_aws_server
  COMMAND ${RB_PYTHON} -m unittest discover -s ${RB_FAKE_AWS_DIR} -t ${RB_FAKE_AWS_DIR}
          -p "test_*.py"
  WORKING_DIRECTORY ${RB_FAKE_AWS_DIR})
set_tests_properties(fake_aws_server PROPERTIES
  TIMEOUT 180
  ENVIRONMENT "RB_PYTHON=${RB_PYTHON};PYTHONDONTWRITEBYTECODE=1")

# rb_add_fake_aws_test(<name> WORLD <world> [FAULTS <file>] [REQUESTS_OUT <file>]
#                      [NO_CREDS] COMMAND <command> [args...])
# Runs <command> through run_with_fake.py: AWS_ENDPOINT_URL/FAKE_AWS_URL point at a
# fresh fake server serving <world> (a file or a name in tests/worlds), with the
# world's first credentials, a fresh HOME and IMDS disabled. The literal argument
# @FAKE_AWS_URL@ becomes the server URL. The test passes when <command> exits 0;
# use set_tests_properties(<name> ... WILL_FAIL / PASS_REGULAR_EXPRESSION) otherwise.
function(rb_add_fake_aws_test name)
  cmake_parse_arguments(FA "NO_CREDS" "WORLD;FAULTS;REQUESTS_OUT" "COMMAND" ${ARGN})
  if(NOT FA_WORLD OR NOT FA_COMMAND)
    message(FATAL_ERROR "rb_add_fake_aws_test(${name}): WORLD and COMMAND are required")
  endif()
  set(args --world ${FA_WORLD})
  if(FA_FAULTS)
    list(APPEND args --faults ${FA_FAULTS})
  endif()
  if(FA_REQUESTS_OUT)
    list(APPEND args --requests-out ${FA_REQUESTS_OUT})
  endif()
  if(FA_NO_CREDS)
    list(APPEND args --no-creds)
  endif()
  add_test(NAME ${name}
    COMMAND ${RB_PYTHON} ${RB_FAKE_AWS_DIR}/run_with_fake.py ${args} -- ${FA_COMMAND})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "RB_PYTHON=${RB_PYTHON}")
endfunction()
