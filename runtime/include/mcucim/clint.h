/* CLINT (SiFive layout): msip, mtimecmp, mtime. Offsets from the device base. mtime counts at the
 * config's timebase_hz (soc.devices.clint.timebase_hz). */
#ifndef MCUCIM_CLINT_H
#define MCUCIM_CLINT_H
#include <stdint.h>
#ifndef MCUCIM_CLINT_BASE
#define MCUCIM_CLINT_BASE 0x02000000u
#endif
#define CLINT_MSIP      0x0000u
#define CLINT_MTIMECMP  0x4000u /* 64-bit: low word at +0, high at +4 */
#define CLINT_MTIME     0xBFF8u /* 64-bit: low word at +0, high at +4 */
#endif
