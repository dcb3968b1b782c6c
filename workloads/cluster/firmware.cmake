# Multi-hart programs (docs/CLUSTER.md): run on configs/mcu-cluster-test.yaml (or --set soc.core.count=N).
add_firmware(NAME cluster_check SOURCES cluster_check.c ${MCUCIM_SOURCE_DIR}/runtime/board/cluster.c
             ARCH rv32imac ABI ilp32)
add_firmware(NAME barrier_timing SOURCES barrier_timing.c ${MCUCIM_SOURCE_DIR}/runtime/board/cluster.c
             ARCH rv32imac ABI ilp32)
add_firmware(NAME cluster_deadlock SOURCES deadlock.c ARCH rv32imac ABI ilp32)
