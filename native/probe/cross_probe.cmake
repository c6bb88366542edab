cmake_minimum_required(VERSION 3.18)
# Builds probe.c with a runtime's probe for aarch64 (static), runs it under qemu-user and compares
# its report with the host's.
# Arguments: -DCC= -DQEMU= -DSRC=<probe.c> -DSRC_RUNTIME=<probe_<runtime>.c> -DINCLUDE= -DOUT=<binary>
#            -DHOST_REPORT=<host probe output>
execute_process(COMMAND ${CC} -std=c11 -static -O1 -I${INCLUDE} -o ${OUT} ${SRC} ${SRC_RUNTIME}
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "aarch64 build of the probe failed (${CC}):\n${err}")
endif()
execute_process(COMMAND ${QEMU} ${OUT} OUTPUT_VARIABLE report RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the aarch64 probe failed under ${QEMU} (status ${rc}):\n${err}")
endif()
file(READ ${HOST_REPORT} host)
if(NOT report STREQUAL host)
  file(WRITE ${OUT}.txt "${report}")
  message(FATAL_ERROR "the aarch64 layout report ${OUT}.txt differs from the host's ${HOST_REPORT}:"
    " a struct or signature of the header is not the same on the boards")
endif()
message(STATUS "aarch64 report equals ${HOST_REPORT}")
