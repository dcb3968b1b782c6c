// The GDB stub's test program (tests/e2e/gdb_test.cpp): a global the debugger reads, writes and
// watches, and a function it sets a hardware breakpoint on. Prints what it computed; exits 0 when
// acc is right (whatever the debugger did to `counter`).
#include <stdio.h>

volatile int counter = 5;

__attribute__((noinline)) int step_target(int x) { return x * 3 + 1; }

int main(void) {
  int acc = 0;
  for (int i = 0; i < 3; ++i) {
    counter = counter + i;
    acc += step_target(i);
  }
  printf("acc=%d counter=%d\n", acc, counter);
  return acc == 12 ? 0 : 1;
}
