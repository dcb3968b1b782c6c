/* CoreMark port layer for mcucim's MCU (and the PicoRV32 RTL testbench): bench/coremark.sh builds the
 * CoreMark sources from a user-supplied directory (not part of this repository) with these two files.
 * Time base: rdcycle, reported as ticks of a nominal 1 MHz clock, so "Iterations/Sec" is CoreMark/MHz.
 * Output through the sim-control PUTC register; the end through its EXIT register. */
#ifndef CORE_PORTME_H
#define CORE_PORTME_H
#include <stddef.h>
#include <stdint.h>

#define HAS_FLOAT 0
#define HAS_TIME_H 0
#define USE_CLOCK 0
#define HAS_STDIO 0
#define HAS_PRINTF 0
#define MAIN_HAS_NOARGC 1
#define MAIN_HAS_NORETURN 0
#define SEED_METHOD SEED_VOLATILE
#define MEM_METHOD MEM_STATIC
#define MULTITHREAD 1
#define MEM_LOCATION "SRAM (zero wait states)"
#ifndef COMPILER_VERSION
#define COMPILER_VERSION "GCC" __VERSION__
#endif
#ifndef COMPILER_FLAGS
#define COMPILER_FLAGS "(see bench/coremark.sh)"
#endif
#ifndef ITERATIONS
#define ITERATIONS 10
#endif

typedef int16_t ee_s16;
typedef uint16_t ee_u16;
typedef int32_t ee_s32;
typedef uint32_t ee_u32;
typedef uint8_t ee_u8;
typedef uintptr_t ee_ptr_int;
typedef size_t ee_size_t;
typedef float ee_f32;
typedef ee_u32 CORE_TICKS;
/* Pointer space per list element half (some CoreMark versions size list items with it). */
#define POINTER_SPACE 8
#define align_mem(x) (void *)(4 + (((ee_ptr_int)(x)-1) & ~3))

typedef struct CORE_PORTABLE_S {
  ee_u8 portable_id;
} core_portable;

extern ee_u32 default_num_contexts;
void portable_init(core_portable *p, int *argc, char *argv[]);
void portable_fini(core_portable *p);
int ee_printf(const char *fmt, ...);

#endif
