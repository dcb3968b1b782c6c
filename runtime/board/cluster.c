/* Starting harts of a cluster (mcucim/cluster.h). A started hart enters cluster_entry with sp and a0
 * from the event unit; the entry sets gp and tp as hart 0 has them, enables the FPU state, and calls
 * cluster_fn[hartid](a0). */
#include "mcucim/cluster.h"

void (*volatile cluster_fn[CLUSTER_MAX_HARTS])(uint32_t);
volatile uint32_t cluster_tp;
void cluster_entry(void);

__asm__(
    ".pushsection .text.cluster_entry,\"ax\",@progbits\n"
    ".globl cluster_entry\n"
    ".p2align 2\n"
    "cluster_entry:\n"
    ".option push\n"
    ".option norelax\n"
    "  la gp, __global_pointer$\n"
    ".option pop\n"
    "  la t0, cluster_tp\n"
    "  lw tp, 0(t0)\n"
    "  li t0, 0x6000\n"        /* mstatus.FS = dirty (WARL: no effect without F) */
    "  csrs mstatus, t0\n"
    "  csrr t0, mhartid\n"
    "  slli t0, t0, 2\n"
    "  la t1, cluster_fn\n"
    "  add t1, t1, t0\n"
    "  lw t1, 0(t1)\n"
    "  jalr t1\n"
    "1:\n"
    "  wfi\n"
    "  j 1b\n"
    ".popsection\n");

void cluster_start(uint32_t hart, void (*fn)(uint32_t arg), uint32_t arg, void *stack_top) {
  uint32_t tp;
  __asm__ volatile("mv %0, tp" : "=r"(tp));
  cluster_tp = tp;
  cluster_fn[hart % CLUSTER_MAX_HARTS] = fn;
  *cluster_reg(EU_START_PC) = (uint32_t)(uintptr_t)&cluster_entry;
  *cluster_reg(EU_START_SP) = (uint32_t)(uintptr_t)stack_top & ~15u;
  *cluster_reg(EU_START_ARG) = arg;
  __asm__ volatile("" ::: "memory");
  *cluster_reg(EU_START) = hart;
}
