/* Executes an illegal instruction with no trap handler installed: the simulator must report an
 * unhandled illegal-instruction trap (mcause 2) at the PC of the .word below.
 * picolibc's crt0-semihost points mtvec at its own _trap handler, so mtvec is cleared first. */
#include <stdio.h>

int main(void) {
  __asm__ volatile("csrw mtvec, zero");
  __asm__ volatile(".word 0x00000000"); /* all-zero is defined to be illegal */
  printf("FAIL: the illegal instruction did not trap\n");
  return 1;
}
