/* Two MCUs exchanging messages over a link (issue 15; tests/system): rank 0 sends messages of
 * several sizes on link0 and waits for each to come back (every byte + 1) on link1; rank 1 receives
 * on link1 and returns on link0, checking every byte. Both sleep in wfi while they wait (the
 * endpoint's interrupt). Args: -r RANK [-n ROUNDS] [-b BYTES] [-d CYCLES] [-w CYCLES] (BYTES per
 * message, default: 1, 17, 100, 255, 256 ... in turn; -d: rank 0 waits that long before each send,
 * -w: before it exits, so an armed rank 1 listens that long: tests/system). Rank 0 prints "rtt <bytes> <cycles>" per round trip and "ping ok";
 * rank 1 prints "pong ok". Exit 1 on a wrong byte, 2 on bad arguments, 3 on a link error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcucim/link.h"
#include "mcucim/simctrl.h"

#define OUT 0x13000000u
#define IN 0x13001000u

static uint8_t buf[4096] __attribute__((aligned(4)));

static uint32_t cycles(void) {
  uint32_t c;
  __asm__ volatile("csrr %0, mcycle" : "=r"(c));
  return c;
}

int main(int argc, char **argv) {
  int rank = -1;
  uint32_t rounds = 5, fixed = 0, delay = 0, linger = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "-r")) rank = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-n")) rounds = (uint32_t)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-b")) fixed = (uint32_t)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-d")) delay = (uint32_t)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-w")) linger = (uint32_t)atoi(argv[i + 1]);
    else { printf("bad option %s\n", argv[i]); return 2; }
  }
  static const uint32_t sizes[] = {1, 17, 100, 255, 256, 1000};
  if (rank != 0 && rank != 1) { printf("expected -r 0 or -r 1\n"); return 2; }
  if (link_read(OUT, LINK_ID) != 0x4C4E4B31u) { printf("no link endpoint\n"); return 2; }
  uint32_t mtu = link_read(OUT, LINK_MTU), err = 0;
  for (uint32_t r = 0; r < rounds; r++) {
    uint32_t n = fixed ? fixed : sizes[r % (sizeof sizes / sizeof sizes[0])];
    if (!fixed && n > mtu) n = mtu; /* -b over the MTU is sent as it is: the endpoint refuses it */
    if (rank == 0) {
      for (uint32_t w = cycles(); cycles() - w < delay;) {}
      for (uint32_t i = 0; i < n; i++) buf[i] = (uint8_t)(i * 7u + r);
      uint32_t t0 = cycles();
      if ((err = link_send(OUT, buf, n))) { printf("send error %lu (%s)\n", (unsigned long)err, err == LINK_ERR_LEN ? "message longer than the link's MTU" : "see mcucim/link.h"); return 3; }
      uint32_t got = link_recv(IN, buf, sizeof buf, &err);
      uint32_t t1 = cycles();
      if (err) { printf("recv error %lu\n", (unsigned long)err); return 3; }
      if (got != n) { printf("length %lu, expected %lu\n", (unsigned long)got, (unsigned long)n); return 1; }
      for (uint32_t i = 0; i < n; i++)
        if (buf[i] != (uint8_t)(i * 7u + r + 1u)) { printf("byte %lu wrong\n", (unsigned long)i); return 1; }
      printf("rtt %lu %lu\n", (unsigned long)n, (unsigned long)(t1 - t0));
    } else {
      uint32_t got = link_recv(IN, buf, sizeof buf, &err);
      if (err) { printf("recv error %lu\n", (unsigned long)err); return 3; }
      if (got != n) { printf("length %lu, expected %lu\n", (unsigned long)got, (unsigned long)n); return 1; }
      for (uint32_t i = 0; i < n; i++) {
        if (buf[i] != (uint8_t)(i * 7u + r)) { printf("byte %lu wrong\n", (unsigned long)i); return 1; }
        buf[i]++;
      }
      if ((err = link_send(OUT, buf, n))) { printf("send error %lu\n", (unsigned long)err); return 3; }
    }
  }
  if (rank == 0)
    for (uint32_t w = cycles(); cycles() - w < linger;) {}
  printf(rank == 0 ? "ping ok\n" : "pong ok\n");
  return 0;
}
