/* CoreMark port layer for mcucim (see core_portme.h). Our own code; the CoreMark sources are not part
 * of this repository. */
#include <stdarg.h>

#include "coremark.h"
#include "mcucim/simctrl.h"

volatile ee_s32 seed1_volatile = 0x0;
volatile ee_s32 seed2_volatile = 0x0;
volatile ee_s32 seed3_volatile = 0x66;
volatile ee_s32 seed4_volatile = ITERATIONS;
volatile ee_s32 seed5_volatile = 0;
ee_u32 default_num_contexts = 1;

static ee_u32 start_cycles, stop_cycles;

static inline ee_u32 rdcycle(void) {
  ee_u32 c;
  __asm__ volatile("rdcycle %0" : "=r"(c));
  return c;
}

void start_time(void) { start_cycles = rdcycle(); }
void stop_time(void) { stop_cycles = rdcycle(); }
CORE_TICKS get_time(void) { return stop_cycles - start_cycles; }
/* Ticks are cycles; seconds at a nominal 1 MHz, so iterations per "second" = CoreMark/MHz. */
secs_ret time_in_secs(CORE_TICKS ticks) { return ticks / 1000000u; }

void portable_init(core_portable *p, int *argc, char *argv[]) {
  (void)argc;
  (void)argv;
  p->portable_id = 1;
}

void portable_fini(core_portable *p) {
  /* One line in the format of workloads/timing_kernels, for bench/picorv32_rtl.sh. */
  ee_printf("kernel coremark cycles %u check %x\n", (unsigned)get_time(), (unsigned)ITERATIONS);
  p->portable_id = 0;
  sim_exit(0);
}

/* ---- a minimal printf: %d %u %x %s %c with optional 0 flag, width and l ---- */
static void out_num(ee_u32 v, unsigned base, int neg, int width, char pad) {
  char b[12];
  int n = 0;
  do { b[n++] = "0123456789abcdef"[v % base]; v /= base; } while (v);
  if (neg) b[n++] = '-';
  while (n < width--) sim_putc(pad);
  while (n) sim_putc(b[--n]);
}

int ee_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  for (; *fmt; fmt++) {
    if (*fmt != '%') { sim_putc(*fmt); continue; }
    fmt++;
    char pad = ' ';
    int width = 0;
    if (*fmt == '0') { pad = '0'; fmt++; }
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l') fmt++;
    switch (*fmt) {
      case 'd': { int v = va_arg(ap, int); out_num(v < 0 ? (ee_u32)-v : (ee_u32)v, 10, v < 0, width, pad); break; }
      case 'u': out_num(va_arg(ap, unsigned), 10, 0, width, pad); break;
      case 'x': out_num(va_arg(ap, unsigned), 16, 0, width, pad); break;
      case 's': { const char *s = va_arg(ap, const char *); while (*s) sim_putc(*s++); break; }
      case 'c': sim_putc((char)va_arg(ap, int)); break;
      case '%': sim_putc('%'); break;
      default: sim_putc('?'); break;
    }
  }
  va_end(ap);
  return 0;
}
