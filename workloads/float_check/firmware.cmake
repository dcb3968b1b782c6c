# The same float workload built hard-float and soft-float: their printed bit patterns must match
# (tests/e2e/float_test.cpp).
add_firmware(NAME float_hard SOURCES float_check.c ARCH rv32imfc ABI ilp32f LIBS m DEFINES FP_BUILD=hard)
add_firmware(NAME float_soft SOURCES float_check.c ARCH rv32imc ABI ilp32 LIBS m DEFINES FP_BUILD=soft)
