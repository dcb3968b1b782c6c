# Memory map of the mcu-base SoC, for linking firmware.
# The source of truth is configs/mcu-base.yaml (soc.memories.<name>.base / .size); these values are
# copied from it because the firmware build cannot read YAML. tests/elf/memmap_consistency_test.cpp
# parses both files and fails if they drift apart: change the YAML first, then this file.
# Format (parsed by that test): one `set(MCUCIM_<MEMORY>_<BASE|SIZE> <hex>)` per line.
set(MCUCIM_FLASH_BASE 0x20000000)  # soc.memories.flash.base
set(MCUCIM_FLASH_SIZE 0x00200000)  # soc.memories.flash.size: 2 MiB
set(MCUCIM_SRAM_BASE  0x80000000)  # soc.memories.sram.base
set(MCUCIM_SRAM_SIZE  0x00080000)  # soc.memories.sram.size: 512 KiB
set(MCUCIM_MRAM_BASE  0x60000000)  # soc.memories.mram.base (not used by the linker script yet)
set(MCUCIM_MRAM_SIZE  0x00100000)  # soc.memories.mram.size: 1 MiB
