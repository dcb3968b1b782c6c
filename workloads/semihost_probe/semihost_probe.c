/* Semihosting probe: tries what an untrusted program could try through semihosting and prints the
 * results, one line per call (raw calls, not picolibc's stdio, so nothing is retried or hidden):
 *   read NAME          open for reading, read up to 63 bytes      -> "open=H errno=E" "read=N data=..."
 *   write NAME         open for writing (truncates), write "pwned\n" -> "open=H errno=E" "write=N"
 *   remove NAME        SYS_REMOVE                                  -> "remove=R errno=E"
 *   rename OLD NEW     SYS_RENAME                                  -> "rename=R errno=E"
 *   system CMD         SYS_SYSTEM                                  -> "system=R errno=E"
 *   features-seek      seek past the end of :semihosting-features and read 256 bytes
 *                                                                  -> "notread=N changed=C" (C: bytes of
 *                                                                     the buffer that changed)
 *   bigread            read 0xF0000000 bytes of :semihosting-features into a 16-byte buffer
 *                                                                  -> "notread=N"
 *   flashread          read :semihosting-features into a const array (read-only flash)
 *                                                                  -> "notread=N first=0x.." */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t semihost(uint32_t op, const void *param) {
  register uint32_t a0 __asm__("a0") = op;
  register uint32_t a1 __asm__("a1") = (uint32_t)(uintptr_t)param;
  __asm__ volatile(".option push\n.option norvc\n.balign 16\n"
                   "slli x0, x0, 0x1f\nebreak\nsrai x0, x0, 7\n.option pop"
                   : "+r"(a0)
                   : "r"(a1)
                   : "memory");
  return a0;
}
enum { SYS_OPEN = 1, SYS_CLOSE = 2, SYS_WRITE = 5, SYS_READ = 6, SYS_SEEK = 10, SYS_REMOVE = 14,
       SYS_RENAME = 15, SYS_SYSTEM = 18, SYS_ERRNO = 19 };

static int32_t sh_open(const char *name, uint32_t mode) {
  uint32_t p[3] = {(uint32_t)(uintptr_t)name, mode, (uint32_t)strlen(name)};
  return (int32_t)semihost(SYS_OPEN, p);
}
static uint32_t sh_read(int32_t h, void *buf, uint32_t n) {
  uint32_t p[3] = {(uint32_t)h, (uint32_t)(uintptr_t)buf, n};
  return semihost(SYS_READ, p);
}
static int32_t sh_errno(void) { return (int32_t)semihost(SYS_ERRNO, 0); }

static const uint8_t flash_buf[16] = {0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                      0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a};

int main(int argc, char **argv) {
  if (argc < 2) { printf("usage: semihost_probe CMD [ARGS]\n"); return 1; }
  const char *cmd = argv[1];
  const char *a1 = argc > 2 ? argv[2] : "", *a2 = argc > 3 ? argv[3] : "";
  if (!strcmp(cmd, "read")) {
    int32_t h = sh_open(a1, 1 /* rb */);
    printf("open=%ld errno=%ld\n", (long)h, (long)(h < 0 ? sh_errno() : 0));
    if (h >= 0) {
      char buf[64] = {0};
      uint32_t left = sh_read(h, buf, 63);
      printf("read=%lu data=%s\n", (unsigned long)(63 - left), buf);
    }
  } else if (!strcmp(cmd, "write")) {
    int32_t h = sh_open(a1, 5 /* wb */);
    printf("open=%ld errno=%ld\n", (long)h, (long)(h < 0 ? sh_errno() : 0));
    if (h >= 0) {
      uint32_t p[3] = {(uint32_t)h, (uint32_t)(uintptr_t)"pwned\n", 6};
      printf("write=%lu\n", (unsigned long)(6 - semihost(SYS_WRITE, p)));
      semihost(SYS_CLOSE, &h);
    }
  } else if (!strcmp(cmd, "remove")) {
    uint32_t p[2] = {(uint32_t)(uintptr_t)a1, (uint32_t)strlen(a1)};
    int32_t r = (int32_t)semihost(SYS_REMOVE, p);
    printf("remove=%ld errno=%ld\n", (long)r, (long)(r ? sh_errno() : 0));
  } else if (!strcmp(cmd, "rename")) {
    uint32_t p[4] = {(uint32_t)(uintptr_t)a1, (uint32_t)strlen(a1), (uint32_t)(uintptr_t)a2, (uint32_t)strlen(a2)};
    int32_t r = (int32_t)semihost(SYS_RENAME, p);
    printf("rename=%ld errno=%ld\n", (long)r, (long)(r ? sh_errno() : 0));
  } else if (!strcmp(cmd, "system")) {
    uint32_t p[2] = {(uint32_t)(uintptr_t)a1, (uint32_t)strlen(a1)};
    int32_t r = (int32_t)semihost(SYS_SYSTEM, p);
    printf("system=%ld errno=%ld\n", (long)r, (long)(r ? sh_errno() : 0));
  } else if (!strcmp(cmd, "features-seek")) {
    int32_t h = sh_open(":semihosting-features", 0);
    uint32_t sp[2] = {(uint32_t)h, 1000};
    semihost(SYS_SEEK, sp);
    static uint8_t buf[256];
    memset(buf, 0xaa, sizeof buf);
    uint32_t left = sh_read(h, buf, sizeof buf);
    unsigned changed = 0;
    for (unsigned i = 0; i < sizeof buf; i++) changed += buf[i] != 0xaa;
    printf("notread=%lu changed=%u\n", (unsigned long)left, changed);
  } else if (!strcmp(cmd, "bigread")) {
    int32_t h = sh_open(":semihosting-features", 0);
    static uint8_t buf[16];
    printf("notread=%lu\n", (unsigned long)sh_read(h, buf, 0xF0000000u));
  } else if (!strcmp(cmd, "flashread")) {
    int32_t h = sh_open(":semihosting-features", 0);
    uint32_t left = sh_read(h, (void *)(uintptr_t)flash_buf, 4);
    printf("notread=%lu first=0x%02x\n", (unsigned long)left, *(volatile const uint8_t *)flash_buf);
  } else {
    printf("unknown command '%s'\n", cmd);
    return 1;
  }
  return 0;
}
