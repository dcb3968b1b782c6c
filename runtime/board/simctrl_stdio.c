/* Board support for firmware linked with SEMIHOST OFF (see runtime/cmake/add_firmware.cmake):
 * picolibc's stdin/stdout/stderr and _exit() go through the mcucim sim-control device instead of
 * RISC-V semihosting. stdout/stderr bytes are written to SIMCTRL_PUTC (the run's stdout); stdin
 * always reports end of file; _exit(code) writes the code to SIMCTRL_EXIT. */
#include <stdio.h>
#include <stdlib.h>

#include "mcucim/simctrl.h"

static int simctrl_put(char c, FILE *f) {
  (void)f;
  sim_putc(c);
  return (unsigned char)c;
}

static int simctrl_get(FILE *f) {
  (void)f;
  return EOF;
}

static FILE simctrl_stdio = FDEV_SETUP_STREAM(simctrl_put, simctrl_get, NULL, _FDEV_SETUP_RW);

FILE *const stdin = &simctrl_stdio;
FILE *const stdout = &simctrl_stdio;
FILE *const stderr = &simctrl_stdio;

void _exit(int code) {
  sim_exit(code);
}
