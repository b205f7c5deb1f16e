# The committed service models and protocol vectors must match what the generators make
# from Debian's botocore: a stale file fails here rather than misleading at run time.
add_test(NAME models_up_to_date
         COMMAND ${RB_PYTHON} ${CMAKE_SOURCE_DIR}/tools/gen_models.py --check)
add_test(NAME protocol_vectors_up_to_date
         COMMAND ${RB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/vectors/protocol/gen_vectors.py --check)
