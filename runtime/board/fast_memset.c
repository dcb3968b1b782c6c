/* A word-at-a-time memset for firmware that clears large buffers (picolibc's size-optimised memset
 * stores one byte per iteration: clearing the LLM firmware's 448 KiB .bss arena took ~2.75 M cycles at
 * start-up). Linked before libc, so it replaces memset for the programs that list it. */
#include <stddef.h>
#include <stdint.h>

__attribute__((optimize("no-tree-loop-distribute-patterns"))) void *memset(void *dst, int c, size_t n) {
  unsigned char *p = (unsigned char *)dst;
  const unsigned char b = (unsigned char)c;
  while (n && ((uintptr_t)p & 3u)) {
    *p++ = b;
    n--;
  }
  uint32_t *w = (uint32_t *)(void *)p;
  const uint32_t v = 0x01010101u * b;
  for (; n >= 16; n -= 16, w += 4) {
    w[0] = v;
    w[1] = v;
    w[2] = v;
    w[3] = v;
  }
  for (; n >= 4; n -= 4) *w++ = v;
  p = (unsigned char *)w;
  while (n--) *p++ = b;
  return dst;
}
