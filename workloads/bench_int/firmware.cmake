# Compute-bound integer kernels for simulator-speed benchmarks (bench/run.sh). Linked entirely into
# SRAM at 0x8000_0000 so the same ELF also runs on QEMU's `virt` machine (RAM at 0x8000_0000).
add_firmware(NAME bench_int SOURCES intkernels.c LINK sram)
