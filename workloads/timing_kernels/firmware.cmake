# Timing kernels (CRC, memcpy/strcmp, binary search, bytecode interpreter, bit tricks, mul/div, int8
# mat-vec) measured with rdcycle; everything in SRAM, output through sim-control (no semihosting), so
# the same ELF runs on the PicoRV32 RTL testbench (bench/picorv32_rtl.sh).
add_firmware(NAME timing_kernels SOURCES timing_kernels.c LINK sram SEMIHOST OFF)
