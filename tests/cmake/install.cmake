# The install and the .deb as a user gets them (tests/install/test_install.py): a copy of
# the source tree is configured, built (Release, -j2), installed into a temporary prefix
# and packaged with cpack -G DEB, then removed; the installed binary, demo, man page,
# completions and package are run from there. Label `install` (ctest -L install / -LE
# install); a few minutes. Not in the sanitizer tree: it builds its own Release copy, so a
# second run there would test the same thing again.
if(NOT RB_SANITIZE)
  add_test(NAME install_from_copy
           COMMAND ${RB_PYTHON} -m unittest -v test_install
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/install)
  set_tests_properties(install_from_copy PROPERTIES
    LABELS install
    TIMEOUT 1800
    ENVIRONMENT "RUNBOOK_BIN=$<TARGET_FILE:runbook>;RB_PYTHON=${RB_PYTHON};RB_CMAKE=${CMAKE_COMMAND};RB_CPACK=${CMAKE_CPACK_COMMAND}")
endif()
