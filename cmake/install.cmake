# Install layout, the generated man page and completions, the git revision, and the .deb.
# Included from CMakeLists.txt once the runbook target and RB_PYTHON exist.
#
#   PREFIX/bin/runbook                             the binary
#   PREFIX/bin/runbook-demo                        the demo, from the installed files only
#   PREFIX/share/runbook/{plugins,runbooks,examples}   the built-ins (found beside the
#                                                  binary, as BINDIR/../share/runbook)
#   PREFIX/share/runbook/{fake_aws,worlds}         the fake AWS server, for `runbook test`
#                                                  and the demo
#   PREFIX/share/man/man1/runbook.1                runbook(1)
#   PREFIX/share/bash-completion/completions/runbook, PREFIX/share/zsh/site-functions/_runbook
#   (and .../zsh/vendor-completions/_runbook, where Debian's zsh looks under /usr)
#
# The man page and both completions are generated at build time by tools/gen_docs.py from
# the built binary's own --help texts (the core's and every command's): the help text is
# the one source, so neither can drift from it.

# ---- the git revision (runbook --version) ----
set(RB_GIT_REVISION "" CACHE STRING
    "git revision for --version when building outside a git checkout (default: asked of git)")
if(RB_GIT_REVISION AND NOT RB_GIT_REVISION MATCHES "^[A-Za-z0-9._+-]+$")
  message(FATAL_ERROR "RB_GIT_REVISION '${RB_GIT_REVISION}' is not a revision: use letters, "
                      "digits and . _ + - only (e.g. -DRB_GIT_REVISION=abc1234)")
endif()
add_custom_target(rb_revision
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR}
          -DOUTPUT=${CMAKE_BINARY_DIR}/generated/rb_revision.h
          -DREVISION=${RB_GIT_REVISION} -P ${CMAKE_SOURCE_DIR}/cmake/revision.cmake
  BYPRODUCTS ${CMAKE_BINARY_DIR}/generated/rb_revision.h
  COMMENT "Reading the git revision"
  VERBATIM)
# Only core/main.c includes it: the library orders after it (so every program compiling
# main.c finds it) but does not rebuild when it changes.
target_include_directories(runbook_core PUBLIC ${CMAKE_BINARY_DIR}/generated)
add_dependencies(runbook_core rb_revision)

# ---- the man page and the completions ----
file(GLOB RB_HELP_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/runbooks/*.lua
     ${CMAKE_SOURCE_DIR}/plugins/triage/*.lua ${CMAKE_SOURCE_DIR}/core/lua/*.lua)
set(RB_DOC_DIR ${CMAKE_BINARY_DIR}/doc)
add_custom_command(
  OUTPUT ${RB_DOC_DIR}/runbook.1 ${RB_DOC_DIR}/runbook.bash ${RB_DOC_DIR}/_runbook
  COMMAND ${RB_PYTHON} ${CMAKE_SOURCE_DIR}/tools/gen_docs.py $<TARGET_FILE:runbook>
          ${CMAKE_SOURCE_DIR}/runbooks ${RB_DOC_DIR} ${PROJECT_VERSION}
  DEPENDS runbook ${CMAKE_SOURCE_DIR}/tools/gen_docs.py ${RB_HELP_SOURCES}
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
  COMMENT "Generating runbook(1) and the shell completions from --help"
  VERBATIM)
add_custom_target(rb_docs ALL
  DEPENDS ${RB_DOC_DIR}/runbook.1 ${RB_DOC_DIR}/runbook.bash ${RB_DOC_DIR}/_runbook)

# ---- install ----
install(TARGETS runbook DESTINATION bin)
install(PROGRAMS ${CMAKE_SOURCE_DIR}/tools/runbook-demo.sh DESTINATION bin
        RENAME runbook-demo)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/plugins ${CMAKE_SOURCE_DIR}/runbooks
        ${CMAKE_SOURCE_DIR}/examples DESTINATION share/runbook
        PATTERN "__pycache__" EXCLUDE)
# `runbook test` runs step tests against the fake AWS server (Python 3 + botocore: on
# Debian, python3-botocore); its example worlds come with it.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/tests/fake_aws/ DESTINATION share/runbook/fake_aws
        PATTERN "test_*.py" EXCLUDE PATTERN "testlib.py" EXCLUDE PATTERN "__pycache__" EXCLUDE)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/tests/worlds/ DESTINATION share/runbook/worlds)
# The fake loads Lambda, X-Ray and CloudTrail from the committed aws-sdk models, as the core.
install(FILES ${CMAKE_SOURCE_DIR}/tools/sdk_models.py DESTINATION share/runbook/fake_aws)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/tools/models-src DESTINATION share/runbook/fake_aws)
# The published API quotas the fake enforces (core/quotas.txt, also compiled into the core).
install(FILES ${CMAKE_SOURCE_DIR}/core/quotas.txt DESTINATION share/runbook OPTIONAL)
install(FILES ${RB_DOC_DIR}/runbook.1 DESTINATION share/man/man1)
install(FILES ${RB_DOC_DIR}/runbook.bash DESTINATION share/bash-completion/completions
        RENAME runbook)
# site-functions is on zsh's fpath for /usr/local; Debian's zsh looks in vendor-completions
# for /usr (the .deb), not in /usr/share/zsh/site-functions.
install(FILES ${RB_DOC_DIR}/_runbook DESTINATION share/zsh/site-functions)
install(FILES ${RB_DOC_DIR}/_runbook DESTINATION share/zsh/vendor-completions)

# ---- the Debian package: cpack -G DEB (in the build directory) ----
set(CPACK_PACKAGE_NAME runbook)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "diagnose failing AWS Lambda functions")
set(CPACK_PACKAGE_DESCRIPTION
    "runbook runs every check of the Lambda troubleshooting field guide at once against \
a function, or a fleet of them, read-only, and reports what is wrong with the evidence \
and the exact fix. Steps are Lua scripts. runbook-demo triages a bundled fake account.")
set(CPACK_PACKAGE_CONTACT "runbook maintainers <runbook@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
# Debian 12's runtime packages of what the binary links (tests/install checks them against
# ldd), and python3 + python3-botocore for the fake AWS server of runbook-demo and
# `runbook test`.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "liblua5.4-0, libcurl4, libssl3, libcjson1, libinih1, libexpat1, libc6, python3, python3-botocore")
set(CPACK_GENERATOR DEB)
include(CPack)
