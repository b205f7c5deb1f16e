# House style as tests: luacheck over every Lua file, clang-format over every C file.
find_program(RB_LUACHECK luacheck REQUIRED)
add_test(NAME lua_lint
         COMMAND ${RB_LUACHECK} --no-color -q plugins runbooks core/lua examples bench
                 tests/cli/scripts tests/kit
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
find_program(RB_CLANG_FORMAT clang-format REQUIRED)
file(GLOB RB_C_FILES CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/core/*.[ch] ${CMAKE_SOURCE_DIR}/tests/c/*.[ch]
     ${CMAKE_SOURCE_DIR}/tests/fuzz/*.[ch] ${CMAKE_SOURCE_DIR}/tools/*.c)
add_test(NAME c_format
         COMMAND ${RB_CLANG_FORMAT} --dry-run --Werror ${RB_C_FILES}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
add_test(NAME no_real_looking_key_ids
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/tools/no_key_ids.sh)
