# A hostile program for the semihosting sandbox tests (tests/e2e/sandbox_test.cpp): it tries file
# operations named on its command line through raw semihosting calls and prints what it got back.
add_firmware(NAME semihost_probe SOURCES semihost_probe.c)
