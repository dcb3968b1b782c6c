/* QEMU check of bench_matvec with the real Xmac instructions (not part of the mcucim build).
 *
 * QEMU does not implement Xmac, so this wrapper installs a machine-mode trap handler that emulates the
 * custom-0 instructions (and the xmaccfg CSR read) with the reference semantics of xmac_ref.h. The
 * benchmark's Xmac kernels then run as compiled, which checks the intrinsics' inline asm on a real
 * RV32 target: encodings, the register-group binding of the pair/quad forms, the ldot pointer update.
 * See README for the command line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "xmac.h"
#define xmac_present() 1 /* QEMU's misa has no X bit; the handler below provides the extension */
#define main bench_main
#include "bench_matvec.c"
#undef main

static uint32_t emulated[2][3]; /* [ldot][funct3] */
static uint32_t forms_ok_count; /* instructions emulated by check_all_forms (must be 6 x 2000) */

/* Called from the trap entry with the saved x0..x31 (regs[0] reads 0). Returns the new mepc. */
uint32_t xmac_emul_trap(uint32_t *regs, uint32_t mcause, uint32_t mepc) {
  const uint16_t *pc = (const uint16_t *)(uintptr_t)mepc;
  const uint32_t raw = (uint32_t)pc[0] | ((uint32_t)pc[1] << 16);
  if (mcause == 2 && XMAC_INSN_OPCODE(raw) == XMAC_OPCODE && xmac_insn_legal(raw)) {
    const uint32_t f3 = XMAC_INSN_FUNCT3(raw), ldot = XMAC_INSN_FUNCT7(raw);
    const uint32_t rd = XMAC_INSN_RD(raw), rs1 = XMAC_INSN_RS1(raw), rs2 = XMAC_INSN_RS2(raw);
    uint32_t act[4] = {0, 0, 0, 0};
    for (uint32_t i = 0; i < (1u << f3); ++i) act[i] = regs[rs2 + i];
    uint32_t w = regs[rs1];
    if (ldot) {
      w = *(const uint32_t *)(uintptr_t)regs[rs1];
      if (rs1 != 0) regs[rs1] += 4;
    }
    const int32_t r = xmac_dot_ref(f3, (int32_t)regs[rd], w, act);
    if (rd != 0) regs[rd] = (uint32_t)r;
    ++emulated[ldot][f3];
    return mepc + 4;
  }
  if (mcause == 2 && (raw & 0xFFFFF07Fu) == 0xFC002073u) { /* csrrs rd, 0xFC0, x0 */
    const uint32_t rd = XMAC_INSN_RD(raw);
    if (rd != 0) regs[rd] = XMAC_CFG_MAKE(XMAC_VERSION, 4, 1);
    return mepc + 4;
  }
  printf("qemu_xmac_emul: unexpected trap: mcause %lu at pc 0x%08lx, instruction 0x%08lx\n",
         (unsigned long)mcause, (unsigned long)mepc, (unsigned long)raw);
  exit(3);
}

/* Trap entry: save all registers in a frame, call the handler, restore, return. */
__asm__(".section .text\n"
        ".option push\n"
        ".option arch, +zicsr\n" /* -march=rv32imc has no Zicsr; binutils >= 2.38 */
        ".balign 4\n"
        "xmac_emul_entry:\n"
        "  addi sp, sp, -128\n"
        "  sw x0, 0(sp)\n  sw x1, 4(sp)\n"
        "  addi x1, sp, 128\n  sw x1, 8(sp)\n" /* the pre-trap sp */
        "  sw x3, 12(sp)\n  sw x4, 16(sp)\n  sw x5, 20(sp)\n  sw x6, 24(sp)\n  sw x7, 28(sp)\n"
        "  sw x8, 32(sp)\n  sw x9, 36(sp)\n  sw x10, 40(sp)\n  sw x11, 44(sp)\n  sw x12, 48(sp)\n"
        "  sw x13, 52(sp)\n  sw x14, 56(sp)\n  sw x15, 60(sp)\n  sw x16, 64(sp)\n  sw x17, 68(sp)\n"
        "  sw x18, 72(sp)\n  sw x19, 76(sp)\n  sw x20, 80(sp)\n  sw x21, 84(sp)\n  sw x22, 88(sp)\n"
        "  sw x23, 92(sp)\n  sw x24, 96(sp)\n  sw x25, 100(sp)\n  sw x26, 104(sp)\n  sw x27, 108(sp)\n"
        "  sw x28, 112(sp)\n  sw x29, 116(sp)\n  sw x30, 120(sp)\n  sw x31, 124(sp)\n"
        "  mv a0, sp\n  csrr a1, mcause\n  csrr a2, mepc\n"
        "  call xmac_emul_trap\n"
        "  csrw mepc, a0\n"
        "  lw x1, 4(sp)\n"
        "  lw x3, 12(sp)\n  lw x4, 16(sp)\n  lw x5, 20(sp)\n  lw x6, 24(sp)\n  lw x7, 28(sp)\n"
        "  lw x8, 32(sp)\n  lw x9, 36(sp)\n  lw x10, 40(sp)\n  lw x11, 44(sp)\n  lw x12, 48(sp)\n"
        "  lw x13, 52(sp)\n  lw x14, 56(sp)\n  lw x15, 60(sp)\n  lw x16, 64(sp)\n  lw x17, 68(sp)\n"
        "  lw x18, 72(sp)\n  lw x19, 76(sp)\n  lw x20, 80(sp)\n  lw x21, 84(sp)\n  lw x22, 88(sp)\n"
        "  lw x23, 92(sp)\n  lw x24, 96(sp)\n  lw x25, 100(sp)\n  lw x26, 104(sp)\n  lw x27, 108(sp)\n"
        "  lw x28, 112(sp)\n  lw x29, 116(sp)\n  lw x30, 120(sp)\n  lw x31, 124(sp)\n"
        "  lw x2, 8(sp)\n"
        "  mret\n"
        ".option pop\n");

