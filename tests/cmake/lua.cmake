# Pure-Lua unit tests (plugins/lib, plugins/fix, evidence parsers): every tests/lua/test_*.lua
# is a script the real runbook runs; it prints "N passed, N failed" and exits non-zero on a
# failure. They need no AWS and no fake server.
file(GLOB RB_LUA_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/lua/test_*.lua)
foreach(path ${RB_LUA_TESTS})
  get_filename_component(name ${path} NAME_WE)
  add_test(NAME lua_${name} COMMAND $<TARGET_FILE:runbook> ${path}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
endforeach()
