/* HTIF convention: the program ends by writing (code << 1) | 1 to the `tohost` symbol and spinning,
 * as the riscv-tests do. No semihosting, no sim-control. */
#include <stdint.h>

volatile uint32_t tohost __attribute__((used));
volatile uint32_t fromhost __attribute__((used));

int main(void) {
  volatile uint32_t sum = 0;
  for (uint32_t i = 1; i <= 10; i++) sum += i;
  tohost = ((sum == 55 ? 7u : 1u) << 1) | 1u; /* exit code 7 when the loop ran right */
  for (;;) {
  }
}
