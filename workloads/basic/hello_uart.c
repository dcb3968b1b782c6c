/* Writes a greeting through the UART transmit register, then ends the run with exit code 0
 * through the sim-control device. No semihosting is linked (SEMIHOST OFF). */
#include "mcucim/simctrl.h"
#include "mcucim/uart.h"

int main(void) {
  uart_puts("Hello from mcucim over UART!\n");
  sim_exit(0);
  return 0; /* not reached: sim_exit() does not return */
}
