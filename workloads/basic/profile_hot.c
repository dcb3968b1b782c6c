/* A program with one hot function (about 90% of the cycles) for the --profile test. */
#include <stdint.h>
#include <stdio.h>

__attribute__((noinline)) uint32_t hot_loop(uint32_t n) {
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < n; i++) h = (h ^ i) * 16777619u;
  return h;
}

__attribute__((noinline)) uint32_t cold_setup(uint32_t n) {
  uint32_t s = 0;
  for (uint32_t i = 0; i < n; i++) s += i;
  return s;
}

int main(void) {
  uint32_t a = cold_setup(1000);
  uint32_t b = hot_loop(200000);
  printf("%08lx\n", (unsigned long)(a ^ b));
  return 0;
}
