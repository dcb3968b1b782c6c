/* 8-row INT8 Xmac inner loop, hand-scheduled (isa/XMAC.md's example loop):
 *   void xmac_inner8(const uint32_t *w, uint32_t row_bytes, const uint32_t *x, uint32_t nwords, int32_t *y)
 * y[r] = sum over the nwords activation words of dot(w row r, x), rows r = 0..7 at w + r*row_bytes;
 * nwords a multiple of 4. Per iteration: 4 activation loads first (no load-use stall), 32 xmac.ldot8
 * (rd += dot(mem[rs1], rs2); rs1 += 4), the pointer step and the loop branch: 128 MACs. */
    .text
    .globl xmac_inner8
    .type xmac_inner8, @function
    .option norvc
xmac_inner8:
    addi sp, sp, -48
    sw s0, 0(sp)
    sw s1, 4(sp)
    sw s2, 8(sp)
    sw s3, 12(sp)
    sw s4, 16(sp)
    sw s5, 20(sp)
    sw s6, 24(sp)
    sw s7, 28(sp)
    sw s8, 32(sp)
    sw s9, 36(sp)
    sw s10, 40(sp)
    sw s11, 44(sp)
    /* row pointers p0..p7: a0, t4, t5, t6, s8, s9, s10, s11 */
    add t4, a0, a1
    add t5, t4, a1
    add t6, t5, a1
    add s8, t6, a1
    add s9, s8, a1
    add s10, s9, a1
    add s11, s10, a1
    /* accumulators s0..s7 */
    li s0, 0
    li s1, 0
    li s2, 0
    li s3, 0
    li s4, 0
    li s5, 0
    li s6, 0
    li s7, 0
    slli a3, a3, 2
    add a3, a2, a3          /* end of x */
1:
    lw t0, 0(a2)
    lw t1, 4(a2)
    lw t2, 8(a2)
    lw t3, 12(a2)
    .irp a, t0, t1, t2, t3
    .insn r CUSTOM_0, 0, 1, s0, a0, \a
    .insn r CUSTOM_0, 0, 1, s1, t4, \a
    .insn r CUSTOM_0, 0, 1, s2, t5, \a
    .insn r CUSTOM_0, 0, 1, s3, t6, \a
    .insn r CUSTOM_0, 0, 1, s4, s8, \a
    .insn r CUSTOM_0, 0, 1, s5, s9, \a
    .insn r CUSTOM_0, 0, 1, s6, s10, \a
    .insn r CUSTOM_0, 0, 1, s7, s11, \a
    .endr
    addi a2, a2, 16
    bne a2, a3, 1b
    sw s0, 0(a4)
    sw s1, 4(a4)
    sw s2, 8(a4)
    sw s3, 12(a4)
    sw s4, 16(a4)
    sw s5, 20(a4)
    sw s6, 24(a4)
    sw s7, 28(a4)
    lw s0, 0(sp)
    lw s1, 4(sp)
    lw s2, 8(sp)
    lw s3, 12(sp)
    lw s4, 16(sp)
    lw s5, 20(sp)
    lw s6, 24(sp)
    lw s7, 28(sp)
    lw s8, 32(sp)
    lw s9, 36(sp)
    lw s10, 40(sp)
    lw s11, 44(sp)
    addi sp, sp, 48
    ret
    .size xmac_inner8, .-xmac_inner8
