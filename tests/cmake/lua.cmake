# Pure-Lua unit tests (plugins/lib, plugins/fix, evidence parsers): every tests/lua/test_*.lua
# is a script the real runbook runs; it prints "N passed, N failed" and exits non-zero on a
# failure. They need no AWS and no fake server.
file(GLOB RB_LUA_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/lua/test_*.lua)
foreach(path ${RB_LUA_TESTS})
  get_filename_component(name ${path} NAME_WE)
  set(rb_lua_test_flags)
  if(name STREQUAL "test_fix_render") # runs a real shell (io.popen) to check its quoting
    set(rb_lua_test_flags --no-sandbox)
  endif()
  add_test(NAME lua_${name} COMMAND $<TARGET_FILE:runbook> ${rb_lua_test_flags} ${path}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
endforeach()
