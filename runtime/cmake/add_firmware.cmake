# add_firmware(): one firmware program for the simulated MCU, linked with picolibc's picolibc.ld.
# Include this from a CMake project configured with runtime/cmake/riscv32-picolibc.cmake.
#
#   add_firmware(NAME <name> SOURCES <file.c>...
#                [ARCH rv32imc|rv32imfc|...]   default: MCUCIM_RV_ARCH (rv32imc)
#                [ABI ilp32|ilp32f]            default: MCUCIM_RV_ABI (ilp32)
#                [LINK flash|sram]             default: flash
#                [SEMIHOST ON|OFF]             default: ON
#                [STACK_SIZE <bytes>]          default: picolibc's 0x800
#                [DEFINES <VAR=value>...] [INCLUDE_DIRS <dir>...] [LIBS <lib>...])
# Relative SOURCES and INCLUDE_DIRS are relative to the calling file's folder.
#
# Produces ${MCUCIM_FIRMWARE_OUT_DIR}/<name>.elf (default: the project's top binary dir), plus
# <name>.map (linker map) and <name>.lst (disassembly) beside it.
#
# LINK flash: code and read-only data in flash (execute in place), .data's run address in SRAM
#   with its load address in flash (picolibc's crt0 copies it), .bss/heap/stack in SRAM.
# LINK sram: everything in SRAM: picolibc's "flash" region is the lower half of SRAM and its "ram"
#   region the upper half (the two regions must not overlap).
# SEMIHOST ON: --crt0=semihost --oslib=semihost: crt0 calls exit(main()); printf and exit use RISC-V
#   semihosting. Note: this crt0 also sets mtvec to picolibc's _trap handler, which prints the
#   registers through semihosting and calls _exit(1). Programs that want the simulator to report
#   an unhandled trap must write mtvec themselves (e.g. to 0).
# SEMIHOST OFF: --crt0=hosted (calls exit(main()), leaves mtvec alone) plus
#   runtime/board/simctrl_stdio.c: printf goes to the sim-control PUTC register, exit to its EXIT
#   register.
include_guard(GLOBAL)

