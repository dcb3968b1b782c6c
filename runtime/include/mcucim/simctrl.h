/* Sim-control device: how firmware talks to the simulator (exit code, regions, tokens, declared work).
 * Register map (32-bit registers, offsets from the device base; base from the config, default below).
 * C11 and C++ compatible; freestanding. */
#ifndef MCUCIM_SIMCTRL_H
#define MCUCIM_SIMCTRL_H
#include <stdint.h>

#ifndef MCUCIM_SIMCTRL_BASE
#define MCUCIM_SIMCTRL_BASE 0x11000000u
#endif

#define SIMCTRL_EXIT          0x00u /* W: end the run; the value is the exit code */
#define SIMCTRL_REGION_BEGIN  0x04u /* W: open region <id> (nesting allowed) */
#define SIMCTRL_REGION_END    0x08u /* W: close region <id> (must be the innermost open one) */
#define SIMCTRL_NAME_ID       0x0Cu /* W: id whose name the next NAME_PTR write gives */
#define SIMCTRL_NAME_PTR      0x10u /* W: address of a NUL-terminated name (read by the simulator) */
#define SIMCTRL_TOKEN         0x14u /* W: a token was produced; the value is the token id */
#define SIMCTRL_WORK_MACS_LO  0x18u /* W: add declared useful MACs to the innermost open region (low) */
#define SIMCTRL_WORK_MACS_HI  0x1Cu /* W: high 32 bits, latched; written before LO */
#define SIMCTRL_PUTC          0x20u /* W: write one character to the run's stdout */
#define SIMCTRL_SIM_VERSION   0x24u /* R: 1 (lets firmware detect the simulator) */
#define SIMCTRL_BLOB_INDEX    0x28u /* W: select data blob i (files placed by --load / soc.load, in order) */
#define SIMCTRL_BLOB_ADDR     0x2Cu /* R: address of the selected blob (0 if there is none) */
#define SIMCTRL_BLOB_SIZE     0x30u /* R: size in bytes of the selected blob (0 if there is none) */
#define SIMCTRL_TOKEN_COUNT   0x34u /* W: the next TOKEN mark stands for n positions processed together
                                       (batched prefill): its interval is split evenly into n tokens */

/* Token phases (docs/REPORT.md, "Regions and tokens"): the simulator recognises regions by these names.
 * A token marked inside a region named "prefill" is a prompt position, inside "decode" a generated
 * position; everything before the first of them begins is start-up, counted in no token. The ids
 * below are suggestions any firmware may use (name them with sim_name_phases()); "startup" is an
 * ordinary region that shows the start-up cost in the region table. */
#define SIM_REGION_STARTUP    0x7fff0001u
#define SIM_REGION_PREFILL    0x7fff0002u
#define SIM_REGION_DECODE     0x7fff0003u

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__riscv)
static inline void simctrl_write(uint32_t off, uint32_t v) {
  *(volatile uint32_t *)(uintptr_t)(MCUCIM_SIMCTRL_BASE + off) = v;
}
__attribute__((noreturn)) static inline void sim_exit(int code) {
  simctrl_write(SIMCTRL_EXIT, (uint32_t)code);
  for (;;) {
  }
}
static inline void sim_region_name(uint32_t id, const char *name) {
  simctrl_write(SIMCTRL_NAME_ID, id);
  simctrl_write(SIMCTRL_NAME_PTR, (uint32_t)(uintptr_t)name);
}
static inline void sim_region_begin(uint32_t id) { simctrl_write(SIMCTRL_REGION_BEGIN, id); }
static inline void sim_region_end(uint32_t id) { simctrl_write(SIMCTRL_REGION_END, id); }
static inline void sim_token(uint32_t token) { simctrl_write(SIMCTRL_TOKEN, token); }
static inline void sim_work_macs(uint64_t macs) {
  simctrl_write(SIMCTRL_WORK_MACS_HI, (uint32_t)(macs >> 32));
  simctrl_write(SIMCTRL_WORK_MACS_LO, (uint32_t)macs);
}
static inline void sim_putc(char c) { simctrl_write(SIMCTRL_PUTC, (uint8_t)c); }
/* n positions processed together end here (n >= 1): n tokens with the id `token` */
static inline void sim_tokens(uint32_t token, uint32_t n) {
  simctrl_write(SIMCTRL_TOKEN_COUNT, n);
  simctrl_write(SIMCTRL_TOKEN, token);
}
static inline void sim_name_phases(void) {
  sim_region_name(SIM_REGION_STARTUP, "startup");
  sim_region_name(SIM_REGION_PREFILL, "prefill");
  sim_region_name(SIM_REGION_DECODE, "decode");
}
#else
/* Host builds: region marks and tokens are no-ops; exit is the C library's. */
static inline void sim_region_name(uint32_t id, const char *name) { (void)id; (void)name; }
static inline void sim_region_begin(uint32_t id) { (void)id; }
static inline void sim_region_end(uint32_t id) { (void)id; }
static inline void sim_token(uint32_t token) { (void)token; }
static inline void sim_work_macs(uint64_t macs) { (void)macs; }
static inline void sim_tokens(uint32_t token, uint32_t n) { (void)token; (void)n; }
static inline void sim_name_phases(void) {}
#endif

#ifdef __cplusplus
}
#endif
#endif
