/* Compute-in-memory macro (MRAM or ReRAM, analog or digital): register map (device kind `cim`, models/cim_macro.h; semantics in
 * cim/CIM.md, arithmetic in runtime/include/cim_ref.h). Offsets from the device base (from the
 * config; configs/mcu-cim.yaml puts macro i at 0x4000_0000 + i * 0x10000). 32-bit registers; the
 * input buffer also accepts 8- and 16-bit accesses. C11 and C++ compatible; freestanding. */
#ifndef MCUCIM_CIM_REGS_H
#define MCUCIM_CIM_REGS_H

#define CIM_DEFAULT_BASE 0x40000000u
#define CIM_DEFAULT_STRIDE 0x10000u
#define CIM_WINDOW_SIZE 0x8000u

#define CIM_REG_ID 0x000u        /* R: CIM_ID_VALUE */
#define CIM_REG_ROWS 0x004u      /* R: physical rows R */
#define CIM_REG_COLS 0x008u      /* R: physical columns C */
#define CIM_REG_CFG 0x00Cu       /* R: [3:0] bits per cell, [12:8] ADC bits B, [19:16] DAC bits D,
                                    bit 24 zero skipping, bit 28 digital (adder trees, no ADC) */
#define CIM_REG_ADC_STEP 0x010u  /* R: analog units per ADC code without a window */
#define CIM_REG_CTRL 0x014u      /* W: CIM_CTRL_* command */
#define CIM_REG_STATUS 0x018u    /* R: CIM_STATUS_BUSY | CIM_STATUS_DONE | error code << 8 */
#define CIM_REG_WBITS 0x01Cu     /* RW: weight width for PROGRAM (1, 2, 4, 8); MVMs use the programmed width */
#define CIM_REG_ABITS 0x020u     /* RW: input width for START (1..8) */
#define CIM_REG_NROWS 0x024u     /* RW: rows: inputs of an MVM (rows 0..NROWS-1) / rows to program */
#define CIM_REG_NOUT 0x028u      /* RW: outputs: of an MVM (0..NOUT-1) / to program */
#define CIM_REG_ROW0 0x02Cu      /* RW: PROGRAM: first row */
#define CIM_REG_OUT0 0x030u      /* RW: PROGRAM: first output */
#define CIM_REG_SRC 0x034u       /* RW: PROGRAM: address of weight (row i, output o) = SRC + o*STRIDE + i, int8 */
#define CIM_REG_STRIDE 0x038u    /* RW: PROGRAM: bytes between outputs in the source */
#define CIM_REG_MVMS 0x03Cu      /* R: completed MVMs (low 32 bits) */
#define CIM_REG_MAX_OUT 0x040u   /* R: outputs per tile at WBITS (0 if WBITS is not supported) */
#define CIM_REG_PWBITS 0x044u    /* R: width of the programmed weights (0: never programmed) */
#define CIM_REG_IRQ_EN 0x048u    /* RW: bit 0: raise the machine external interrupt (mip.MEIP) while DONE */
#define CIM_REG_RPP 0x04Cu       /* R: rows activated together per conversion (rows_per_pass) */
#define CIM_REG_MODE 0x050u      /* RW: bit 0 WIN_EN: convert through the window table (analog macros) */
#define CIM_REG_WIN_COLS 0x054u  /* R: columns per ADC window group */
#define CIM_REG_POWER 0x058u     /* RW: write CIM_POWER_* to request a state; read: [1:0] state, bit 8 waking */
#define CIM_WIN_TABLE 0x2000u    /* RW: ADC windows, word (group g, pass k) at + (g * 8 + k) * 4:
                                    [15:0] offset, [31:16] full scale (analog units); cim_ref_win_pack() */
#define CIM_IN_BUF 0x1000u       /* RW: input vector, one int8 per row (up to 4096 rows) */
#define CIM_OUT_BUF 0x4000u      /* R: output vector, one int32 per output (up to 4096) */

#define CIM_ID_VALUE 0x43494D31u /* "CIM1" */

#define CIM_CTRL_START 1u        /* run an MVM: inputs latched from IN_BUF, results to OUT_BUF when done */
#define CIM_CTRL_PROGRAM 2u      /* program weights from memory (SRC/STRIDE/ROW0/OUT0/NROWS/NOUT/WBITS) */
#define CIM_CTRL_CLEAR 4u        /* clear DONE and the error code */

#define CIM_STATUS_BUSY 0x1u
#define CIM_STATUS_DONE 0x2u     /* the last command completed (sticky until the next command or CLEAR) */
#define CIM_STATUS_ERR(s) (((s) >> 8) & 0xFFu) /* CIM_ERR_* of runtime/include/cim_ref.h, 0 = none */

#define CIM_MODE_WIN_EN 1u

#define CIM_POWER_ON 0u          /* powered and clocked */
#define CIM_POWER_IDLE 1u        /* clock-gated periphery (idle leakage) */
#define CIM_POWER_OFF 2u         /* power-gated: no leakage, weights kept; a command wakes it (wake-up latency) */
#define CIM_POWER_WAKING 0x100u

#define CIM_CFG_CELL_BITS(c) ((c)&0xFu)
#define CIM_CFG_ADC_BITS(c) (((c) >> 8) & 0x1Fu)
#define CIM_CFG_DAC_BITS(c) (((c) >> 16) & 0xFu)
#define CIM_CFG_ZERO_SKIP(c) (((c) >> 24) & 1u)
#define CIM_CFG_DIGITAL(c) (((c) >> 28) & 1u)

#endif