if(NOT DEFINED MCUCIM_SOURCE_DIR)
  get_filename_component(MCUCIM_SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
endif()
include(${MCUCIM_SOURCE_DIR}/runtime/board/mcu-base.cmake)
if(NOT DEFINED MCUCIM_FIRMWARE_OUT_DIR)
  set(MCUCIM_FIRMWARE_OUT_DIR ${CMAKE_BINARY_DIR})
endif()

function(add_firmware)
  cmake_parse_arguments(PARSE_ARGV 0 FW "" "NAME;ARCH;ABI;LINK;SEMIHOST;STACK_SIZE"
                        "SOURCES;DEFINES;INCLUDE_DIRS;LIBS")
  if(FW_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "add_firmware(${FW_NAME}): unexpected arguments '${FW_UNPARSED_ARGUMENTS}' "
                        "(expected NAME, SOURCES, ARCH, ABI, LINK, SEMIHOST, STACK_SIZE, DEFINES, "
                        "INCLUDE_DIRS, LIBS)")
  endif()
  if(NOT FW_NAME OR NOT FW_SOURCES)
    message(FATAL_ERROR "add_firmware: NAME and SOURCES are required (got NAME='${FW_NAME}', "
                        "SOURCES='${FW_SOURCES}')")
  endif()
  if(NOT FW_ARCH)
    set(FW_ARCH ${MCUCIM_RV_ARCH})
  endif()
  if(NOT FW_ABI)
    set(FW_ABI ${MCUCIM_RV_ABI})
  endif()
  if(NOT FW_LINK)
    set(FW_LINK flash)
  endif()
  if(NOT DEFINED FW_SEMIHOST)
    set(FW_SEMIHOST ON)
  endif()
  if(NOT FW_ARCH MATCHES "^rv32[a-z0-9_]+$")
    message(FATAL_ERROR "add_firmware(${FW_NAME}): ARCH '${FW_ARCH}' is not an RV32 -march string "
                        "(expected e.g. rv32imc or rv32imfc)")
  endif()
  if(NOT FW_ABI MATCHES "^ilp32[fe]?$")
    message(FATAL_ERROR "add_firmware(${FW_NAME}): ABI '${FW_ABI}' is not one of ilp32, ilp32f, ilp32e")
  endif()

  # relative sources are relative to the file that calls add_firmware() (a workloads/<dir>/firmware.cmake)
  set(sources "")
  foreach(src ${FW_SOURCES})
    get_filename_component(src "${src}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_LIST_DIR}")
    list(APPEND sources "${src}")
  endforeach()
  add_executable(${FW_NAME} ${sources})
  set_target_properties(${FW_NAME} PROPERTIES
    SUFFIX ".elf"
    RUNTIME_OUTPUT_DIRECTORY ${MCUCIM_FIRMWARE_OUT_DIR})
  set(include_dirs "")
  foreach(dir ${FW_INCLUDE_DIRS})
    get_filename_component(dir "${dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_LIST_DIR}")
    list(APPEND include_dirs "${dir}")
  endforeach()
  target_include_directories(${FW_NAME} PRIVATE ${MCUCIM_SOURCE_DIR}/runtime/include ${include_dirs})
  if(FW_DEFINES)
    target_compile_definitions(${FW_NAME} PRIVATE ${FW_DEFINES})
  endif()
  # The toolchain file's flags carry the default -march/-mabi; GCC takes the last one given, for
  # code generation and for picolibc's multilib selection alike.
  if(NOT FW_ARCH STREQUAL MCUCIM_RV_ARCH OR NOT FW_ABI STREQUAL MCUCIM_RV_ABI)
    target_compile_options(${FW_NAME} PRIVATE -march=${FW_ARCH} -mabi=${FW_ABI})
    target_link_options(${FW_NAME} PRIVATE -march=${FW_ARCH} -mabi=${FW_ABI})
  endif()
  # -ffp-contract=off: no fused multiply-add unless written explicitly, so host and target (and hard
  # and soft float) builds round the same way.
  target_compile_options(${FW_NAME} PRIVATE -ffunction-sections -fdata-sections -ffp-contract=off)

  if(FW_LINK STREQUAL "flash")
    math(EXPR code_base "${MCUCIM_FLASH_BASE}" OUTPUT_FORMAT HEXADECIMAL)
    math(EXPR code_size "${MCUCIM_FLASH_SIZE}" OUTPUT_FORMAT HEXADECIMAL)
    math(EXPR ram_base "${MCUCIM_SRAM_BASE}" OUTPUT_FORMAT HEXADECIMAL)
    math(EXPR ram_size "${MCUCIM_SRAM_SIZE}" OUTPUT_FORMAT HEXADECIMAL)
  elseif(FW_LINK STREQUAL "sram")
    math(EXPR code_base "${MCUCIM_SRAM_BASE}" OUTPUT_FORMAT HEXADECIMAL)
    math(EXPR code_size "${MCUCIM_SRAM_SIZE} / 2" OUTPUT_FORMAT HEXADECIMAL)
    math(EXPR ram_base "${MCUCIM_SRAM_BASE} + ${MCUCIM_SRAM_SIZE} / 2" OUTPUT_FORMAT HEXADECIMAL)
    math(EXPR ram_size "${MCUCIM_SRAM_SIZE} / 2" OUTPUT_FORMAT HEXADECIMAL)
  else()
    message(FATAL_ERROR "add_firmware(${FW_NAME}): LINK '${FW_LINK}' is not one of flash, sram")
  endif()
  target_link_options(${FW_NAME} PRIVATE
    -Wl,--defsym=__flash=${code_base} -Wl,--defsym=__flash_size=${code_size}
    -Wl,--defsym=__ram=${ram_base} -Wl,--defsym=__ram_size=${ram_size}
    -Wl,-Map=${MCUCIM_FIRMWARE_OUT_DIR}/${FW_NAME}.map)
  if(FW_STACK_SIZE)
    target_link_options(${FW_NAME} PRIVATE -Wl,--defsym=__stack_size=${FW_STACK_SIZE})
  endif()

  if(FW_SEMIHOST)
    target_link_options(${FW_NAME} PRIVATE --crt0=semihost --oslib=semihost)
  else()
    target_sources(${FW_NAME} PRIVATE ${MCUCIM_SOURCE_DIR}/runtime/board/simctrl_stdio.c)
    target_link_options(${FW_NAME} PRIVATE --crt0=hosted)
  endif()
  if(FW_LIBS)
    target_link_libraries(${FW_NAME} PRIVATE ${FW_LIBS})
  endif()

  if(CMAKE_OBJDUMP)
    add_custom_command(TARGET ${FW_NAME} POST_BUILD
      COMMAND ${CMAKE_OBJDUMP} -d -S $<TARGET_FILE:${FW_NAME}> > ${MCUCIM_FIRMWARE_OUT_DIR}/${FW_NAME}.lst
      VERBATIM)
  endif()
endfunction()
