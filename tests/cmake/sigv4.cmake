# SigV4 signer tests: the AWS signing test suite (project copy and, when present, the shared
# copy) and a cross-check against botocore's signer on random requests.
add_executable(sigv4_tool ${CMAKE_SOURCE_DIR}/tests/c/sigv4_tool.c)
target_link_libraries(sigv4_tool PRIVATE runbook_core)

add_test(NAME sigv4_suite
         COMMAND sigv4_tool suite ${CMAKE_SOURCE_DIR}/tests/vectors/sigv4)

if(EXISTS ${RB_SHARED_DIR}/sigv4-suite)
  add_test(NAME sigv4_shared_suite
           COMMAND sigv4_tool suite ${RB_SHARED_DIR}/sigv4-suite)
endif()

add_test(NAME sigv4_botocore_crosscheck
         COMMAND ${RB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/tools/sigv4_crosscheck.py
                 --tool $<TARGET_FILE:sigv4_tool> --count 1000 --seed 20150830)
