# run_fuzzer.cmake — one bounded libFuzzer run for ctest (see tests/cmake/fuzz.cmake):
#   cmake -DFUZZER=bin -DWORK=dir -DCORPUS=dir [-DREGRESSIONS=dir] [-DDICT=file]
#         -DRUNS=n -DSEED=n -P run_fuzzer.cmake
# Runs every seed and saved regression, then RUNS random inputs at most 4096 bytes long,
# each with a 10 s timeout. New inputs libFuzzer finds go to WORK/new (emptied first),
# never into the source tree; a crashing input is saved as WORK/crash-<sha1> (the log
# names it), ready to be copied to tests/fuzz/regressions/<name>/.
foreach(var FUZZER WORK CORPUS RUNS SEED)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: -D${var}= is required")
  endif()
endforeach()
if(NOT IS_DIRECTORY ${CORPUS})
  message(FATAL_ERROR "run_fuzzer.cmake: no seed corpus at '${CORPUS}'")
endif()
file(REMOVE_RECURSE ${WORK}/new)
file(MAKE_DIRECTORY ${WORK}/new)
set(dirs ${WORK}/new ${CORPUS})
if(DEFINED REGRESSIONS AND IS_DIRECTORY ${REGRESSIONS})
  list(APPEND dirs ${REGRESSIONS})
endif()
set(dict)
if(DEFINED DICT AND EXISTS ${DICT})
  set(dict -dict=${DICT})
endif()
execute_process(
  COMMAND ${FUZZER} -runs=${RUNS} -max_len=4096 -timeout=10 -seed=${SEED}
          -print_final_stats=1 -artifact_prefix=${WORK}/ ${dict} ${dirs}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fuzzer '${FUZZER}' failed (${rc}): see the crash report above")
endif()