/* Every intrinsic (executed as an instruction, emulated) against the reference, 2000 random cases. */
static int check_all_forms(void) {
  static uint32_t buf[8];
  int bad = 0;
  for (int i = 0; i < 2000 && !bad; ++i) {
    const int32_t acc = (int32_t)xorshift32();
    const uint32_t w = xorshift32(), a0 = xorshift32(), a1 = xorshift32(), a2 = xorshift32(),
                   a3 = xorshift32();
    bad |= xmac_dot8(acc, w, a0) != xmac_dot8_ref(acc, w, a0);
    bad |= xmac_dot4(acc, w, a0, a1) != xmac_dot4_ref(acc, w, a0, a1);
    bad |= xmac_dot2(acc, w, a0, a1, a2, a3) != xmac_dot2_ref(acc, w, a0, a1, a2, a3);
    buf[i % 8] = w;
    const uint32_t *p = &buf[i % 8];
    bad |= xmac_ldot8(acc, &p, a0) != xmac_dot8_ref(acc, w, a0) || p != &buf[i % 8] + 1;
    p = &buf[i % 8];
    bad |= xmac_ldot4(acc, &p, a0, a1) != xmac_dot4_ref(acc, w, a0, a1) || p != &buf[i % 8] + 1;
    p = &buf[i % 8];
    bad |= xmac_ldot2(acc, &p, a0, a1, a2, a3) != xmac_dot2_ref(acc, w, a0, a1, a2, a3) ||
           p != &buf[i % 8] + 1;
    if (bad) printf("qemu_xmac_emul: intrinsic mismatch in case %d\n", i);
  }
  return !bad;
}

int main(void) {
  extern char xmac_emul_entry[];
  __asm__ volatile(".option push\n.option arch, +zicsr\ncsrw mtvec, %0\n.option pop"
                   ::"r"((uint32_t)(uintptr_t)xmac_emul_entry));
  const int forms_ok = check_all_forms();
  for (unsigned f = 0; f < 3; ++f) forms_ok_count += emulated[0][f] + emulated[1][f];
  const int rc = bench_main();
  printf("emulated: ldot8 %lu, ldot4 %lu, ldot2 %lu, dot8 %lu, dot4 %lu, dot2 %lu\n",
         (unsigned long)emulated[1][0], (unsigned long)emulated[1][1], (unsigned long)emulated[1][2],
         (unsigned long)emulated[0][0], (unsigned long)emulated[0][1], (unsigned long)emulated[0][2]);
  /* Each Xmac variant does 256x256 MACs: 16384 ldot8 (4 MACs) or 8192 ldot4 (8 MACs); two of each;
   * plus 2000 of every form from check_all_forms. */
  const int counts_ok = forms_ok && forms_ok_count == 6u * 2000u &&
                        emulated[1][0] == 2u * 16384u + 2000u && emulated[1][1] == 2u * 8192u + 2000u &&
                        emulated[1][2] == 2000u && emulated[0][0] == 2000u && emulated[0][1] == 2000u &&
                        emulated[0][2] == 2000u;
  printf("qemu_xmac_emul: %s\n", rc == 0 && counts_ok ? "PASS" : "FAIL");
  return rc == 0 && counts_ok ? 0 : 1;
}
