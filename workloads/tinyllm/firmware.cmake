# tinyllm firmware: the runtime (runtime/src/*.c, the same sources as the host build) plus a main that
# reads the model image from sim-control blob 0. Hard-float and soft-float builds must print the same
# ids and logits checksum as tinyllm-host. The 472 KiB arena is in .bss (SRAM 512 KiB; the rest: CIM macro handles, C library, stack).
file(GLOB _tinyllm_runtime_srcs CONFIGURE_DEPENDS ${MCUCIM_SOURCE_DIR}/runtime/src/*.c)
list(APPEND _tinyllm_runtime_srcs ${MCUCIM_SOURCE_DIR}/runtime/cim.c
     ${MCUCIM_SOURCE_DIR}/runtime/board/fast_memset.c   # word-wise memset: start-up clears the arena
     ${MCUCIM_SOURCE_DIR}/runtime/board/cluster.c)      # -T: starting the cluster's harts
add_firmware(NAME tinyllm SOURCES tinyllm_fw.c ${_tinyllm_runtime_srcs}
             ARCH rv32imfc ABI ilp32f STACK_SIZE 0x4000)
add_firmware(NAME tinyllm_soft SOURCES tinyllm_fw.c ${_tinyllm_runtime_srcs}
             ARCH rv32imc ABI ilp32 STACK_SIZE 0x4000)
# tinyllm split across the MCUs of a system (pipeline parallel): docs/SYSTEM.md.
add_firmware(NAME tinyllm_par SOURCES tinyllm_par.c ${_tinyllm_runtime_srcs}
             ARCH rv32imfc ABI ilp32f STACK_SIZE 0x4000)
