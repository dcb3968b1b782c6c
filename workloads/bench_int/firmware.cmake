# Compute-bound integer kernels for simulator-speed benchmarks (bench/run.sh). Linked entirely into
# SRAM at 0x8000_0000 so the same ELF also runs on QEMU's `virt` machine (RAM at 0x8000_0000).
add_firmware(NAME bench_int SOURCES intkernels.c LINK sram)
# The same kernels run in U-mode under PMP (the protection-check path of the interpreter).
add_firmware(NAME bench_int_user SOURCES intkernels.c LINK sram DEFINES BENCH_INT_USER_MODE)
