# CMake toolchain file: RV32 bare metal with Debian's riscv64-unknown-elf-gcc 12 and picolibc 1.8.
#   cmake -S workloads/firmware -B build-fw -DCMAKE_TOOLCHAIN_FILE=runtime/cmake/riscv32-picolibc.cmake
# Defaults: -march=rv32imc -mabi=ilp32 (override with -DMCUCIM_RV_ARCH=... -DMCUCIM_RV_ABI=...;
# add_firmware() can override them per program).
#
# Why -misa-spec=2.2: GCC 12 defaults to the 2019 ISA spec, in which CSR instructions (csrr/csrw,
# needed to set mtvec/mie) belong to the separate Zicsr extension, so `-march=rv32imc` rejects them.
# Spelling it `-march=rv32imc_zicsr` instead breaks picolibc's multilib selection (GCC 12 then falls
# back to the rv64 default library and the link fails). With the 2.2 spec, Zicsr and Zifencei are
# part of I, and multilib selection still picks rv32im/ilp32 (rv32imf/ilp32f for hard float).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)

set(MCUCIM_RV_PREFIX riscv64-unknown-elf- CACHE STRING "Cross tool prefix")
set(MCUCIM_RV_ARCH rv32imc CACHE STRING "Default -march for firmware")
set(MCUCIM_RV_ABI ilp32 CACHE STRING "Default -mabi for firmware")

find_program(MCUCIM_RV_GCC ${MCUCIM_RV_PREFIX}gcc)
if(NOT MCUCIM_RV_GCC)
  message(FATAL_ERROR "riscv32-picolibc.cmake: ${MCUCIM_RV_PREFIX}gcc not found on PATH; "
                      "install gcc-riscv64-unknown-elf and picolibc-riscv64-unknown-elf "
                      "(scripts/install-deps.sh)")
endif()
get_filename_component(_mcucim_rv_bindir ${MCUCIM_RV_GCC} DIRECTORY)
set(CMAKE_C_COMPILER ${MCUCIM_RV_GCC})
set(CMAKE_ASM_COMPILER ${MCUCIM_RV_GCC})
set(CMAKE_CXX_COMPILER ${_mcucim_rv_bindir}/${MCUCIM_RV_PREFIX}g++)
set(CMAKE_OBJCOPY ${_mcucim_rv_bindir}/${MCUCIM_RV_PREFIX}objcopy CACHE FILEPATH "")
set(CMAKE_OBJDUMP ${_mcucim_rv_bindir}/${MCUCIM_RV_PREFIX}objdump CACHE FILEPATH "")
set(CMAKE_SIZE ${_mcucim_rv_bindir}/${MCUCIM_RV_PREFIX}size CACHE FILEPATH "")

set(_mcucim_rv_flags "-march=${MCUCIM_RV_ARCH} -mabi=${MCUCIM_RV_ABI} -misa-spec=2.2 --specs=picolibc.specs")
set(CMAKE_C_FLAGS_INIT "${_mcucim_rv_flags}")
set(CMAKE_CXX_FLAGS_INIT "${_mcucim_rv_flags}")
set(CMAKE_ASM_FLAGS_INIT "${_mcucim_rv_flags}")
# (--specs=picolibc.specs is in the C flags, which CMake also passes when linking; giving it twice
# is an error: "attempt to rename spec 'link'")

# No linker script or memory map is known when CMake probes the compiler: only compile.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
